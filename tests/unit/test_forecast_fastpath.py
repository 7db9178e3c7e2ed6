"""The vectorised reader (``app.forecasts.fastpath``) gives exactly what ``read_table`` gives,
or declines: for generated long tables with every feature a profile supports, and for the
shipped BLS profiles with their files."""

from __future__ import annotations

import pytest

from app.forecasts.fastpath import Declined, read_columns
from app.forecasts.parse import read_table
from app.forecasts.profile import list_profiles, load_profile_text, shipped_profile
from app.problems import Problem
from tests.conftest import shared_file

HEAD = """\
format_version: 1
name: test-fast
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
"""


def _profile(file: str = "  type: csv\n", table: str = "", rows: str = "", long: str = ""):
    text = (
        HEAD
        + "file:\n"
        + file
        + "table:\n  header:\n    row: 1\n  geography: US\n  dimension: sector\n"
        + table
        + "  rows:\n    label: label\n    code: code\n"
        + rows
        + "  long:\n    indicator: indicator\n    year: year\n    value: value\n"
        + long
    )
    return load_profile_text(text, source="test-fast.yaml")


def _long_csv(rows: int, value=None, code=None, sep=",", indicators=("employment", "openings")):
    lines = [sep.join(("code", "label", "indicator", "year", "value"))]
    n = 0
    sector = 0
    while n < rows:
        c = code(sector) if code else f"{100000 + sector:06d}"
        for indicator in indicators:
            for year in (2024, 2029, 2034):
                v = value(n) if value else f"{(n % 997) * 1.25:.2f}"
                lines.append(sep.join((c, f"Industry {sector}", indicator, str(year), v)))
                n += 1
        sector += 1
    return ("\n".join(lines) + "\n").encode("utf-8")


def _fast(data, profile, chunk_rows=50):
    return [
        r for chunk in read_columns(data, profile, chunk_rows=chunk_rows) for r in chunk.long_rows()
    ]


def _same(data, profile, chunk_rows=50):
    """The fast path's values equal read_table's (which must find no problem)."""
    slow = list(read_table(data, "t.csv", profile))
    assert not [p for p in slow if isinstance(p, Problem)]
    fast = _fast(data, profile, chunk_rows)
    assert fast == slow
    return fast


def test_a_plain_long_table_read_in_chunks_is_read_exactly():
    rows = _same(_long_csv(1000), _profile(), chunk_rows=97)
    assert len(rows) == 1002
    assert rows[0].sector_code == "100000" and rows[0].value == 0.0 and rows[0].source_row == 2
    assert rows[-1].source_row == 1003


def test_missing_markers_thousands_separators_and_signs():
    values = ["..", "-", "n/a", '"1,234.5"', "-12", "+3.25", " 7 ", "1234", ""]
    rows = _same(_long_csv(300, value=lambda n: values[n % len(values)]), _profile())
    assert {r.value for r in rows} >= {None, 1234.5, -12.0, 3.25, 7.0, 1234.0}
    assert len(rows) < 300  # the empty cells are no values


def test_a_decimal_comma_and_semicolons():
    profile = _profile(
        file='  type: csv\n  delimiter: ";"\n', table='  decimal: ","\n  thousands: "."\n'
    )
    values = ["1.234,5", "12,25", "7", "..", "-0,5"]
    rows = _same(_long_csv(200, value=lambda n: values[n % 5], sep=";"), profile)
    assert {r.value for r in rows} == {1234.5, 12.25, 7.0, None, -0.5}


def test_codes_with_leading_zeros_stay_texts():
    rows = _same(_long_csv(120, code=lambda s: f"{s:05d}"), _profile())
    assert rows[0].sector_code == "00000"


def test_footnotes_flags_and_spaces_in_labels_and_values():
    profile = _profile(table="  flags: {p: provisional, e: estimated}\n")
    values = ["12.5 p", "3e", "4 [2]", "5", "6(a)"]
    data = _long_csv(150, value=lambda n: values[n % 5])
    data = data.replace(b"Industry 3,", b"Industry  3 [1],").replace(
        b"Industry 4,", b" Industry 4*,"
    )
    rows = _same(data, profile)
    assert any(r.flags for r in rows) and any(r.notes for r in rows)
    assert any(r.label == "Industry 3" and r.notes == ("1",) for r in rows)


