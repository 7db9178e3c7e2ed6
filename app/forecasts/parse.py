"""Reading a forecast table as released (CSV or XLSX) into the long table (pure).

``read_table`` streams: it yields ``LongRow`` values and ``Problem`` values as it reads, row
by row (the csv module for CSV, openpyxl's read-only mode for workbooks), so memory stays
bounded by a row, plus a hash and a row number per value to find duplicate keys. It never
raises on bad input: everything wrong with the file is a Problem naming the row (1-based, as
a spreadsheet shows it) and the column (its letter and header), with a message id and
values like ``app.panels.parse``, translated where it is shown.

What the layout is comes from the import profile (``app.forecasts.profile``); what the rows
become is ``app.forecasts.table``. Workbook formulas are refused, never evaluated: the
workbook is opened with ``data_only=False`` so that a formula is seen as one.

``summarise`` reads a whole file into what a preview shows (``TableSummary`` and the
problems); ``preview_forecast_table`` does the same in the upload child process, which gets
the profile as its YAML text and returns a ``ForecastPreview`` (JSON both ways).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from functools import lru_cache
from typing import Any

from app.forecasts.profile import (
    Block,
    ColumnRef,
    IndicatorSpec,
    Profile,
    ProfileError,
    Section,
    ValueColumn,
    load_profile_text,
)
from app.forecasts.table import Level, LongRow, Status, TableSummary
from app.problems import N_, Problem, params_from_json
from app.uploads.checks import FileRefused, check_zip_directory

__all__ = [
    "MAX_PROBLEMS",
    "ForecastPreview",
    "column_letters",
    "parse_number",
    "preview_forecast_table",
    "read_crosswalk",
    "read_table",
    "split_notes",
    "summarise",
]

#: Problems a summary lists; one more says how many were left out.
MAX_PROBLEMS = 200

#: Values a preview shows of each categorical indicator.
CATEGORY_EXAMPLES = 3

#: Headers of a file that does not match its profile named in the one message saying so.
MAX_HEADERS_SHOWN = 30

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_BRACKET_NOTE = re.compile(r"\s*\[([^\[\]]{1,6})\]")
_TRAILING_SUPERSCRIPT = re.compile(r"([⁰¹²³⁴⁵⁶⁷⁸⁹]+|[*†‡]+)$")
_TRAILING_PAREN_NOTE = re.compile(r"\s*\(([a-z]|\d{1,2})\)$")
_SPACES = re.compile(r"\s+")
_YEAR = re.compile(r"^\s*(\d{4})(?:\.0+)?\s*$")
_PERIOD = re.compile(r"^\s*(\d{4})\s*[-–—/]\s*(\d{2}|\d{4})\s*$")


def column_letters(index: int) -> str:
    """The letters of the 1-based column ``index`` (1 = A, 27 = AA)."""
    out = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def _norm(text: str) -> str:
    """Text compared without case and with runs of spaces as one."""
    return _SPACES.sub(" ", text).strip().casefold()


def split_notes(text: str) -> tuple[str, tuple[str, ...]]:
    """``text`` without its footnote marks (``[1]``, ``(a)``, trailing superscripts or ``*``)
    and the marks, in order, without brackets."""
    if "[" not in text and (not text or text[-1].isascii() and text[-1] not in ")*"):
        return text, ()  # no mark: the common case, quickly
    notes: list[str] = []

    def bracket(match: re.Match[str]) -> str:
        notes.append(match.group(1).strip())
        return ""

    out = _BRACKET_NOTE.sub(bracket, text).rstrip()
    while True:
        match = _TRAILING_SUPERSCRIPT.search(out) or _TRAILING_PAREN_NOTE.search(out)
        if match is None or match.start() == 0:
            break
        notes.append(match.group(1).translate(_SUPERSCRIPTS))
        out = out[: match.start()].rstrip()
    return out, tuple(notes)


_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


@lru_cache(maxsize=16)
def _number_pattern(decimal: str, thousands: str) -> re.Pattern[str]:
    sep = re.escape(thousands) if thousands else None
    dec = re.escape(decimal)
    whole = rf"(?:\d{{1,3}}(?:{sep}\d{{3}})+|\d+)" if sep else r"\d+"
    return re.compile(rf"[+-]?(?:{whole}(?:{dec}\d+)?|{dec}\d+)")


def parse_number(text: str, decimal: str = ".", thousands: str = ",") -> float | None:
    """The number written as ``text`` (thousands separators and a decimal comma allowed as
    given, a trailing % ignored); None when it is not one."""
    if decimal == "." and _PLAIN_NUMBER.fullmatch(text):
        return float(text)  # the common case, quickly
    t = text.strip().replace("\u2212", "-").replace("\u00a0", " ").replace("\u202f", " ")
    t = t.removesuffix("%").rstrip()
    if thousands == " ":
        t = t.replace(" ", "")
    if not _number_pattern(decimal, thousands).fullmatch(t):
        return None
    if thousands:
        t = t.replace(thousands, "")
    return float(t.replace(decimal, "."))


def _problem(
    message: str,
    row: int | None = None,
    column: str | None = None,
    field: str | None = None,
    **params: Any,
) -> Problem:
    return Problem(message, field=field, row=row, column=column, params=params or None)


# --- the file's rows --------------------------------------------------------------------


@dataclass
class _Row:
    """A row of the sheet: cell values (text for CSV), 1-based number."""

    number: int
    values: list[Any]
    #: Workbook cells (for their indent and formulas); None for CSV.
    cells: Sequence[Any] | None = None

    def value(self, index: int) -> Any:
        """Value of the 1-based column ``index`` (None beyond the row)."""
        return self.values[index - 1] if 0 < index <= len(self.values) else None

    def text(self, index: int) -> str:
        return _cell_text(self.value(index))

    def indent(self, index: int) -> float:
        """Leading spaces of the cell's text plus two per indent step of a workbook cell."""
        raw = self.value(index)
        spaces = len(raw) - len(raw.lstrip(" \u00a0")) if isinstance(raw, str) else 0
        steps = 0.0
        if self.cells is not None and 0 < index <= len(self.cells):
            alignment = getattr(self.cells[index - 1], "alignment", None)
            steps = float(getattr(alignment, "indent", 0) or 0)
        return spaces + 2 * steps

    def first_filled(self) -> tuple[int, int]:
        """The 1-based column of the first cell that is not empty, and how many are not
        empty (counting to two at most)."""
        where = count = 0
        for i, v in enumerate(self.values, start=1):
            if v is not None and (type(v) is not str or v.strip()):
                if not count:
                    where = i
                count += 1
                if count == 2:
                    break
        return where, count

    def filled(self) -> list[int]:
        """1-based columns of the cells that are not empty."""
        return [
            i
            for i, v in enumerate(self.values, start=1)
            if v is not None and (type(v) is not str or v.strip())
        ]


