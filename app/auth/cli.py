import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.auth.models import Role
from app.auth.services import create_user
from app.commands import commit_or_fail, database_errors, fail
from app.councils.models import Council
from app.extensions import db


@click.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="What the user may do.",
)
@click.option("--name", default="", help="Display name.")
@click.option("--council", "councils", multiple=True, help="Council name (secretariat scope).")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted when not given (at least 12 characters).",
)
@with_appcontext
@database_errors
def create_user_command(
    email: str, role: str, name: str, councils: tuple[str, ...], password: str
) -> None:
    """Create a staff account with EMAIL and --role."""
    found = []
    for council_name in councils:
        council = db.session.scalars(select(Council).where(Council.name == council_name)).first()
        if council is None:
            fail(f"--council: no council is named {council_name!r}")
        found.append(council)
    user = commit_or_fail(
        lambda: create_user(email, role, password, name=name, councils=found, by="cli")
    )
    click.echo(f"Created {user.role.value} {user.email}")
