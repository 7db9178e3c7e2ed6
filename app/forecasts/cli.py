"""``flask --app app forecasts ...``: check import profiles, print their schema, list the
shipped ones."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.forecasts.profile import ProfileError, list_profiles, profile_from, schema_text

forecasts_cli = AppGroup("forecasts", help="Forecast import profiles.")


@forecasts_cli.command("check")
@click.argument("profiles", nargs=-1, required=True)
def check_command(profiles: tuple[str, ...]) -> None:
    """Check import PROFILES (a file, or the name of a shipped profile).

    Prints file:line: key: message for every problem and exits 2 if there is any.
    """
    failed = 0
    for spec in profiles:
        try:
            profile = profile_from(spec)
        except ProfileError as exc:
            failed += 1
            for problem in exc.problems:
                click.echo(str(problem))
            continue
        layout = profile.layout
        values = sum(len(b.values) for b in layout.blocks)
        shape = (
            "long layout"
            if all(b.long is not None for b in layout.blocks)
            else f"{values} value column{'s' if values != 1 else ''}"
        )
        click.echo(
            f"{spec}: OK ({profile.name}, {profile.file.type}, {len(layout.blocks)} "
            f"block{'s' if len(layout.blocks) != 1 else ''}, {shape})"
        )
    if failed:
        click.echo(f"{failed} of {len(profiles)} profiles have problems", err=True)
        raise SystemExit(2)


@forecasts_cli.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of import profiles."""
    click.echo(schema_text(), nl=False)


@forecasts_cli.command("profiles")
def profiles_command() -> None:
    """List the shipped import profiles: name, file type and title."""
    for info in list_profiles():
        click.echo(f"{info.name}\t{info.file_type}\t{info.title}")
