"""The second factor of staff sign-in: TOTP codes (RFC 6238) and one-time recovery codes.

A staff member sets up an authenticator app by scanning a secret offered at enrolment and
confirming it with a current code; they then get ten recovery codes, shown once. Signing in
then takes the password and a code: the code of the current 30-second step or of the step
before or after it, never a code of a step already used (the last one used is stored, and
moving it on is one atomic UPDATE), or a recovery code, which is then used up.

Secrets: the TOTP secret is stored encrypted with a key outside the database (``MFA_KEY``,
else derived from ``SECRET_KEY``), shown only while enrolling and never logged. The secret
offered at enrolment and the recovery codes shown afterwards are derived from that key and a
random nonce kept in the session, so that neither sits in a cookie or in the database in
clear. Recovery codes are stored as argon2id hashes, like passwords.

Services flush; the caller commits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import pyotp
from flask import current_app
from sqlalchemy import select, update

from app.audit.services import record
from app.auth.models import RecoveryCode, Role, SecondFactor, User
from app.auth.passwords import hash_password, verify_password
from app.errors import NotAllowed, StateError
from app.extensions import db
from app.problems import N_

#: Seconds per TOTP time step, digits per code, steps accepted either side of the current one.
STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1
#: Recovery codes made at enrolment.
RECOVERY_CODE_COUNT = 10
#: Characters of a recovery code (Crockford's base32: no I, L, O or U to misread).
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
#: Characters per recovery code (60 random bits), shown in groups of four.
RECOVERY_CODE_LENGTH = 12
_MISREAD = str.maketrans({"o": "0", "i": "1", "l": "1"})
#: Prefix of the stored form of an encrypted secret (format version).
_SEALED = "v1."


class CodeCheck(StrEnum):
    """The outcome of checking a code."""

    accepted = "accepted"
    #: Not a current code (nor a recovery code of the user).
    wrong = "wrong"
    #: The code of a time step that was used already: refused, it may have been seen.
    used = "used"


class SecondFactorError(StateError):
    """The second factor cannot be changed so (already set up, not set up)."""


# ----------------------------------------------------------------------------- settings


def required_roles(config: Mapping[str, Any]) -> frozenset[Role]:
    """The staff roles whose members must use a second factor (``MFA_REQUIRED_ROLES``).

    Raises ValueError naming the value when it lists something that is not a staff role."""
    value = config.get("MFA_REQUIRED_ROLES")
    if value is None:
        return frozenset(Role) if config.get("ENVIRONMENT") == "production" else frozenset()
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple | set | frozenset):
        raise ValueError(f"not a list of roles: {value!r}")
    try:
        return frozenset(Role(str(v).strip()) for v in value)
    except ValueError:
        raise ValueError(f"not a list of staff roles: {value!r}") from None


def is_required(user: User) -> bool:
    """Whether the user's role must sign in with a second factor."""
    return user.role in required_roles(current_app.config)


def needs_enrolment(user: User) -> bool:
    """Whether the user must set up a second factor before doing anything else."""
    return is_required(user) and user.second_factor is None


# ----------------------------------------------------------------------------- keys, sealing


def _key(purpose: str) -> bytes:
    cfg = current_app.config
    base = cfg.get("MFA_KEY") or cfg["SECRET_KEY"]
    root = hmac.new(base.encode("utf-8"), b"skillsdelphi second factor", hashlib.sha256)
    return hmac.new(root.digest(), purpose.encode("ascii"), hashlib.sha256).digest()


def _keystream(nonce: bytes, length: int) -> bytes:
    key = _key("encrypt")
    out = b""
    counter = 0
    while len(out) < length:
        out += hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        counter += 1
    return out[:length]


def seal(secret: str) -> str:
    """``secret`` encrypted for storage: HMAC-SHA256 in counter mode under a random nonce,
    then authenticated (encrypt-then-MAC)."""
    nonce = secrets.token_bytes(16)
    data = secret.encode("ascii")
    body = nonce + bytes(a ^ b for a, b in zip(data, _keystream(nonce, len(data)), strict=True))
    tag = hmac.new(_key("authenticate"), body, hashlib.sha256).digest()[:16]
    return _SEALED + base64.urlsafe_b64encode(body + tag).decode("ascii")


