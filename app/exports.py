"""Helpers shared by every CSV and XLSX writer (SECURITY.md 2.5, S11).

``safe_cell`` is the one guard against formula injection: a spreadsheet must never turn text
that came from a user, a file or a questionnaire into a live formula. Use it on every cell,
header and sheet name written out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

#: Characters that make a spreadsheet read a text cell as a formula (or split it).
FORMULA_TRIGGERS = frozenset("=+-@\t\r\0")


def safe_cell(value: Any) -> Any:
    """``value`` made inert for a spreadsheet.

    Text whose first character after leading spaces is ``=``, ``+``, ``-``, ``@``, tab, CR or
    NUL gets a leading ``'``; other text is returned unchanged. Numbers, dates, booleans and
    None are returned as they are, so that they stay typed values (negative numbers too).
    """
    if isinstance(value, str):
        stripped = value.lstrip(" ")
        if stripped and stripped[0] in FORMULA_TRIGGERS:
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
