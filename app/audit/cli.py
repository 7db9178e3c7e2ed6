import sys

import click
from flask.cli import AppGroup

from app.audit.services import verify_chain
from app.commands import database_errors

audit_cli = AppGroup("audit", help="Inspect the audit log.")


@audit_cli.command("verify")
@database_errors
def verify_command() -> None:
    """Check the audit log's hash chain; exit 1 at the first edited or missing event."""
    report = verify_chain()
    if report.ok:
        click.echo(f"Audit chain intact: {report.checked} events checked.")
        return
    click.secho(
        f"Audit chain broken at event {report.broken_at}: {report.reason}", fg="red", err=True
    )
    sys.exit(1)
