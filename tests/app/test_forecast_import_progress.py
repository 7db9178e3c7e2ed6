"""A web import runs after the request that confirms it; its page shows how far it has got,
refreshing itself (no JavaScript) while it runs, and then the outcome or the problems."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from app.auth.models import Role, User
from app.extensions import db
from app.forecasts import importing
from app.forecasts.models import ForecastDataset, ForecastImport, ForecastValue, ImportState
from app.problems import N_, Problem
from tests.app.test_forecast_cli import GOOD
from tests.app.test_forecast_views import _client, _upload


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(UPLOAD_DIR=str(tmp_path / "uploads"))


UPLOAD = "a" * 32
STATUS = f"/staff/forecasts/import/{UPLOAD}/progress"


def _job(app, **values) -> int:
    with app.app_context():
        official = db.session.scalars(select(User).where(User.role == Role.official)).first()
        job = ForecastImport(
            upload_id=UPLOAD,
            filename="big.csv",
            profile="test-long",
            rows_total=1_000_000,
            created_by_id=official.id,
            **values,
        )
        db.session.add(job)
        db.session.commit()
        return job.id


def _confirm(client) -> str:
    location = _upload(client, GOOD.encode()).headers["Location"]
    response = client.post(location + "/confirm")
    assert response.status_code == 303
    assert response.headers["Location"] == location + "/progress"
    return response.headers["Location"]


def test_a_running_import_shows_the_values_read_and_refreshes_itself(app):
    client = _client(app)
    _job(app, state=ImportState.reading, rows_read=300_000)
    page = client.get(STATUS).get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "Reading and checking the file: 300,000 of 1,000,000 values." in page
    assert '<progress max="1000000" value="300000">' in page


def test_the_values_written_are_shown_as_they_are_written(app):
    client = _client(app)
    _job(app, state=ImportState.writing, rows_read=1_000_000, rows_written=200_000)
    page = client.get(STATUS).get_data(as_text=True)
    assert "Writing the values to the database: 200,000 of 1,000,000." in page
    assert 'http-equiv="refresh"' in page


def test_the_progress_of_an_import_running_in_this_process_is_shown_live(app):
    client = _client(app)
    job_id = _job(app, state=ImportState.reading)
    importing.LIVE[job_id] = (ImportState.writing, 1_000_000, 600_000)
    try:
        page = client.get(STATUS).get_data(as_text=True)
    finally:
        importing.LIVE.pop(job_id, None)
    assert "Writing the values to the database: 600,000 of 1,000,000." in page


def test_a_confirmed_import_ends_on_its_page_with_the_dataset(app):
    client = _client(app)
    status_url = _confirm(client)
    # confirmed again (a second click): the one import, nothing more
    again = client.post(status_url.removesuffix("/progress") + "/confirm")
    assert again.status_code == 303
    page = client.get(status_url).get_data(as_text=True)
    assert "3 values were imported." in page
    assert 'http-equiv="refresh"' not in page
    with app.app_context():
        dataset_id = db.session.scalars(select(ForecastDataset.id)).one()
        job = db.session.scalars(select(ForecastImport)).one()  # imported once
        assert (job.state, job.rows_read, job.rows_written) == ("done", 3, 3)
        assert job.dataset_id == dataset_id and job.finished_at is not None
    assert f'href="/staff/forecasts/{dataset_id}"' in page


def test_a_failed_import_shows_why_and_each_problem_located(app):
    client = _client(app)
    problem = Problem(
        N_("%(text)s is not a number"), row=5, column="E (value)", params={"text": "lots"}
    )
    _job(
        app,
        state=ImportState.failed,
        message=Problem(
            N_("the file was not imported and nothing was written; problems found: %(count)s"),
            params={"count": 1},
        ).to_json(),
        problems=[problem.to_json()],
    )
    page = client.get(STATUS).get_data(as_text=True)
    assert "The file was not imported" in page
    assert "problems found: 1" in page
    assert "row 5, column `E (value)`: lots is not a number" in page
    assert 'http-equiv="refresh"' not in page


def test_an_import_whose_upload_is_gone_fails_and_writes_nothing(app):
    client = _client(app)
    job_id = _job(app)  # no kept upload "aaa…"
    with app.app_context():
        assert importing.run_import(job_id, separate=False) == ImportState.failed
    page = client.get(STATUS).get_data(as_text=True)
    assert "the uploaded file is no longer kept; upload it again" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ForecastDataset)) == 0


def test_only_officials_see_an_import(app):
    _client(app)
    _job(app, state=ImportState.reading)
    publisher = _client(app, Role.publisher)
    assert publisher.get(STATUS).status_code == 403
    assert _client(app).get("/staff/forecasts/import/" + "b" * 32 + "/progress").status_code == 404


@pytest.mark.commits
def test_in_a_thread_the_import_runs_after_the_request(make_app, tmp_path):
    app = make_app(UPLOAD_DIR=str(tmp_path / "uploads"), FORECAST_IMPORTING="thread")
    client = _client(app)
    status_url = _confirm(client)
    pages = []
    for _ in range(200):
        page = client.get(status_url).get_data(as_text=True)
        pages.append(page)
        if "values were imported" in page:
            break
        assert 'http-equiv="refresh"' in page  # still running: the page comes back
        time.sleep(0.05)
    assert "3 values were imported." in pages[-1]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ForecastValue)) == 3


@pytest.mark.commits
def test_progress_is_recorded_as_the_import_goes(make_app, tmp_path):
    """On PostgreSQL on a connection of its own, so that every server process sees it; on
    SQLite (the import holds its only write lock) in this process."""
    app = make_app(UPLOAD_DIR=str(tmp_path / "uploads"), FORECAST_IMPORTING="thread")
    client = _client(app)
    job_id = _job(app, state=ImportState.reading)
    try:
        with app.app_context():
            record = importing._Recorder(job_id, separate=True)
            record(400_000, None)
            assert importing.LIVE[job_id] == (ImportState.reading, 400_000, 0)
            record(1_000_000, 1_000_000)
            postgresql = db.engine.dialect.name == "postgresql"
        page = client.get(STATUS).get_data(as_text=True)
        assert "Writing the values to the database: 1,000,000 of 1,000,000." in page
        importing.LIVE.pop(job_id)
        with app.app_context():
            job = db.session.get(ForecastImport, job_id)
            if postgresql:
                assert (job.state, job.rows_read, job.rows_written) == (
                    ImportState.writing,
                    1_000_000,
                    1_000_000,
                )
            else:
                assert (job.state, job.rows_read) == (ImportState.reading, 0)
    finally:
        importing.LIVE.pop(job_id, None)