def test_categorical_indicators_units_and_scales_of_a_listed_indicator():
    profile = _profile(
        long=(
            "    indicators:\n"
            "      employment: {indicator: employment, scale: thousands, unit: persons}\n"
            "      outlook:\n"
            "        indicator: outlook\n"
            "        type: category\n"
            "        categories: [shortage, balance, surplus]\n"
        )
    )
    categories = ["shortage", "Balance", "..", "surplus"]

    def value(n: int) -> str:
        return categories[n % 4] if (n // 3) % 2 else f"{n * 0.1:.1f}"

    rows = _same(_long_csv(240, value=value, indicators=("employment", "outlook")), profile)
    assert {r.category for r in rows} == {"shortage", "balance", "surplus", None}
    employment = [r for r in rows if r.indicator == "employment"]
    assert employment[1].value == pytest.approx(100.0) and employment[1].unit == "persons"
    assert all(r.unit is None for r in rows if r.indicator == "outlook")


def test_blank_lines_title_rows_and_crlf():
    data = _long_csv(60).replace(b"\n", b"\r\n")
    lines = data.split(b"\r\n")
    lines.insert(10, b"")
    lines.insert(20, b",,,,")
    data = b"A title row\r\n\r\n" + b"\r\n".join(lines)
    text = (
        HEAD
        + "file:\n  type: csv\ntable:\n  header:\n    row: 3\n  geography: US\n"
        + "  dimension: sector\n  rows:\n    label: label\n    code: code\n"
        + "    level: {by: code, aggregate: '0$', detail: '[1-9]$'}\n"
        + "  long:\n    indicator: indicator\n    year: year\n    value: value\n"
    )
    rows = _same(data, load_profile_text(text, source="t.yaml"))
    assert rows[0].source_row == 4
    assert {r.level.value for r in rows} == {"aggregate", "detail"}


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda d: d.replace(b"Industry 7,employment,2029,", b"x,employment,2029,lots")
        ),
        pytest.param(lambda d: d + d.split(b"\n", 2)[1] + b"\n", id="a duplicate key"),
        pytest.param(lambda d: d.replace(b",2029,", b",20x9,", 1), id="not a year"),
        pytest.param(lambda d: d.replace(b"indicator", b"measure", 1), id="a missing column"),
        pytest.param(lambda d: d.replace(b"Industry 5,", b'"Industry\n5",', 1), id="a line break"),
        pytest.param(lambda d: d.replace(b"Industry 5,", b'Indus"try 5,', 1), id="a stray quote"),
        pytest.param(lambda d: d + b"100001,x,employment,2024,1,extra\n", id="a longer row"),
        pytest.param(lambda d: d.replace(b"100003", b"", 3), id="no code"),
    ],
)
def test_a_file_with_a_problem_is_declined_and_read_row_by_row(change):
    profile = _profile()
    data = change(_long_csv(300))
    with pytest.raises(Declined):
        _fast(data, profile)
    assert list(read_table(data, "t.csv", profile))  # the row-by-row reader reads it


def test_a_workbook_profile_is_declined():
    with pytest.raises(Declined):
        list(read_columns(b"PK\x03\x04", _profile(file="  type: xlsx\n")))


BLS_FILES = {
    "bls-ep-2023-33-table-2-1-csv": (
        "bls_ep_2023-33_table_2-1_employment_by_major_industry_sector.csv"
    ),
    "bls-ep-2023-33-table-2-11-csv": (
        "bls_ep_2023-33_table_2-11_employment_and_output_by_industry.csv"
    ),
    "bls-ep-2024-34-table-1-10-csv": "bls_ep_2024-34_table_1-10_separations_and_openings.csv",
    "bls-ep-2024-34-table-1-2-csv": "bls_ep_2024-34_table_1-2_occupational_projections.csv",
}


#: Shipped profiles the vectorised reader does not read (levels by indent).
READ_ROW_BY_ROW = {"bls-ep-2023-33-table-2-1-csv"}


