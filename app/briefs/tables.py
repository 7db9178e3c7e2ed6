"""The data tables of a brief, and the files made from them (pure: no Flask, no database).

Every table a brief shows (key facts, each chart's data, occupations, skill needs, group
positions, ...) is one :class:`DataTable`: named columns with a type and a title, and rows of
raw values (unrounded numbers, codes). The same table becomes

- a table of the HTML page and the PDF (figures formatted by ``app.formatting``),
- a CSV file (:func:`table_csv`: codes as headers, values as stored; every cell through
  ``app.exports.safe_cell``),
- a sheet of the workbook (:func:`tables_xlsx`: readable headers, typed numbers shown rounded
  as on the page, codes and labels in separate columns, and a ``Columns`` sheet explaining
  every column),
- a resource of the Frictionless data package (:func:`datapackage`: a table schema per CSV).

Titles and descriptions are message ids (``N_``); the writers take the ``translate`` of the
language rendered.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.exports import XlsxBook, csv_bytes, safe_cell
from app.formatting import N_

Translate = Callable[[str], str]

#: Frictionless field types used, and the workbook display format of numbers by kind.
FIELD_TYPES = ("string", "integer", "number", "boolean", "date", "datetime")
#: Longest text an XLSX cell holds; a longer one would be cut by the workbook writer.
XLSX_TEXT_LIMIT = 32_767
#: Longest sheet name a workbook allows.
SHEET_NAME_LIMIT = 31

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class Text:
    """Text of the brief's content with the language it is written in (``lang``), so that
    a page in another language marks it (``<span lang="de">``)."""

    text: str
    lang: str | None = None

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Column:
    """One column of a data table.

    ``name`` is the code (CSV header, schema field name); ``title`` and ``description`` are
    message ids. ``kind`` is how a number reads: ``count``, ``decimal`` (2 decimals),
    ``share`` (0..1 as whole per cent), ``p`` (3 decimals), ``points`` (as many decimals as
    needed), ``year`` (digits, no grouping). ``page`` is False for columns left out of the
    page's table (codes beside their labels), which the files keep."""

    name: str
    type: str
    title: str
    description: str = ""
    kind: str | None = None
    page: bool = True
    #: Values of a ``string`` column the schema allows (codes), or None for any.
    enum: tuple[str, ...] | None = None
    #: Values of the title's placeholders, as (name, value) pairs.
    title_params: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"unknown field type {self.type!r} of column {self.name!r}")

    def title_text(self, translate: Translate = _same) -> str:
        text = translate(self.title)
        return text % dict(self.title_params) if self.title_params else text


@dataclass(frozen=True)
class DataTable:
    """A table of a brief: ``name`` (file and sheet name, ≤ 31 characters), a caption
    (message id, with ``params`` for its placeholders), columns and rows of raw values."""

    name: str
    caption: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    #: Columns whose values identify a row (schema ``primaryKey``), if any.
    key: tuple[str, ...] = ()
    #: A sentence under the table (message id), e.g. why it is empty.
    note: str | None = None
    note_params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 < len(self.name) <= SHEET_NAME_LIMIT or not self.name.replace("_", "").isalnum():
            raise ValueError(f"table name {self.name!r}: 1 to 31 letters, digits or _")
        width = len(self.columns)
        for number, row in enumerate(self.rows, start=1):
            if len(row) != width:
                raise ValueError(f"table {self.name}, row {number}: {len(row)} of {width} cells")

    @property
    def page_columns(self) -> tuple[int, ...]:
        return tuple(i for i, c in enumerate(self.columns) if c.page)

    def caption_text(self, translate: Translate = _same) -> str:
        return (
            translate(self.caption) % dict(self.params) if self.params else translate(self.caption)
        )

    def note_text(self, translate: Translate = _same) -> str | None:
        if not self.note:
            return None
        text = translate(self.note)
        return text % dict(self.note_params) if self.note_params else text

    def parts(self, size: int) -> list[tuple[int, tuple[tuple[Any, ...], ...]]]:
        """The rows in parts of at most ``size`` (first row number, rows); one empty part
        for an empty table."""
        if not self.rows:
            return [(1, ())]
        return [
            (start + 1, self.rows[start : start + size]) for start in range(0, len(self.rows), size)
        ]

    @property
    def csv_path(self) -> str:
        return f"data/{self.name}.csv"


