"""Malformed tables give located problems, never an exception; the preview for uploads."""

from __future__ import annotations

import io
import zipfile

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.forecasts.parse import ForecastPreview, preview_forecast_table, read_table, summarise
from app.forecasts.table import LongRow
from app.problems import Problem
from app.uploads.registry import parser_spec, resolve
from tests.unit.forecasts.helpers import csv_bytes, make_profile, profile_text, read, xlsx_bytes

TABLE = """
header: {row: 1}
geography: XX
dimension: occupation
rows: {label: Occupation, code: Code}
values:
  - {header: "Employment 2024", indicator: employment, year: 2024}
  - {header: "Employment 2034", indicator: employment, year: 2034}
  - header: Outlook
    indicator: outlook
    year: 2034
    type: category
    categories: [shortage, balance, surplus]
"""
HEADER = ["Occupation", "Code", "Employment 2024", "Employment 2034", "Outlook"]
CSV = make_profile(TABLE)
XLSX = make_profile(TABLE, file="type: xlsx")


def test_wrong_header_names_the_missing_column_and_reads_nothing():
    data = csv_bytes(
        [
            ["Occupation", "Code", "Employment, 2024", "Employment 2034", "Outlook"],
            ["a", "1", "2", "3", ""],
        ]
    )
    rows, problems = read(data, CSV)
    assert rows == []
    assert len(problems) == 2
    mismatch, problem = problems
    assert str(mismatch).startswith(
        "This file does not match the profile test-profile: the profile expects the columns "
        "“Occupation”, “Code”, “Employment 2024”"
    )
    assert "the file's header (row 1) has “Occupation”, “Code”, “Employment, 2024”" in str(mismatch)
    assert problem.row == 1 and problem.column is None and problem.field == "Employment 2024"
    assert str(problem) == (
        "row 1: the header has no column “Employment 2024” (the value column of the profile)"
    )


def test_text_in_a_number_column_is_located_by_row_and_column():
    data = csv_bytes([HEADER, ["Nurses", "2221", "12", "many", "balance"]])
    rows, problems = read(data, CSV)
    assert len(rows) == 2
    (problem,) = problems
    assert (problem.row, problem.column, problem.field) == (
        2,
        "D (Employment 2034)",
        "Employment 2034",
    )
    assert str(problem) == "row 2, column `D (Employment 2034)`: many is not a number"
    assert problem.params == {"text": "many"}


def test_unknown_category():
    rows, problems = read(csv_bytes([HEADER, ["Nurses", "2221", "1", "2", "great"]]), CSV)
    assert problems[0].row == 2 and problems[0].column == "E (Outlook)"
    assert "great is not one of the categories (shortage, balance, surplus)" in str(problems[0])


def test_duplicate_key_names_the_first_row():
    data = csv_bytes(
        [HEADER, ["Nurses", "2221", "1", "2", ""], ["Nurses again", "2221", "1", "2", ""]]
    )
    rows, problems = read(data, CSV)
    assert len(rows) == 2  # the empty outlook cells are no values
    assert [p.row for p in problems] == [3, 3]
    assert "appears twice (first on row 2)" in str(problems[0])
    assert "employment 2024 of 2221" in str(problems[0])


def test_empty_file_and_header_only():
    assert [str(p) for p in read(b"", CSV)[1]] == ["the file is empty"]
    rows, problems = read(csv_bytes([HEADER]), CSV)
    assert rows == [] and "a header but no data rows" in str(problems[0])


def test_wrong_encoding_names_the_line():
    data = csv_bytes([HEADER]) + "Infirmières,2221,1,2,\r\n".encode("latin-1")
    rows, problems = read(data, CSV)
    assert rows == []
    assert "not utf-8 text (byte 0xe8 on line 2)" in str(problems[-1])


