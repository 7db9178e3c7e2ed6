"""The shipped profiles read the real BLS Employment Projections files in ../shared."""

from __future__ import annotations

import math
from functools import cache

import pytest

from app.forecasts.profile import list_profiles, shipped_profile
from app.forecasts.table import Level, LongRow
from tests.conftest import shared_file
from tests.unit.forecasts.helpers import read

FOLDER = ("forecasts", "us_bls_ep")
CSV = {
    "bls-ep-2023-33-table-2-1": "bls_ep_2023-33_table_2-1_employment_by_major_industry_sector.csv",
    "bls-ep-2023-33-table-2-11": "bls_ep_2023-33_table_2-11_employment_and_output_by_industry.csv",
    "bls-ep-2024-34-table-1-2": "bls_ep_2024-34_table_1-2_occupational_projections.csv",
    "bls-ep-2024-34-table-1-10": "bls_ep_2024-34_table_1-10_separations_and_openings.csv",
}
XLSX = {
    "bls-ep-2023-33": "bls_ep_2023-33_industry.xlsx",
    "bls-ep-2024-34": "bls_ep_2024-34_occupation.xlsx",
}
#: (data rows, value columns) of each table.
SHAPE = {
    "bls-ep-2023-33-table-2-1": (23, 12),
    "bls-ep-2023-33-table-2-11": (425, 8),
    "bls-ep-2024-34-table-1-2": (1113, 12),
    "bls-ep-2024-34-table-1-10": (1113, 11),
}
NAMES = [f"{table}-{kind}" for table in SHAPE for kind in ("csv", "xlsx")]


def _file(name: str) -> str:
    table, kind = name.rsplit("-", 1)
    return CSV[table] if kind == "csv" else XLSX[table[: len("bls-ep-2023-33")]]


@cache
def _read(name: str) -> tuple[list[LongRow], list]:
    path = shared_file(*FOLDER, _file(name))
    return read(path.read_bytes(), shipped_profile(name), filename=path.name)


def _values(name: str) -> dict[tuple, LongRow]:
    rows, problems = _read(name)
    assert problems == []
    return {r.key: r for r in rows}


def test_the_eight_profiles_are_shipped():
    assert sorted(info.name for info in list_profiles()) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_each_profile_reads_its_file_without_problems(name):
    rows, problems = _read(name)
    assert problems == []
    data_rows, columns = SHAPE[name.rsplit("-", 1)[0]]
    assert len(rows) == data_rows * columns
    assert len({r.source_row for r in rows}) == data_rows
    assert {r.geography for r in rows} == {"US"}
    profile = shipped_profile(name)
    assert profile.provenance.publisher.startswith("U.S. Bureau of Labor Statistics")
    assert profile.provenance.source_url == "https://www.bls.gov/emp/tables.htm"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_table_2_11_total_employment(kind):
    values = _values(f"bls-ep-2023-33-table-2-11-{kind}")
    total = values[("US", "TE1000", None, None, "employment", 2023)]
    assert total.value == pytest.approx(167_849.8) and total.unit == "thousand jobs"
    assert total.label == "Total employment" and total.level is Level.aggregate
    output = values[("US", "TE1000", None, None, "output", 2033)]
    assert output.value == pytest.approx(46_879.3)
    assert output.unit == "billion chained 2017 US dollars" and output.notes == ("1", "2")
    crops = values[("US", "111000", None, None, "employment", 2033)]
    assert crops.value == pytest.approx(874.4) and crops.level is Level.detail
    # self-employed output is published as "–"; owner-occupied dwellings have output only
    assert values[("US", "TE1100", None, None, "output", 2023)].value is None
    dwellings = values[("US", "9999R1", None, None, "employment", 2023)]
    assert dwellings.value is None and dwellings.level is None
    assert values[("US", "9999R1", None, None, "output", 2023)].value == pytest.approx(1717.3)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_table_2_1_codes_and_hierarchy_by_indentation(kind):
    values = _values(f"bls-ep-2023-33-table-2-1-{kind}")
    total = values[("US", "TE1000", None, None, "employment", 2023)]
    assert total.value == pytest.approx(167_849.8) and total.level is Level.aggregate
    assert values[("US", "TE1000", None, None, "employment", 2013)].value == pytest.approx(
        147_671.6
    )
    manufacturing = values[("US", "31-33", None, None, "employment_change", 2033)]
    assert manufacturing.value == pytest.approx(110) and manufacturing.level is Level.detail
    goods = values[("US", "21, 23, 31-33", None, None, "employment", 2033)]
    assert goods.level is Level.aggregate
    assert values[("US", "SLGOV", None, None, "employment", 2033)].value == pytest.approx(20_097)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_table_1_10_openings_are_growth_plus_separations(kind):
    values = _values(f"bls-ep-2024-34-table-1-10-{kind}")
    codes = {k[2] for k, r in values.items() if r.level is Level.detail}
    assert len(codes) == 832
    for code in codes:
        change = values[("US", None, code, None, "employment_change", 2034)].value
        separations = values[("US", None, code, None, "separations", 2034)].value
        openings = values[("US", None, code, None, "openings", 2034)].value
        assert math.isclose(openings, change / 10 + separations, abs_tol=0.15), code
    electricians = {k[4]: r.value for k, r in values.items() if k[2] == "47-2111" and k[5] == 2034}
    assert electricians["employment_change"] / 10 == pytest.approx(7.74)
    assert electricians["separations"] == pytest.approx(73.2)
    assert electricians["openings"] == pytest.approx(81.0)
    assert electricians["separations_labour_force_exit"] + electricians[
        "separations_occupational_transfer"
    ] == pytest.approx(73.2, abs=0.15)