def _cell_text(value: Any) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


class _Stop(Exception):
    """The file cannot be read on: ``problem`` says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _csv_rows(data: bytes, profile: Profile) -> Iterator[_Row]:
    encoding = profile.file.encoding
    if data.startswith(b"PK\x03\x04"):
        raise _Stop(
            _problem(
                N_(
                    "the file is a workbook (.xlsx) or another zip archive, but the profile "
                    "%(profile)s reads CSV files"
                ),
                profile=profile.name,
            )
        )
    if not encoding.startswith("utf-16") and b"\x00" in data[:8192]:
        raise _Stop(_problem(N_("the file is not a text file; the profile reads CSV text")))
    if encoding.startswith("utf-16"):
        try:
            lines: Iterator[str] = iter(io.StringIO(data.decode(encoding), newline=""))
        except UnicodeDecodeError as exc:
            raise _Stop(_encoding_problem(data, exc, encoding)) from None
    else:
        lines = _decoded_lines(data, encoding)
    reader = csv.reader(lines, delimiter=profile.file.delimiter, strict=True)
    number = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _Stop(
                _problem(
                    N_("the CSV cannot be read from here on (%(detail)s)"),
                    row=number + 1,
                    detail=str(exc),
                )
            ) from None
        number += 1
        yield _Row(number, fields)


def _decoded_lines(data: bytes, encoding: str) -> Iterator[str]:
    """Lines of ``data`` decoded one at a time (the bytes are not copied whole)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    stream = io.BytesIO(data)
    offset = 0
    first = True
    for line_no, raw in enumerate(stream, start=1):
        try:
            text = decoder.decode(raw)
        except UnicodeDecodeError as exc:
            position = offset + exc.start
            raise _Stop(
                _problem(
                    N_(
                        "the file is not %(encoding)s text (byte %(byte)s on line %(line)s); "
                        "save it as %(encoding)s or set the profile's encoding"
                    ),
                    encoding=encoding,
                    byte=f"0x{data[position]:02x}" if position < len(data) else "?",
                    line=str(line_no),
                )
            ) from None
        offset += len(raw)
        if first:
            text = text.removeprefix("\ufeff")
            first = False
        yield text
    try:
        rest = decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _Stop(
            _problem(
                N_("the file ends inside a character; it is not %(encoding)s text or is cut short"),
                encoding=encoding,
            )
        ) from None
    if rest:
        yield rest


def _encoding_problem(data: bytes, exc: UnicodeDecodeError, encoding: str) -> Problem:
    line = data[: exc.start].count(b"\n") + 1
    return _problem(
        N_(
            "the file is not %(encoding)s text (byte %(byte)s on line %(line)s); "
            "save it as %(encoding)s or set the profile's encoding"
        ),
        encoding=encoding,
        byte=f"0x{data[exc.start]:02x}",
        line=str(line),
    )


