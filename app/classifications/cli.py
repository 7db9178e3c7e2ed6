import click
from flask.cli import with_appcontext

from app.classifications.services import import_classification
from app.commands import commit_or_fail, database_errors

_LEVELS = {
    "nace-rev2": {1: "sections", 2: "divisions", 3: "groups", 4: "classes"},
    "isco-08": {1: "major", 2: "sub-major", 3: "minor", 4: "unit groups"},
}


@click.command("import-classification")
@click.argument("kind", type=click.Choice(["nace", "isco"]))
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
@database_errors
def import_classification_command(kind: str, file: str) -> None:
    """Load a classification FILE: nace (Eurostat RAMON CSV export) or isco (ESCO CSV).

    All records are imported or none; every problem is printed with its row and column.
    """
    summary = commit_or_fail(lambda: import_classification(kind, file))
    names = _LEVELS[summary.classification]
    levels = ", ".join(f"{n} {names.get(level, level)}" for level, n in summary.by_level.items())
    click.echo(
        f"Imported {summary.classification}: {summary.added} added, {summary.updated} updated "
        f"({levels})."
    )
