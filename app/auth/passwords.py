"""Password hashing with argon2id (argon2-cffi defaults: t=3, m=64 MiB, p=4)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()

#: Minimum length of a staff password.
MIN_LENGTH = 12

#: Passwords refused whatever their length (the most common choices and this product's name).
_COMMON = {
    "password1234",
    "123456789012",
    "qwertyuiopas",
    "passwordpassword",
    "111111111111",
    "skillsdelphi",
    "skillsdelphi1",
    "changemechangeme",
    "administrator",
    "letmeinletmein",
    "iloveyou1234",
    "welcome12345",
    "password12345",
    "qwerty123456",
    "1234567890ab",
}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"at least {MIN_LENGTH} characters are needed"
    if password.lower() in _COMMON or len(set(password)) < 4:
        return "this password is too common or too simple"
    return None
