import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.auth import mfa
from app.auth.models import Role
from app.auth.services import create_user, find_user
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


@click.command("reset-second-factor")
@click.argument("email")
@with_appcontext
@database_errors
def reset_second_factor_command(email: str) -> None:
    """Remove the two-factor sign-in of the staff account EMAIL (a lost phone and lost
    recovery codes) and end its sessions; it is set up again at the next sign-in."""
    user = find_user(email)
    if user is None:
        fail(f"EMAIL: no staff account has the address {email!r}")
    had = commit_or_fail(lambda: mfa.reset(user, by="cli"))
    if had:
        click.echo(f"Reset the two-factor sign-in of {user.email}; their sessions have ended.")
    else:
        click.echo(f"{user.email} had no two-factor sign-in; their sessions have ended.")