def test_table_1_2_categories_and_top_coded_wages():
    values = _values("bls-ep-2024-34-table-1-2-csv")
    education = values[("US", None, "47-2111", None, "entry_education", 2024)]
    assert education.category == "High school diploma or equivalent" and education.value is None
    training = values[("US", None, "47-2111", None, "on_the_job_training", 2024)]
    assert training.category == "Apprenticeship"
    assert values[("US", None, "00-0000", None, "entry_education", 2024)].category is None
    chief = values[("US", None, "11-1011", None, "median_wage", 2024)]
    assert chief.value == 206_420 and chief.unit == "US dollars per year" and chief.notes == ("1",)
    top_coded = [
        r for k, r in values.items() if k[4] == "median_wage" and r.value is None and r.level
    ]
    assert len(top_coded) >= 19


@pytest.mark.parametrize("table", ["bls-ep-2024-34-table-1-2", "bls-ep-2024-34-table-1-10"])
def test_csv_and_workbook_give_the_same_long_table(table):
    from_csv = _values(f"{table}-csv")
    from_xlsx = _values(f"{table}-xlsx")
    assert from_csv.keys() == from_xlsx.keys()
    for key, row in from_csv.items():
        other = from_xlsx[key]
        if row.value is None:
            assert other.value is None, key
        else:
            assert other.value == pytest.approx(row.value, rel=1e-12), key
        assert (row.category, row.label, row.level, row.unit) == (
            other.category,
            other.label,
            other.level,
            other.unit,
        ), key


def test_the_upload_child_process_previews_a_bls_workbook():
    from app.forecasts.parse import ForecastPreview
    from app.uploads.runner import run_parser

    path = shared_file(*FOLDER, XLSX["bls-ep-2024-34"])
    profile = shipped_profile("bls-ep-2024-34-table-1-10-xlsx")
    preview = run_parser(
        "forecast-table",
        path.read_bytes(),
        {"filename": path.name, "profile": profile.text, "crosswalk": None, "first": 5},
    )
    assert isinstance(preview, ForecastPreview) and preview.ok
    assert preview.profile == profile.name
    assert preview.summary.rows == 1113 * 11 and len(preview.summary.first) == 5
    assert preview.summary.counts["openings"] == {2034: 1113}
    assert preview.summary.first[0].label == "Total, all occupations"
