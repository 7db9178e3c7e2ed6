"""``flask --app app surveys ...``: check questionnaire files, print their schema."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.questionnaires.loader import QuestionnaireError, load_questionnaire, schema_text

surveys_cli = AppGroup("surveys", help="Questionnaire files (surveys/*.yaml).")


def _default_dir() -> Path:
    configured = current_app.config.get("SURVEYS_DIR")
    return Path(configured) if configured else Path(current_app.root_path).parent / "surveys"


def _expand(files: tuple[Path, ...]) -> list[Path]:
    paths: list[Path] = []
    for path in files:
        paths.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return paths


@surveys_cli.command("check")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def check_command(files: tuple[Path, ...]) -> None:
    """Check questionnaire FILES (default: every surveys/*.yaml).

    Prints file:line: key: message for every problem and exits 2 if there is any.
    """
    paths = _expand(files or (_default_dir(),))
    if not paths:
        where = ", ".join(str(f) for f in files) if files else str(_default_dir())
        click.echo(f"no questionnaire files (*.yaml) in {where}", err=True)
        raise SystemExit(2)
    failed = 0
    for path in paths:
        try:
            spec = load_questionnaire(path)
        except QuestionnaireError as exc:
            failed += 1
            for problem in exc.problems:
                click.echo(str(problem))
            continue
        click.echo(
            f"{path}: OK ({spec.key} version {spec.version}, {len(spec.items)} items, "
            f"{', '.join(spec.languages)})"
        )
    if failed:
        click.echo(f"{failed} of {len(paths)} files have problems", err=True)
        raise SystemExit(2)


@surveys_cli.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of questionnaire files."""
    click.echo(schema_text(), nl=False)
