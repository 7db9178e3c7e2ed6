"""Declarative base, column types and connection set-up shared by every model."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Enum, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

#: Named constraints: SQLite schema changes rebuild tables and need the names.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (use as a callable default)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend.

    Naive values are refused on the way in (they hide a time-zone bug); SQLite returns naive
    values, which are read back as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            datetime: UTCDateTime(),
            date: Date(),
            dict[str, Any]: JSON(),
            dict[str, str]: JSON(),
            list[Any]: JSON(),
            enum.Enum: Enum(
                enum.Enum,
                native_enum=False,
                length=32,
                values_callable=lambda e: [m.value for m in e],
                validate_strings=True,
            ),
        },
    )


_listener_installed = False


def install_sqlite_pragmas() -> None:
    """Set WAL, ``synchronous=FULL`` (every commit reaches the disk before it is
    acknowledged), foreign keys and a busy timeout on every new SQLite connection.

    Units of work that write start with ``BEGIN IMMEDIATE`` so that the busy timeout applies
    to them instead of failing with "database is locked" on lock upgrade; reads start with a
    plain (deferred) ``BEGIN``.
    """
    global _listener_installed
    if _listener_installed:
        return
    _listener_installed = True

    @event.listens_for(Engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        import sqlite3

        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        # Let SQLAlchemy emit BEGIN itself (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "memory":
            cursor.execute("PRAGMA journal_mode=WAL")
        # Not left to how SQLite was built (some builds default to NORMAL in WAL mode,
        # which can lose the last commits on a power cut): an acknowledged answer is on disk.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(Engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.dialect.name == "sqlite":
            # Writers (app.unit.unit_of_work) take the write lock at once, so that waiting
            # for another writer uses the busy timeout; readers never block anyone.
            writing = conn.get_execution_options().get("skillsdelphi_write")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