def _xlsx_rows(data: bytes, profile: Profile) -> Iterator[_Row]:
    import openpyxl

    if not data.startswith(b"PK\x03\x04"):
        raise _Stop(
            _problem(
                N_(
                    "the file is not an .xlsx workbook, but the profile %(profile)s reads workbooks"
                ),
                profile=profile.name,
            )
        )
    try:
        check_zip_directory(data)
    except FileRefused as refused:
        raise _Stop(refused.problem) from None
    if not getattr(openpyxl, "DEFUSEDXML", False):
        raise _Stop(
            _problem(
                N_(
                    "workbooks cannot be read safely on this server (defusedxml is not "
                    "installed); use a CSV file instead"
                )
            )
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=False, keep_links=False
            )
    except Exception:  # openpyxl raises many kinds on damaged files
        raise _Stop(
            _problem(N_("the file is not a readable .xlsx workbook (damaged or cut short)"))
        ) from None
    try:
        sheet = _sheet(workbook, profile.file.sheet)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for number, cells in enumerate(sheet.iter_rows(), start=1):
                    values = [getattr(c, "value", None) for c in cells]
                    yield _Row(number, values, cells)
        except _Stop:
            raise
        except GeneratorExit:
            raise
        except Exception:
            raise _Stop(
                _problem(N_("the worksheet cannot be read to the end (damaged or cut short)"))
            ) from None
    finally:
        workbook.close()


def _sheet(workbook: Any, wanted: str | int | None) -> Any:
    names = workbook.sheetnames
    if not names:
        raise _Stop(_problem(N_("the workbook has no worksheet")))
    if wanted is None:
        return workbook[names[0]]
    if isinstance(wanted, int):
        if wanted > len(names):
            raise _Stop(
                _problem(
                    N_("the workbook has %(count)s sheets; the profile reads sheet %(sheet)s"),
                    count=len(names),
                    sheet=str(wanted),
                )
            )
        return workbook[names[wanted - 1]]
    for name in names:
        if name == wanted or _norm(name) == _norm(wanted):
            return workbook[name]
    raise _Stop(
        _problem(
            N_("the workbook has no sheet %(sheet)s (its sheets: %(sheets)s)"),
            sheet=wanted,
            sheets=", ".join(names),
        )
    )


# --- crosswalk --------------------------------------------------------------------------


def read_crosswalk(data: bytes | str) -> tuple[dict[str, str], list[Problem]]:
    """Labels (compared without case, spaces and footnote marks) to codes, from a CSV file
    with columns ``label`` and ``code``; problems name the crosswalk's row and column."""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    out: dict[str, str] = {}
    problems: list[Problem] = []
    where: dict[str, int] = {}
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        header = next(reader, None)
        names = [_norm(h) for h in header or []]
        if "label" not in names or "code" not in names:
            problems.append(
                _problem(
                    N_("the crosswalk needs a header row with the columns “label” and “code”"),
                    row=1,
                    field="crosswalk",
                )
            )
            return out, problems
        li, ci = names.index("label"), names.index("code")
        for number, fields in enumerate(reader, start=2):
            if not any(f.strip() for f in fields):
                continue
            label = fields[li].strip() if li < len(fields) else ""
            code = fields[ci].strip() if ci < len(fields) else ""
            if not label or not code:
                column = "label" if not label else "code"
                problems.append(
                    _problem(
                        N_("the crosswalk's %(column)s is empty"),
                        row=number,
                        column=column,
                        field="crosswalk",
                    )
                )
                continue
            key = _norm(split_notes(label)[0])
            if key in out and out[key] != code:
                problems.append(
                    _problem(
                        N_(
                            "the crosswalk gives the label %(label)s two codes "
                            "(%(first)s on row %(first_row)s, %(code)s)"
                        ),
                        row=number,
                        column="code",
                        field="crosswalk",
                        label=label,
                        first=out[key],
                        first_row=str(where[key]),
                        code=code,
                    )
                )
                continue
            out[key] = code
            where.setdefault(key, number)
    except csv.Error as exc:
        problems.append(
            _problem(
                N_("the crosswalk cannot be read (%(detail)s)"), field="crosswalk", detail=str(exc)
            )
        )
    return out, problems


# --- reading ----------------------------------------------------------------------------


@dataclass
class _Column:
    """A value column of the file, resolved against its header."""

    index: int
    header: str
    notes: tuple[str, ...]
    spec: ValueColumn | None
    indicator: str | None
    year: int | None


@dataclass
class _BlockState:
    block: Block
    #: The profile's label_codes, by label compared without case and spaces.
    label_codes: dict[str, str] = dataclass_field(default_factory=dict)
    #: Long layout: the profile's indicators, by name compared without case and spaces.
    indicators: dict[str, IndicatorSpec] = dataclass_field(default_factory=dict)
    label: int | None = None
    label_alt: int | None = None
    code: int | None = None
    level: int | None = None
    columns: list[_Column] | None = None
    long_indicator: int | None = None
    long_year: int | None = None
    long_value: int | None = None
    long_unit: int | None = None
    #: Rows waiting for the next row to tell their level (by indent).
    pending: list[LongRow] | None = None
    pending_indent: float = 0.0


