import click
from flask.cli import with_appcontext

from app.commands import commit_or_fail, database_errors
from app.demo.seed import seed_demo


@click.command("seed-demo")
@with_appcontext
@database_errors
def seed_demo_command() -> None:
    """Create the labelled demonstration data (councils, staff, questionnaires...)."""
    summary = commit_or_fail(seed_demo)
    for name in summary.created:
        click.echo(f"created  {name}")
    for name in summary.skipped:
        click.echo(f"exists   {name}")
    click.echo("\nDemo staff sign-ins (demonstration only; change or remove in real use):")
    for email, role, _name, password in summary.users:
        click.echo(f"  {role.value:<12} {email:<36} password: {password}")
    for name, lang, link in summary.links:
        click.echo(f"\nTry answering as {name} ({lang}), an invented panellist:\n  {link}")
