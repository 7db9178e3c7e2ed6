"""The data set of the S4 access-control matrix: two councils with everything in them.

Council X is the demonstration's construction council (``seed-demo``: a finished three-round
consultation with a published brief, an open follow-up study, a forecast); council Y gets a
study of its own with an open round, a closed consultation and briefs in every state. Every
brief version holds stored files (as a rendered, published one does) so that a file that
exists but must not be served is what the matrix asks for.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from app.auth.models import Role, User
from app.briefs import services as briefs
from app.briefs.models import BriefArtefact, BriefVersion
from app.consultations.models import Consultation, RoundStatus
from app.councils.models import Council
from app.database import utcnow
from app.demo.seed import DEMO_CONSULTATION, DEMO_FOLLOW_UP, DEMO_USERS, seed_demo
from app.extensions import db
from app.forecasts.models import ForecastBinding, ForecastDataset
from app.panels.models import Panellist
from app.panels.tokens import issue_invitation
from tests.app.factories import PASSWORD, make_consultation, make_panellist, make_staff

#: The stored files every brief version gets, and their media types.
#: The stored files every brief version gets: short name -> (file name, media type).
FILES = {
    "html": ("brief.html", "text/html; charset=utf-8"),
    "pdf": ("brief.pdf", "application/pdf"),
    "json": ("brief.json", "application/json"),
    "xlsx": ("brief.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": ("data/key_facts.csv", "text/csv; charset=utf-8"),
}

STATES = ("draft", "in_review", "approved", "published")


@dataclass
class World:
    #: kind of object -> value of each URL argument (``consultation-X`` -> {...}).
    ids: dict[str, dict[str, int | str]] = field(default_factory=dict)
    #: actor -> (e-mail, password) of staff; panellists: raw invitation tokens.
    staff: dict[str, tuple[str, str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    #: Titles of the briefs that are not published (they must appear nowhere public).
    unpublished_titles: list[str] = field(default_factory=list)
    unpublished_ids: list[int] = field(default_factory=list)


def _store_files(version: BriefVersion) -> None:
    for name, media_type in FILES.values():
        text = f"{version.brief.title} v{version.number} {name}"
        data = (json.dumps({"title": text}) if name.endswith(".json") else text).encode()
        db.session.add(
            BriefArtefact(
                version_id=version.id,
                name=name,
                media_type=media_type,
                data=data,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
            )
        )


def _brief_in(state: str, consultation: Consultation, sec: User, official: User, publisher: User):
    start = utcnow() - timedelta(days=5)
    title = f"Brief {state} of {consultation.council.name}"
    version = briefs.create_draft(consultation, by=sec, title=title, as_of=start)
    if state in ("in_review", "approved", "published"):
        briefs.submit_for_review(version, by=sec, as_of=start + timedelta(days=1))
    if state in ("approved", "published"):
        briefs.approve(version, by=official, as_of=start + timedelta(days=2))
    if state == "published":
        briefs.publish(version, by=publisher, as_of=start + timedelta(days=3))
    db.session.flush()
    return version


def build_world() -> World:
    """Seed the data set into the current app context's database and commit it."""
    world = World()
    seed_demo()
    users = {
        email: db.session.scalars(select(User).where(User.email == email)).one()
        for email, *_ in DEMO_USERS
    }
    for email, role, _name, password in DEMO_USERS:
        actor = "secretariat-X" if role is Role.secretariat else role.value
        world.staff[actor] = (email, password)
    sec_x = users[DEMO_USERS[1][0]]
    official, publisher = users[DEMO_USERS[2][0]], users[DEMO_USERS[3][0]]

    x_finished = db.session.scalars(
        select(Consultation).where(Consultation.title == DEMO_CONSULTATION)
    ).one()
    x_open = db.session.scalars(
        select(Consultation).where(Consultation.title == DEMO_FOLLOW_UP)
    ).one()
    council_x = x_finished.council
    council_y = db.session.scalars(
        select(Council).where(Council.id != council_x.id).order_by(Council.id)
    ).first()
    sec_y = make_staff(Role.secretariat, [council_y], email="secretariat-y@example.org")
    world.staff["secretariat-Y"] = (sec_y.email, PASSWORD)

    y_open = make_consultation(council_y, title="Care skills study B")
    y_closed = make_consultation(
        council_y, title="Care skills report", rounds=(RoundStatus.released,)
    )
    panellist_b = make_panellist(y_open, name="Bea Panellist")
    make_panellist(y_closed, name="Closed Panellist")
    panellist_a = db.session.scalars(
        select(Panellist).where(Panellist.consultation_id == x_open.id).order_by(Panellist.id)
    ).first()
    world.tokens["panellist-A"] = issue_invitation(panellist_a, by="test")[1]
    world.tokens["panellist-B"] = issue_invitation(panellist_b, by="test")[1]

    dataset = db.session.scalars(select(ForecastDataset)).first()
    binding_x = db.session.scalars(
        select(ForecastBinding).where(ForecastBinding.consultation_id == x_finished.id)
    ).first()
    binding_y = ForecastBinding(consultation_id=y_closed.id, dataset_id=dataset.id)
    db.session.add(binding_y)
    db.session.flush()

    def consultation_ids(c: Consultation, binding: ForecastBinding | None) -> dict:
        person = db.session.scalars(
            select(Panellist).where(Panellist.consultation_id == c.id).order_by(Panellist.id)
        ).first()
        return {
            "consultation_id": c.id,
            "number": 1,
            "panellist_id": person.id,
            "binding_id": binding.id if binding else 2**31,
            "council_id": c.council_id,
        }

    world.ids["cons-X"] = consultation_ids(x_finished, binding_x)
    world.ids["open-X"] = consultation_ids(x_open, None)
    world.ids["cons-Y"] = consultation_ids(y_closed, binding_y)
    world.ids["open-Y"] = consultation_ids(y_open, None)

    for side, consultation, sec in (("X", x_finished, sec_x), ("Y", y_closed, sec_y)):
        for state in STATES:
            version = _brief_in(state, consultation, sec, official, publisher)
            world.ids[f"brief-{side}-{state}"] = {"brief_id": version.brief_id, "number": 1}
            if state != "published":
                world.unpublished_titles.append(version.brief.title)
                world.unpublished_ids.append(version.brief_id)
    for version in db.session.scalars(select(BriefVersion)).all():
        if not version.artefacts:
            _store_files(version)

    world.ids["forecast"] = {"dataset_id": dataset.id}
    world.ids["user"] = {"user_id": sec_y.id, "council_id": council_y.id}
    world.ids["council-X"] = {"council_id": council_x.id, "user_id": sec_x.id}
    world.ids["council-Y"] = {"council_id": council_y.id, "user_id": sec_y.id}
    world.ids["sector"] = {"code": council_x.sector.code}
    db.session.commit()
    return world
