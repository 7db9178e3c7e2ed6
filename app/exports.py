"""Helpers shared by every CSV and XLSX writer (SECURITY.md 2.5, S11).

``safe_cell`` is the one guard against formula injection: a spreadsheet must never turn text
that came from a user, a file or a questionnaire into a live formula. Use it on every cell,
header and sheet name written out.

The leading ``'`` is kept in CSV and XLSX alike (S11: text == "'" + t exactly when t is
risky), so that a program re-reading a workbook and writing it out again never carries a live
formula; :class:`XlsxBook` also writes every text as a string cell, which no spreadsheet
evaluates.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

#: Characters that make a spreadsheet read a text cell as a formula (or split it).
FORMULA_TRIGGERS = frozenset("=+-@\t\r\0")

#: How a figure reads in a spreadsheet, by kind: the display rules of ``app.formatting``
#: (2 decimals for quantiles, means and the like; whole per cent for shares stored as
#: fractions 0..1; 3 decimals for p-values; counts whole; points without trailing zeros).
#: The cell keeps the exact value; only its display is rounded.
NUMBER_FORMATS = {
    "count": "#,##0",
    "decimal": "#,##0.00",
    "share": "0%",
    "p": "0.000",
    "points": "General",
}
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"


def formula_like(value: Any) -> bool:
    """Whether ``value`` is text that a spreadsheet could read as a formula: its first
    character after leading spaces is ``=``, ``+``, ``-``, ``@``, tab, CR or NUL."""
    if not isinstance(value, str):
        return False
    stripped = value.lstrip(" ")
    return bool(stripped) and stripped[0] in FORMULA_TRIGGERS


def safe_cell(value: Any) -> Any:
    """``value`` made inert for a spreadsheet.

    Text that is :func:`formula_like` gets a leading ``'``; other text is returned unchanged.
    Numbers, dates, booleans and None are returned as they are, so that they stay typed
    values (negative numbers too).
    """
    if formula_like(value):
        return "'" + value
    return value


def csv_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, bom: bool = True) -> bytes:
    """A CSV file (UTF-8, comma, CRLF) with every cell, the header too, passed through
    ``safe_cell``. ``bom`` adds the byte-order mark that spreadsheet programs need to read
    UTF-8; None cells are written as empty."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow(["" if cell is None else safe_cell(cell) for cell in row])
    text = out.getvalue()
    return (("\ufeff" if bom else "") + text).encode("utf-8")


class _ExactWorksheet(Worksheet):
    """A worksheet that writes each number with the shortest digits that read back as the
    same float (``repr``): XlsxWriter writes 16 significant digits, which can change the
    last one (2.6666666666666665 would come back as 2.666666666666667)."""

    def _xml_number_element(self, number, attributes=()) -> None:
        if isinstance(number, float) and math.isfinite(number):
            number = _ExactNumber(number)
        super()._xml_number_element(number, list(attributes))


class _ExactNumber(float):
    def __format__(self, spec: str) -> str:
        return repr(float(self))


class XlsxBook:
    """An XLSX workbook written cell by cell with typed writers, never formulas or URLs.

    Text is always a string cell; :func:`formula_like` text gets a leading ``'``
    (:func:`safe_cell`, as in CSV).
    Numbers are number cells with the display format of their kind (:data:`NUMBER_FORMATS`),
    written with every digit they need to read back exactly;
    infinities, which a workbook cannot hold as numbers, are written as the text "inf" or
    "-inf". Dates and times are date cells (aware times in UTC). Call :meth:`bytes` once.
    """

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self.workbook = xlsxwriter.Workbook(
            self._buffer,
            {
                "in_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self._formats: dict[tuple[tuple[str, Any], ...], Any] = {}

    def format(self, **properties: Any):
        """A cell format with ``properties`` (XlsxWriter names), made once per combination."""
        key = tuple(sorted(properties.items()))
        if key not in self._formats:
            self._formats[key] = self.workbook.add_format(dict(key))
        return self._formats[key]

    def sheet(self, title: str):
        return self.workbook.add_worksheet(safe_cell(title), worksheet_class=_ExactWorksheet)

    def write(
        self, sheet, row: int, col: int, value: Any, kind: str | None = None, **style: Any
    ) -> None:
        """Write ``value`` at (``row``, ``col``); ``kind`` picks the number format, ``style``
        adds format properties (bold, wrap...). None leaves the cell empty."""
        if value is None:
            return
        if isinstance(value, bool):
            sheet.write_boolean(row, col, value, self._style(style))
        elif isinstance(value, int | float) and math.isfinite(value):
            number_format = NUMBER_FORMATS.get(kind or "")
            if number_format:
                style = {**style, "num_format": number_format}
            sheet.write_number(row, col, value, self._style(style))
        elif isinstance(value, datetime):
            if value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            style = {**style, "num_format": DATETIME_FORMAT}
            sheet.write_datetime(row, col, value, self._style(style))
        elif isinstance(value, date):
            style = {**style, "num_format": DATE_FORMAT}
            sheet.write_datetime(row, col, value, self._style(style))
        else:
            # SECURITY.md 2.5, S11: the same leading apostrophe as in CSV, so that a program
            # re-reading the workbook never gets a formula back either
            sheet.write_string(row, col, safe_cell(str(value)), self._style(style))

    def _style(self, style: dict[str, Any]):
        return self.format(**style) if style else None

    def bytes(self) -> bytes:
        self.workbook.close()
        return self._buffer.getvalue()
