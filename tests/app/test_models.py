from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect as sa_inspect

from app.consultations.models import Round, RoundStatus
from app.errors import PlanLockedError, RoundStateError
from app.extensions import db

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_round_goes_draft_open_closed_released():
    r = Round(number=1, status=RoundStatus.draft)
    r.open(T0, deadline=T0 + timedelta(days=14))
    assert r.status is RoundStatus.open and r.opened_at == T0
    r.extend(T0 + timedelta(days=21), as_of=T0 + timedelta(days=1))
    r.close(T0 + timedelta(days=21))
    assert r.status is RoundStatus.closed and r.closed_at == T0 + timedelta(days=21)
    r.release(T0 + timedelta(days=22))
    assert r.status is RoundStatus.released


@pytest.mark.parametrize(
    ("start", "action"),
    [
        (RoundStatus.draft, "close"),
        (RoundStatus.draft, "release"),
        (RoundStatus.open, "open"),
        (RoundStatus.open, "release"),
        (RoundStatus.closed, "open"),
        (RoundStatus.closed, "close"),
        (RoundStatus.released, "open"),
        (RoundStatus.released, "close"),
        (RoundStatus.released, "release"),
    ],
)
def test_illegal_round_transitions_raise_a_domain_error(start, action):
    r = Round(number=2, status=start)
    with pytest.raises(RoundStateError, match=f"round 2 is {start.value}"):
        getattr(r, action)(T0)
    assert r.status is start


def test_extending_needs_a_later_deadline():
    r = Round(number=1, status=RoundStatus.draft)
    r.open(T0, deadline=T0 + timedelta(days=7))
    with pytest.raises(RoundStateError, match="later"):
        r.extend(T0 + timedelta(days=5), as_of=T0)


def test_plan_cannot_change_once_locked():
    from app.consultations.models import Consultation

    c = Consultation(title="t", plan={"min_group_n": 5})
    c.set_plan({"min_group_n": 6})
    c.lock_plan("ab" * 32, T0)
    with pytest.raises(PlanLockedError):
        c.set_plan({"min_group_n": 3})
    assert c.plan == {"min_group_n": 6}


def _fk_targets(table):
    return {fk.column.table for fk in table.foreign_keys}


def test_no_foreign_key_path_from_answers_to_panellist_identity():
    """SECURITY.md P1: following foreign keys outward from a response or an answer never
    reaches the panellist, the invitation or the participation tables."""
    from app import models  # noqa: F401

    tables = db.metadata.tables
    identity = {tables["panellist"], tables["invitation"], tables["participation"]}
    for start in ("response", "answer"):
        seen, todo = set(), [tables[start]]
        while todo:
            table = todo.pop()
            if table in seen:
                continue
            seen.add(table)
            todo.extend(_fk_targets(table))
        assert not (seen & identity), f"{start} reaches {seen & identity}"


def test_response_tables_carry_no_identity_or_time_columns():
    from app import models  # noqa: F401

    for name in ("response", "answer"):
        table = db.metadata.tables[name]
        for column in table.columns:
            assert "panellist" not in column.name and "invitation" not in column.name
            assert "email" not in column.name and "participation" not in column.name
            assert column.type.python_type not in (datetime,), f"{name}.{column.name} is a time"
        assert table.dialect_options["sqlite"]["with_rowid"] is False


def test_participation_keeps_no_time_of_answering():
    """P2: invitation and reminder dates (secretariat actions) only; started and completed
    are flags written at close, with no date that could order the answers."""
    from datetime import date

    from app import models  # noqa: F401

    table = db.metadata.tables["participation"]
    for column in ("invited_on", "reminded_on"):
        assert table.c[column].type.python_type is date
    for column in ("started", "completed"):
        assert table.c[column].type.python_type is bool
    assert {c.name for c in table.columns} == {
        "id",
        "panellist_id",
        "round_id",
        "invited_on",
        "reminded_on",
        "started",
        "completed",
    }


def test_timestamps_are_aware_utc_on_this_database(app):
    from app.audit.services import record

    with app.app_context():
        event = record("test-event", actor="system")
        db.session.commit()
        db.session.expire_all()
        stored = db.session.get(type(event), event.id)
        assert stored.at.tzinfo is not None
        assert stored.at.utcoffset() == timedelta(0)


@pytest.mark.commits  # opens connections of its own
def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite pragmas only")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_every_model_table_is_created(app):
    with app.app_context():
        present = set(sa_inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= present
