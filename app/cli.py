"""Command-line interface: ``flask --app app <command>``."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from app.errors import DomainError
from app.extensions import db


def fail(message: str, problems: list[str] | None = None, code: int = 2) -> None:
    """Print an error (and its problems) on stderr and exit with ``code``."""
    click.secho(f"Error: {message}", fg="red", err=True)
    for problem in problems or []:
        click.echo(f"  - {problem}", err=True)
    sys.exit(code)


def commit_or_fail(action) -> object:
    """Run ``action()``, commit once; on a DomainError roll back and exit 2."""
    try:
        result = action()
        db.session.commit()
        return result
    except DomainError as exc:
        db.session.rollback()
        fail(exc.message, getattr(exc, "problems", None))
    return None


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema, then load built-in classifications."""
    from flask_migrate import upgrade

    from app.classifications.services import ensure_builtin_sectors

    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    upgrade(directory=str(Path(current_app.root_path) / "migrations"))
    added = commit_or_fail(ensure_builtin_sectors)
    click.echo(f"Database ready ({url.get_backend_name()}); {added} built-in sectors added.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(path: str) -> None:
    """Write a consistent copy of the database to PATH (SQLite file, or pg_dump archive)."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    target = Path(path)
    if target.exists():
        fail(f"{target} exists already; choose a new file name")
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            fail("the database is in memory; there is nothing to back up")
        source = sqlite3.connect(url.database)
        dest = sqlite3.connect(target)
        try:
            with dest:
                source.backup(dest)
            ok = dest.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dest.close()
            source.close()
        if ok != "ok":
            fail(f"the backup failed its integrity check: {ok}", code=1)
    elif url.get_backend_name() == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            fail("pg_dump is not installed; install the PostgreSQL client tools")
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        result = subprocess.run(  # noqa: S603
            [pg_dump, "--format=custom", "--file", str(target), plain],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            fail(f"pg_dump failed: {result.stderr.strip()}", code=1)
    else:
        fail(f"backups of {url.get_backend_name()} databases are not supported")
    click.echo(f"Backup written to {target}")


def register_cli(app: Flask) -> None:
    from app.audit.cli import audit_cli
    from app.auth.cli import create_user_command
    from app.classifications.cli import import_classification_command
    from app.demo.cli import seed_demo_command
    from app.panels.cli import send_reminders_command
    from app.questionnaires.cli import surveys_cli
    from app.uploads.cli import uploads_cli

    for command in (
        init_db_command,
        backup_command,
        create_user_command,
        import_classification_command,
        seed_demo_command,
        surveys_cli,
        audit_cli,
        send_reminders_command,
        uploads_cli,
    ):
        app.cli.add_command(command)