class _Reader:
    def __init__(self, profile: Profile, crosswalk: Mapping[str, str] | None) -> None:
        self.profile = profile
        self.layout = profile.layout
        self.crosswalk = crosswalk
        self.missing = {_norm(m) for m in self.layout.missing}
        self.missing_length = max((len(m) for m in self.layout.missing), default=0) + 2
        self.flags = dict(self.layout.flags)
        self.skip = [re.compile(p) for p in self.layout.skip]
        self.end = [re.compile(p) for p in self.layout.end]
        self.sections = [(re.compile(s.match), s) for s in self.layout.sections]
        self.section: Section | None = None
        self.headers: dict[int, str] = {}
        self.header_notes: dict[int, tuple[str, ...]] = {}
        self.header_row = 0
        #: Headers the profile names, and how many of them the file's header lacks.
        self.expected: list[str] = []
        self.absent = 0
        #: Row of each value's key, by the key's hash: a few dozen bytes a value, for tables
        #: of millions of values (two keys sharing a 64-bit hash are as good as impossible).
        self.seen: dict[int, int] = {}

    # -- locations
    def column(self, index: int) -> str:
        header = self.headers.get(index)
        letter = column_letters(index)
        return f"{letter} ({header})" if header else letter

    def field(self, index: int) -> str:
        return self.headers.get(index) or column_letters(index)

    def at(self, message: str, row: int, index: int | None, **params: Any) -> Problem:
        if index is None:
            return _problem(message, row=row, **params)
        return _problem(
            message, row=row, column=self.column(index), field=self.field(index), **params
        )

    # -- the whole file
    def run(self, rows: Iterator[_Row]) -> Iterator[LongRow | Problem]:
        header_rows: list[_Row] = []
        states: list[_BlockState] | None = None
        data_rows = 0
        for row in rows:
            if states is None:
                if not header_rows and not self._is_header_start(row):
                    continue  # a title or note row above the header
                yield from self._formulas(row)
                header_rows.append(row)
                if len(header_rows) < self.layout.header_rows:
                    continue
                self._header(header_rows)
                states = []
                problems: list[Problem] = []
                for block in self.layout.blocks:
                    states.append(self._resolve(block, problems))
                if problems:
                    if self.absent:
                        yield self._mismatch()
                    yield from problems
                    return
                continue
            where, count = row.first_filled()
            if not count:
                continue
            first = row.text(where)
            if self.end and any(p.search(first) for p in self.end):
                break
            if row.cells is not None:
                yield from self._formulas(row)
                where, count = row.first_filled()
                if not count:
                    continue
                first = row.text(where)
            if self.skip and any(p.search(first) for p in self.skip):
                continue
            if count == 1 and self.sections and self._section(first):
                continue
            data_rows += 1
            for state in states:
                yield from self._block_row(state, row)
        if states is None:
            if header_rows:
                yield _problem(
                    N_("the file ends within the header (the profile reads %(rows)s header rows)"),
                    rows=self.layout.header_rows,
                )
            elif self.layout.header_find:
                yield _problem(
                    N_("no header row: no row starts with text matching %(pattern)s"),
                    pattern=self.layout.header_find,
                )
            else:
                yield _problem(
                    N_("the file has fewer rows than the header row (%(header_row)s)"),
                    header_row=str(self.layout.header_row),
                )
            return
        for state in states:
            yield from self._flush(state, None)
        if data_rows == 0:
            yield _problem(N_("the file has a header but no data rows"), row=self.header_row)

    def _formulas(self, row: _Row) -> Iterator[Problem]:
        if row.cells is None:
            return
        for index, cell in enumerate(row.cells, start=1):
            if getattr(cell, "data_type", None) == "f":
                formula = cell.value if isinstance(cell.value, str) else "="
                yield self.at(
                    N_(
                        "the cell holds a formula (%(formula)s); formulas are never "
                        "calculated here: save the workbook with values instead"
                    ),
                    row.number,
                    index,
                    formula=formula[:80],
                )
                row.values[index - 1] = None

    def _is_header_start(self, row: _Row) -> bool:
        if self.layout.header_find is None:
            return row.number >= (self.layout.header_row or 1)
        filled = row.filled()
        return bool(filled) and re.search(self.layout.header_find, row.text(filled[0])) is not None

    def _header(self, rows: list[_Row]) -> None:
        self.header_row = rows[-1].number
        width = max(len(r.values) for r in rows)
        bounds = [(b.first_column, b.last_column) for b in self.layout.blocks]
        parts: dict[int, list[str]] = {i: [] for i in range(1, width + 1)}
        notes: dict[int, list[str]] = {i: [] for i in range(1, width + 1)}
        for depth, row in enumerate(rows):
            upper = depth < len(rows) - 1
            carry = ""
            for i in range(1, width + 1):
                if any(first == i for first, _ in bounds if first is not None):
                    carry = ""  # a spanning heading stops at a block's edge
                text, marks = self._split(row.text(i))
                text = _SPACES.sub(" ", text).strip()
                if upper:
                    if text:
                        carry = text
                    else:
                        text = carry
                if text and (not parts[i] or parts[i][-1] != text):
                    parts[i].append(text)
                notes[i].extend(marks)
        self.headers = {i: self.layout.joiner.join(p) for i, p in parts.items() if p}
        self.header_notes = {i: tuple(dict.fromkeys(n)) for i, n in notes.items() if n}

    def _mismatch(self) -> Problem:
        """The file's header does not hold the columns the profile names: which it expects,
        which the file has."""
        found = [h for _, h in sorted(self.headers.items())]
        shown = ", ".join(f"“{h}”" for h in found[:MAX_HEADERS_SHOWN])
        if len(found) > MAX_HEADERS_SHOWN:
            shown += ", …"
        return _problem(
            N_(
                "This file does not match the profile %(profile)s: the profile expects the "
                "columns %(expected)s; the file's header (row %(header_row)s) has %(found)s"
            ),
            profile=self.profile.name,
            expected=", ".join(f"“{h}”" for h in dict.fromkeys(self.expected)),
            header_row=str(self.header_row),
            found=shown or "no named columns",
        )

    def _split(self, text: str) -> tuple[str, tuple[str, ...]]:
        return split_notes(text) if self.layout.footnotes else (text, ())

    # -- columns of a block
    def _find(self, block: Block, ref: ColumnRef, problems: list[Problem], what: str) -> int | None:
        if ref.index is not None:
            return ref.index
        self.expected.append(ref.header or "")
        wanted = _norm(ref.header or "")
        found = [
            i for i, h in sorted(self.headers.items()) if block.contains(i) and _norm(h) == wanted
        ]
        if not found:
            self.absent += 1
            problems.append(
                _problem(
                    N_(
                        "the header has no column “%(header)s” (the %(what)s column of the profile)"
                    ),
                    row=self.header_row,
                    field=ref.header,
                    header=ref.header or "",
                    what=what,
                )
            )
            return None
        return found[0]

    def _resolve(self, block: Block, problems: list[Problem]) -> _BlockState:
        state = _BlockState(block, {_norm(k): v for k, v in block.rows.label_codes})
        rows = block.rows
        if rows.label is not None:
            state.label = self._find(block, rows.label, problems, "label")
        if rows.label_alt is not None:
            state.label_alt = self._find(block, rows.label_alt, problems, "label_alt")
        if rows.code is not None:
            state.code = self._find(block, rows.code, problems, "code")
        if rows.level is not None and rows.level.column is not None:
            state.level = self._find(block, rows.level.column, problems, "level")
        if block.long is not None:
            long = block.long
            state.indicators = {_norm(i.name): i for i in long.indicators or ()}
            state.long_indicator = self._find(block, long.indicator, problems, "indicator")
            state.long_year = self._find(block, long.year, problems, "year")
            state.long_value = self._find(block, long.value, problems, "value")
            if long.unit is not None:
                state.long_unit = self._find(block, long.unit, problems, "unit")
        else:
            state.columns = self._value_columns(block, problems)
        return state

    def _value_columns(self, block: Block, problems: list[Problem]) -> list[_Column]:
        out: list[_Column] = []
        taken: set[int] = set()
        for spec in block.values:
            if spec.match is None:
                ref = ColumnRef(header=spec.header, index=spec.index)
                if (
                    spec.optional
                    and spec.header is not None
                    and not any(
                        block.contains(i) and _norm(h) == _norm(spec.header)
                        for i, h in self.headers.items()
                    )
                ):
                    continue
                index = self._find(block, ref, problems, "value")
                if index is None:
                    continue
                out.append(
                    _Column(
                        index,
                        self.headers.get(index, ""),
                        self.header_notes.get(index, ()),
                        spec,
                        spec.indicator,
                        spec.year,
                    )
                )
                taken.add(index)
                continue
            pattern = re.compile(spec.match)
            matched = 0
            for index, header in sorted(self.headers.items()):
                if not block.contains(index) or index in taken:
                    continue
                m = pattern.search(header)
                if m is None:
                    continue
                groups = m.groupdict()
                year = spec.year
                if groups.get("year") is not None:
                    year = _year(groups["year"])
                    if year is None:
                        problems.append(
                            self.at(
                                N_("the header's year %(text)s is not a year"),
                                self.header_row,
                                index,
                                text=groups["year"],
                            )
                        )
                        continue
                indicator = spec.indicator
                if groups.get("indicator"):
                    indicator = re.sub(r"[^a-z0-9]+", "_", groups["indicator"].casefold()).strip(
                        "_"
                    )
                matched += 1
                taken.add(index)
                out.append(
                    _Column(index, header, self.header_notes.get(index, ()), spec, indicator, year)
                )
            if matched == 0 and not spec.optional:
                problems.append(
                    _problem(
                        N_("no column header matches %(pattern)s"),
                        row=self.header_row,
                        field=spec.match,
                        pattern=spec.match,
                    )
                )
        return out

    # -- rows
    def _section(self, text: str) -> bool:
        for pattern, section in self.sections:
            if pattern.search(text):
                self.section = section
                return True
        return False

    def _constant(self, block: Block, name: str) -> str | None:
        if self.section is not None and getattr(self.section, name) is not None:
            return getattr(self.section, name)
        return getattr(block, name)

    def _is_missing(self, text: str) -> bool:
        if not text:
            return True
        return len(text) <= self.missing_length and _norm(text) in self.missing

    def _block_row(self, state: _BlockState, row: _Row) -> Iterator[LongRow | Problem]:
        block = state.block
        rows = block.rows
        label = label_alt = code = None
        notes: tuple[str, ...] = ()
        if state.label is not None:
            text = row.text(state.label)
            if not self._is_missing(text):
                label, notes = self._split(text)
                label = _SPACES.sub(" ", label).strip() or None
        if state.label_alt is not None:
            text = row.text(state.label_alt)
            if not self._is_missing(text):
                label_alt = _SPACES.sub(" ", self._split(text)[0]).strip() or None
        if state.code is not None:
            raw = row.value(state.code)
            text = _cell_text(raw)
            if not self._is_missing(text):
                code = self._split(text)[0] or None
        empty = label is None and code is None
        if empty and state.columns is not None and not self._any_value(state, row):
            return  # this block has no row here (a shorter table side by side)
        problems: list[Problem] = []
        if code is None and label is not None:
            code = state.label_codes.get(_norm(label))
            if code is None and rows.crosswalk:
                if self.crosswalk is None:
                    code = None
                else:
                    code = self.crosswalk.get(_norm(label))
                    if code is None:
                        problems.append(
                            self.at(
                                N_("the label %(label)s is not in the crosswalk"),
                                row.number,
                                state.label,
                                label=label,
                            )
                        )
        if code is None and block.dimension is not None and not problems:
            problems.append(
                self.at(
                    N_("the row has no code (its code cell is empty and its label has none)"),
                    row.number,
                    state.code if state.code is not None else state.label,
                )
            )
        level = self._level(state, row, code, problems)
        if problems:
            yield from problems
            return
        geography = self._constant(block, "geography") or ""
        sector = self._constant(block, "sector_code")
        occupation = self._constant(block, "occupation_code")
        if block.dimension == "sector":
            sector = code
        elif block.dimension == "occupation":
            occupation = code
        base = LongRow(
            geography=geography,
            sector_code=sector,
            occupation_code=occupation,
            qualification=self._constant(block, "qualification"),
            indicator="",
            year=0,
            value=None,
            unit=None,
            label=label,
            label_alt=label_alt,
            level=level,
            notes=notes,
            source_row=row.number,
        )
        out: list[LongRow] = []
        if state.columns is not None:
            for column in state.columns:
                result = self._wide_value(state, row, column, base)
                if isinstance(result, Problem):
                    yield result
                elif result is not None:
                    out.append(result)
        else:
            for result in self._long_value(state, row, base):
                if isinstance(result, Problem):
                    yield result
                elif result is not None:
                    out.append(result)
        if rows.level is not None and rows.level.by == "indent" and state.label is not None:
            indent = row.indent(state.label)
            yield from self._flush(state, indent)
            state.pending = out
            state.pending_indent = indent
        else:
            yield from self._checked(out)

    def _any_value(self, state: _BlockState, row: _Row) -> bool:
        return any(not self._is_missing(row.text(c.index)) for c in state.columns or ())

    def _flush(self, state: _BlockState, next_indent: float | None) -> Iterator[LongRow | Problem]:
        if not state.pending:
            state.pending = None
            return
        aggregate = next_indent is not None and next_indent > state.pending_indent
        level = Level.aggregate if aggregate else Level.detail
        rows = [replace(r, level=level) for r in state.pending]
        state.pending = None
        yield from self._checked(rows)

    def _checked(self, rows: list[LongRow]) -> Iterator[LongRow | Problem]:
        for r in rows:
            key = hash(r.key)
            first = self.seen.get(key)
            if first is not None:
                yield _problem(
                    N_(
                        "the value %(indicator)s %(year)s of %(code)s appears twice (first on "
                        "row %(first)s)"
                    ),
                    row=r.source_row,
                    field=r.indicator,
                    indicator=r.indicator,
                    year=str(r.year),
                    code=r.occupation_code or r.sector_code or r.label or r.geography,
                    first=str(first),
                )
                continue
            self.seen[key] = r.source_row or 0
            yield r

    def _level(
        self, state: _BlockState, row: _Row, code: str | None, problems: list[Problem]
    ) -> Level | None:
        rule = state.block.rows.level
        if rule is None or rule.by == "indent":
            return None
        if rule.by == "code":
            if code is None:
                return None
            if re.search(rule.aggregate[0], code):
                return Level.aggregate
            if not rule.detail or re.search(rule.detail[0], code):
                return Level.detail
            return None
        text = row.text(state.level) if state.level is not None else ""
        if self._is_missing(text):
            return None
        wanted = _norm(text)
        if any(_norm(v) == wanted for v in rule.aggregate):
            return Level.aggregate
        if any(_norm(v) == wanted for v in rule.detail):
            return Level.detail
        choices = ", ".join([*rule.aggregate, *rule.detail])
        problems.append(
            self.at(
                N_("%(text)s is not a level the profile knows (%(choices)s)"),
                row.number,
                state.level,
                text=text,
                choices=choices,
            )
        )
        return None

    def _wide_value(
        self, state: _BlockState, row: _Row, column: _Column, base: LongRow
    ) -> LongRow | Problem | None:
        spec = column.spec
        assert spec is not None
        section = self.section
        indicator = column.indicator or (section.indicator if section else None)
        if indicator is None:
            return self.at(
                N_("the value has no indicator: no section row above names one"),
                row.number,
                column.index,
            )
        unit = spec.unit or (section.unit if section else None) or state.block.unit
        scale = spec.scale or (section.scale if section else None) or state.block.scale
        return self._value(
            row,
            column.index,
            base,
            indicator=indicator,
            year=column.year or 0,
            unit=unit or self.profile.provenance.unit,
            scale=scale,
            kind=spec.type,
            categories=spec.categories,
            notes=column.notes,
            missing=spec.missing,
        )

    def _long_value(
        self, state: _BlockState, row: _Row, base: LongRow
    ) -> Iterator[LongRow | Problem | None]:
        long = state.block.long
        assert long is not None and state.long_indicator is not None
        assert state.long_year is not None and state.long_value is not None
        name_text = row.text(state.long_indicator)
        name, name_notes = self._split(name_text)
        name = _SPACES.sub(" ", name).strip()
        spec: IndicatorSpec | None = None
        if long.indicators is not None:
            spec = state.indicators.get(_norm(name))
            if spec is None:
                yield self.at(
                    N_("the indicator %(name)s is not in the profile (it reads %(names)s)"),
                    row.number,
                    state.long_indicator,
                    name=name,
                    names=", ".join(s.name for s in long.indicators),
                )
                return
        elif not name:
            yield self.at(N_("the indicator is empty"), row.number, state.long_indicator)
            return
        year_text = row.text(state.long_year)
        year = _year(year_text)
        if year is None:
            yield self.at(N_("%(text)s is not a year"), row.number, state.long_year, text=year_text)
            return
        section = self.section
        unit = None
        if state.long_unit is not None:
            unit_text = row.text(state.long_unit)
            unit = None if self._is_missing(unit_text) else unit_text
        unit = (
            unit
            or (spec.unit if spec else None)
            or (section.unit if section else None)
            or state.block.unit
            or self.profile.provenance.unit
        )
        scale = (
            (spec.scale if spec else None)
            or (section.scale if section else None)
            or state.block.scale
        )
        yield self._value(
            row,
            state.long_value,
            base,
            indicator=spec.indicator if spec else name,
            year=year,
            unit=unit,
            scale=scale,
            kind=spec.type if spec else "number",
            categories=spec.categories if spec else (),
            notes=name_notes,
        )

    def _value(
        self,
        row: _Row,
        index: int,
        base: LongRow,
        *,
        indicator: str,
        year: int,
        unit: str,
        scale: float,
        kind: str,
        categories: tuple[str, ...],
        notes: tuple[str, ...],
        missing: tuple[str, ...] = (),
    ) -> LongRow | Problem | None:
        """The value of a cell; None for an empty cell (nothing published there), a row
        without a value for a missing marker (the publisher says it is not available)."""
        raw = row.value(index)
        text = _cell_text(raw)
        if not text:
            return None
        if missing and any(_norm(text) == _norm(m) for m in missing):
            raw, text = None, ""
        value: float | None = None
        category: str | None = None
        flags: list[Status] = []
        cell_notes: tuple[str, ...] = ()
        if kind == "category":
            if not self._is_missing(text):
                clean, cell_notes = self._split(text)
                wanted = _norm(clean)
                category = next((c for c in categories if _norm(c) == wanted), None)
                if category is None:
                    return self.at(
                        N_("%(text)s is not one of the categories (%(categories)s)"),
                        row.number,
                        index,
                        text=clean,
                        categories=", ".join(categories),
                    )
        elif isinstance(raw, int | float) and not isinstance(raw, bool):
            value = float(raw) * scale
        elif not self._is_missing(text):
            number, flags, cell_notes = self._number_text(text)
            if number is None:
                return self.at(N_("%(text)s is not a number"), row.number, index, text=text[:80])
            value = number * scale
        if value is not None and scale != 1.0:
            value = round(value, 9)
        if notes or cell_notes:
            all_notes = tuple(dict.fromkeys((*base.notes, *notes, *cell_notes)))
        else:
            all_notes = base.notes
        return LongRow(
            base.geography,
            base.sector_code,
            base.occupation_code,
            base.qualification,
            indicator,
            year,
            value,
            None if kind == "category" else unit,
            category,
            base.label,
            base.label_alt,
            base.level,
            tuple(flags) if flags else (),
            all_notes,
            base.source_row,
        )

    def _number_text(self, text: str) -> tuple[float | None, list[Status], tuple[str, ...]]:
        decimal, thousands = self.layout.decimal, self.layout.thousands
        number = parse_number(text, decimal, thousands)
        if number is not None:
            return number, [], ()
        rest, notes = self._split(text)
        flags: list[Status] = []
        kept: list[str] = []
        for note in notes:
            if note in self.flags:
                flags.append(self.flags[note])
            else:
                kept.append(note)
        if self.flags:
            while True:
                m = re.search(r"\s*([A-Za-z*†‡]{1,3})$", rest)
                if m is None or m.group(1) not in self.flags or m.start() == 0:
                    break
                flags.append(self.flags[m.group(1)])
                rest = rest[: m.start()]
        if self._is_missing(rest):
            return None, flags, tuple(kept)
        return parse_number(rest, decimal, thousands), flags, tuple(kept)


