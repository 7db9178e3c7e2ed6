"""Staff account services. They flush; the caller commits."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from app.audit.services import record
from app.auth.emails import email_problem
from app.auth.models import Role, User
from app.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from app.councils.models import Council
from app.database import utcnow
from app.errors import InvalidInput
from app.extensions import db
from app.problems import N_, Problem
from app.text import has_control_characters

_DUMMY_HASH = hash_password("timing-equaliser-not-a-password")
#: Longest display name (the column's size).
MAX_NAME_LENGTH = 200


#: Why a user of a role other than secretariat is given no council.
_COUNCILS_REFUSED = {
    Role.admin: N_("only secretariat users work for a council, not admin users"),
    Role.official: N_("only secretariat users work for a council, not official users"),
    Role.publisher: N_("only secretariat users work for a council, not publisher users"),
}


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalars(
        select(User).where(func.lower(User.email) == normalise_email(email))
    ).first()


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None. Rehashes outdated hashes.

    Records ``login-failed`` in the audit log when refused; a sign-in is recorded by
    ``complete_sign_in``, once the second factor, if any, is checked too. Flushes.
    """
    user = find_user(email)
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)  # same work whether or not the user exists
        record("login-failed", actor="anonymous", details={"reason": "unknown or inactive"})
        return None
    if not check_password(user, password):
        return None
    return user


def check_password(user: User, password: str) -> bool:
    """Whether ``password`` is the user's; rehashes an outdated hash. Records
    ``login-failed`` when it is not. Flushes."""
    if not verify_password(user.password_hash, password):
        record("login-failed", actor=user, object_type="user", object_id=user.id)
        return False
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


def complete_sign_in(user: User, *, second_factor: str | None = None) -> None:
    """Record a completed sign-in: ``login`` in the audit log, with the second factor used
    (``totp``, ``recovery-code`` or ``enrolment``), if any. Flushes."""
    user.last_login_at = utcnow()
    details = {"second_factor": second_factor} if second_factor else None
    record("login", actor=user, object_type="user", object_id=user.id, details=details)


def second_factor_failed(user: User, *, reason: str) -> None:
    """Record a refused second step of a sign-in (``reason``: ``wrong``, ``used``). Flushes."""
    record(
        "login-failed",
        actor=user,
        object_type="user",
        object_id=user.id,
        details={"reason": f"second factor {reason}"},
    )


def sign_out(user: User) -> None:
    """End every session of the user (server-side). Flushes."""
    user.rotate_session_token()
    record("logout", actor=user, object_type="user", object_id=user.id)
    db.session.flush()


def create_user(
    email: str,
    role: Role | str,
    password: str,
    *,
    name: str = "",
    councils: Iterable[Council] = (),
    by: User | str | None = None,
) -> User:
    """Create a staff account. The address must be one the sign-in form accepts
    (``email_problem``). Raises InvalidInput naming the field at fault. Flushes."""
    problems = []
    email_n = normalise_email(email)
    if why := email_problem(email_n):
        problems.append(why)
    try:
        role = Role(role)
    except ValueError:
        problems.append(
            Problem(
                N_("%(value)s is not one of %(choices)s"),
                field="role",
                params={"value": repr(role), "choices": ", ".join(r.value for r in Role)},
            )
        )
    if has_control_characters(name):
        problems.append(
            Problem(
                N_("must be a single line, without line breaks, tabs or other control characters"),
                field="name",
            )
        )
    elif len(name) > MAX_NAME_LENGTH:
        problems.append(
            Problem(N_("at most %(n)s characters"), field="name", params={"n": MAX_NAME_LENGTH})
        )
    councils = list(dict.fromkeys(councils))  # a council named twice counts once
    if councils and isinstance(role, Role) and role is not Role.secretariat:
        problems.append(Problem(_COUNCILS_REFUSED[role], field="councils"))
    if why := password_problem(password, (email_n, name)):
        problems.append(why)
    if not problems and find_user(email_n) is not None:
        problems.append(
            Problem(
                N_("a user with %(email)s exists already"), field="email", params={"email": email_n}
            )
        )
    if problems:
        raise InvalidInput(N_("the user was not created"), problems)
    user = User(email=email_n, role=Role(role), password_hash=hash_password(password), name=name)
    user.councils = councils
    db.session.add(user)
    db.session.flush()
    record(
        "user-created",
        actor=by or "system",
        object_type="user",
        object_id=user.id,
        details={"role": user.role.value},
    )
    return user
