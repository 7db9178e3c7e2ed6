"""One unit of work for views and commands: commit on success, roll back on any exception.

Services add, flush and return; they never commit (STYLE.md 3). The edge — a view or a command
— runs them inside ``unit_of_work()``, which commits once when the block ends normally, rolls
back when anything is raised (and lets it propagate), and then runs the actions registered with
``after_commit`` (sending mail, starting jobs): those happen only once the data they speak of is
stored, and never for work that was rolled back.

On SQLite a unit that writes starts with ``BEGIN IMMEDIATE``, so that waiting for another writer
uses the busy timeout instead of failing on the lock upgrade; everything else (page views,
reports, charts) reads in ordinary deferred transactions, which never block one another.

::

    with unit_of_work() as work:
        report = services.send_invitations(consultation, round_, by=user)
        work.after_commit(lambda: log.info("sent %s", int(report)))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from app.extensions import db

#: Connection execution option that makes SQLite start the transaction with BEGIN IMMEDIATE.
WRITE_OPTION = "skillsdelphi_write"


@dataclass
class Unit:
    """The unit in progress: actions to run once it has committed."""

    actions: list[Callable[[], object]] = field(default_factory=list)

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
        db.session.connection(execution_options={WRITE_OPTION: True})
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
    for action in unit.actions:
        action()


def end_reads() -> None:
    """End the request's read transaction (before a slow render of data already loaded)."""
    if db.session().in_transaction():
        db.session.rollback()
