"""Command-line interface: ``flask --app app <command>``."""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import quote

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from app.classifications.services import ensure_builtin_sectors
from app.commands import commit_or_fail, database_errors, fail


@click.command("init-db")
@with_appcontext
@database_errors
def init_db_command() -> None:
    """Create or upgrade the database schema, then load built-in classifications."""
    from flask_migrate import upgrade

    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        folder = Path(url.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail(f"cannot create the database folder {folder}: {exc.strerror or exc}")
    upgrade(directory=str(Path(current_app.root_path) / "migrations"))
    added = commit_or_fail(ensure_builtin_sectors)
    click.echo(f"Database ready ({url.get_backend_name()}); {added} built-in sectors added.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(path: str) -> None:
    """Write a consistent copy of the database to PATH (SQLite file, or pg_dump archive).

    The copy is written beside PATH under a temporary name and renamed when complete, so a
    failed backup leaves no file behind. Exits 2 when PATH cannot be written, 1 when the
    database cannot be copied."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    backend = url.get_backend_name()
    if not path.strip():
        fail("PATH is empty; name the file to write the backup to")
    target = Path(path)
    if target.exists() or target.is_symlink():
        fail(f"{target} exists already; choose a new file name")
    if backend == "sqlite" and (not url.database or url.database == ":memory:"):
        fail("the database is in memory; there is nothing to back up")
    if backend == "sqlite" and not Path(url.database).is_file():
        fail(f"the database file {url.database} does not exist; check DATABASE_URL", code=1)
    if backend == "postgresql" and shutil.which("pg_dump") is None:
        fail("pg_dump is not installed; install the PostgreSQL client tools")
    if backend not in ("sqlite", "postgresql"):
        fail(f"backups of {backend} databases are not supported")
    folder = target.parent
    if not folder.is_dir():
        fail(f"cannot write the backup to {target}: the folder {folder} does not exist")
    partial = folder / f".{target.name}.partial-{secrets.token_hex(4)}"
    try:
        partial.open("xb").close()
    except OSError as exc:
        fail(
            f"cannot write the backup to {target}: no file can be created in {folder} "
            f"({exc.strerror or exc})"
        )
    try:
        if backend == "sqlite":
            _sqlite_backup(url.database, partial, target)
        else:
            _pg_dump(url, partial)
        if target.exists():
            fail(f"{target} was created while the backup ran; the backup was not kept")
        partial.replace(target)
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            leftover.unlink(missing_ok=True)
    click.echo(f"Backup written to {target}")


def _sqlite_backup(database: str, partial: Path, target: Path) -> None:
    """Copy ``database`` into ``partial`` with SQLite's backup API and check it."""
    source = dest = None
    try:
        source = sqlite3.connect(f"file:{quote(database)}?mode=ro", uri=True)
        dest = sqlite3.connect(partial)
        with dest:
            source.backup(dest)
        ok = dest.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        fail(f"the backup to {target} failed: {exc}", code=1)
    finally:
        for conn in (dest, source):
            if conn is not None:
                conn.close()
    if ok != "ok":
        fail(f"the backup failed its integrity check: {ok}", code=1)


def _pg_dump(url, partial: Path) -> None:
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    result = subprocess.run(  # noqa: S603
        [shutil.which("pg_dump"), "--format=custom", "--file", str(partial), plain],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        fail(f"pg_dump failed: {result.stderr.strip()}", code=1)


def register_cli(app: Flask) -> None:
    from app.audit.cli import audit_cli
    from app.auth.cli import create_user_command, reset_second_factor_command
    from app.classifications.cli import import_classification_command
    from app.councils.cli import councils_cli
    from app.demo.cli import seed_demo_command
    from app.forecasts.cli import forecasts_cli
    from app.forecasts.import_cli import import_forecast_command
    from app.panels.cli import send_reminders_command
    from app.questionnaires.cli import surveys_cli
    from app.uploads.cli import uploads_cli

    for command in (
        init_db_command,
        backup_command,
        create_user_command,
        reset_second_factor_command,
        import_classification_command,
        import_forecast_command,
        seed_demo_command,
        surveys_cli,
        councils_cli,
        audit_cli,
        send_reminders_command,
        uploads_cli,
        forecasts_cli,
    ):
        app.cli.add_command(command)
