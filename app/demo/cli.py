import click
from flask import current_app
from flask.cli import with_appcontext

from app.briefs.rendering import render_version
from app.commands import commit_or_fail, database_errors, fail
from app.demo.seed import seed_demo


@click.command("seed-demo")
@with_appcontext
@database_errors
def seed_demo_command() -> None:
    """Create the labelled demonstration data (councils, staff, questionnaires...).

    Refused in production: the demonstration accounts' passwords are published in the
    README, so they must never exist on a real installation."""
    if current_app.config["ENVIRONMENT"] == "production":
        fail(
            "seed-demo is refused in production: its staff accounts have passwords published "
            'in the README. For a trial installation set ENVIRONMENT = "development" in '
            "instance/config.py (make run does); for a real one create the accounts with "
            "create-user"
        )
    summary = commit_or_fail(seed_demo)
    # The published briefs' files, now that they are stored: in the default language, so that
    # setting up stays quick; the server renders the other languages in the background when
    # a reader first asks for one (or staff press "make the files in the missing languages").
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    for version_id in summary.render:
        render_version(version_id, languages=[default])
    for name in summary.created:
        click.echo(f"created  {name}")
    for name in summary.skipped:
        click.echo(f"exists   {name}")
    click.echo("\nDemo staff sign-ins (demonstration only; change or remove in real use):")
    for email, role, _name, password in summary.users:
        click.echo(f"  {role.value:<12} {email:<36} password: {password}")
    for name, lang, link in summary.links:
        click.echo(f"\nTry answering as {name} ({lang}), an invented panellist:\n  {link}")
