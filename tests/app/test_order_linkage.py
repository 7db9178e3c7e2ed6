"""SECURITY.md P1/P2: nothing in the database pairs an answer with a person, key or no key.

200 panellists open their links and submit in a random order through the answering pages,
a quarter of them come back later to revise. The attacker reads the database only (no study
key): on PostgreSQL the system columns ``xmin`` (transaction ids) and ``ctid`` (row position),
on SQLite the ``rowid`` order and the order of pages in the write-ahead log. Nothing that names
a panellist may be written while people answer, participation is written for everyone at once
at close, and every pairing the attacker can try links no better than chance. The order of the
free-text statements and of the reasons that the secretariat and the panel read must not follow
the answering order either (Spearman |rho| < 0.2).
"""

from __future__ import annotations

import csv
import io
import random
import sqlite3
import struct
from pathlib import Path

import pytest
from scipy.stats import spearmanr
from sqlalchemy import event, func, select, text

from app.audit.models import AuditEvent
from app.auth.models import User
from app.classifications.models import Sector
from app.classifications.services import ensure_builtin_sectors
from app.consultations import services
from app.consultations.keys import pseudonyms, rationale_seed
from app.consultations.models import Consultation, Response, RoundStatus, StakeholderGroup
from app.consultations.queries import rationales, text_answers
from app.consultations.results import shuffled_rationales
from app.councils.models import Council
from app.database import utcnow
from app.extensions import db
from app.panels.models import Invitation, Panellist, Participation
from app.panels.services import export_invitations_csv
from tests.app.test_answering import full_answers, posted
from tests.conftest import ROOT

N = 200
REVISING = N // 4
#: Tables whose rows name a panellist.
IDENTITY_TABLES = ("panellist", "participation", "invitation")

#: The attacks read the database's own rows and files, so the answers are committed.
pytestmark = pytest.mark.commits


@pytest.fixture
def answered(make_app, make_user, tmp_path):
    """A round 1 that N panellists answered in a random order, some twice; still open."""
    keys = tmp_path / "keys"
    app = make_app(STUDY_KEY_DIR=str(keys), INVITATION_RATE_LIMIT="100000 per minute")
    with app.app_context():
        ensure_builtin_sectors()
        sector = db.session.scalars(select(Sector).where(Sector.code == "F")).one()
        council = Council(name="Construction council", sector=sector, geography="EU")
        db.session.add(council)
        db.session.commit()
        council_id = council.id
    user_id, *_ = make_user("secretariat", councils=[council_id])
    with app.app_context():
        sec = db.session.get(User, user_id)
        consultation = services.create_consultation(
            db.session.get(Council, council_id),
            ROOT / "surveys" / "future-skill-needs.yaml",
            title="Order test",
            by=sec,
        )
        # a fixed study key keeps the pseudonyms, and so this test, deterministic
        (keys / f"consultation-{consultation.id}.key").write_text("ab" * 32)
        groups = list(StakeholderGroup)[:4]
        db.session.add_all(
            Panellist(
                consultation=consultation,
                name=f"P{i:03d}",
                email=f"p{i:03d}@example.org",
                stakeholder_group=groups[i % 4],
            )
            for i in range(N)
        )
        services.open_round(consultation.rounds[0], by=sec, as_of=utcnow(), deadline=None)
        db.session.commit()
        links = export_invitations_csv(consultation, by=sec)  # every link, invited today
        db.session.commit()
        consultation_id = consultation.id
        panel = db.session.scalars(select(Panellist.id).order_by(Panellist.id)).all()
    token_of = {
        row["email"]: row["link"].split("t=", 1)[1]
        for row in csv.DictReader(io.StringIO(links.decode("utf-8-sig")))
    }
    email_of = {pid: f"p{i:03d}@example.org" for i, pid in enumerate(panel)}

    wal = _WalWatch(app)
    with app.app_context():
        before = _identity_snapshot()
        audit_before = db.session.scalar(select(func.max(AuditEvent.id)))
    wal.start()

    order = list(panel)
    random.Random(5).shuffle(order)
    clients = {}
    form = None
    for position, pid in enumerate(order):
        client = app.test_client()
        assert client.get(f"/i?t={token_of[email_of[pid]]}").status_code == 303
        if form is None:
            form = posted(client.get("/r").get_data(as_text=True))
        data = {
            **form,
            **{k: v if isinstance(v, list) else [v] for k, v in full_answers().items()},
            "q_skills-needed-most": [f"statement number {position}"],
            "q_digital-data-skills_rationale": [f"reason number {position}"],
            "q_digital-data-skills": [str(1 + position % 5)],
            "submission_id": [f"00000000-0000-4000-8000-{position:012d}"],
            "action": ["submit"],
        }
        data.pop("base_submission", None)
        response = client.post("/r", data=data)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        clients[pid] = (client, data)
    revisers = random.Random(6).sample(order, REVISING)
    for n, pid in enumerate(revisers):
        client, data = clients[pid]
        data = {**data, "submission_id": [f"00000000-0000-4000-9000-{n:012d}"]}
        data["q_customer-communication"] = ["2"]
        assert client.post("/r", data=data).status_code == 303

    with app.app_context():
        assert _identity_snapshot() == before, "a row naming a panellist changed while answering"
        named = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.id > (audit_before or 0), AuditEvent.object_type == "panellist"
            )
        ).all()
        assert named == [], "audit events named panellists while they answered"
    wal_pages = wal.stop()
    return app, consultation_id, user_id, order, wal_pages


