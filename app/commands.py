"""What every command shares: failing with a message and an exit status, one unit of work.

A leaf module: the package command groups (``app/*/cli.py``) import it, and ``app.cli``
registers them, so nothing here imports a command.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import ParamSpec, TypeVar

import click
from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from app.errors import DomainError
from app.extensions import db
from app.problems import Problem
from app.unit import run_unit

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, problems: Iterable[Problem | str] | None = None, code: int = 2) -> None:
    """Print an error (and its problems) on stderr and exit with ``code``."""
    click.secho(f"Error: {message}", fg="red", err=True)
    for problem in problems or []:
        click.echo(f"  - {problem}", err=True)
    sys.exit(code)


def fail_naming(problems: Iterable[Problem], names: Mapping[str, str], code: int = 2) -> None:
    """Print each problem on one line of stderr, headed by the option or argument its
    ``field`` stands for (``--sector: ...``), and exit with ``code``."""
    for problem in problems:
        where = names.get(problem.key or "") or problem.where()
        what = problem.what()  # English, its values filled in
        click.secho(f"Error: {where}: {what}" if where else f"Error: {what}", fg="red", err=True)
    sys.exit(code)


def commit_or_fail(action, *, names: Mapping[str, str] | None = None) -> object:
    """Run ``action()`` as one unit of work (committed once; run again on a PostgreSQL
    deadlock or serialization failure, ``app.unit.run_unit``); on a DomainError it is rolled
    back and the command exits 2, on a file that cannot be used (OSError: a study key folder
    that cannot be written...) exit 1. ``names`` maps the ``field`` of a problem to the
    option or argument that gave the value: each problem is then one line naming it."""
    try:
        return run_unit(action)
    except DomainError as exc:
        problems = getattr(exc, "problems", None)
        if names and problems:
            fail_naming(problems, names)
        fail(exc.message, problems)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}; nothing was stored in the database", code=1)
    return None


def database_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Decorate a command (inside ``with_appcontext``) so that a database error is a message
    and an exit status, never a traceback: status 2 when the schema is missing (run
    ``init-db``), 1 when the database cannot be reached or refuses the command."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except SQLAlchemyError as exc:
            _database_failure(exc)
            raise  # not reached: _database_failure exits

    return wrapper


def _database_failure(exc: SQLAlchemyError) -> None:
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    where = url.render_as_string(hide_password=True)
    reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["unknown error"])[0]
    try:
        tables = set(inspect(db.engine).get_table_names())
    except SQLAlchemyError:
        fail(f"cannot use the database {where}: {reason}", code=1)
    missing = sorted(set(db.metadata.tables) - tables)
    if missing and len(missing) == len(db.metadata.tables):
        fail(f"the database {where} has no tables yet; run `flask --app app init-db` first")
    if missing:
        fail(
            f"the database {where} lacks the tables {', '.join(missing)}; run "
            "`flask --app app init-db` to upgrade it"
        )
    fail(f"the database {where} refused the command: {reason}", code=1)
