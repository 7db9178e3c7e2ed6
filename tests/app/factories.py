"""Test factories: councils, questionnaires, consultations with rounds, panellists, staff.

Each builds model objects directly inside the current app context and flushes; the caller
commits. ``LocalSmtp`` is a real SMTP server on 127.0.0.1 that keeps what it receives.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select

from app.auth.models import Role, User
from app.auth.services import create_user
from app.classifications.models import Sector
from app.classifications.services import ensure_builtin_sectors
from app.consultations.keys import ensure_study_key
from app.consultations.models import Consultation, Round, RoundStatus, StakeholderGroup
from app.councils.models import Council
from app.extensions import db
from app.panels.models import Panellist
from app.questionnaires.models import QuestionnaireVersion

PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

_counter = iter(range(1, 1_000_000))


def _next() -> int:
    return next(_counter)


def make_council(name: str | None = None, sector_code: str = "F") -> Council:
    """A council of NACE section ``sector_code`` (built-in sectors are added if missing)."""
    ensure_builtin_sectors()
    sector = db.session.scalars(
        select(Sector).where(Sector.code == sector_code, Sector.level == 1)
    ).one()
    council = Council(name=name or f"Council {_next()}", sector=sector, geography="EU")
    db.session.add(council)
    db.session.flush()
    return council


def minimal_spec(languages: Sequence[str] = ("en", "de"), key: str | None = None) -> dict:
    """A questionnaire spec with title and description in each language and no items."""
    texts = {
        "en": ("Future skills in construction", "We ask how the skills needed will change."),
        "de": (
            "Künftige Qualifikationen im Bauwesen",
            "Wir fragen, wie sich der Qualifikationsbedarf verändern wird.",
        ),
        "fr": (
            "Compétences futures dans la construction",
            "Nous demandons comment les compétences nécessaires vont évoluer.",
        ),
    }
    return {
        "format_version": 1,
        "key": key or f"test-survey-{_next()}",
        "version": "1",
        "title": {lang: texts.get(lang, texts["en"])[0] for lang in languages},
        "description": {lang: texts.get(lang, texts["en"])[1] for lang in languages},
        "languages": list(languages),
        "default_language": languages[0],
        "items": [],
    }


def make_questionnaire(spec: dict | None = None, **spec_args: Any) -> QuestionnaireVersion:
    spec = spec or minimal_spec(**spec_args)
    stored = QuestionnaireVersion(
        key=spec["key"],
        version=str(spec["version"]),
        format_version=1,
        content_hash=f"{_next():064x}",
        source_text="# built by a test factory\n",
        spec=spec,
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def make_consultation(
    council: Council | None = None,
    *,
    title: str = "Construction skills 2030",
    languages: Sequence[str] = ("en", "de"),
    rounds: Iterable[RoundStatus] = (RoundStatus.open,),
    deadline: datetime | None = T0 + timedelta(days=14),
    spec: dict | None = None,
) -> Consultation:
    """A consultation with one round per status in ``rounds`` (numbered from 1)."""
    council = council or make_council()
    consultation = Consultation(
        council=council,
        questionnaire=make_questionnaire(spec, languages=languages),
        title=title,
        description="A test consultation.",
    )
    db.session.add(consultation)
    for number, status in enumerate(rounds, start=1):
        round_ = Round(consultation=consultation, number=number, status=status)
        if status is not RoundStatus.draft:
            round_.opened_at = T0 + timedelta(days=30 * (number - 1))
            round_.deadline = deadline
        if status in (RoundStatus.closed, RoundStatus.released):
            round_.closed_at = T0 + timedelta(days=30 * (number - 1) + 14)
        db.session.add(round_)
    db.session.flush()
    ensure_study_key(consultation.id)
    return consultation


def make_panellist(
    consultation: Consultation,
    *,
    name: str | None = None,
    email: str | None = None,
    group: StakeholderGroup = StakeholderGroup.employers,
    language: str = "en",
    organisation: str = "",
    active: bool = True,
) -> Panellist:
    n = _next()
    panellist = Panellist(
        consultation_id=consultation.id,
        name=name or f"Panellist {n}",
        email=email or f"panellist{n}@example.org",
        organisation=organisation,
        stakeholder_group=group,
        language=language,
        active=active,
    )
    db.session.add(panellist)
    db.session.flush()
    return panellist


def make_staff(
    role: Role | str = Role.secretariat,
    councils: Iterable[Council] = (),
    *,
    email: str | None = None,
    password: str = PASSWORD,
) -> User:
    """A staff user (flushed, not committed) whose password is ``PASSWORD`` unless given."""
    return create_user(
        email or f"{Role(role).value}{_next()}@example.org", role, password, councils=councils
    )


@dataclass
class Study:
    """Ids of a consultation of council X, its secretariat, and the people around it."""

    consultation: int
    council: int
    secretariat: str
    other_secretariat: str
    official: str
    admin: str
    panellists: list[int]
    rounds: list[int]


def build_study(
    app,
    *,
    rounds: Iterable[RoundStatus] = (RoundStatus.open,),
    panellists: Iterable[dict[str, Any]] = (),
    languages: Sequence[str] = ("en", "de"),
) -> Study:
    """Commit a consultation of council X with ``rounds`` and ``panellists`` (keyword
    dicts for ``make_panellist``); staff: secretariat of X, secretariat of another council,
    an official and an administrator (e-mails returned; password ``PASSWORD``)."""
    with app.app_context():
        council = make_council("Construction skills council")
        other = make_council("Care skills council", sector_code="Q")
        consultation = make_consultation(council, rounds=rounds, languages=languages)
        people = [make_panellist(consultation, **kw) for kw in panellists]
        study = Study(
            consultation=consultation.id,
            council=council.id,
            secretariat=make_staff(Role.secretariat, [council]).email,
            other_secretariat=make_staff(Role.secretariat, [other]).email,
            official=make_staff(Role.official).email,
            admin=make_staff(Role.admin).email,
            panellists=[p.id for p in people],
            rounds=[r.id for r in consultation.rounds],
        )
        db.session.commit()
    return study


def post_login(client, email: str, password: str = PASSWORD):
    """Post the sign-in form and return the response, whatever it is."""
    return client.post("/login", data={"email": email, "password": password})


def sign_in(client, email: str, password: str = PASSWORD):
    """Sign in and check that it worked (303 to the staff pages)."""
    response = post_login(client, email, password)
    assert response.status_code == 303, response.status_code
    return response


# ----------------------------------------------------------------------------- SMTP


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    #: Addresses the server refuses with 550.
    refuse: set[str] = field(default_factory=set)
    #: Addresses at which the server gives up and closes the connection (421).
    drop: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.lower() in self.drop:
            return "421 4.3.2 service shutting down, closing the connection"
        if address.lower() in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class LocalSmtp:
    """``with LocalSmtp() as smtp:`` a real SMTP server on 127.0.0.1:``smtp.port``.

    ``smtputf8=False`` makes a server that cannot take non-ASCII addresses."""

    def __init__(self, *, smtputf8: bool = True) -> None:
        self.smtputf8 = smtputf8
        self.handler = _Handler()
        self.port = free_port()
        self._controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def refuse(self, address: str) -> None:
        self.handler.refuse.add(address.lower())

    def drop_at(self, address: str) -> None:
        """Close the connection when a message for ``address`` is sent."""
        self.handler.drop.add(address.lower())

    def config(self) -> dict[str, Any]:
        """``make_app`` overrides that send mail here."""
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port}

    def __enter__(self) -> LocalSmtp:
        from aiosmtpd.controller import Controller

        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=self.smtputf8
        )
        self._controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
