"""R6, the restore drill: the demonstration data backed up while the app serves, restored into
a fresh instance, which then serves the same published pages, files and API documents, with
the same rows in every table; the study keys are not in the backup. On SQLite (the backup
API) and on PostgreSQL (pg_dump, pg_restore) alike."""

from __future__ import annotations

import re
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from app.briefs.models import BriefVersion
from app.briefs.rendering import render_version
from app.extensions import db

pytestmark = pytest.mark.commits  # backups copy what is committed, into other databases

#: A published brief version of the demonstration, one of its stored files, its API document.
PUBLISHED = ("/briefs/1/v/2", "/briefs/1/v/2/brief.pdf", "/api/v1/briefs/1/versions/2")
#: Each response carries a fresh CSP nonce; everything else must be the same bytes.
NONCE = re.compile(rb'nonce="[^"]*"')


def _major(version_text: str) -> int:
    return int(re.search(r"(\d+)", version_text).group(1))


def _client_tools_or_skip(database_url: str) -> None:
    """On PostgreSQL, pg_dump and pg_restore must be installed and not older than the server."""
    if make_url(database_url).get_backend_name() != "postgresql":
        return
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: PostgreSQL backups need the client tools")
    client = subprocess.run(
        ["pg_dump", "--version"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    engine = create_engine(database_url)
    with engine.connect() as conn:
        server = conn.execute(text("SHOW server_version")).scalar_one()
    engine.dispose()
    if _major(client.split(")", 1)[-1]) < _major(server):
        pytest.skip(f"{client.strip()} cannot dump a PostgreSQL {server} server (older client)")


@pytest.fixture
def fresh_url(database_url, tmp_path):
    """The address of a new, empty database on the same backend, dropped after the test."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield "sqlite:///" + str(tmp_path / "restored" / "skillsdelphi.db")
        return
    name = f"{url.database}_restored"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _counts(app) -> dict[str, int]:
    with app.app_context():
        counts = {
            table.name: db.session.execute(select(db.func.count()).select_from(table)).scalar_one()
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
    return counts


def _served(app) -> dict[str, tuple[int, str, bytes]]:
    client = app.test_client()
    served = {}
    for path in PUBLISHED:
        response = client.get(path)
        served[path] = (response.status_code, response.mimetype, NONCE.sub(b"", response.data))
    return served


def _readable_text(backup: Path) -> bytes:
    """The backup's bytes, and for a pg_dump archive (compressed) its contents as SQL too."""
    raw = backup.read_bytes()
    if not raw.startswith(b"PGDMP"):
        return raw
    script = subprocess.run(
        ["pg_restore", "--file=-", str(backup)],  # noqa: S607
        capture_output=True,
        check=True,
    ).stdout
    return raw + script


def test_a_backup_restored_into_a_fresh_instance_serves_the_same(
    make_demo_app, make_app, database_url, fresh_url, tmp_path
):
    _client_tools_or_skip(database_url)
    live = make_demo_app()
    with live.app_context():  # its files, as seed-demo has them made after its commit
        version = db.session.scalars(
            select(BriefVersion).where(BriefVersion.brief_id == 1, BriefVersion.number == 2)
        ).one()
        render_version(version.id, languages=["en"])
        db.session.remove()
    before = _counts(live)
    assert before["response"] > 0 and before["brief_version"] > 0 and before["audit_event"] > 0
    served = _served(live)
    assert [status for status, _, _ in served.values()] == [200, 200, 200]
    assert served["/briefs/1/v/2/brief.pdf"][2].startswith(b"%PDF")

    backup = tmp_path / "backups" / "skillsdelphi.backup"
    backup.parent.mkdir()
    made = live.test_cli_runner().invoke(args=["backup", str(backup)])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert [p.name for p in backup.parent.iterdir()] == [backup.name]  # no partial file left
    assert "integrity check ok" in made.output or "pg_restore --list ok" in made.output
    for table, count in before.items():  # the report lists every table with its rows
        assert re.search(rf"^  {table} +{count}$", made.output, re.MULTILINE), (table, made.output)

    # the study keys are not in the backup, in any form
    keys = sorted(Path(live.config["STUDY_KEY_DIR"]).glob("*.key"))
    assert keys
    contents = _readable_text(backup)
    for key in keys:
        material = key.read_text(encoding="ascii").strip()
        for form in (material.encode(), material.upper().encode(), bytes.fromhex(material)):
            assert form not in contents, key.name

    fresh = make_app(SQLALCHEMY_DATABASE_URI=fresh_url, STUDY_KEY_DIR=str(tmp_path / "keys2"))
    restored = fresh.test_cli_runner().invoke(args=["restore", str(backup)])
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.output and "study keys" in restored.output
    if fresh_url.startswith("sqlite"):
        with sqlite3.connect(make_url(fresh_url).database) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.close()
    assert _counts(fresh) == before
    assert _served(fresh) == served

    # the restored database now holds data: a second restore is refused unless --force
    again = fresh.test_cli_runner().invoke(args=["restore", str(backup)])
    assert again.exit_code == 2, again.output
    assert "holds data" in again.output and "--force" in again.output
    assert "Traceback" not in again.output
    forced = fresh.test_cli_runner().invoke(args=["restore", str(backup), "--force"])
    assert forced.exit_code == 0, forced.output
    assert _counts(fresh) == before
    assert _served(fresh) == served


def test_restore_refuses_a_database_with_data_and_leaves_it_alone(make_app, database_url, tmp_path):
    _client_tools_or_skip(database_url)
    app = make_app()
    with app.app_context():
        from app.classifications.services import ensure_builtin_sectors

        ensure_builtin_sectors()
        db.session.commit()
    backup = tmp_path / "sectors.backup"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    with app.app_context():
        db.session.execute(text("DELETE FROM sector WHERE code = 'U'"))
        db.session.commit()
    refused = runner.invoke(args=["restore", str(backup)])
    assert refused.exit_code == 2
    assert "holds data (20 rows)" in refused.output
    assert _counts(app)["sector"] == 20
    forced = runner.invoke(args=["restore", str(backup), "--force"])
    assert forced.exit_code == 0, forced.output
    assert _counts(app)["sector"] == 21


def test_an_sqlite_backup_does_not_wait_for_a_writer_and_holds_what_was_committed(
    make_app, database_url, tmp_path
):
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite backup API; pg_dump reads one snapshot likewise")
    app = make_app()
    with app.app_context():
        from app.classifications.services import ensure_builtin_sectors

        ensure_builtin_sectors()
        db.session.commit()
    writer = sqlite3.connect(make_url(database_url).database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # the app's writers hold this lock while they work
        writer.execute("DELETE FROM sector WHERE code = 'A'")
        backup = tmp_path / "while-writing.db"
        made = app.test_cli_runner().invoke(args=["backup", str(backup)])
        writer.execute("COMMIT")
    finally:
        writer.close()
    assert made.exit_code == 0, made.output
    with sqlite3.connect(backup) as copy:
        assert copy.execute("SELECT count(*) FROM sector").fetchone()[0] == 21
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
    copy.close()
    assert _counts(app)["sector"] == 20


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.db", None, "does not exist"),
        ("folder", "dir", "is not a file"),
        ("notes.txt", b"council,members\n", "is not a backup: neither an SQLite database"),
        ("cut.db", b"SQLite format 3\x00" + b"\x10\x00" + b"\x00" * 200, "cannot be read"),
        ("cut.backup", b"PGDMP\x01\x0e\x00", "pg_dump archive"),
    ],
)
def test_restore_of_something_that_is_not_a_backup_is_a_clear_error(
    make_app, database_url, fresh_url, tmp_path, name, content, message
):
    source = tmp_path / name
    if content == "dir":
        source.mkdir()
    elif content is not None:
        source.write_bytes(content)
    fresh = make_app(SQLALCHEMY_DATABASE_URI=fresh_url)
    sqlite = fresh_url.startswith("sqlite")
    if name == "cut.backup" and sqlite or name == "cut.db" and not sqlite:
        message = "is a backup of a"  # of the other kind of database: "an SQLite", "a PostgreSQL"
    elif name == "cut.backup":
        _client_tools_or_skip(database_url)
    result = fresh.test_cli_runner().invoke(args=["restore", str(source)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    if sqlite:
        assert not Path(make_url(fresh_url).database).exists()  # nothing made
    else:
        with fresh.app_context():
            assert inspect(db.engine).get_table_names() == []
            db.session.remove()


def _listed(output: str) -> dict[str, int]:
    return {name: int(n) for name, n in re.findall(r"^  (\S+) +(\d+)$", output, re.MULTILINE)}


def test_a_backup_taken_while_councils_are_added_holds_the_rows_it_lists(
    make_app, database_url, fresh_url, tmp_path
):
    """The rows the backup lists are those of its copy, taken at one instant while another
    connection keeps committing: the restored database holds exactly those."""
    import threading

    from tests.app.factories import make_council

    _client_tools_or_skip(database_url)
    app = make_app()
    stop, added = threading.Event(), []

    def keep_adding() -> None:
        with app.app_context():
            while not stop.is_set():
                make_council(f"Busy council {len(added)}")
                db.session.commit()
                added.append(1)
            db.session.remove()

    writer = threading.Thread(target=keep_adding)
    writer.start()
    try:
        while len(added) < 5:  # the writer is under way
            stop.wait(0.05)
        backup = tmp_path / "busy.backup"
        made = app.test_cli_runner().invoke(args=["backup", str(backup)])
        during = len(added)
    finally:
        stop.set()
        writer.join(30)
    assert made.exit_code == 0, made.output
    listed = _listed(made.output)
    assert 5 <= listed["council"] <= during
    assert len(added) > listed["council"]  # the writer went on after the copy
    fresh = make_app(SQLALCHEMY_DATABASE_URI=fresh_url, STUDY_KEY_DIR=str(tmp_path / "keys2"))
    restored = fresh.test_cli_runner().invoke(args=["restore", str(backup)])
    assert restored.exit_code == 0, restored.output
    counts = _counts(fresh)
    assert counts == {table: listed[table] for table in counts}
