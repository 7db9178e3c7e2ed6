"""``flask --app app backup PATH`` and ``flask --app app restore PATH [--force]``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import URL, make_url

from app.backups.copies import (
    BackupError,
    Copy,
    backup_kind,
    database_counts,
    durable_rename,
    pg_archive_tables,
    pg_dump,
    pg_restore,
    sqlite_backup,
    sqlite_backup_contents,
    sqlite_database_counts,
    sqlite_restore,
)
from app.commands import database_errors, fail
from app.consultations.keys import key_dir
from app.extensions import db

BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
WITH_ARTICLE = {"sqlite": "an SQLite", "postgresql": "a PostgreSQL"}


def _database() -> tuple[URL, str]:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    backend = url.get_backend_name()
    if backend not in BACKENDS:
        fail(f"backups of {backend} databases are not supported")
    if backend == "sqlite" and (not url.database or url.database == ":memory:"):
        fail("the database is in memory; there is nothing to back up or restore")
    return url, backend


def _report(heading: str, copy: Copy) -> None:
    rows = sum(copy.counts.values())
    click.echo(f"{heading} ({copy.check}; {len(copy.counts)} tables, {rows} rows)")
    width = max((len(name) for name in copy.counts), default=0)
    for name, count in copy.counts.items():
        click.echo(f"  {name:<{width}}  {count:>9}")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
@database_errors
def backup_command(path: str) -> None:
    """Write a consistent copy of the database to PATH (SQLite file, or pg_dump archive).

    The copy is what was committed at one instant, taken while the app goes on serving. It
    is written beside PATH under a temporary name (mode 0600), checked, and renamed when
    complete, so a failed backup leaves no file behind; then its rows per table are listed.
    The study keys (STUDY_KEY_DIR) are not in it: back them up apart (README, Backups).
    Exits 2 when PATH cannot be written, 1 when the database cannot be copied."""
    if not path.strip():
        fail("PATH is empty; name the file to write the backup to")
    target = Path(path)
    if target.exists() or target.is_symlink():
        fail(f"{target} exists already; choose a new file name")
    url, backend = _database()
    if backend == "sqlite" and not Path(url.database).is_file():
        fail(f"the database file {url.database} does not exist; check DATABASE_URL", code=1)
    folder = target.parent
    if not folder.is_dir():
        fail(f"cannot write the backup to {target}: the folder {folder} does not exist")
    partial = folder / f".{target.name}.partial-{secrets.token_hex(4)}"
    try:
        # only its owner may read it: the backup holds every account and answer
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        fail(
            f"cannot write the backup to {target}: no file can be created in {folder} "
            f"({exc.strerror or exc})"
        )
    try:
        try:
            if backend == "sqlite":
                copy = sqlite_backup(url.database, partial)
            else:
                copy = pg_dump(db.engine, url, partial)
        except BackupError as exc:
            fail(f"the backup to {target} failed: {exc.message}", code=exc.code)
        if target.exists():
            fail(f"{target} was created while the backup ran; the backup was not kept")
        durable_rename(partial, target)
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            leftover.unlink(missing_ok=True)
    _report(f"Backup written to {target}", copy)
    click.echo(f"The study keys are not in the backup: back up {key_dir()} (STUDY_KEY_DIR) apart.")


@click.command("restore")
@click.argument("path", type=click.Path())
@click.option(
    "--force",
    is_flag=True,
    help="Replace a database that holds data (every row of it) by the backup.",
)
@with_appcontext
@database_errors
def restore_command(path: str, force: bool) -> None:
    """Restore the backup PATH (made by `backup`) into the configured database.

    The database should be new and empty; one that holds data is refused unless --force,
    which replaces all of it. The restored database is checked and its rows per table are
    listed. The study keys are restored apart (README, Backups). Exits 2 on bad input (no
    such file, not a backup, a backup of the other kind of database, data without
    --force), 1 when the restore fails."""
    if not path.strip():
        fail("PATH is empty; name the backup file to restore")
    source = Path(path)
    if not source.is_file():
        what = "is not a file" if source.exists() else "does not exist"
        fail(f"{source} {what}; name a backup file made by `flask --app app backup`")
    url, backend = _database()
    try:
        kind = backup_kind(source)
    except OSError as exc:
        fail(f"{source} cannot be read: {exc.strerror or exc}")
    if kind is None:
        fail(
            f"{source} is not a backup: neither an SQLite database nor a pg_dump archive "
            "(custom format)"
        )
    made_for = "sqlite" if kind == "sqlite" else "postgresql"
    if made_for != backend:
        fail(
            f"{source} is a backup of {WITH_ARTICLE[made_for]} database, but the database "
            f"configured is {BACKENDS[backend]} ({url.render_as_string(hide_password=True)}); "
            f"restore it into {WITH_ARTICLE[made_for]} database"
        )
    try:
        if backend == "sqlite":
            copy = _restore_sqlite(source, url.database, force=force)
        else:
            copy = _restore_postgresql(source, url, force=force)
    except BackupError as exc:
        fail(exc.message, code=exc.code)
    _report(f"Restored {source} into {url.render_as_string(hide_password=True)}", copy)
    missing = sorted(set(db.metadata.tables) - set(copy.counts))
    if missing:
        click.echo(
            f"The backup lacks the tables {', '.join(missing)}: run "
            "`flask --app app init-db` to upgrade its schema."
        )
    click.echo(
        f"Restore the study keys into {key_dir()} (STUDY_KEY_DIR) from their own backup: "
        "without them the panellists of open consultations cannot see or change their answers."
    )


def _refuse_data(where: str, counts: dict[str, int], force: bool) -> None:
    rows = sum(counts.values())
    if rows and not force:
        fail(
            f"the database {where} holds data ({rows} rows); a restore replaces all of it. "
            "Restore into a new, empty database, or add --force to overwrite this one"
        )


def _check_tables(source: Path, tables: set[str]) -> None:
    if not tables & set(db.metadata.tables):
        fail(f"{source} is not a backup of this application: it holds none of its tables")


def _restore_sqlite(source: Path, database: str, *, force: bool) -> Copy:
    if Path(database).exists() and Path(database).resolve() == source.resolve():
        fail(f"{source} is the database itself; name a backup file")
    contents = sqlite_backup_contents(source)
    _check_tables(source, set(contents.counts))
    _refuse_data(database, sqlite_database_counts(database), force)
    return sqlite_restore(source, database)


def _restore_postgresql(source: Path, url: URL, *, force: bool) -> Copy:
    _check_tables(source, pg_archive_tables(source))
    counts = database_counts(db.engine)
    _refuse_data(url.render_as_string(hide_password=True), counts, force)
    db.session.remove()
    db.engine.dispose()  # no connection of ours may hold a lock the restore needs
    pg_restore(url, source, clean=bool(counts))
    db.engine.dispose()
    return Copy(database_counts(db.engine), "pg_restore ok")
