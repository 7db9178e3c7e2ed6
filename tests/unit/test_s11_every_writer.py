"""S11 (formula injection) over every CSV and XLSX writer of the platform, not only the cell
writers: the round results (``app.results.exports``) and the brief's data tables
(``app.briefs.tables``). Whatever text reaches a cell comes back as ``'`` + text exactly
when a spreadsheet could read it as a formula, else as it was; numbers stay numbers; no
cell of a workbook is a formula."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from app.briefs.tables import Column, DataTable, table_csv, tables_xlsx
from app.exports import formula_like
from app.results.exports import CSV_COLUMNS, SHEETS, column, results_csv, results_xlsx

#: Texts a spreadsheet might take for a formula, and ordinary ones.
DANGER = st.sampled_from(["=", "+", "-", "@", "\t", "\r", " =", "  +", "{=", "=cmd|' /C calc'!A0"])
TEXT = st.one_of(
    st.builds(
        lambda start, rest: start + rest,
        DANGER,
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            max_size=12,
        ),
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20),
)
NUMBER = st.one_of(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
)
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _expected(text: str) -> str:
    return "'" + text if formula_like(text) else text


def _read(cell):
    """A cell's text as a spreadsheet shows it (``_x000D_`` is how a workbook stores CR)."""
    return unescape(cell.value) if isinstance(cell.value, str) else cell.value


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _no_formula_cells(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data))
    return [
        (ws.title, cell.coordinate)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


@SETTINGS
@given(
    texts=st.lists(TEXT, min_size=1, max_size=6), numbers=st.lists(NUMBER, min_size=1, max_size=6)
)
def test_s11_the_briefs_data_tables_keep_text_inert_and_numbers_numeric(texts, numbers):
    size = min(len(texts), len(numbers))
    table = DataTable(
        name="skill_needs",
        caption="Skill needs",
        columns=(
            Column("label", "string", "Skill"),
            Column("value", "number", "Value", kind="points"),
        ),
        rows=tuple(zip(texts[:size], numbers[:size], strict=True)),
    )
    rows = _csv_rows(table_csv(table))
    assert rows[0] == ["label", "value"]
    for (text, number), (cell_text, cell_number) in zip(table.rows, rows[1:], strict=True):
        assert cell_text == _expected(text)
        assert float(cell_number) == number  # a number, never protected

    data = tables_xlsx([table], title=texts[0])
    assert _no_formula_cells(data) == []
    sheet = load_workbook(io.BytesIO(data))[table.name]
    for line, (text, number) in enumerate(table.rows, start=2):
        assert _read(sheet.cell(line, 1)) == _expected(text)
        assert sheet.cell(line, 2).data_type == "n" and sheet.cell(line, 2).value == number


def _text_codes(kind: str, codes) -> list[str]:
    return [code for code in codes if column(kind, code).kind in ("text", "code")]


@SETTINGS
@given(text=TEXT, number=NUMBER)
def test_s11_the_round_results_keep_text_inert_and_numbers_numeric(text, number):
    records: dict[str, list[dict]] = {}
    for _title, kind, codes in SHEETS:
        record = {}
        for code in codes:
            spec = column(kind, code)
            record[code] = text if spec.kind in ("text", "code") else number
        records[kind] = [record]

    rows = _csv_rows(results_csv(records))
    header, body = rows[0], rows[1:]
    assert header == list(CSV_COLUMNS)
    assert len(body) == len(SHEETS)
    for kind_rows in body:
        row = dict(zip(header, kind_rows, strict=True))
        for code, value in row.items():
            if value == "" or code == "record":
                continue
            # the text, protected exactly when it needs it, or the number as a number
            assert value == _expected(text) or float(value) == number, (code, value)

    data = results_xlsx(records, [("consultation", text), ("round", 1)])
    assert _no_formula_cells(data) == []
    book = load_workbook(io.BytesIO(data))
    for title, kind, codes in SHEETS:
        sheet = book[title]
        for col, code in enumerate(codes, start=1):
            cell = sheet.cell(2, col)
            if code in _text_codes(kind, codes):
                assert _read(cell) == _expected(text), (title, code)
            else:
                assert cell.data_type == "n" and cell.value == number, (title, code)
    about = book["About"]
    assert _read(about.cell(1, 2)) == _expected(text)
