"""Small profiles and files built in the tests (no committed binaries)."""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

import openpyxl
from openpyxl.styles import Alignment

from app.forecasts.parse import read_table
from app.forecasts.profile import Profile, load_profile_text
from app.forecasts.table import LongRow
from app.problems import Problem

PROVENANCE = """\
provenance:
  publisher: Example Statistics Office
  title: National outlook
  licence: CC BY 4.0
  vintage: "2025"
  base_year: 2024
  horizon_year: 2035
  unit: thousand persons
"""


def profile_text(table: str, file: str = "type: csv", name: str = "test-profile") -> str:
    """A whole profile around the ``table:`` mapping (YAML, indented as under ``table:``)."""
    return (
        f"format_version: 1\nname: {name}\ntitle: Test profile\n{PROVENANCE}"
        f"file:\n{textwrap.indent(textwrap.dedent(file).strip(), '  ')}\n"
        f"table:\n{textwrap.indent(textwrap.dedent(table).strip(), '  ')}\n"
    )


def make_profile(table: str, file: str = "type: csv") -> Profile:
    return load_profile_text(profile_text(table, file))


def csv_bytes(
    rows: Iterable[Sequence[Any]], delimiter: str = ",", encoding: str = "utf-8"
) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode(encoding)


def xlsx_bytes(
    rows: Iterable[Sequence[Any]],
    *,
    sheet: str = "Sheet1",
    indents: dict[str, int] | None = None,
    extra_sheets: Sequence[str] = (),
) -> bytes:
    """A workbook with ``rows`` on ``sheet``; ``indents`` gives cells (A5) an indent."""
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = sheet
    for name in extra_sheets:
        workbook.create_sheet(name)
    for row in rows:
        ws.append(list(row))
    for cell, indent in (indents or {}).items():
        ws[cell].alignment = Alignment(indent=indent)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def read(
    data: bytes, profile: Profile, crosswalk: bytes | None = None, filename: str = "table.csv"
) -> tuple[list[LongRow], list[Problem]]:
    rows: list[LongRow] = []
    problems: list[Problem] = []
    for item in read_table(data, filename, profile, crosswalk=crosswalk):
        (problems if isinstance(item, Problem) else rows).append(item)
    return rows, problems


def by_key(rows: Iterable[LongRow]) -> dict[tuple, LongRow]:
    return {r.key: r for r in rows}
