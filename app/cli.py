"""Command-line interface: ``flask --app app <command>``."""

from __future__ import annotations

from pathlib import Path

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


def register_cli(app: Flask) -> None:
    from app.audit.cli import audit_cli
    from app.auth.cli import create_user_command, reset_second_factor_command
    from app.backups.cli import backup_command, restore_command
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
        restore_command,
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
