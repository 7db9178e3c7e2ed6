"""``flask --app app import-forecast FILE --profile PROFILE [--dry-run] [--crosswalk FILE]
[--as EMAIL]``: exit 0 with a summary, exit 2 with every problem located and nothing written
(DESIGN.md "Interfaces that stay stable", SECURITY.md R4, R7)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from app.forecasts.models import ForecastDataset, ForecastValue
from tests.app.factories import make_staff
from tests.conftest import shared_file

LONG_PROFILE = """\
format_version: 1
name: test-long
title: A long table for tests
description: One row per value.
provenance:
  publisher: Test Statistics Office
  title: Test projection 2024-2034
  licence: CC BY 4.0
  vintage: "2024-34"
  base_year: 2024
  horizon_year: 2034
  unit: thousand jobs
  kind: projection
file:
  type: csv
table:
  header:
    row: 1
  geography: US
  dimension: sector
  rows:
    label: label
    code: code
  long:
    indicator: indicator
    year: year
    value: value
"""

GOOD = (
    "code,label,indicator,year,value\n"
    '230000,Construction,employment,2024,"8,277.5"\n'
    "230000,Construction,employment,2034,8693.3\n"
    "236000,Construction of buildings,employment,2034,1900\n"
)
BAD = GOOD + "238000,Specialty trade contractors,employment,2034,lots\n"


@pytest.fixture
def files(tmp_path):
    profile = tmp_path / "test-long.yaml"
    profile.write_text(LONG_PROFILE, encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD, encoding="utf-8")
    return profile, good, bad


@pytest.fixture
def official(app):
    with app.app_context():
        email = make_staff(Role.official).email
        db.session.commit()
        return email


def _counts(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(ForecastDataset)),
            db.session.scalar(select(func.count()).select_from(ForecastValue)),
        )


def _import(runner, *args):
    return runner.invoke(args=["import-forecast", *map(str, args)])


def test_an_import_exits_0_with_a_summary(app, runner, files, official):
    profile, good, _bad = files
    result = _import(runner, good, "--profile", profile, "--as", official)
    assert result.exit_code == 0, result.output + result.stderr
    with app.app_context():
        dataset = db.session.scalars(select(ForecastDataset)).one()
        assert f"Imported dataset {dataset.id}: 3 values" in result.stdout
        assert dataset.profile == "test-long" and dataset.row_count == 3
        assert dataset.publisher == "Test Statistics Office"
        value = db.session.scalars(select(ForecastValue).where(ForecastValue.year == 2024)).one()
        assert value.sector_code == "230000" and value.value == 8277.5
    assert "employment: 3 (2024: 1, 2034: 2)" in result.stdout


def test_the_only_official_imports_without_naming_them(app, runner, files, official):
    profile, good, _bad = files
    result = _import(runner, good, "--profile", profile)
    assert result.exit_code == 0, result.stderr


def test_bad_input_exits_2_naming_row_and_column_and_writes_nothing(app, runner, files, official):
    profile, _good, bad = files
    result = _import(runner, bad, "--profile", profile, "--as", official)
    assert result.exit_code == 2
    assert "row 5, column `E (value)`: lots is not a number" in result.stderr
    assert "nothing was written" in result.stderr
    assert _counts(app) == (0, 0)


def test_a_dry_run_shows_the_preview_and_writes_nothing(app, runner, files, official):
    profile, good, _bad = files
    result = _import(runner, good, "--profile", profile, "--dry-run", "--as", official)
    assert result.exit_code == 0, result.stderr
    assert "Dry run: 3 values would be imported" in result.stdout
    assert "US 230000 Construction: employment 2024 = 8,277.5" in result.stdout
    assert "employment: 3 (2024: 1, 2034: 2)" in result.stdout
    assert _counts(app) == (0, 0)


def test_the_same_file_again_changes_nothing(app, runner, files, official):
    profile, good, _bad = files
    assert _import(runner, good, "--profile", profile, "--as", official).exit_code == 0
    again = _import(runner, good, "--profile", profile, "--as", official)
    assert again.exit_code == 0
    assert "was already imported as dataset" in again.stdout
    assert _counts(app) == (1, 3)


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ("no-such-profile", "no shipped profile of that name"),
        ("/nonexistent/profile.yaml", "not a readable file"),
    ],
)
def test_a_profile_that_cannot_be_used_exits_2(app, runner, files, official, profile, message):
    _profile, good, _bad = files
    result = _import(runner, good, "--profile", profile, "--as", official)
    assert result.exit_code == 2
    assert message in result.stderr
    assert _counts(app) == (0, 0)


def test_a_broken_profile_names_its_line_and_key(app, runner, files, official, tmp_path):
    _profile, good, _bad = files
    broken = tmp_path / "test-long.yaml"
    broken.write_text(LONG_PROFILE.replace("  unit: thousand jobs\n", "  unit: 7\n  colour: red\n"))
    result = _import(runner, good, "--profile", broken, "--as", official)
    assert result.exit_code == 2
    assert "test-long.yaml:" in result.stderr and "colour" in result.stderr


def test_only_an_official_imports(app, runner, files):
    profile, good, _bad = files
    with app.app_context():
        secretariat = make_staff(Role.secretariat).email
        db.session.commit()
    result = _import(runner, good, "--profile", profile, "--as", secretariat)
    assert result.exit_code == 2 and "not an official" in result.stderr
    result = _import(runner, good, "--profile", profile)
    assert result.exit_code == 2 and "create one with create-user" in result.stderr
    assert _counts(app) == (0, 0)


def test_a_missing_file_exits_2(runner, files):
    profile, *_ = files
    result = _import(runner, "/nonexistent.csv", "--profile", profile)
    assert result.exit_code == 2


def test_a_real_bls_table_with_its_shipped_profile(app, runner, official):
    path = shared_file(
        "forecasts", "us_bls_ep", "bls_ep_2023-33_table_2-11_employment_and_output_by_industry.csv"
    )
    result = _import(runner, path, "--profile", "bls-ep-2023-33-table-2-11-csv", "--as", official)
    assert result.exit_code == 0, result.stderr
    with app.app_context():
        dataset = db.session.scalars(select(ForecastDataset)).one()
        assert dataset.publisher.startswith("U.S. Bureau of Labor Statistics")
        assert dataset.base_year == 2023 and dataset.horizon_year == 2033
        stored = db.session.scalar(
            select(func.count())
            .select_from(ForecastValue)
            .where(ForecastValue.dataset_id == dataset.id)
        )
        assert stored == dataset.row_count > 1000
        total = db.session.scalars(
            select(ForecastValue.value).where(
                ForecastValue.dataset_id == dataset.id,
                ForecastValue.indicator == "employment",
                ForecastValue.year == 2023,
                ForecastValue.label.like("Total employment%"),
            )
        ).all()
        assert total == [pytest.approx(167_849.8)]


def test_one_workbook_gives_a_dataset_per_table_and_each_table_once(app, runner, official):
    """The BLS occupation workbook holds Tables 1.1 to 1.12: Table 1.2 and Table 1.10 are two
    datasets of one file; the same table again changes nothing."""
    path = shared_file("forecasts", "us_bls_ep", "bls_ep_2024-34_occupation.xlsx")
    first = _import(runner, path, "--profile", "bls-ep-2024-34-table-1-2-xlsx", "--as", official)
    assert first.exit_code == 0, first.stderr
    second = _import(runner, path, "--profile", "bls-ep-2024-34-table-1-10-xlsx", "--as", official)
    assert second.exit_code == 0, second.stderr
    again = _import(runner, path, "--profile", "bls-ep-2024-34-table-1-10-xlsx", "--as", official)
    assert again.exit_code == 0 and "was already imported as dataset" in again.stdout
    with app.app_context():
        profiles = sorted(db.session.scalars(select(ForecastDataset.profile)))
        assert profiles == ["bls-ep-2024-34-table-1-10-xlsx", "bls-ep-2024-34-table-1-2-xlsx"]


def test_a_file_for_another_profile_is_named_first_as_a_mismatch(app, runner, official):
    path = shared_file(
        "forecasts", "us_bls_ep", "bls_ep_2023-33_table_2-11_employment_and_output_by_industry.csv"
    )
    result = _import(
        runner, path, "--profile", "bls-ep-2024-34-table-1-2-csv", "--dry-run", "--as", official
    )
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert lines[0].startswith(
        "  - This file does not match the profile bls-ep-2024-34-table-1-2-csv: the profile "
        "expects the columns “2024 National Employment Matrix title”"
    )
    assert "the file's header (row 2) has “2023 National Employment Matrix title”" in lines[0]
    assert (
        "  - row 2: the header has no column “Employment, 2024” (the value column of the profile)"
        in lines
    )
    assert "`" not in result.stderr
