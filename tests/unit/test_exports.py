"""The shared spreadsheet writers (SECURITY.md 2.5, S11): text that could be read as a formula
gets a leading apostrophe in CSV and XLSX alike (text == "'" + t exactly when risky), always in
a string cell; never a formula."""

import io
import math
import zipfile
from datetime import UTC, date, datetime

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.exports import NUMBER_FORMATS, XlsxBook, csv_bytes, formula_like, safe_cell

#: Printable text with tabs and line breaks (XML cannot hold other control characters; the
#: workbook escapes them, and Excel reads the escapes back).
TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff") | st.just("\n")
)
RISKY = st.tuples(
    st.text(" ", max_size=3), st.sampled_from(["", "=", "+", "-", "@", "\t", "{="]), TEXT
).map("".join)


def _reread(book: XlsxBook):
    data = book.bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode(), name
    return openpyxl.load_workbook(io.BytesIO(data)).active


@settings(max_examples=60, deadline=None)
@given(st.lists(RISKY, min_size=1, max_size=8))
def test_xlsx_text_round_trips_exactly_and_is_never_a_formula(texts):
    book = XlsxBook()
    sheet = book.sheet("S")
    for row, text in enumerate(texts):
        book.write(sheet, row, 0, text, "text")
    ws = _reread(book)
    for row, text in enumerate(texts, start=1):
        cell = ws.cell(row, 1)
        if not text:
            assert cell.value in (None, "")
            continue
        assert cell.value == ("'" + text if formula_like(text) else text)
        assert cell.data_type == "s"


@settings(max_examples=40, deadline=None)
@given(RISKY)
def test_csv_text_gets_the_apostrophe_exactly_when_risky(text):
    line = csv_bytes(["h"], [[text]]).decode("utf-8-sig")
    import csv

    value = next(csv.reader(io.StringIO(line[line.index("\r\n") + 2 :], newline="")), [""])[0]
    stripped = text.lstrip(" ")
    assert value == ("'" + text if stripped and stripped[0] in "=+-@\t" else text)
    assert safe_cell(text) == value


@pytest.mark.parametrize(
    ("value", "kind", "number_format"),
    [
        (2.6666666666666665, "decimal", "#,##0.00"),
        (-3.5, "decimal", "#,##0.00"),
        (0.6666666666666666, "share", "0%"),
        (29, "count", "#,##0"),
        (0.0004, "p", "0.000"),
        (10.5, "points", "General"),
        (7, None, "General"),
    ],
)
def test_xlsx_numbers_stay_exact_numbers_with_a_display_format(value, kind, number_format):
    book = XlsxBook()
    book.write(book.sheet("S"), 0, 0, value, kind)
    cell = _reread(book)["A1"]
    assert cell.data_type == "n" and cell.value == value
    assert cell.number_format == number_format
    if kind:
        assert NUMBER_FORMATS[kind] == number_format


def test_xlsx_flags_dates_infinities_and_empty_cells():
    book = XlsxBook()
    sheet = book.sheet("S")
    book.write(sheet, 0, 0, True)
    book.write(sheet, 1, 0, datetime(2026, 3, 12, 9, 30, tzinfo=UTC))
    book.write(sheet, 2, 0, date(2026, 3, 12))
    book.write(sheet, 3, 0, math.inf, "decimal")
    book.write(sheet, 4, 0, None, "decimal")
    ws = _reread(book)
    assert ws["A1"].data_type == "b" and ws["A1"].value is True
    assert ws["A2"].is_date and ws["A2"].value == datetime(2026, 3, 12, 9, 30)
    assert ws["A3"].is_date and ws["A3"].number_format == "yyyy-mm-dd"
    assert ws["A4"].value == "inf" and ws["A4"].data_type == "s"
    assert ws["A5"].value is None