def _identity_snapshot():
    out = {}
    for name in IDENTITY_TABLES:
        table = db.metadata.tables[name]
        rows = db.session.execute(select(table).order_by(table.c.id)).all()
        out[name] = [tuple(r) for r in rows]
        if db.engine.dialect.name == "postgresql":
            out[name + ".xmin"] = db.session.execute(
                text(f"SELECT xmin::text, ctid::text FROM {name} ORDER BY id")  # noqa: S608
            ).all()
        else:
            out[name + ".rowid"] = db.session.execute(
                text(f"SELECT rowid, id FROM {name} ORDER BY rowid")  # noqa: S608
            ).all()
    return out


class _WalWatch:
    """SQLite: which tables' pages reach the write-ahead log between start() and stop()."""

    def __init__(self, app) -> None:
        self.app = app
        self.path: Path | None = None

    def _active(self) -> bool:
        with self.app.app_context():
            return db.engine.dialect.name == "sqlite"

    def start(self) -> None:
        if not self._active():
            return
        with self.app.app_context():
            self.path = Path(db.engine.url.database + "-wal")
            db.session.remove()
            db.engine.dispose()
            # keep every frame of the answering phase in the journal to read it afterwards
            event.listen(
                db.engine,
                "connect",
                lambda dbapi, _record: dbapi.execute("PRAGMA wal_autocheckpoint=0"),
            )
        conn = sqlite3.connect(self.path.with_name(self.path.name[: -len("-wal")]))
        try:
            busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            assert busy == 0, "the journal could not be emptied"
        finally:
            conn.close()

    def stop(self) -> dict[str, int] | None:
        if self.path is None:
            return None
        data = self.path.read_bytes()
        page_size = struct.unpack(">I", data[8:12])[0]
        pages = []
        offset = 32
        while offset + 24 + page_size <= len(data):
            pages.append(struct.unpack(">I", data[offset : offset + 4])[0])
            offset += 24 + page_size
        conn = sqlite3.connect(self.path.with_name(self.path.name[: -len("-wal")]))
        try:
            owner = dict(
                conn.execute(
                    "SELECT pageno, coalesce(s.tbl_name, d.name) FROM dbstat d "
                    "LEFT JOIN sqlite_schema s ON s.name = d.name"
                ).fetchall()
            )
        finally:
            conn.close()
        touched: dict[str, int] = {}
        for page in pages:
            name = owner.get(page, "?")
            touched[name] = touched.get(name, 0) + 1
        return touched


def _truth(consultation_id: int) -> dict[str, int]:
    """{response id: panellist id}: what the attacker wants, known here through the key."""
    ids = db.session.scalars(
        select(Panellist.id).where(Panellist.consultation_id == consultation_id)
    ).all()
    by_alias = {alias: pid for pid, alias in pseudonyms(consultation_id, ids).items()}
    return {
        rid: by_alias[alias]
        for rid, alias in db.session.execute(
            select(Response.id, Response.respondent_pseudonym)
        ).all()
    }