def _plain(value: Any) -> Any:
    """A cell's value for a file: text of :class:`Text`, tuples joined, NaN empty."""
    if isinstance(value, Text):
        return value.text
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list | tuple):
        return "; ".join(str(_plain(v)) for v in value if v is not None)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _csv_value(value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, date):
        return value.isoformat()
    return value


def table_csv(table: DataTable) -> bytes:
    """``table`` as CSV: UTF-8 without byte-order mark (a data package file), comma, CRLF,
    codes as headers, values as stored, every cell through ``safe_cell``."""
    return csv_bytes(
        [c.name for c in table.columns],
        ([_csv_value(v) for v in row] for row in table.rows),
        bom=False,
    )


def _check_text(table: DataTable, column: Column, value: Any) -> None:
    if isinstance(value, str) and len(value) > XLSX_TEXT_LIMIT:
        raise ValueError(
            f"table {table.name}, column {column.name}: a text of {len(value)} characters is "
            f"longer than a workbook cell holds ({XLSX_TEXT_LIMIT})"
        )


def tables_xlsx(
    tables: Sequence[DataTable],
    *,
    translate: Translate = _same,
    title: str = "",
    about: Sequence[tuple[str, str]] = (),
) -> bytes:
    """A workbook: an ``About`` sheet (``title`` and the ``about`` pairs: label, value), one
    sheet per table (translated headers in row 1, typed cells; numbers keep every digit
    and read rounded as on the page), and a ``Columns`` sheet naming, for every sheet and
    column, its code, title, type and description. Nothing is cut: a text too long for a
    cell raises ValueError instead."""
    book = XlsxBook()
    bold = {"bold": True}
    sheet = book.sheet(translate(N_("About")))
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 90)
    row = 0
    if title:
        book.write(sheet, 0, 0, title, bold=True)
        row = 2
    for label, value in about:
        book.write(sheet, row, 0, label, bold=True)
        book.write(sheet, row, 1, value, text_wrap=True, valign="top")
        row += 1
    row += 1
    book.write(sheet, row, 0, translate(N_("Sheet")), bold=True)
    book.write(sheet, row, 1, translate(N_("Contents")), bold=True)
    for table in tables:
        row += 1
        book.write(sheet, row, 0, table.name)
        contents = table.caption_text(translate)
        note = table.note_text(translate) if table.rows else None
        if note:  # a note on the rows (e.g. groups left out): with the table's name here
            contents = f"{contents}. {note}"
        book.write(sheet, row, 1, contents, text_wrap=True)

    for table in tables:
        sheet = book.sheet(table.name)
        widths = [min(60, max(10, len(c.title_text(translate)) + 2)) for c in table.columns]
        for col, column in enumerate(table.columns):
            book.write(
                sheet, 0, col, column.title_text(translate), text_wrap=True, valign="top", **bold
            )
        for r, values in enumerate(table.rows, start=1):
            for col, (column, value) in enumerate(zip(table.columns, values, strict=True)):
                value = _plain(value)
                _check_text(table, column, value)
                if isinstance(value, str):
                    widths[col] = min(60, max(widths[col], len(value) + 2))
                    book.write(sheet, r, col, value, text_wrap=len(value) > 58, valign="top")
                else:
                    kind = "points" if column.kind == "year" else column.kind
                    book.write(sheet, r, col, value, kind, valign="top")
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
        sheet.freeze_panes(1, 0)
        if not table.rows:
            note = table.note_text(translate) or translate(N_("No rows."))
            book.write(sheet, 1, 0, note)

    sheet = book.sheet(translate(N_("Columns")))
    headers = (N_("Sheet"), N_("Column"), N_("Title"), N_("Type"), N_("Description"))
    for col, header in enumerate(headers):
        book.write(sheet, 0, col, translate(header), bold=True)
    for col, width in enumerate((24, 26, 36, 10, 90)):
        sheet.set_column(col, col, width)
    row = 0
    for table in tables:
        for column in table.columns:
            row += 1
            book.write(sheet, row, 0, table.name)
            book.write(sheet, row, 1, column.name)
            book.write(sheet, row, 2, column.title_text(translate))
            book.write(sheet, row, 3, column.type)
            description = translate(column.description) if column.description else ""
            book.write(sheet, row, 4, description, text_wrap=True)
    sheet.freeze_panes(1, 0)
    return book.bytes()


