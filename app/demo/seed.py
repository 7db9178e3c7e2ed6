"""Builds the demonstration data set. Every name says it is a demonstration."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from app.auth.models import Role, User
from app.auth.services import create_user
from app.classifications.models import Sector
from app.classifications.services import NACE, ensure_builtin_sectors
from app.councils.models import Council
from app.extensions import db
from app.questionnaires.services import store_questionnaire, surveys_dir

DEMO_PREFIX = "[Demo]"

#: Staff accounts of the demonstration; the passwords are public, for trying things out only.
DEMO_USERS = (
    ("admin@demo.skillsdelphi.eu", Role.admin, "Demo Administrator", "demo-admin-2026"),
    (
        "secretariat@demo.skillsdelphi.eu",
        Role.secretariat,
        "Demo Secretariat",
        "demo-secretariat-2026",
    ),
    (
        "official@demo.skillsdelphi.eu",
        Role.official,
        "Demo Ministry Official",
        "demo-official-2026",
    ),
    (
        "publisher@demo.skillsdelphi.eu",
        Role.publisher,
        "Demo Ministry Publisher",
        "demo-publisher-2026",
    ),
)


@dataclass
class DemoSummary:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    users: tuple = DEMO_USERS


def _council(name: str, sector_code: str, geography: str, description: str) -> tuple[Council, bool]:
    council = db.session.scalars(select(Council).where(Council.name == name)).first()
    if council is not None:
        return council, False
    sector = db.session.scalars(
        select(Sector).where(Sector.classification == NACE, Sector.code == sector_code)
    ).one()
    council = Council(name=name, sector=sector, geography=geography, description=description)
    db.session.add(council)
    db.session.flush()
    return council, True


def seed_demo() -> DemoSummary:
    """Create the demonstration data where missing (safe to run twice). Flushes."""
    summary = DemoSummary()
    ensure_builtin_sectors()
    construction, new = _council(
        f"{DEMO_PREFIX} Construction Skills Council",
        "F",
        "EU",
        "Demonstration council: employers, trade unions and training providers of the "
        "construction sector. All people and answers here are invented.",
    )
    (summary.created if new else summary.skipped).append(construction.name)
    care, new = _council(
        f"{DEMO_PREFIX} Health and Care Skills Council",
        "Q",
        "EU",
        "Demonstration council for human health and social work activities.",
    )
    (summary.created if new else summary.skipped).append(care.name)

    for email, role, name, password in DEMO_USERS:
        if db.session.scalars(select(User).where(User.email == email)).first() is not None:
            summary.skipped.append(email)
            continue
        councils = [construction] if role is Role.secretariat else []
        create_user(email, role, password, name=name, councils=councils, by="seed-demo")
        summary.created.append(email)

    for path in sorted(surveys_dir().glob("*.yaml")):
        stored = store_questionnaire(path)
        summary.created.append(f"questionnaire {stored.key} {stored.version}")
    return summary
