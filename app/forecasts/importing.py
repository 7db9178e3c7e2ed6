"""Web imports of forecast datasets, run after the request that confirms them.

The confirming request records a ``ForecastImport`` (waiting) and, once that is committed,
``start_import`` runs the job in a thread of the same process (the embedded default: no
worker to set up) or, under tests, in the caller's thread (``FORECAST_IMPORTING``:
``thread``, ``inline`` or ``off``). The job imports the kept upload with
``services.import_dataset`` in one transaction, all of it or nothing, and records how far
it has got as it goes, on a connection of its own, so that the import's page (which
refreshes itself) shows it: the values read, then the values written. SQLite lets one
connection write at a time: while the values are written there, the page says so without
a count. At the end it records the outcome (the dataset, or the problems found).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask, current_app
from sqlalchemy import update

from app.database import utcnow
from app.errors import InvalidInput
from app.extensions import db
from app.forecasts import services, table_files
from app.forecasts.models import ForecastImport, ImportState
from app.forecasts.table import Provenance
from app.problems import N_, Problem
from app.unit import end_reads, unit_of_work
from app.uploads import services as uploads

log = logging.getLogger(__name__)

#: Kept forecast uploads belong to no council (as in ``app.forecasts.views``).
UPLOAD_OWNER = 0
#: Least seconds between two progress records.
RECORD_EVERY = 0.5


#: How far each import running in this process has got: {id: (state, read, written)}.
LIVE: dict[int, tuple[str, int, int]] = {}


def _record(job_id: int, separate: bool, **values: Any) -> None:
    """Record ``values`` of the job: on a connection of its own (its own transaction) when
    ``separate``, else in the session's unit of work."""
    statement = update(ForecastImport).where(ForecastImport.id == job_id).values(**values)
    if separate:
        with db.engine.begin() as connection:
            connection.execute(statement)
    else:
        with unit_of_work():
            db.session.execute(statement)


class _Recorder:
    """The ``progress(rows, total)`` of an import: kept in ``LIVE`` for this process and,
    at most every RECORD_EVERY seconds, recorded in the database on a connection of its
    own, except on SQLite (the import holds its only write lock) or inline."""

    def __init__(self, job_id: int, separate: bool) -> None:
        self.job_id = job_id
        self.last = 0.0
        self.read = self.written = 0
        self.record = separate and db.engine.dialect.name != "sqlite"

    def __call__(self, done: int, total: int | None) -> None:
        if total is None:
            self.read = done
        else:
            self.read, self.written = total, done
        state = ImportState.reading if total is None else ImportState.writing
        LIVE[self.job_id] = (state, self.read, self.written)
        now = time.monotonic()
        if not self.record or (now - self.last < RECORD_EVERY and done != total):
            return
        self.last = now
        statement = (
            update(ForecastImport)
            .where(ForecastImport.id == self.job_id)
            .values(state=state, rows_read=self.read, rows_written=self.written)
        )
        with db.engine.begin() as connection:
            connection.execute(statement)


def _failed(job_id: int, separate: bool, message: str, problems: list[Problem], params=None):
    _record(
        job_id,
        separate,
        state=ImportState.failed,
        message=Problem(message, params=params).to_json(),
        problems=[p.to_json() for p in problems[: services.MAX_PROBLEMS]],
        finished_at=utcnow(),
    )


def run_import(job_id: int, separate: bool = True) -> str:
    """The import job: import the kept upload of a waiting import. Returns its state.
    ``separate``: record the state on connections of its own (a thread); else in the
    session (inline)."""
    try:
        return _run(job_id, separate)
    finally:
        LIVE.pop(job_id, None)


def _run(job_id: int, separate: bool) -> str:
    job = db.session.get(ForecastImport, job_id)
    if job is None or job.state != ImportState.waiting:
        return job.state if job is not None else ImportState.failed
    upload_id, by_id = job.upload_id, job.created_by_id
    if separate:
        end_reads()
    _record(job_id, separate, state=ImportState.reading)
    kept = uploads.read_result(UPLOAD_OWNER, upload_id)
    data = uploads.read_upload(UPLOAD_OWNER, upload_id)
    if not isinstance(kept, dict) or data is None:
        _failed(job_id, separate, N_("the uploaded file is no longer kept; upload it again"), [])
        return ImportState.failed
    from app.auth.models import User

    try:
        source = table_files.from_json(kept["profile"])
        crosswalk = kept.get("crosswalk")
        with unit_of_work() as work:
            report = services.import_dataset(
                data,
                kept["filename"],
                source.profile,
                by=db.session.get(User, by_id),
                provenance=Provenance.from_json(kept["provenance"]),
                crosswalk=None if crosswalk is None else crosswalk.encode("utf-8"),
                progress=_Recorder(job_id, separate),
            )
            work.after_commit(lambda: uploads.discard_upload(UPLOAD_OWNER, upload_id))
    except InvalidInput as exc:
        _failed(job_id, separate, exc.message_id, list(exc.problems), exc.params)
        return ImportState.failed
    except Exception:  # noqa: BLE001 - any failure is recorded; nothing was written
        log.exception("forecast import %s failed", job_id)
        _failed(job_id, separate, N_("the import failed on the server; nothing was written"), [])
        return ImportState.failed
    _record(
        job_id,
        separate,
        state=ImportState.done,
        dataset_id=report.dataset_id,
        already_imported=report.already_imported,
        rows_read=report.rows,
        rows_written=report.rows if report.written else 0,
        finished_at=utcnow(),
    )
    return ImportState.done


def start_import(job_id: int, app: Flask | None = None) -> threading.Thread | None:
    """Start the job of a recorded import, as ``FORECAST_IMPORTING`` says (``thread``: a
    thread of this process, returned; ``inline``: now, in this thread; ``off``: not at all,
    the import stays waiting)."""
    app = app or current_app._get_current_object()
    mode = app.config.get("FORECAST_IMPORTING") or ("inline" if app.testing else "thread")
    if mode == "off":
        return None
    if mode == "inline":
        run_import(job_id, separate=False)
        return None

    def job() -> None:
        with app.app_context():
            try:
                run_import(job_id)
            finally:
                db.session.remove()

    thread = threading.Thread(target=job, name=f"forecast-import-{job_id}", daemon=True)
    thread.start()
    return thread