def test_a_workbook_given_to_a_csv_profile_and_csv_to_a_workbook_profile():
    workbook = xlsx_bytes([HEADER])
    assert "reads CSV files" in str(read(workbook, CSV)[1][0])
    assert "not an .xlsx workbook" in str(read(csv_bytes([HEADER]), XLSX)[1][0])


def test_truncated_workbook():
    data = xlsx_bytes([HEADER, ["Nurses", "2221", 1, 2, "balance"]] * 50)
    rows, problems = read(data[: len(data) // 2], XLSX, filename="cut.xlsx")
    assert rows == [] and len(problems) == 1
    assert "not a readable .xlsx workbook" in str(problems[0])


def test_a_formula_cell_is_refused_never_calculated():
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.append(HEADER)
    ws.append(["Nurses", "2221", 10, "=C2*1.1", "balance"])
    out = io.BytesIO()
    workbook.save(out)
    rows, problems = read(out.getvalue(), XLSX, filename="f.xlsx")
    # the formula's cell gives no value, only the problem
    assert [(r.indicator, r.year) for r in rows] == [("employment", 2024), ("outlook", 2034)]
    (problem,) = problems
    assert problem.row == 2 and problem.column == "D (Employment 2034)"
    assert "formula (=C2*1.1)" in str(problem)


def test_a_zip_that_is_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    rows, problems = read(out.getvalue(), XLSX, filename="z.xlsx")
    assert rows == [] and "not an .xlsx workbook" in str(problems[0])


def test_summary_counts_and_caps_the_problems():
    good = [["Nurses", f"{i:04d}", "1", "2", "balance"] for i in range(30)]
    bad = [["Bad", f"B{i}", "abc", "y", "z"] for i in range(100)]
    summary, problems = summarise(
        csv_bytes([HEADER, *good, *bad]), "t.csv", CSV, first=5, max_problems=50
    )
    assert summary.rows == 90 and len(summary.first) == 5
    assert summary.counts == {"employment": {2024: 30, 2034: 30}, "outlook": {2034: 30}}
    assert len(problems) == 51 and str(problems[-1]) == "... and 250 more problems"


def test_preview_for_the_upload_child_round_trips_through_json():
    spec = parser_spec("forecast-table")
    function, result = resolve(spec.function), resolve(spec.result)
    assert function is preview_forecast_table and result is ForecastPreview
    data = csv_bytes([HEADER, ["Nurses", "2221", "1", "abc", "balance"]])
    preview = function(data=data, filename="t.csv", profile=profile_text(TABLE), crosswalk=None)
    assert preview.profile == "test-profile" and not preview.ok
    back = ForecastPreview.from_json(preview.to_json())
    assert back == preview
    assert back.summary.first[0].occupation_code == "2221"
    assert back.problems[0].row == 2 and back.problems[0].params == {"text": "abc"}


def test_preview_of_a_broken_profile_lists_its_problems():
    preview = preview_forecast_table(b"a,b\n", "t.csv", "format_version: 1\nname: x\n")
    assert preview.summary.rows == 0 and preview.problems
    assert all(p.file == "<profile>" and p.line for p in preview.problems)
    assert ForecastPreview.from_json(preview.to_json()) == preview


def _only_rows_and_problems(data: bytes, profile) -> None:
    for item in read_table(data, "x", profile):
        assert isinstance(item, LongRow | Problem)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_give_only_problems_or_rows(data):
    _only_rows_and_problems(data, CSV)
    _only_rows_and_problems(data, XLSX)
    _only_rows_and_problems(b"PK\x03\x04" + data, XLSX)


cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["–", "N/A", "1,234.5", "12", "-3", "balance", "Shortage", "=A1", "[1]", "2221"]
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cells, max_size=7), max_size=12), st.booleans())
def test_random_csv_text_gives_only_problems_or_rows(rows, with_header):
    text = "\n".join(",".join(r) for r in ([HEADER] if with_header else []) + rows)
    _only_rows_and_problems(text.encode("utf-8", errors="surrogatepass"), CSV)
