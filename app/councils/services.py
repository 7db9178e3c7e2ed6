"""Administration of councils and staff accounts. Services flush; the caller commits.

Every service takes the acting user as ``by``: a staff ``User``, whose right to manage the
object is checked by the policy's object rules, or a label such as ``"cli"`` for the command
line (whoever may run commands on the server administers it). Every change is written to the
audit log; input that cannot be taken raises InvalidInput naming the field at fault, before
anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.audit.services import record
from app.auth import mfa
from app.auth.models import Role, User
from app.auth.policy import Act, authorize
from app.auth.services import create_user, find_user, normalise_email
from app.classifications.models import Sector
from app.classifications.services import (
    COUNCIL_LEVELS,
    divisions_stored,
    find_sector,
    normalise_sector_code,
)
from app.councils.geography import geography_problem, normalise_geography
from app.councils.models import Council
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.problems import N_, Problem
from app.text import LINE_BREAKS_AND_TABS, has_control_characters

#: Longest council name (the column's size).
MAX_NAME_LENGTH = 200
#: Longest council description.
MAX_DESCRIPTION_LENGTH = 4000

Actor = User | str


def _may_manage(by: Actor, obj: Council | User) -> None:
    if isinstance(by, User):
        authorize(by, Act.manage, obj)


# ----------------------------------------------------------------------------- councils


def find_council(name: str) -> Council | None:
    """The council named ``name`` (letter case ignored), or None."""
    return db.session.scalars(
        select(Council).where(func.lower(Council.name) == name.strip().lower())
    ).first()


def get_council(council_id: int) -> Council:
    """The council with ``council_id``. Raises NotFound."""
    council = db.session.get(Council, council_id)
    if council is None:
        raise NotFound(N_("no such council"))
    return council


def list_councils() -> list[Council]:
    """Every council by name, with its sector and staff loaded."""
    return list(
        db.session.scalars(
            select(Council)
            .options(selectinload(Council.sector), selectinload(Council.staff))
            .order_by(Council.name)
        )
    )


def secretariat_of(council: Council) -> list[User]:
    """The secretariat users of ``council``, by e-mail address."""
    return sorted((u for u in council.staff if u.role is Role.secretariat), key=lambda u: u.email)


def _name_problem(name: str, council: Council | None) -> Problem | None:
    if has_control_characters(name):
        why = N_("must be a single line, without line breaks, tabs or other control characters")
        return Problem(why, field="name")
    if not name:
        return Problem(N_("enter the council's name"), field="name")
    if len(name) > MAX_NAME_LENGTH:
        return Problem(N_("at most %(n)s characters"), "name", params={"n": MAX_NAME_LENGTH})
    other = find_council(name)
    if other is not None and other is not council:
        return Problem(
            N_("a council named %(name)s exists already"),
            field="name",
            params={"name": repr(other.name)},
        )
    return None


def _sector(code: str) -> tuple[Sector | None, Problem | None]:
    """The sector with ``code`` that a council may cover, or why there is none."""
    code = normalise_sector_code(code)
    if not code:
        return None, Problem(N_("choose a NACE section or division, e.g. F or 41"), "sector")
    sector = find_sector(code)
    shown = repr(code if len(code) <= 20 else code[:20] + "…")
    if sector is None:
        why = (
            N_("no NACE sector has code %(code)s")
            if divisions_stored()
            else N_(
                "no NACE sector has code %(code)s; import-classification nace FILE loads the "
                "full list"
            )
        )
        return None, Problem(why, field="sector", params={"code": shown})
    if sector.level not in COUNCIL_LEVELS:
        why = (
            N_(
                "%(code)s is a NACE group; a council covers a section or a division, such "
                "as %(division)s"
            )
            if sector.level == 3
            else N_(
                "%(code)s is a NACE class; a council covers a section or a division, such "
                "as %(division)s"
            )
        )
        return None, Problem(
            why, field="sector", params={"code": sector.code, "division": sector.code[:2]}
        )
    return sector, None


def _checked(
    name: str, sector_code: str, geography: str, description: str, council: Council | None
) -> tuple[str, Sector, str, str]:
    name = (name or "").strip()
    geography = normalise_geography(geography or "")
    description = (description or "").strip()
    problems = []
    if why := _name_problem(name, council):
        problems.append(why)
    sector, why = _sector(sector_code or "")
    if why:
        problems.append(why)
    if why := geography_problem(geography):
        problems.append(why)
    if has_control_characters(description, allow=LINE_BREAKS_AND_TABS):
        problems.append(
            Problem(N_("remove control characters other than line breaks and tabs"), "description")
        )
    elif len(description) > MAX_DESCRIPTION_LENGTH:
        problems.append(
            Problem(
                N_("at most %(n)s characters"), "description", params={"n": MAX_DESCRIPTION_LENGTH}
            )
        )
    if problems:
        what = (
            N_("the council was not created")
            if council is None
            else N_("the council was not changed")
        )
        raise InvalidInput(what, problems)
    assert sector is not None
    return name, sector, geography, description


def create_council(
    name: str, *, sector_code: str, geography: str, description: str = "", by: Actor
) -> Council:
    """Create a council of the NACE section or division ``sector_code`` (``F``, ``41``) in
    ``geography`` (ISO 3166 country code, ``EU`` or NUTS code). Raises InvalidInput naming
    ``name``, ``sector``, ``geography`` or ``description``; NotAllowed. Flushes."""
    _may_manage(by, Council())
    name, sector, geography, description = _checked(name, sector_code, geography, description, None)
    council = Council(name=name, sector=sector, geography=geography, description=description)
    db.session.add(council)
    db.session.flush()
    record(
        "council-created",
        actor=by,
        object_type="council",
        object_id=council.id,
        details={"name": name, "sector": sector.code, "geography": geography},
    )
    return council


def update_council(
    council: Council,
    *,
    name: str,
    sector_code: str,
    geography: str,
    description: str,
    by: Actor,
) -> list[str]:
    """Change a council's name, sector, geography and description; return the names of the
    fields that changed (nothing is recorded when none did). Raises InvalidInput naming the
    field at fault; NotAllowed. Flushes."""
    _may_manage(by, council)
    name, sector, geography, description = _checked(
        name, sector_code, geography, description, council
    )
    before = {
        "name": council.name,
        "sector": council.sector.code,
        "geography": council.geography,
        "description": council.description,
    }
    after = {
        "name": name,
        "sector": sector.code,
        "geography": geography,
        "description": description,
    }
    changed = [key for key in before if before[key] != after[key]]
    if not changed:
        return []
    council.name, council.sector, council.geography = name, sector, geography
    council.description = description
    db.session.flush()
    record(
        "council-updated",
        actor=by,
        object_type="council",
        object_id=council.id,
        # a description may be long: the log says that it changed, not how
        details={
            key: "changed" if key == "description" else {"from": before[key], "to": after[key]}
            for key in changed
        },
    )
    return changed


# ----------------------------------------------------------------------------- membership


def _staff_user(email: str, field: str = "email") -> User:
    user = find_user(email or "")
    if user is None:
        shown = normalise_email(email or "")[:254]
        raise InvalidInput(
            N_("no such staff user"),
            [
                Problem(
                    N_("no staff user has the e-mail address %(email)s"),
                    field=field,
                    params={"email": repr(shown)},
                )
            ],
        )
    return user


#: Why a user of a role other than secretariat cannot work for a council.
_NOT_SECRETARIAT = {
    Role.admin: N_("%(email)s is an admin; only secretariat users work for a council"),
    Role.official: N_("%(email)s is an official; only secretariat users work for a council"),
    Role.publisher: N_("%(email)s is a publisher; only secretariat users work for a council"),
}


def _scope_problem(user: User, field: str) -> Problem | None:
    if user.role is Role.secretariat:
        return None
    return Problem(_NOT_SECRETARIAT[user.role], field=field, params={"email": user.email})


def add_member(council: Council, user: User | str, *, by: Actor) -> bool:
    """Add a secretariat user (or the user with that e-mail address) to the council's
    secretariat; False when they were in it already. Raises InvalidInput naming ``email``
    for an unknown address or a user of another role; NotAllowed. Flushes."""
    _may_manage(by, council)
    user = _staff_user(user) if isinstance(user, str) else user
    if why := _scope_problem(user, "email"):
        raise InvalidInput(N_("the user was not added"), [why])
    if council in user.councils:
        return False
    user.councils.append(council)
    db.session.flush()
    record(
        "council-member-added",
        actor=by,
        object_type="council",
        object_id=council.id,
        details={"user_id": user.id, "email": user.email},
    )
    return True


def remove_member(council: Council, user: User | str, *, by: Actor) -> None:
    """Remove a user (or the user with that e-mail address) from the council's secretariat.
    Raises InvalidInput naming ``email`` when they are not in it; NotAllowed. Flushes."""
    _may_manage(by, council)
    user = _staff_user(user) if isinstance(user, str) else user
    if council not in user.councils:
        raise InvalidInput(
            N_("the user was not removed"),
            [
                Problem(
                    N_("%(email)s is not in the secretariat of %(council)s"),
                    field="email",
                    params={"email": user.email, "council": council.name},
                )
            ],
        )
    user.councils.remove(council)
    db.session.flush()
    record(
        "council-member-removed",
        actor=by,
        object_type="council",
        object_id=council.id,
        details={"user_id": user.id, "email": user.email},
    )


def set_councils(user: User, councils: Iterable[Council], *, by: Actor) -> bool:
    """Make ``councils`` the secretariat user's councils (adding and removing memberships,
    each recorded); False when nothing changed. Raises InvalidInput naming ``councils`` for a
    user of another role given councils; NotAllowed. Flushes."""
    _may_manage(by, user)
    wanted = list(dict.fromkeys(councils))
    if wanted and (why := _scope_problem(user, "councils")):
        raise InvalidInput(N_("the councils were not changed"), [why])
    current = list(user.councils)
    for council in current:
        if council not in wanted:
            remove_member(council, user, by=by)
    for council in wanted:
        if council not in current:
            add_member(council, user, by=by)
    return set(current) != set(wanted)


# ----------------------------------------------------------------------------- users


def get_user(user_id: int) -> User:
    """The staff user with ``user_id``. Raises NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(N_("no such user"))
    return user


