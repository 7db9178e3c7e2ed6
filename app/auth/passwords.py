"""Password hashing with argon2id (argon2-cffi defaults: t=3, m=64 MiB, p=4).

``PASSWORD_HASHING = "fast"`` (tests only; production refuses it) uses argon2id with minimal
cost, so that a test suite creating thousands of accounts does not spend minutes hashing.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context

from app.problems import N_, Problem

#: The hashers by profile name: "standard" meets SECURITY.md 2.1, "fast" is for tests.
HASHERS = {
    "standard": PasswordHasher(),
    "fast": PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
}


def _hasher() -> PasswordHasher:
    profile = current_app.config.get("PASSWORD_HASHING", "standard") if has_app_context() else None
    return HASHERS.get(profile or "standard", HASHERS["standard"])


#: Minimum length of a staff password.
MIN_LENGTH = 12

#: How many of the most common passwords (zxcvbn's frequency list) are refused outright.
COMMON_REFUSED = 3000
#: Lowest zxcvbn guessability score accepted (0 = very guessable .. 4 = very unguessable).
MIN_SCORE = 3


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"][:COMMON_REFUSED])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def password_problem(
    password: str, user_inputs: tuple[str, ...] = (), field: str = "password"
) -> Problem | None:
    """Why a new password is refused (a problem of ``field``), or None when it is acceptable.

    Refused: shorter than MIN_LENGTH, one of the 3,000 most common passwords, or easy to guess
    by zxcvbn's estimate (dictionary words with digits, keyboard runs, repeats, the user's own
    e-mail address...).
    """
    from zxcvbn import zxcvbn

    if len(password) < MIN_LENGTH:
        return Problem(
            N_("at least %(n)s characters are needed"), field=field, params={"n": MIN_LENGTH}
        )
    if password.lower() in _common():
        return Problem(N_("this is one of the most common passwords"), field=field)
    # zxcvbn's cost grows with length; the first 100 characters decide.
    if zxcvbn(password[:100], user_inputs=list(user_inputs))["score"] < MIN_SCORE:
        return Problem(
            N_("this password is too easy to guess; add more unrelated words"), field=field
        )
    return None