def _year(text: str) -> int | None:
    m = _YEAR.match(text)
    if m:
        return int(m.group(1))
    m = _PERIOD.match(text)
    if m:
        start, end = m.group(1), m.group(2)
        if len(end) == 2:
            end = start[:2] + end
            if int(end) < int(start):
                end = str(int(end) + 100)
        return int(end)
    return None


def read_table(
    data: bytes, filename: str, profile: Profile, *, crosswalk: bytes | None = None
) -> Iterator[LongRow | Problem]:
    """The values of the table in ``data`` as ``profile`` describes it, in file order, and
    every problem where it is found. Never raises on bad input.

    ``crosswalk``: a CSV file (``label,code``) mapping row labels to codes, for a profile
    whose rows are named by label only (``rows: {crosswalk: true}``)."""
    try:
        if not data:
            yield _problem(N_("the file is empty"))
            return
        mapping: dict[str, str] | None = None
        if crosswalk is not None:
            mapping, problems = read_crosswalk(crosswalk)
            if problems:
                yield from problems
                return
        elif profile.needs_crosswalk:
            yield _problem(
                N_(
                    "the profile %(profile)s names rows by label only: give a crosswalk file "
                    "(CSV with columns label and code)"
                ),
                field="crosswalk",
                profile=profile.name,
            )
            return
        rows = (
            _xlsx_rows(data, profile) if profile.file.type == "xlsx" else _csv_rows(data, profile)
        )
        reader = _Reader(profile, mapping)
        try:
            yield from reader.run(rows)
        finally:
            rows.close()
    except _Stop as stop:
        yield stop.problem
    except RecursionError:  # pragma: no cover - a pathological regular expression
        yield _problem(N_("the file cannot be read with this profile"))