def list_users() -> list[User]:
    """Every staff user by e-mail address, with their councils loaded."""
    return list(
        db.session.scalars(select(User).options(selectinload(User.councils)).order_by(User.email))
    )


def create_staff_user(
    email: str,
    role: Role | str,
    password: str,
    *,
    name: str = "",
    councils: Iterable[Council] = (),
    by: Actor,
) -> User:
    """Create a staff account (``create_user``); councils are for secretariat users only.
    Raises InvalidInput naming ``email``, ``name``, ``role``, ``password`` or ``councils``;
    NotAllowed. Flushes."""
    _may_manage(by, User())
    return create_user(email, role, password, name=name, councils=councils, by=by)


#: Why an administrator cannot act on their own account, and what to do instead.
_NOT_YOURSELF = {
    "deactivate": (
        N_("you cannot deactivate your own account"),
        N_("ask another administrator to deactivate your account"),
    ),
    "change-role": (
        N_("you cannot change the role of your own account"),
        N_("ask another administrator to change the role of your account"),
    ),
    "reset-second-factor": (
        N_("you cannot reset the two-factor sign-in of your own account here"),
        N_("reset it on your two-factor sign-in page, with your password and a code"),
    ),
}


def _not_yourself(user: User, by: Actor, action: str) -> None:
    if isinstance(by, User) and by.id == user.id:
        why, advice = _NOT_YOURSELF[action]
        raise InvalidInput(why, [Problem(advice, field="user")])