def unseal(stored: str) -> str:
    """The secret ``seal`` stored. Raises ValueError when it was altered or sealed with
    another key."""
    if not stored.startswith(_SEALED):
        raise ValueError("not a sealed secret")
    raw = base64.urlsafe_b64decode(stored[len(_SEALED) :].encode("ascii"))
    body, tag = raw[:-16], raw[-16:]
    expected = hmac.new(_key("authenticate"), body, hashlib.sha256).digest()[:16]
    if len(body) < 17 or not hmac.compare_digest(tag, expected):
        raise ValueError("the sealed secret was altered or sealed with another key")
    nonce, data = body[:16], body[16:]
    return bytes(a ^ b for a, b in zip(data, _keystream(nonce, len(data)), strict=True)).decode(
        "ascii"
    )


def new_nonce() -> str:
    """A random nonce for the session, from which an enrolment's secret and codes derive."""
    return secrets.token_urlsafe(24)


def enrolment_secret(user: User, nonce: str) -> str:
    """The TOTP secret offered to ``user`` at the enrolment that ``nonce`` names (160 bits,
    base32)."""
    digest = hmac.new(_key("enrol"), f"{user.id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode("ascii")


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app reads (from the QR code)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=user.email, issuer_name=current_app.config.get("MFA_ISSUER") or "SkillsDelphi"
    )


def grouped(text: str, size: int = 4) -> str:
    """``text`` in groups of ``size`` characters separated by spaces (for reading out)."""
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


# ----------------------------------------------------------------------------- TOTP


