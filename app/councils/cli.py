"""``flask --app app councils ...``: councils and their secretariats from the command line."""

import click
from flask.cli import with_appcontext

from app.commands import commit_or_fail, database_errors, fail
from app.councils.services import (
    add_member,
    create_council,
    find_council,
    list_councils,
    remove_member,
    secretariat_of,
)

#: The option or argument that gives each field of the services.
ADD_NAMES = {
    "name": "NAME",
    "sector": "--sector",
    "geography": "--geography",
    "description": "--description",
}
MEMBER_NAMES = {"email": "EMAIL"}


@click.group("councils")
def councils_cli() -> None:
    """Sector skills councils and their secretariats."""


@councils_cli.command("add")
@click.argument("name")
@click.option(
    "--sector",
    "sector_code",
    required=True,
    metavar="CODE",
    help="NACE Rev. 2 section or division, e.g. F or 41.",
)
@click.option(
    "--geography",
    required=True,
    metavar="GEO",
    help="ISO 3166 country code (DE), EU, or NUTS region code (DE1, FR10, ITC4).",
)
@click.option("--description", default="", help="What the council is and who sits on it.")
@with_appcontext
@database_errors
def add_command(name: str, sector_code: str, geography: str, description: str) -> None:
    """Create the council NAME for one sector in one geography."""

    def create() -> str:
        council = create_council(
            name, sector_code=sector_code, geography=geography, description=description, by="cli"
        )
        return f"Created council {council.name} ({council.sector.code}, {council.geography})"

    click.echo(commit_or_fail(create, names=ADD_NAMES))


@councils_cli.command("list")
@with_appcontext
@database_errors
def list_command() -> None:
    """List the councils: name, sector, geography and number of secretariat users."""
    rows = [
        (
            c.name,
            f"{c.sector.code} {c.sector.label_for('en')}",
            c.geography,
            str(len(secretariat_of(c))),
        )
        for c in list_councils()
    ]
    if not rows:
        click.echo(
            "No councils yet; add one with "
            "`flask --app app councils add NAME --sector CODE --geography GEO`."
        )
        return
    header = ("NAME", "SECTOR", "GEOGRAPHY", "SECRETARIAT")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        click.echo("  ".join([*(row[i].ljust(widths[i]) for i in range(3)), row[3]]))


def _council(name: str):
    council = find_council(name)
    if council is None:
        fail(f"NAME: no council is named {name!r}; `flask --app app councils list` shows them")
    return council


@councils_cli.command("add-user")
@click.argument("name")
@click.argument("email")
@with_appcontext
@database_errors
def add_user_command(name: str, email: str) -> None:
    """Add the secretariat user EMAIL to the secretariat of council NAME."""

    def add() -> str:
        council = _council(name)
        added = add_member(council, email, by="cli")
        verb = "now works" if added else "works already"
        return f"{email.strip().lower()} {verb} for {council.name}"

    click.echo(commit_or_fail(add, names=MEMBER_NAMES))


@councils_cli.command("remove-user")
@click.argument("name")
@click.argument("email")
@with_appcontext
@database_errors
def remove_user_command(name: str, email: str) -> None:
    """Remove the user EMAIL from the secretariat of council NAME."""

    def remove() -> str:
        council = _council(name)
        remove_member(council, email, by="cli")
        return f"{email.strip().lower()} no longer works for {council.name}"

    click.echo(commit_or_fail(remove, names=MEMBER_NAMES))