def deactivate_user(user: User, *, by: Actor) -> bool:
    """Stop a user from signing in and end every session they have; False when the account
    was inactive already. An administrator cannot deactivate their own account. Raises
    InvalidInput, NotAllowed. Flushes."""
    _may_manage(by, user)
    _not_yourself(user, by, "deactivate")
    if not user.active:
        return False
    user.active = False
    user.rotate_session_token()
    db.session.flush()
    record("user-deactivated", actor=by, object_type="user", object_id=user.id)
    return True


def reset_second_factor(user: User, *, by: Actor) -> bool:
    """Remove a user's second factor and recovery codes (a lost phone) and end every session
    they have; they set it up again when they next sign in, if their role requires it.
    False when there was none. An administrator resets their own only on their own page
    (with password and code). Raises InvalidInput, NotAllowed. Records ``mfa-reset``.
    Flushes."""
    _may_manage(by, user)
    _not_yourself(user, by, "reset-second-factor")
    return mfa.reset(user, by=by)


def reactivate_user(user: User, *, by: Actor) -> bool:
    """Let a deactivated user sign in again (sessions ended at deactivation stay ended);
    False when the account was active. Raises NotAllowed. Flushes."""
    _may_manage(by, user)
    if user.active:
        return False
    user.active = True
    db.session.flush()
    record("user-reactivated", actor=by, object_type="user", object_id=user.id)
    return True


def change_role(user: User, role: Role | str, *, by: Actor) -> bool:
    """Give a user another role; False when it is theirs already. A user who stops being
    secretariat leaves their councils' secretariats. An administrator cannot change their
    own role. Raises InvalidInput naming ``role``, NotAllowed. Flushes."""
    _may_manage(by, user)
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput(
            N_("the role was not changed"),
            [
                Problem(
                    N_("%(value)s is not one of %(choices)s"),
                    field="role",
                    params={"value": repr(role), "choices": ", ".join(r.value for r in Role)},
                )
            ],
        ) from None
    if role is user.role:
        return False
    _not_yourself(user, by, "change-role")
    before = user.role
    left = [c.name for c in user.councils] if role is not Role.secretariat else []
    for council in list(user.councils) if left else []:
        remove_member(council, user, by=by)
    user.role = role
    db.session.flush()
    record(
        "user-role-changed",
        actor=by,
        object_type="user",
        object_id=user.id,
        details={"from": before.value, "to": role.value} | ({"left": left} if left else {}),
    )
    return True
