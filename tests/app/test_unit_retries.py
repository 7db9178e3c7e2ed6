"""SECURITY.md 2.4: a unit of work that PostgreSQL refuses with a serialization failure
(40001) or a deadlock (40P01) runs again whole, at most three more times; other errors are
never retried. Real refusals: a concurrent update under SERIALIZABLE, two units locking two
councils in opposite orders."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from app.councils.models import Council
from app.extensions import db
from app.unit import RETRIES, run_unit
from tests.app.factories import make_council

pytestmark = pytest.mark.commits  # several connections, each committing

SERIALIZABLE = {"pool_pre_ping": True, "isolation_level": "SERIALIZABLE"}


@pytest.fixture
def postgresql(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip(
            "PostgreSQL only: SQLite writers queue for the write lock (BEGIN IMMEDIATE), so "
            "they neither deadlock nor fail to serialize"
        )
    other = create_engine(database_url, isolation_level="AUTOCOMMIT")
    yield other
    other.dispose()


def _councils(app, *names: str) -> list[int]:
    with app.app_context():
        ids = [make_council(name).id for name in names]
        db.session.commit()
    return ids


def _description(app, council_id: int) -> str:
    with app.app_context():
        found = db.session.get(Council, council_id).description
        db.session.remove()
    return found


def _renaming(council_id: int, other, attempts: list[str], interfere_times: int):
    """A unit that reads a council's description and appends to it; before it writes, for
    its first ``interfere_times`` runs, another connection commits a change of the same row."""

    def rename() -> int:
        council = db.session.get(Council, council_id)
        attempts.append(council.description)
        if len(attempts) <= interfere_times:
            with other.connect() as conn:
                conn.execute(
                    update(Council)
                    .where(Council.id == council_id)
                    .values(description=f"by the other {len(attempts)}")
                )
        council.description = f"{council.description} + renamed"
        db.session.flush()  # the UPDATE of a row changed since this snapshot: 40001
        return len(attempts)

    return rename


def test_a_serialization_failure_runs_the_unit_again_from_the_start(make_app, postgresql):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS=SERIALIZABLE)
    (council_id,) = _councils(app, "Retried council")
    attempts: list[str] = []
    with app.app_context():
        runs = run_unit(_renaming(council_id, postgresql, attempts, interfere_times=1))
        db.session.remove()
    assert runs == 2
    # the second run read what the other connection had committed, and built on it
    assert attempts == ["", "by the other 1"]
    assert _description(app, council_id) == "by the other 1 + renamed"


def test_retries_are_bounded_and_the_last_refusal_propagates(make_app, postgresql):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS=SERIALIZABLE)
    (council_id,) = _councils(app, "Always refused council")
    attempts: list[str] = []
    with app.app_context():
        with pytest.raises(OperationalError) as refused:
            run_unit(_renaming(council_id, postgresql, attempts, interfere_times=99))
        db.session.remove()
    assert refused.value.orig.sqlstate == "40001"
    assert len(attempts) == 1 + RETRIES == 4
    assert _description(app, council_id) == "by the other 4"  # nothing of the unit stored


def test_a_deadlock_between_two_units_is_resolved_by_running_the_loser_again(make_app, postgresql):
    app = make_app()  # READ COMMITTED, as configured by default: deadlocks happen there too
    first, second = _councils(app, "North council", "South council")
    meet = threading.Barrier(2, timeout=20)
    runs: dict[str, int] = {"north-south": 0, "south-north": 0}
    failures: list[BaseException] = []

    def both(label: str, one: int, other: int) -> None:
        def swap() -> None:
            runs[label] += 1
            db.session.execute(update(Council).where(Council.id == one).values(description=label))
            if runs[label] == 1:
                meet.wait()  # each holds one row and now asks for the other's: a deadlock
            db.session.execute(update(Council).where(Council.id == other).values(description=label))

        try:
            with app.app_context():
                run_unit(swap)
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)

    threads = [
        threading.Thread(target=both, args=("north-south", first, second)),
        threading.Thread(target=both, args=("south-north", second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert sorted(runs.values()) == [1, 2]  # the server picked one loser, which ran again
    loser = next(label for label, n in runs.items() if n == 2)
    # the units ran as if one after the other: the one that ran again wrote both rows last
    assert [_description(app, first), _description(app, second)] == [loser, loser]


def test_other_database_errors_are_not_retried(make_app, database_url):
    app = make_app()
    _councils(app, "Taken name")
    runs = []

    def duplicate() -> None:
        runs.append(1)
        make_council("Taken name")

    with app.app_context():
        with pytest.raises(IntegrityError):
            run_unit(duplicate)
        names = db.session.scalars(select(Council.name)).all()
        db.session.remove()
    assert runs == [1]
    assert names == ["Taken name"]