def time_step(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def normalise_code(text: str) -> str:
    """A typed TOTP code without the spaces and hyphens people put in."""
    return "".join(ch for ch in text if ch not in " -\u00a0\t")


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The latest time step within WINDOW steps of ``at`` whose code is ``code``, or None."""
    code = normalise_code(code)
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now = time_step(at)
    found = None
    for step in range(now - WINDOW, now + WINDOW + 1):  # every step checked: same time
        if hmac.compare_digest(totp.generate_otp(step), code.encode("ascii", "replace").decode()):
            found = step
    return found


def check_totp(user: User, code: str, *, at: datetime) -> CodeCheck:
    """Check a TOTP code of the user's second factor; an accepted code's step becomes the
    last used one, in one UPDATE that only moves it forward (two requests with one code:
    one wins). Flushes."""
    factor = user.second_factor
    if factor is None:
        return CodeCheck.wrong
    step = matching_step(unseal(factor.secret), code, at)
    if step is None:
        return CodeCheck.wrong
    moved = db.session.execute(
        update(SecondFactor)
        .where(SecondFactor.user_id == user.id, SecondFactor.last_step < step)
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(factor, ["last_step"])
    return CodeCheck.accepted if moved == 1 else CodeCheck.used


# ----------------------------------------------------------------------------- recovery codes


def normalise_recovery_code(text: str) -> str:
    """A typed recovery code as stored: lower case, without spaces and hyphens, with the
    letters people read for digits (O for 0, I and L for 1) mapped back."""
    return "".join(ch for ch in text.lower() if ch not in " -\u00a0\t").translate(_MISREAD)


def _lookup(code: str) -> str:
    return hmac.new(_key("lookup"), code.encode("ascii"), hashlib.sha256).hexdigest()[:4]


def recovery_codes(user: User, nonce: str) -> list[str]:
    """The recovery codes made for ``user`` at the enrolment that ``nonce`` names, as shown
    (``abcd-efgh-jkmn``)."""
    codes = []
    for i in range(RECOVERY_CODE_COUNT):
        digest = hmac.new(
            _key("recovery"), f"{user.id}:{nonce}:{i}".encode(), hashlib.sha256
        ).digest()
        value = int.from_bytes(digest[:8], "big")
        chars = [RECOVERY_ALPHABET[(value >> (5 * k)) & 31] for k in range(RECOVERY_CODE_LENGTH)]
        codes.append("-".join(grouped("".join(chars)).split(" ")))
    return codes


def use_recovery_code(user: User, text: str, *, at: datetime) -> CodeCheck:
    """Use up one of the user's recovery codes: ``accepted`` once, ``wrong`` after (or for
    any other text). The code is marked used in one UPDATE that needs it unused. Flushes."""
    code = normalise_recovery_code(text)
    if len(code) != RECOVERY_CODE_LENGTH or set(code) - set(RECOVERY_ALPHABET):
        return CodeCheck.wrong
    candidates = db.session.scalars(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.used_at.is_(None),
            RecoveryCode.lookup == _lookup(code),
        )
    ).all()
    for candidate in candidates:
        if verify_password(candidate.code_hash, code):
            used = db.session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == candidate.id, RecoveryCode.used_at.is_(None))
                .values(used_at=at)
                .execution_options(synchronize_session=False)
            ).rowcount
            db.session.expire(candidate, ["used_at"])
            return CodeCheck.accepted if used == 1 else CodeCheck.wrong
    return CodeCheck.wrong


def recovery_codes_left(user: User) -> int:
    return sum(1 for c in user.recovery_codes if c.used_at is None)


# ----------------------------------------------------------------------------- services


def enrol(user: User, nonce: str, code: str, *, at: datetime) -> tuple[CodeCheck, str | None]:
    """Set up the second factor offered at the enrolment ``nonce`` names, confirmed with a
    current ``code`` of it. Returns (outcome, the nonce of the recovery codes made); nothing
    is stored unless accepted. Raises SecondFactorError when one is set up already.
    Records ``mfa-enrolled``. Flushes."""
    if user.second_factor is not None:
        raise SecondFactorError(N_("two-factor sign-in is set up already"))
    secret = enrolment_secret(user, nonce)
    step = matching_step(secret, code, at)
    if step is None:
        return CodeCheck.wrong, None
    user.second_factor = SecondFactor(secret=seal(secret), enrolled_at=at, last_step=step)
    codes_nonce = new_nonce()
    _replace_recovery_codes(user, codes_nonce)
    record("mfa-enrolled", actor=user, object_type="user", object_id=user.id)
    db.session.flush()
    return CodeCheck.accepted, codes_nonce


def _replace_recovery_codes(user: User, nonce: str) -> None:
    user.recovery_codes = []
    for shown in recovery_codes(user, nonce):
        code = normalise_recovery_code(shown)
        user.recovery_codes.append(
            RecoveryCode(code_hash=hash_password(code), lookup=_lookup(code))
        )


def disable(user: User) -> None:
    """Remove the user's own second factor and recovery codes. Raises NotAllowed when the
    user's role requires one, SecondFactorError when none is set up. Records
    ``mfa-disabled``. Flushes."""
    if user.second_factor is None:
        raise SecondFactorError(N_("two-factor sign-in is not set up"))
    if is_required(user):
        raise NotAllowed(
            N_("your role requires two-factor sign-in: set it up again instead of turning it off")
        )
    _remove(user)
    record("mfa-disabled", actor=user, object_type="user", object_id=user.id)
    db.session.flush()


def reset(user: User, *, by: User | str) -> bool:
    """Remove the user's second factor and recovery codes, so that it is set up again at the
    next sign-in (or now, by the user). Done by someone else (an administrator, the command
    line), it also ends every session of the user. Returns whether there was one. Records
    ``mfa-reset``. Flushes."""
    had = user.second_factor is not None or bool(user.recovery_codes)
    _remove(user)
    if by is not user:
        user.rotate_session_token()
    record(
        "mfa-reset",
        actor=by,
        object_type="user",
        object_id=user.id,
        details={"had_second_factor": had},
    )
    db.session.flush()
    return had


def _remove(user: User) -> None:
    user.second_factor = None
    user.recovery_codes = []
    db.session.flush()
