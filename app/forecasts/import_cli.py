"""``flask --app app import-forecast FILE --profile PROFILE [--dry-run] [--crosswalk FILE]
[--as EMAIL]``: import a published forecast table as one dataset, all of it or nothing."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.auth.models import Role, User
from app.commands import commit_or_fail, database_errors, fail
from app.extensions import db
from app.forecasts import services
from app.forecasts.profile import Profile, ProfileError, profile_from
from app.forecasts.progress import ImportProgress
from app.forecasts.table import LongRow
from app.formatting import count, number


def _profile(spec: str) -> Profile:
    """A shipped profile by name, or a profile file by path; exit 2 naming every problem."""
    try:
        return profile_from(spec)
    except ProfileError as exc:
        fail(f"--profile {spec}: the profile cannot be used", exc.problems)
    raise AssertionError  # not reached: fail exits


def _official(email: str | None) -> User:
    if email:
        user = db.session.scalars(select(User).where(User.email == email.strip().lower())).first()
        if user is None or not user.active:
            fail(f"--as: there is no active staff user {email}")
        if user.role is not Role.official:
            fail(f"--as: {email} is not an official; only officials import forecasts")
        return user
    officials = list(
        db.session.scalars(
            select(User).where(User.role == Role.official, User.active.is_(True)).limit(2)
        )
    )
    if len(officials) != 1:
        fail(
            "name the official who imports with --as EMAIL"
            + (" (there is no official yet: create one with create-user)" if not officials else "")
        )
    return officials[0]


def _row_text(row: LongRow) -> str:
    what = (
        row.category if row.category is not None else number(row.value, 2, trim=True, locale="en")
    )
    codes = " / ".join(c for c in (row.sector_code, row.occupation_code, row.qualification) if c)
    label = f" {row.label}" if row.label else ""
    return f"  {row.geography} {codes or '-'}{label}: {row.indicator} {row.year} = {what}"


def _counts_text(counts: dict[str, dict[int, int]]) -> list[str]:
    lines = []
    for indicator, years in counts.items():
        per_year = ", ".join(f"{year}: {count(n, locale='en')}" for year, n in years.items())
        total = count(sum(years.values()), locale="en")
        lines.append(f"  {indicator}: {total} ({per_year})")
    return lines


@click.command("import-forecast")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--profile", "profile_spec", required=True, help="A shipped profile's name or a YAML file."
)
@click.option("--dry-run", is_flag=True, help="Read and check the file; write nothing.")
@click.option(
    "--crosswalk",
    type=click.Path(exists=True, dir_okay=False),
    help="CSV mapping labels to codes, for profiles that identify rows by label.",
)
@click.option("--as", "as_email", metavar="EMAIL", help="The official who imports.")
@with_appcontext
@database_errors
def import_forecast_command(
    file: str, profile_spec: str, dry_run: bool, crosswalk: str | None, as_email: str | None
) -> None:
    """Import a forecast table FILE (CSV or XLSX, as published) read with PROFILE.

    Every problem is printed with its row and column, and nothing is written (exit 2). The
    same file imported before changes nothing. --dry-run shows what would be imported."""
    profile = _profile(profile_spec)
    try:
        data = Path(file).read_bytes()
        walk = Path(crosswalk).read_bytes() if crosswalk else None
    except OSError as exc:
        fail(f"{exc.filename}: {exc.strerror or exc}", code=1)
    user = _official(as_email)
    progress = ImportProgress(say=lambda line: click.echo(line, err=True))
    report = commit_or_fail(
        lambda: services.import_dataset(
            data,
            Path(file).name,
            profile,
            by=user,
            crosswalk=walk,
            dry_run=dry_run,
            progress=progress,
        )
    )
    if report.already_imported:
        click.echo(
            f"{Path(file).name} was already imported as dataset {report.dataset_id}; "
            "nothing changed."
        )
        return
    if dry_run:
        click.echo(
            f"Dry run: {count(report.rows, locale='en')} values would be imported from "
            f"{Path(file).name} with the profile {profile.name}; nothing was written."
        )
        click.echo("First values:")
        for row in report.first:
            click.echo(_row_text(row))
    else:
        click.echo(
            f"Imported dataset {report.dataset_id}: {count(report.rows, locale='en')} values "
            f"from {Path(file).name} ({report.provenance.title}, {report.provenance.vintage})."
        )
    click.echo("Values per indicator (per year):")
    for line in _counts_text(report.counts):
        click.echo(line)