# --- preview ----------------------------------------------------------------------------


def summarise(
    data: bytes,
    filename: str,
    profile: Profile,
    crosswalk: bytes | None = None,
    first: int = 20,
    max_problems: int = MAX_PROBLEMS,
) -> tuple[TableSummary, list[Problem]]:
    """What a preview shows: the first ``first`` values, counts per indicator and year, and
    the problems (at most ``max_problems``, then one saying how many more there are)."""
    rows = 0
    head: list[LongRow] = []
    counts: dict[str, dict[int, int]] = {}
    problems: list[Problem] = []
    categories: list[LongRow] = []
    per_category: dict[str, int] = {}
    extra = 0
    for item in read_table(data, filename, profile, crosswalk=crosswalk):
        if isinstance(item, Problem):
            if len(problems) < max_problems:
                problems.append(item)
            else:
                extra += 1
            continue
        rows += 1
        if len(head) < first:
            head.append(item)
        if item.category is not None:
            shown = per_category.get(item.indicator, 0)
            if shown < CATEGORY_EXAMPLES:
                per_category[item.indicator] = shown + 1
                categories.append(item)
        by_year = counts.setdefault(item.indicator, {})
        by_year[item.year] = by_year.get(item.year, 0) + 1
    if extra:
        problems.append(_problem(N_("... and %(count)s more problems"), count=extra))
    summary = TableSummary(
        rows=rows, first=tuple(head), counts=counts, categories=tuple(categories)
    )
    return summary, problems


