"""Transactions: reads never wait for each other; a writer beside an open reader goes ahead.

On SQLite every transaction used to begin with BEGIN IMMEDIATE, reads included, so one open
read (a page still rendering a chart) made a second reader wait the busy timeout and fail
with "database is locked". Only units of work that write take the write lock now.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from app.councils.models import Council
from app.extensions import db
from app.unit import unit_of_work
from tests.app.factories import make_council

#: Readers and writers on connections of their own, as in production.
pytestmark = pytest.mark.commits


def _hold_a_read(app, started: threading.Event, release: threading.Event, seen: list) -> None:
    with app.app_context():
        seen.append(db.session.scalar(select(func.count()).select_from(Council)))
        started.set()  # the read transaction stays open until released
        release.wait(20)
        db.session.remove()


@pytest.fixture
def reader(app):
    with app.app_context():
        make_council("Existing council")
        db.session.commit()
    started, release, seen = threading.Event(), threading.Event(), []
    thread = threading.Thread(target=_hold_a_read, args=(app, started, release, seen))
    thread.start()
    assert started.wait(10)
    yield seen
    release.set()
    thread.join(10)


def test_two_readers_do_not_wait_for_each_other(app, reader):
    began = time.monotonic()
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Council))
        db.session.remove()
    assert count == 1 and reader == [1]
    assert time.monotonic() - began < 2  # the busy timeout is 5 s


def test_a_writer_beside_an_open_reader_goes_ahead(app, reader):
    began = time.monotonic()
    with app.app_context():
        with unit_of_work():
            make_council("New council")
        assert db.session.scalar(select(func.count()).select_from(Council)) == 2
        db.session.remove()
    assert time.monotonic() - began < 2


def test_a_unit_of_work_rolls_back_on_any_exception_and_runs_after_commit_actions(app):
    ran = []
    with app.app_context():
        with pytest.raises(RuntimeError), unit_of_work() as work:
            make_council("Never stored")
            work.after_commit(lambda: ran.append("mail"))
            raise RuntimeError("boom")
        assert db.session.scalar(select(func.count()).select_from(Council)) == 0
        assert ran == []
        with unit_of_work() as work:
            make_council("Stored")
            work.after_commit(lambda: ran.append("mail"))
        assert ran == ["mail"]
        assert db.session.scalar(select(func.count()).select_from(Council)) == 1