def _postgres_attack(truth: dict[str, int]) -> tuple[int, float]:
    """Pair each response with the participation written just after it (xmin X+1..X+3),
    and line both tables up by row position (ctid). (correct pairs, Spearman rho)."""
    responses = db.session.execute(
        text("SELECT id, xmin::text::bigint, ctid FROM response ORDER BY ctid")
    ).all()
    parts = db.session.execute(
        text("SELECT panellist_id, xmin::text::bigint, ctid FROM participation ORDER BY ctid")
    ).all()
    correct = 0
    for rid, xmin, _ctid in responses:
        guesses = [pid for pid, pxmin, _ in parts if xmin < pxmin <= xmin + 3]
        correct += len(guesses) == 1 and guesses[0] == truth[rid]
    part_position = {pid: n for n, (pid, _x, _c) in enumerate(parts)}
    response_position = [part_position[truth[rid]] for rid, _x, _c in responses]
    rho = spearmanr(response_position, range(len(responses))).statistic
    return correct, rho


def test_p1_p2_nothing_pairs_answers_with_people(answered):
    app, consultation_id, user_id, order, wal_pages = answered
    if wal_pages is not None:
        # the journal of the answering phase holds pages of anonymous tables only
        assert not set(wal_pages) & set(IDENTITY_TABLES), wal_pages
        assert wal_pages.get("response", 0) + wal_pages.get("answer", 0) > 0, wal_pages
    with app.app_context():
        truth = _truth(consultation_id)
        assert sorted(truth.values()) == sorted(order)
        if db.engine.dialect.name == "postgresql":
            correct, _rho = _postgres_attack(truth)
            assert correct <= 3, f"{correct} of {N} answers linked through xmin while open"

        round_ = db.session.get(Consultation, consultation_id).rounds[0]
        services.close_round(round_, by=db.session.get(User, user_id), as_of=utcnow())
        db.session.commit()
        parts = db.session.scalars(select(Participation).order_by(Participation.id)).all()
        assert len(parts) == N and all(p.started and p.completed for p in parts)

        # participation order says nothing about answering order
        if db.engine.dialect.name == "postgresql":
            xmins = db.session.execute(text("SELECT DISTINCT xmin FROM participation")).all()
            assert len(xmins) == 1, "participation written by more than one transaction"
            correct, rho = _postgres_attack(truth)
            assert correct <= 3, f"{correct} of {N} answers linked through xmin after close"
            assert abs(rho) < 0.2, rho
        else:
            stored = (
                db.session.execute(text("SELECT panellist_id FROM participation ORDER BY rowid"))
                .scalars()
                .all()
            )
            answered_at = {pid: n for n, pid in enumerate(order)}
            rho = spearmanr([answered_at[pid] for pid in stored], range(N)).statistic
            assert abs(rho) < 0.2, rho
        # the response table itself is in no answering order either (random keys)
        response_rows = db.session.scalars(select(Response.id).order_by(Response.id)).all()
        answered_at = {pid: n for n, pid in enumerate(order)}
        rho = spearmanr([answered_at[truth[r]] for r in response_rows], range(N)).statistic
        assert abs(rho) < 0.2, rho
        # answering left the links as the secretariat issued them
        invitations = db.session.scalars(select(Invitation)).all()
        assert len(invitations) == N and all(i.revoked_at is None for i in invitations)

        # what the secretariat and the panel read comes in no answering order either
        r1 = db.session.get(Consultation, consultation_id).rounds[0]
        assert r1.status is RoundStatus.closed
        statements = text_answers(r1)
        read = [int(t.rsplit(" ", 1)[1]) for t in statements["text"]]
        assert sorted(read) == list(range(N))
        rho_text = spearmanr(read, range(N)).statistic
        item = next(i for i in r1.items if i.key == "digital-data-skills")
        seed = rationale_seed(r1.consultation_id, item.key)
        shown = shuffled_rationales(rationales(item), seed, item.key)
        read_reasons = [int(text.rsplit(" ", 1)[1]) for text, _group, _hidden in shown]
        rho_reasons = spearmanr(read_reasons, range(N)).statistic
    assert abs(rho_text) < 0.2, rho_text
    assert abs(rho_reasons) < 0.2, rho_reasons