@pytest.mark.parametrize("name", sorted(BLS_FILES))
def test_the_shipped_bls_profiles_read_the_same_or_decline(name):
    data = shared_file("forecasts", "us_bls_ep", BLS_FILES[name]).read_bytes()
    profile = shipped_profile(name)
    slow = list(read_table(data, BLS_FILES[name], profile))
    if name in READ_ROW_BY_ROW:
        with pytest.raises(Declined):
            _fast(data, profile, chunk_rows=100)
        return
    fast = _fast(data, profile, chunk_rows=100)
    assert len(fast) > 1000
    assert fast == slow


def test_every_shipped_csv_profile_is_checked_here():
    csv_profiles = {p.name for p in list_profiles() if p.file_type == "csv"}
    assert csv_profiles == set(BLS_FILES)


WIDE = (
    HEAD
    + """file:
  type: csv
table:
  header:
    row: 1
  geography: US
  dimension: occupation
  flags: {p: provisional}
  rows:
    label: Title
    code: Code
    label_codes: {"Total, all occupations": "00-0000"}
    level: {by: column, column: Type, aggregate: [Summary], detail: [Line item]}
  values:
    - header: "Employment, 2024"
      indicator: employment
      year: 2024
    - match: "^Employment, (?P<year>\\\\d{4})$"
      indicator: employment
    - header: "Median wage"
      indicator: median_wage
      year: 2024
      unit: US dollars
      scale: 1000
      missing: [">=$239,200"]
    - header: "Education"
      indicator: entry_education
      year: 2024
      type: category
      categories: ["Bachelor's degree", "None"]
"""
)


def _wide_csv(rows: int) -> bytes:
    lines = [
        'Code,Title,Type,"Employment, 2024","Employment, 2034 [1]",Median wage,Education,Notes'
    ]
    lines.append(',"Total, all occupations",Summary,"167,849.8",175000,..,,')
    wages = ["52.5", '">=$239,200"', "", "–", "61.25 p"]
    educations = ["Bachelor's degree", "none", "", "–"]
    for i in range(rows):
        lines.append(
            f"{11 + i // 100:02d}-{i % 10000:04d},Occupation {i},Line item,"
            f"{i * 0.5:.1f},{i * 0.75:.2f},{wages[i % 5]},{educations[i % 4]},"
            + ("see note" if i % 7 == 0 else "")
        )
    lines.append(",,,,,,,Footnote row in a column the profile does not read")
    lines.append(",–,,,,,,")
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_a_wide_table_is_read_exactly():
    profile = load_profile_text(WIDE, source="wide.yaml")
    rows = _same(_wide_csv(400), profile, chunk_rows=77)
    assert rows[0].occupation_code == "00-0000" and rows[0].value == 167849.8
    assert rows[1].notes == ("1",) and rows[1].year == 2034
    assert {r.category for r in rows} == {"Bachelor's degree", "None", None}
    wages = {r.value for r in rows if r.indicator == "median_wage"}
    assert {52500.0, 61250.0, None} <= wages
    assert any(r.flags for r in rows)


def test_a_wide_table_with_a_bad_number_is_declined():
    profile = load_profile_text(WIDE, source="wide.yaml")
    data = _wide_csv(50).replace(b",52.5,", b",lots,", 1)
    with pytest.raises(Declined):
        _fast(data, profile)


def test_without_a_dimension_two_rows_of_one_indicator_and_year_are_a_duplicate():
    text = (
        HEAD
        + "file:\n  type: csv\ntable:\n  header:\n    row: 1\n  geography: US\n"
        + "  sector_code: TOTAL\n  rows:\n    label: label\n"
        + "  long:\n    indicator: indicator\n    year: year\n    value: value\n"
    )
    profile = load_profile_text(text, source="t.yaml")
    data = b"code,label,indicator,year,value\n1,A,employment,2024,1\n2,B,employment,2024,2\n"
    assert any(isinstance(p, Problem) for p in read_table(data, "t.csv", profile))
    with pytest.raises(Declined):
        _fast(data, profile)


def test_the_table_ends_at_a_row_matching_an_end_pattern():
    profile = _profile(table='  end: "^(Source|Footnotes):"\n')
    data = _long_csv(200) + b"Source: a statistics office, 2025\n" + b"anything,at all\n"
    rows = _same(data, profile, chunk_rows=64)
    assert len(rows) == 204