def _schema(table: DataTable, translate: Translate) -> dict[str, Any]:
    fields_ = []
    for column in table.columns:
        entry: dict[str, Any] = {
            "name": column.name,
            "type": column.type,
            "title": column.title_text(translate),
        }
        if column.description:
            entry["description"] = translate(column.description)
        if column.type == "number":
            entry["bareNumber"] = True
        if column.enum is not None:
            entry["constraints"] = {"enum": list(column.enum)}
        fields_.append(entry)
    schema: dict[str, Any] = {"fields": fields_, "missingValues": [""]}
    if table.key:
        schema["primaryKey"] = list(table.key)
    return schema


def datapackage(
    tables: Iterable[DataTable],
    *,
    name: str,
    title: str,
    version: str,
    created: str | None,
    description: str = "",
    homepage: str | None = None,
    licenses: Sequence[Mapping[str, str]] = (),
    sources: Sequence[Mapping[str, str]] = (),
    contributors: Sequence[Mapping[str, str]] = (),
    keywords: Sequence[str] = (),
    translate: Translate = _same,
    hashes: Mapping[str, str] | None = None,
    sizes: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The Frictionless data package (v1) describing one CSV per table (``data/<name>.csv``)
    with its table schema; ``hashes`` and ``sizes`` (by path) are written per resource."""
    resources = []
    for table in tables:
        resource: dict[str, Any] = {
            "name": table.name.replace("_", "-"),
            "path": table.csv_path,
            "title": table.caption_text(translate),
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
            "schema": _schema(table, translate),
        }
        note = table.note_text(translate)
        if note:
            resource["description"] = note
        if hashes and table.csv_path in hashes:
            resource["hash"] = f"sha256:{hashes[table.csv_path]}"
        if sizes and table.csv_path in sizes:
            resource["bytes"] = sizes[table.csv_path]
        resources.append(resource)
    package: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": name,
        "title": title,
        "version": version,
    }
    if description:
        package["description"] = description
    if homepage:
        package["homepage"] = homepage
    if created:
        # the spec wants a date and time (RFC 3339); a brief's date is the day it is of
        package["created"] = created + "T00:00:00Z" if len(created) == 10 else created
    if keywords:
        package["keywords"] = list(keywords)
    if licenses:
        package["licenses"] = [dict(x) for x in licenses]
    if sources:
        package["sources"] = [dict(x) for x in sources]
    if contributors:
        package["contributors"] = [dict(x) for x in contributors]
    package["resources"] = resources
    return package


def json_bytes(document: Any) -> bytes:
    """``document`` as UTF-8 JSON (sorted keys off: the order is the API's), 2-space indent,
    no NaN (undefined values are null)."""
    return (json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode()


__all__ = [
    "CSV_MEDIA_TYPE",
    "XLSX_MEDIA_TYPE",
    "Column",
    "DataTable",
    "Text",
    "datapackage",
    "json_bytes",
    "safe_cell",
    "table_csv",
    "tables_xlsx",
]
