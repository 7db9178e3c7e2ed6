"""One unit of work for views and commands: commit on success, roll back on any exception.

Services add, flush and return; they never commit (STYLE.md 3). The edge — a view or a command
— runs them inside ``unit_of_work()``, which commits once when the block ends normally, rolls
back when anything is raised (and lets it propagate), and then runs the actions registered with
``after_commit`` (sending mail, starting jobs): those happen only once the data they speak of is
stored, and never for work that was rolled back.

On SQLite a unit that writes starts with ``BEGIN IMMEDIATE``, so that waiting for another writer
uses the busy timeout instead of failing on the lock upgrade; everything else (page views,
reports, charts) reads in ordinary deferred transactions, which never block one another. A
writer that still finds the lock taken when the busy timeout ends (a backup, a long import, a
command holding it) asks again, up to ``RETRIES`` more times: it waits about 20 s in all
before the request answers 503 (SECURITY.md R2: wait or 503, never "database is locked").

::

    with unit_of_work() as work:
        report = services.send_invitations(consultation, round_, by=user)
        work.after_commit(lambda: log.info("sent %s", int(report)))

On PostgreSQL two units can refuse each other: a deadlock (SQLSTATE 40P01), or under
REPEATABLE READ or SERIALIZABLE a serialization failure (40001). The server has then rolled the
loser back in full, and the same work run again usually succeeds. ``run_unit(action)`` does
that for a unit given as a function: it runs ``action`` again from the start, at most
``RETRIES`` more times, after a short random wait. A ``with`` block cannot be re-run, so it
gets no retries.

::

    result = run_unit(lambda: save_response(round_, panellist, answers, submission_id=...))
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

from app.extensions import db

R = TypeVar("R")

#: Connection execution option that makes SQLite start the transaction with BEGIN IMMEDIATE.
WRITE_OPTION = "skillsdelphi_write"

#: SQLSTATEs after which PostgreSQL has rolled the whole transaction back and running it again
#: may succeed: serialization failure, deadlock detected.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
#: Runs after the first one (SECURITY.md 2.4: at most three, jittered).
RETRIES = 3
#: Seconds: the n-th retry waits a random time up to ``RETRY_WAIT * 2**n`` (n from 0), so
#: that the units that refused each other do not meet again at once.
RETRY_WAIT = 0.05


@dataclass
class Unit:
    """The unit in progress: actions to run once it has committed."""

    actions: list[Callable[[], object]] = field(default_factory=list)
    #: True once the unit's commit has succeeded (before the after-commit actions run).
    committed: bool = False

    def after_commit(self, action: Callable[[], object]) -> None:
        """Run ``action`` after a successful commit (in the order registered)."""
        self.actions.append(action)


@contextmanager
def unit_of_work(
    *, write: bool = True, keep_on: tuple[type[BaseException], ...] = ()
) -> Iterator[Unit]:
    """Commit the session when the block ends, roll it back on an exception (re-raised).

    ``write`` (the default) opens the transaction for writing: on SQLite any read
    transaction the request had open is ended first and the unit starts with BEGIN
    IMMEDIATE. ``keep_on`` names exceptions after which the work done so far is still
    committed before the exception propagates (e.g. the audit record of a refused change).
    """
    if write and db.engine.dialect.name == "sqlite":
        if db.session().in_transaction():
            db.session.commit()  # only reads so far; the unit must begin as a writer
        _begin_writing()
    unit = Unit()
    try:
        yield unit
    except keep_on:
        db.session.commit()
        raise
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    unit.committed = True
    for action in unit.actions:
        action()


def _begin_writing() -> None:
    """Take SQLite's write lock (``BEGIN IMMEDIATE``), asking again up to ``RETRIES`` more
    times when another connection kept it for the whole busy timeout. Nothing has been done
    in the unit yet, so asking again is always safe; the last refusal propagates."""
    attempt = 0
    while True:
        try:
            db.session.connection(execution_options={WRITE_OPTION: True})
            return
        except OperationalError as exc:
            if attempt >= RETRIES or not _busy(exc):
                raise
            db.session.rollback()
        attempt += 1


def _busy(exc: OperationalError) -> bool:
    """Whether SQLite refused for a lock held by another connection (SQLITE_BUSY)."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


def run_unit(
    action: Callable[[], R], *, write: bool = True, keep_on: tuple[type[BaseException], ...] = ()
) -> R:
    """Run ``action()`` as one unit of work (``unit_of_work``) and return what it returns.

    When PostgreSQL refuses the unit with a serialization failure or a deadlock
    (``RETRYABLE_SQLSTATES``), before its commit succeeded, the unit is rolled back and
    ``action`` runs again from the start, at most ``RETRIES`` more times, each after a
    jittered wait. Any other exception, or the last refusal, propagates. ``action`` must be
    safe to run again: it reads inside the unit what it decides on and changes nothing but
    the database; work to do once the data is stored follows ``run_unit``, which returns
    only after the commit.
    """
    attempt = 0
    while True:
        unit: Unit | None = None
        try:
            with unit_of_work(write=write, keep_on=keep_on) as unit:
                return action()
        except DBAPIError as exc:
            if unit is None or unit.committed or attempt >= RETRIES or not retryable(exc):
                raise
        time.sleep(random.uniform(0, RETRY_WAIT * 2**attempt))  # noqa: S311 - jitter only
        attempt += 1


def retryable(exc: DBAPIError) -> bool:
    """Whether the database refused the transaction in a way that running it again can mend
    (serialization failure or deadlock, ``RETRYABLE_SQLSTATES``)."""
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state in RETRYABLE_SQLSTATES


def end_reads() -> None:
    """End the request's read transaction (before a slow render of data already loaded)."""
    if db.session().in_transaction():
        db.session.rollback()
