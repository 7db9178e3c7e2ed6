"""Copying the database to a backup file and back: SQLite's backup API, pg_dump, pg_restore.

Each function checks what it wrote (``PRAGMA integrity_check``, or the archive's table of
contents) and counts the rows per table, so that a backup or a restore can be compared with
the database it came from. Problems raise ``BackupError`` with the command's exit status: 2
when the input is wrong (not a backup, a database that holds data), 1 when the copy fails.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Connection, Engine

#: The first bytes of an SQLite database file, and of a pg_dump custom-format archive.
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
#: Milliseconds a restore waits for the app's writers to let go of the SQLite database.
SQLITE_BUSY_TIMEOUT = 10_000


class BackupError(Exception):
    """A backup or restore that cannot be done; ``code`` is the exit status it means."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Copy:
    """What a backup or a restored database holds."""

    #: Rows per table, every table of the copy (empty ones too).
    counts: dict[str, int]
    #: How the copy was checked, for the command's report ("integrity check ok").
    check: str


def backup_kind(path: Path) -> str | None:
    """``sqlite`` or ``pg_dump`` by the file's first bytes; None for any other file."""
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "pg_dump"
    return None


def durable_rename(partial: Path, target: Path) -> None:
    """Flush ``partial`` to disk, rename it to ``target``, and flush the folder's entry."""
    fd = os.open(partial, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    partial.replace(target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- SQLite ------------------------------------------------------------------------------


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {
        name: conn.execute(f"SELECT count(*) FROM {_quoted(name)}").fetchone()[0]  # noqa: S608
        for name in names
    }


def _sqlite_checked(conn: sqlite3.Connection) -> Copy:
    found = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if found != ["ok"]:
        raise BackupError(f"the integrity check failed: {'; '.join(found[:5])}")
    return Copy(_sqlite_counts(conn), "integrity check ok")


def _read_only(path: Path | str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)


def sqlite_backup(database: str, partial: Path) -> Copy:
    """Copy the SQLite ``database`` into the empty file ``partial`` with the online backup
    API (one step under one read lock: what is committed at that instant, while the app
    goes on writing) and check the copy. The copy is a single file (no write-ahead log)."""
    source = dest = None
    try:
        source = _read_only(database)
        dest = sqlite3.connect(partial)
        with dest:
            source.backup(dest)
        dest.execute("PRAGMA journal_mode=DELETE")
        return _sqlite_checked(dest)
    except sqlite3.Error as exc:
        raise BackupError(str(exc)) from exc
    finally:
        for conn in (dest, source):
            if conn is not None:
                conn.close()


def sqlite_backup_contents(path: Path) -> Copy:
    """Check an SQLite backup file before a restore; a damaged one is bad input (code 2)."""
    conn = None
    try:
        conn = _read_only(path)
        return _sqlite_checked(conn)
    except BackupError as exc:
        raise BackupError(f"{path} is damaged: {exc.message}", code=2) from exc
    except sqlite3.Error as exc:
        raise BackupError(f"{path} cannot be read as an SQLite database: {exc}", code=2) from exc
    finally:
        if conn is not None:
            conn.close()


def sqlite_database_counts(database: str) -> dict[str, int]:
    """Rows per table of an SQLite database file; empty when the file does not exist."""
    if not Path(database).exists():
        return {}
    conn = None
    try:
        conn = sqlite3.connect(database, timeout=SQLITE_BUSY_TIMEOUT / 1000)
        return _sqlite_counts(conn)
    except sqlite3.Error as exc:
        raise BackupError(f"the database {database} cannot be read: {exc}") from exc
    finally:
        if conn is not None:
            conn.close()


def sqlite_restore(path: Path, database: str) -> Copy:
    """Replace the whole SQLite ``database`` by the backup ``path`` (backup API, under the
    database's write lock: its other connections then see the restored data) and check it."""
    source = dest = None
    try:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        source = _read_only(path)
        dest = sqlite3.connect(database, timeout=SQLITE_BUSY_TIMEOUT / 1000)
        dest.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT}")
        source.backup(dest)
        return _sqlite_checked(dest)
    except OSError as exc:
        raise BackupError(f"the database {database} cannot be written: {exc}") from exc
    except sqlite3.Error as exc:
        raise BackupError(f"the restore into {database} failed: {exc}") from exc
    finally:
        for conn in (dest, source):
            if conn is not None:
                conn.close()


# --- PostgreSQL --------------------------------------------------------------------------


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq address for the client tools and their environment: the password goes in
    ``PGPASSWORD``, never on a command line that every user of the machine can read."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed; install the PostgreSQL client tools", 2)
    return found


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=False, env=env)  # noqa: S603


def _first_lines(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return "; ".join(lines[:3]) or "no message"


def database_counts(conn: Connection | Engine) -> dict[str, int]:
    """Rows per table of the database's default schema (any backend)."""
    if isinstance(conn, Engine):
        with conn.connect() as connection:
            return database_counts(connection)
    names = sorted(inspect(conn).get_table_names())
    return {
        name: conn.execute(text(f"SELECT count(*) FROM {_quoted(name)}")).scalar_one()  # noqa: S608
        for name in names
    }


def pg_dump(engine: Engine, url: URL, partial: Path) -> Copy:
    """Dump the PostgreSQL database into ``partial`` (custom format, without owners) from
    one exported snapshot, count the rows in that same snapshot, and check the archive's
    table of contents: it must hold the data of every table counted."""
    pg_dump_path = _tool("pg_dump")
    address, env = _libpq(url)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            done = _run(
                [
                    pg_dump_path,
                    "--format=custom",
                    "--no-owner",
                    f"--snapshot={snapshot}",
                    f"--file={partial}",
                    f"--dbname={address}",
                ],
                env,
            )
            if done.returncode != 0:
                raise BackupError(f"pg_dump failed: {_first_lines(done.stderr)}")
            counts = database_counts(conn)
    listed = pg_archive_tables(partial)
    missing = sorted(set(counts) - listed)
    if missing:
        raise BackupError(f"the archive lacks the data of the tables {', '.join(missing)}")
    return Copy(counts, f"pg_restore --list ok, the data of {len(listed)} tables")


def pg_archive_tables(path: Path) -> set[str]:
    """The tables whose data a pg_dump archive holds (``pg_restore --list``); an archive
    that cannot be read is bad input (code 2)."""
    done = _run([_tool("pg_restore"), "--list", str(path)])
    if done.returncode != 0:
        raise BackupError(
            f"{path} is not a readable pg_dump archive: {_first_lines(done.stderr)}", code=2
        )
    tables = set()
    for line in done.stdout.splitlines():
        if line.startswith(";") or " TABLE DATA " not in line:
            continue
        # "217; 0 16403 TABLE DATA public council postgres"
        parts = line.split(" TABLE DATA ", 1)[1].split()
        if len(parts) >= 2:
            tables.add(parts[1])
    return tables


def pg_restore(url: URL, path: Path, *, clean: bool) -> None:
    """Restore the archive into the PostgreSQL database in one transaction (all or
    nothing), its objects owned by the connecting role; ``clean`` first drops the objects
    of the archive that the database already has."""
    address, env = _libpq(url)
    args = [_tool("pg_restore"), "--no-owner", "--single-transaction", "--exit-on-error"]
    if clean:
        args += ["--clean", "--if-exists"]
    done = _run([*args, f"--dbname={address}", str(path)], env)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed, nothing was changed: {_first_lines(done.stderr)}")