@dataclass(frozen=True)
class ForecastPreview:
    """A parsed forecast table as an upload preview shows it (JSON both ways, for the
    upload child process)."""

    #: Version of the ``to_json`` document; raise it when the fields change.
    SCHEMA = 1

    filename: str
    #: Name of the profile read with.
    profile: str
    summary: TableSummary
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and self.summary.rows > 0

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": self.SCHEMA,
            "filename": self.filename,
            "profile": self.profile,
            "summary": self.summary.to_json(),
            "problems": [p.to_json() for p in self.problems],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> ForecastPreview:
        """The preview ``to_json`` wrote; ValueError for another schema or a malformed one."""
        if not isinstance(doc, dict) or doc.get("schema") != cls.SCHEMA:
            raise ValueError("not a forecast preview of this version")
        try:
            return cls(
                filename=str(doc["filename"]),
                profile=str(doc["profile"]),
                summary=TableSummary.from_json(doc["summary"]),
                problems=tuple(
                    Problem(
                        str(p["message"]),
                        field=p.get("field"),
                        file=p.get("file"),
                        line=p.get("line"),
                        row=p.get("row"),
                        column=p.get("column"),
                        params=params_from_json(p.get("params")),
                    )
                    for p in doc["problems"]
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError("a malformed forecast preview") from exc


def preview_forecast_table(
    data: bytes,
    filename: str,
    profile: str,
    crosswalk: str | None = None,
    first: int = 20,
) -> ForecastPreview:
    """``summarise`` for the upload child process: ``profile`` is the profile's YAML text,
    ``crosswalk`` the crosswalk file's text. A broken profile is a preview of its problems."""
    try:
        spec = load_profile_text(profile)
    except ProfileError as exc:
        empty = TableSummary(rows=0)
        return ForecastPreview(filename, "", empty, tuple(exc.problems[:MAX_PROBLEMS]))
    summary, problems = summarise(
        data,
        filename,
        spec,
        crosswalk=crosswalk.encode("utf-8") if crosswalk is not None else None,
        first=first,
    )
    return ForecastPreview(filename, spec.name, summary, tuple(problems))
