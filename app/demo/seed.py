"""Builds the demonstration data set. Every name says it is a demonstration."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from app.auth.models import Role, User
from app.auth.services import create_user
from app.briefs import services as briefs
from app.briefs.models import Brief, ChangeClass
from app.classifications.models import Sector
from app.classifications.services import NACE, ensure_builtin_sectors
from app.consultations.models import Consultation, StakeholderGroup
from app.consultations.responses import save_response
from app.consultations.services import (
    close_round,
    create_consultation,
    open_round,
    prepare_next_round,
    release_round,
)
from app.councils.models import Council
from app.curation.models import Theme
from app.database import utcnow
from app.demo.answers import DEMO_THEMES, TEXT_STATEMENTS, demo_answers
from app.demo.forecast import TITLE as FORECAST_TITLE
from app.demo.forecast import seed_illustrative_forecast
from app.extensions import db
from app.panels.models import GroupQuota, Panellist, Participation
from app.panels.tokens import invitation_link, issue_invitation
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
    #: (panellist name, language, invitation link) to try the answering pages.
    links: list[tuple[str, str, str]] = field(default_factory=list)
    #: Brief versions published by the seed whose files are to be rendered after commit.
    render: list[int] = field(default_factory=list)


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

    secretariat = db.session.scalars(select(User).where(User.email == DEMO_USERS[1][0])).one()
    if construction.id not in {c.id for c in secretariat.councils}:
        secretariat.councils.append(construction)
    _consultation_with_three_rounds(construction, secretariat, summary)
    _open_follow_up(construction, secretariat, summary)
    official = db.session.scalars(select(User).where(User.email == DEMO_USERS[2][0])).one()
    created = seed_illustrative_forecast(_existing(construction, DEMO_CONSULTATION), official)
    (summary.created if created else summary.skipped).append(f"forecast {FORECAST_TITLE}")
    _published_brief(construction, secretariat, summary)
    return summary


DEMO_GROUPS = (
    (StakeholderGroup.employers, 12),
    (StakeholderGroup.workers_representatives, 10),
    (StakeholderGroup.education_providers, 10),
    (StakeholderGroup.public_authorities, 8),
)
DEMO_CONSULTATION = f"{DEMO_PREFIX} Construction skills 2030"
DEMO_FOLLOW_UP = f"{DEMO_PREFIX} Follow-up on site digitalisation"
LANGUAGES = ("en", "de", "fr")


def _existing(council: Council, title: str) -> Consultation | None:
    return db.session.scalars(
        select(Consultation).where(
            Consultation.council_id == council.id, Consultation.title == title
        )
    ).first()


def _demo_panel(consultation: Consultation, languages: tuple[str, ...]) -> list[Panellist]:
    panel = []
    number = 0
    for group, size in DEMO_GROUPS:
        db.session.add(
            GroupQuota(consultation_id=consultation.id, stakeholder_group=group, target=size + 2)
        )
        for _ in range(size):
            number += 1
            panellist = Panellist(
                consultation=consultation,
                name=f"Demo Panellist {number:02d}",
                email=f"panellist{number:02d}.c{consultation.id}@demo.skillsdelphi.eu",
                organisation=f"Demo organisation {number:02d} ({group.value})",
                stakeholder_group=group,
                language=languages[number % len(languages)],
            )
            db.session.add(panellist)
            panel.append(panellist)
    db.session.flush()
    return panel


def _send_links(panel: list[Panellist], sent_at) -> None:
    """Every panellist's personal link, as if mailed at ``sent_at`` (the tokens are not kept:
    nobody can use these links; ``make run`` prints one that works)."""
    for panellist in panel:
        invitation, _token = issue_invitation(panellist, by="seed-demo")
        invitation.created_at = invitation.last_sent_at = sent_at


def _consultation_with_three_rounds(council: Council, sec: User, summary: DemoSummary) -> None:
    """Three closed rounds with generated answers showing every kind of outcome."""
    if _existing(council, DEMO_CONSULTATION) is not None:
        summary.skipped.append(DEMO_CONSULTATION)
        return
    consultation = create_consultation(
        council,
        surveys_dir() / "future-skill-needs.yaml",
        title=DEMO_CONSULTATION,
        description="Demonstration data: the panel and every answer are generated, not real.",
        by=sec,
    )
    panel = _demo_panel(consultation, LANGUAGES)
    rng = random.Random(2030)  # noqa: S311 - invented demonstration data
    personal = {p.id: rng.gauss(0, 0.6) for p in panel}
    start = utcnow() - timedelta(days=130)
    _send_links(panel, sent_at=start)
    response_rate = (0.92, 0.85, 0.8)
    for number in (1, 2, 3):
        round_ = consultation.rounds[-1]
        opened = start + timedelta(days=40 * (number - 1))
        open_round(round_, by=sec, as_of=opened, deadline=opened + timedelta(days=21))
        for panellist in panel:
            db.session.add(
                Participation(panellist=panellist, round=round_, invited_on=opened.date())
            )
        db.session.flush()
        for i, panellist in enumerate(panel):
            if rng.random() > response_rate[number - 1]:
                continue
            answers = demo_answers(
                round_.items, panellist.stakeholder_group.value, number, rng, personal[panellist.id]
            )
            save_response(
                round_, panellist, answers, submission_id=f"demo-{number}-{i}", submit=True
            )
        close_round(round_, by=sec, as_of=opened + timedelta(days=21))
        release_round(round_, by=sec, as_of=opened + timedelta(days=23))
        if number == 1:
            for theme in DEMO_THEMES:
                db.session.add(
                    Theme(
                        consultation=consultation,
                        round_id=round_.id,
                        label=dict(theme["label"]),
                        statements=[
                            TEXT_STATEMENTS["skills-needed-most"][s] for s in theme["statements"]
                        ],
                        esco_uris=list(theme["esco"]),
                        approved=True,
                    )
                )
            db.session.flush()
        if number < 3:
            prepare_next_round(consultation, by=sec)
    summary.created.append(f"{DEMO_CONSULTATION} (3 closed rounds, {len(panel)} panellists)")


def _open_follow_up(council: Council, sec: User, summary: DemoSummary) -> None:
    """A consultation whose round 1 is open, with one invitation link to try the answering."""
    consultation = _existing(council, DEMO_FOLLOW_UP)
    if consultation is None:
        consultation = create_consultation(
            council,
            surveys_dir() / "follow-up-round.yaml",
            title=DEMO_FOLLOW_UP,
            description="Demonstration data: a round that is open now, to try answering.",
            by=sec,
        )
        panel = _demo_panel(consultation, ("en", "de"))
        opened = utcnow() - timedelta(days=2)
        _send_links(panel, sent_at=opened)
        open_round(
            consultation.rounds[0], by=sec, as_of=opened, deadline=opened + timedelta(days=30)
        )
        for panellist in panel:
            db.session.add(
                Participation(
                    panellist=panellist, round=consultation.rounds[0], invited_on=opened.date()
                )
            )
        summary.created.append(f"{DEMO_FOLLOW_UP} (round 1 open)")
    else:
        summary.skipped.append(DEMO_FOLLOW_UP)
    first = db.session.scalars(
        select(Panellist).where(Panellist.consultation_id == consultation.id).order_by(Panellist.id)
    ).first()
    invitation, token = issue_invitation(first, by="seed-demo")
    invitation.last_sent_at = utcnow() - timedelta(days=2)
    summary.links.append((first.name, first.language, invitation_link(token)))
    db.session.flush()


DEMO_BRIEF = f"{DEMO_PREFIX} Construction skills 2030: sector brief"
DEMO_NARRATIVE = {
    "summary": (
        "Demonstration text. The panel agrees that digital and data skills and energy-"
        "efficient building techniques will matter most by 2030; it remains divided on how "
        "fast site automation will arrive.\n\nEvery figure and every answer behind this "
        "brief is invented for the demonstration."
    ),
    "ministries": (
        "Demonstration text. Fund retrofit training at the scale the renovation targets need."
    ),
    "education_providers": (
        "Demonstration text. Add building information modelling to initial training."
    ),
    "guidance_practitioners": (
        "Demonstration text. Energy-efficiency trades look set to hire; an outlook is not a "
        "promise of a job."
    ),
}


def _published_brief(council: Council, sec: User, summary: DemoSummary) -> None:
    """A brief of the three-round consultation, published, and a second version (a
    correction) that supersedes it: author, reviewer and publisher are different people."""
    if db.session.scalars(select(Brief).where(Brief.title == DEMO_BRIEF)).first() is not None:
        summary.skipped.append(DEMO_BRIEF)
        return
    consultation = _existing(council, DEMO_CONSULTATION)
    official = db.session.scalars(select(User).where(User.email == DEMO_USERS[2][0])).one()
    publisher = db.session.scalars(select(User).where(User.email == DEMO_USERS[3][0])).one()
    start = utcnow() - timedelta(days=12)
    first = briefs.create_draft(
        consultation,
        by=sec,
        title=DEMO_BRIEF,
        contact="Demo Secretariat, secretariat@demo.skillsdelphi.eu",
        as_of=start,
    )
    narrative = dict(DEMO_NARRATIVE)
    narrative["ministries"] = "Demonstration text. Fund retrofit training."
    briefs.save_narrative(first, narrative, {}, first.edit_version, by=sec)
    briefs.submit_for_review(first, by=sec, as_of=start + timedelta(days=1))
    briefs.comment(
        first,
        "Demonstration comment: please say what the renovation targets imply.",
        by=official,
        as_of=start + timedelta(days=2),
    )
    briefs.approve(first, by=official, as_of=start + timedelta(days=3))
    briefs.publish(first, by=publisher, as_of=start + timedelta(days=4))
    second = briefs.new_version(
        first.brief,
        by=sec,
        change_class=ChangeClass.correction,
        change_note=(
            "Demonstration correction: the implications for ministries named the wrong "
            "scale of retrofit training; corrected."
        ),
        as_of=start + timedelta(days=8),
    )
    briefs.save_narrative(second, DEMO_NARRATIVE, {}, second.edit_version, by=sec)
    briefs.submit_for_review(second, by=sec, as_of=start + timedelta(days=9))
    briefs.approve(second, by=official, as_of=start + timedelta(days=10))
    briefs.publish(second, by=publisher, as_of=start + timedelta(days=11))
    summary.render += [first.id, second.id]
    summary.created.append(f"{DEMO_BRIEF} (version 1 published, superseded by a correction)")
