"""A vectorised reader for the plain CSV layouts (pandas / numpy), with exactly the result of
``app.forecasts.parse.read_table`` or none at all.

``read_columns`` reads a CSV file the profile describes as one long table (one row per
value) or one simple wide table (one row per sector or occupation, a column per indicator
and year) in chunks of ``CHUNK_ROWS`` rows with ``pandas.read_csv``, and turns each chunk
into a ``Chunk``: the values as columns (codes into small lists of texts, numbers as
arrays), never as one Python object per value. Every cell goes through the same rules as
the row-by-row reader: texts that occur many times (codes, labels, indicators, years) are
checked once per distinct text with the reader's own functions; numbers written plainly
(``1234.5``) are checked and converted as arrays, any other number text by the reader's
own function.

It declines (``Declined``) on anything it does not read exactly as the row-by-row reader
does: a profile feature it does not handle (workbooks, sections, skip patterns, levels by
indent, a crosswalk, several blocks), a file it cannot vouch for (quoting it
does not check, a line break inside a cell, another encoding, a row longer than the
first) and any problem in the file (a value that is not a number, a duplicate key, a
missing column). The caller then reads the file row by row, which finds and locates every
problem. Declining can happen after some chunks: nothing is written before the whole file
was read.

Memory holds one chunk of the file as text plus the compact columns of the chunks read
(about 30 bytes a value), and a 64-bit key a value to find duplicates.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.forecasts.parse import (
    _PLAIN_NUMBER,
    _SPACES,
    _BlockState,
    _cell_text,
    _csv_rows,
    _norm,
    _Reader,
    _Stop,
    _year,
)
from app.forecasts.profile import Profile
from app.forecasts.table import Level, LongRow, Status, json_list

__all__ = ["CHUNK_ROWS", "Chunk", "Declined", "read_columns"]

#: Rows of the file read at a time.
CHUNK_ROWS = 250_000


class Declined(Exception):
    """The file is not one the vectorised reader reads exactly; read it row by row."""


# ----------------------------------------------------------------------------- columns


@dataclass
class Codes:
    """A column of texts (or None) as codes into a list of distinct values."""

    codes: np.ndarray
    values: list[Any]

    def take(self, where: np.ndarray) -> Codes:
        return Codes(self.codes[where], self.values)

    def tolist(self) -> list[Any]:
        return np.asarray(self.values + [None], dtype=object)[self.codes].tolist()


@dataclass
class Chunk:
    """Values in file order, as columns. ``value`` is NaN where ``value_null``."""

    n: int
    geography: Codes
    sector_code: Codes
    occupation_code: Codes
    qualification: Codes
    indicator: Codes
    year: np.ndarray
    value: np.ndarray
    value_null: np.ndarray
    category: Codes
    unit: Codes
    label: Codes
    label_alt: Codes
    level: Codes
    #: Flags and notes of the few values that have any: {position: tuple}.
    flags: dict[int, tuple[Status, ...]] = field(default_factory=dict)
    notes: dict[int, tuple[str, ...]] = field(default_factory=dict)
    source_row: np.ndarray | None = None

    def _values(self) -> list[Any]:
        out = self.value.tolist()
        for i in np.flatnonzero(self.value_null).tolist():
            out[i] = None
        return out

    def value_tuples(self) -> Iterator[tuple[Any, ...]]:
        """The columns ``services.VALUE_COLUMNS`` after ``dataset_id``, a tuple a value."""
        flags: list[Any] = [None] * self.n
        for i, f in self.flags.items():
            flags[i] = json_list([s.value for s in f])
        notes: list[Any] = [None] * self.n
        for i, n in self.notes.items():
            notes[i] = json_list(list(n))
        levels = Codes(self.level.codes, [v.value if v else None for v in self.level.values])
        return zip(
            self.geography.tolist(),
            self.sector_code.tolist(),
            self.occupation_code.tolist(),
            self.qualification.tolist(),
            self.indicator.tolist(),
            self.year.tolist(),
            self._values(),
            self.category.tolist(),
            self.unit.tolist(),
            self.label.tolist(),
            self.label_alt.tolist(),
            levels.tolist(),
            flags,
            notes,
            strict=True,
        )

    def counts(self) -> list[tuple[str, int, int]]:
        """(indicator, year, values) in the order they first appear."""
        import pandas as pd

        key = self.indicator.codes.astype(np.int64) * 100_000 + self.year
        codes, uniques = pd.factorize(key, sort=False)
        counts = np.bincount(codes, minlength=len(uniques)).tolist()
        return [
            (self.indicator.values[k // 100_000], k % 100_000, c)
            for k, c in zip(uniques.tolist(), counts, strict=True)
        ]

    def head(self, limit: int) -> Chunk:
        """The first ``limit`` values."""
        end = min(limit, self.n)

        def cut(column: Codes) -> Codes:
            return Codes(column.codes[:end], column.values)

        return Chunk(
            end,
            cut(self.geography),
            cut(self.sector_code),
            cut(self.occupation_code),
            cut(self.qualification),
            cut(self.indicator),
            self.year[:end],
            self.value[:end],
            self.value_null[:end],
            cut(self.category),
            cut(self.unit),
            cut(self.label),
            cut(self.label_alt),
            cut(self.level),
            {i: f for i, f in self.flags.items() if i < end},
            {i: n for i, n in self.notes.items() if i < end},
            self.source_row[:end] if self.source_row is not None else None,
        )

    def long_rows(self, limit: int | None = None) -> list[LongRow]:
        """The values as ``read_table`` gives them (the first ``limit``)."""
        if limit is not None and limit < self.n:
            return self.head(limit).long_rows()
        rows = self.source_row.tolist() if self.source_row is not None else [None] * self.n
        return [
            LongRow(
                g,
                s,
                o,
                q,
                i,
                y,
                v,
                u,
                c,
                lab,
                alt,
                lev,
                self.flags.get(k, ()),
                self.notes.get(k, ()),
                r,
            )  # fmt: skip
            for k, (g, s, o, q, i, y, v, u, c, lab, alt, lev, r) in enumerate(
                zip(
                    self.geography.tolist(),
                    self.sector_code.tolist(),
                    self.occupation_code.tolist(),
                    self.qualification.tolist(),
                    self.indicator.tolist(),
                    self.year.tolist(),
                    self._values(),
                    self.unit.tolist(),
                    self.category.tolist(),
                    self.label.tolist(),
                    self.label_alt.tolist(),
                    self.level.tolist(),
                    rows,
                    strict=True,
                )
            )
        ]


def _constant(value: Any, n: int) -> Codes:
    return Codes(np.zeros(n, dtype=np.int32), [value])


def _mapped(texts: np.ndarray, function: Any) -> tuple[np.ndarray, list[Any]]:
    """``function`` of every distinct text: (codes, results)."""
    import pandas as pd

    codes, uniques = pd.factorize(texts, sort=False, use_na_sentinel=False)
    return codes.astype(np.int32), [function(t) for t in uniques.tolist()]


# ----------------------------------------------------------------------------- the file


_PLAIN_QUOTED = re.compile(rb'"(?:[^"\r\n]|"")*"')


def _check_quotes(data: bytes, start: int, delimiter: bytes) -> None:
    """Decline unless every quote of ``data[start:]`` opens or closes a quoted cell (which
    ``csv`` and pandas read alike) on one line."""
    at = data.find(b'"', start)
    bounds = (delimiter, b"\n", b"\r")
    while at != -1:
        if data[at - 1 : at] not in bounds:
            raise Declined("a quote inside a cell")
        match = _PLAIN_QUOTED.match(data, at)
        if match is None:
            raise Declined("a quoted cell runs over a line")
        end = match.end()
        if end < len(data) and data[end : end + 1] not in bounds:
            raise Declined("text after a quoted cell")
        at = data.find(b'"', end)


def _header(data: bytes, profile: Profile, reader: _Reader) -> int:
    """Read the header rows as the row-by-row reader does; the number of lines above the
    data."""
    header_rows = []
    rows = _csv_rows(data, profile)
    try:
        for row in rows:
            if any("\n" in v or "\r" in v for v in row.values):
                raise Declined("a line break inside a cell")
            if not header_rows and not reader._is_header_start(row):
                continue
            header_rows.append(row)
            if len(header_rows) == profile.layout.header_rows:
                break
    except _Stop:
        raise Declined("the file cannot be read") from None
    finally:
        rows.close()
    if len(header_rows) < profile.layout.header_rows:
        raise Declined("no header")
    reader._header(header_rows)
    return header_rows[-1].number


def _supported(profile: Profile, crosswalk: bytes | None) -> None:
    if not isinstance(profile, Profile):
        raise Declined("not a profile")
    layout = profile.layout
    if profile.file.type != "csv" or profile.file.encoding.lower().startswith("utf-16"):
        raise Declined("not a CSV file of a single-byte or UTF-8 encoding")
    if len(profile.file.delimiter) != 1 or profile.file.delimiter in ' "\r\n':
        raise Declined("delimiter")
    if crosswalk is not None or profile.needs_crosswalk:
        raise Declined("a crosswalk")
    if layout.sections or layout.skip or len(layout.blocks) != 1:
        raise Declined("sections, skipped rows or several blocks")
    block = layout.blocks[0]
    rule = block.rows.level
    if rule is not None and rule.by == "indent":
        raise Declined("levels by indent")
    if block.rows.crosswalk:
        raise Declined("a crosswalk")
    if block.long is None and any(v.type == "category" for v in block.values):
        pass  # categorical wide columns are read like long ones


def read_columns(
    data: bytes,
    profile: Profile,
    *,
    crosswalk: bytes | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[Chunk]:
    """The values of the file as ``read_table`` reads them, in chunks; raises ``Declined``
    (perhaps after some chunks) when the file must be read row by row."""
    import pandas as pd

    _supported(profile, crosswalk)
    if not data or data.startswith(b"PK\x03\x04") or b"\x00" in data:
        raise Declined("not a text file")
    if data.count(b"\r") != data.count(b"\r\n"):
        raise Declined("lines ending in a carriage return alone")
    reader = _Reader(profile, None)
    above = _header(data, profile, reader)
    problems: list[Any] = []
    state = reader._resolve(profile.layout.blocks[0], problems)
    if problems:
        raise Declined("the header lacks a column")
    start = 0
    for _ in range(above):
        start = data.find(b"\n", start) + 1
        if start == 0:
            raise Declined("the file ends within the header")
    delimiter = profile.file.delimiter
    _check_quotes(data, start, delimiter.encode("ascii"))
    cells = _Cells(reader, state)
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    seen_rows = above
    data_rows = 0
    keys: list[np.ndarray] = []
    try:
        frames = pd.read_csv(
            io.BytesIO(data),
            sep=delimiter,
            header=None,
            skiprows=above,
            dtype=defaultdict(lambda: "category", {i - 1: object for i in cells.value_columns}),
            na_filter=False,
            keep_default_na=False,
            skip_blank_lines=False,
            quoting=csv.QUOTE_MINIMAL,
            doublequote=True,
            encoding=profile.file.encoding,
            encoding_errors="strict",
            engine="c",
            chunksize=chunk_rows,
            low_memory=False,
        )
        with frames:
            for frame in frames:
                first_row = seen_rows + 1
                seen_rows += len(frame)
                chunk, rows, key = cells.chunk(frame, first_row)
                data_rows += rows
                if chunk is not None and chunk.n:
                    keys.append(key)
                    yield chunk
                if cells.ended:
                    break
    except Declined:
        raise
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, OverflowError) as exc:
        raise Declined(f"pandas: {exc}") from None
    ended = cells.ended  # the rows after the end were not all read
    if not ended and seen_rows != lines and not (seen_rows == lines - 1 and data.endswith(b"\n\n")):
        raise Declined("rows and lines differ")
    if data_rows == 0:
        raise Declined("no data rows")
    if keys:
        every = np.sort(np.concatenate(keys))
        if (every[1:] == every[:-1]).any():
            raise Declined("a duplicate key")


# ----------------------------------------------------------------------------- cells


class _Cells:
    """The rules of ``_Reader._block_row`` / ``_long_value`` / ``_value`` as arrays."""

    def __init__(self, reader: _Reader, state: _BlockState) -> None:
        self.reader = reader
        self.state = state
        self.block = state.block
        self.layout = reader.layout
        self.profile = reader.profile
        #: Distinct codes and indicators of the whole file, for the duplicate keys.
        self.code_ids: dict[Any, int] = {}
        self.indicator_ids: dict[str, int] = {}
        self.labels: dict[str, tuple[str | None, tuple[str, ...]]] = {}
        #: The profile's end patterns, and whether a row matching one was met.
        self.end = reader.end
        self.ended = False
        #: Plain numbers are read as arrays unless a missing marker is one.
        self.plain = self.layout.decimal == "." and not any(
            _PLAIN_NUMBER.fullmatch(m) for m in reader.missing
        )
        #: Columns read, 1-based; those of values are read as text, the others as categories.
        self.used = [
            i
            for i in (
                state.label,
                state.label_alt,
                state.code,
                state.level,
                state.long_indicator,
                state.long_year,
                state.long_value,
                state.long_unit,
                *(c.index for c in state.columns or ()),
            )
            if i is not None
        ]
        if state.long_value is not None:
            self.value_columns = {state.long_value}
        else:
            self.value_columns = {c.index for c in state.columns or ()}

    # -- texts of a column
    def column(self, frame: Any, index: int | None) -> np.ndarray | None:
        """The 1-based column ``index`` as an object array of texts ("" beyond a row)."""
        if index is None:
            return None
        if index - 1 >= frame.shape[1]:
            return np.full(len(frame), "", dtype=object)
        return frame.iloc[:, index - 1].to_numpy(dtype=object)

    def factorised(self, frame: Any, index: int | None) -> tuple[np.ndarray, list[Any]] | None:
        """The 1-based column ``index`` as (codes, distinct texts); None without a column."""
        import pandas as pd

        if index is None:
            return None
        if index - 1 >= frame.shape[1]:
            return np.zeros(len(frame), dtype=np.int32), [""]
        column = frame.iloc[:, index - 1]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy()
            if len(codes) and codes.min() < 0:
                raise Declined("a cell pandas did not read")
            return codes.astype(np.int32), column.cat.categories.tolist()
        # (categories no row of the chunk uses are kept: see ``mapped``)
        return _mapped(column.to_numpy(dtype=object), lambda t: t)

    def mapped(
        self, frame: Any, index: int, function: Any, unused: Any = None
    ) -> tuple[np.ndarray, list[Any]]:
        """``function`` of every distinct text of the 1-based column ``index`` (``unused``
        for the texts no row uses)."""
        codes, texts = self.factorised(frame, index)
        present = np.bincount(codes, minlength=len(texts)) > 0  # a category may be unused
        return codes, [function(t) if p else unused for t, p in zip(texts, present, strict=True)]

    def _label(self, raw: str) -> tuple[str | None, tuple[str, ...]]:
        found = self.labels.get(raw)
        if found is None:
            found = self.labels[raw] = self._read_label(raw)
            if len(self.labels) > 200_000:
                self.labels.clear()
        return found

    def _read_label(self, raw: str) -> tuple[str | None, tuple[str, ...]]:
        text = _cell_text(raw)
        if self.reader._is_missing(text):
            return None, ()
        label, notes = self.reader._split(text)
        return _SPACES.sub(" ", label).strip() or None, notes

    def _label_alt(self, raw: str) -> str | None:
        text = _cell_text(raw)
        if self.reader._is_missing(text):
            return None
        return _SPACES.sub(" ", self.reader._split(text)[0]).strip() or None

    def _code(self, raw: str) -> str | None:
        text = _cell_text(raw)
        if self.reader._is_missing(text):
            return None
        return self.reader._split(text)[0] or None

    def _level_of(self, code: str | None, level_text: str) -> Level | None:
        rule = self.block.rows.level
        if rule is None:
            return None
        if rule.by == "code":
            if code is None:
                return None
            if re.search(rule.aggregate[0], code):
                return Level.aggregate
            if not rule.detail or re.search(rule.detail[0], code):
                return Level.detail
            return None
        text = _cell_text(level_text)
        if self.reader._is_missing(text):
            return None
        wanted = _norm(text)
        if any(_norm(v) == wanted for v in rule.aggregate):
            return Level.aggregate
        if any(_norm(v) == wanted for v in rule.detail):
            return Level.detail
        raise Declined("a level the profile does not know")

    # -- one value cell
    def value_cell(
        self, raw: str, kind: str, categories: tuple[str, ...], missing: tuple[str, ...]
    ) -> tuple[bool, float | None, str | None, tuple[Status, ...], tuple[str, ...]]:
        """(a value here, number, category, flags, notes) as ``_Reader._value`` reads it,
        before the scale."""
        reader = self.reader
        text = _cell_text(raw)
        if not text:
            return False, None, None, (), ()
        if missing and any(_norm(text) == _norm(m) for m in missing):
            text = ""
        if kind == "category":
            if reader._is_missing(text):
                return True, None, None, (), ()
            clean, notes = reader._split(text)
            wanted = _norm(clean)
            category = next((c for c in categories if _norm(c) == wanted), None)
            if category is None:
                raise Declined("not a category")
            return True, None, category, (), notes
        if reader._is_missing(text):
            return True, None, None, (), ()
        number, flags, notes = reader._number_text(text)
        if number is None:
            raise Declined("not a number")
        return True, number, None, tuple(flags), notes

    def values(
        self,
        texts: np.ndarray,
        kind: str,
        categories: tuple[str, ...],
        missing: tuple[str, ...],
        plain: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Any], dict[int, Any], dict[int, Any]]:
        """Per cell: (a value here, number, number is null, category, flags, notes)."""
        n = len(texts)
        keep = np.ones(n, dtype=bool)
        numbers = np.full(n, np.nan)
        null = np.zeros(n, dtype=bool)
        category: list[Any] = [None] * n
        flags: dict[int, Any] = {}
        notes: dict[int, Any] = {}
        if kind == "category":
            codes, results = _mapped(texts, lambda t: self.value_cell(t, kind, categories, missing))
            for i, (here, _number, cat, _flags, cell_notes) in zip(
                range(n), (results[c] for c in codes.tolist()), strict=True
            ):
                if not here:
                    keep[i] = False
                    continue
                null[i] = True
                category[i] = cat
                if cell_notes:
                    notes[i] = cell_notes
            return keep, numbers, null, category, flags, notes
        if not self.plain or missing:
            plain = np.zeros(n, dtype=bool)
        elif plain is None:
            plain = _plain_numbers(texts)
        if plain.any():
            numbers[plain] = texts[plain].astype(np.float64)  # float() of each text
        for i in np.flatnonzero(~plain).tolist():
            here, number, _cat, cell_flags, cell_notes = self.value_cell(
                texts[i], kind, categories, missing
            )
            if not here:
                keep[i] = False
                continue
            if number is None:
                null[i] = True
            else:
                numbers[i] = number
            if cell_flags:
                flags[i] = cell_flags
            if cell_notes:
                notes[i] = cell_notes
        return keep, numbers, null, category, flags, notes

    # -- a chunk
    def chunk(self, frame: Any, first_row: int) -> tuple[Chunk | None, int, np.ndarray]:
        """The chunk's values, how many of its rows are data rows, and the values' keys."""
        state = self.state
        if self.end:
            end = self._end_row(frame)
            if end is not None:
                self.ended = True
                frame = frame.iloc[:end]
        n = len(frame)
        if n == 0:
            return None, 0, np.zeros(0, dtype=np.int64)
        used = list(dict.fromkeys(self.used))
        self.plain_cells: dict[int, np.ndarray] = {}
        # rows with nothing in any cell are not data rows
        filled = np.zeros(n, dtype=bool)
        for index in used:
            if index in self.value_columns:
                texts = self.column(frame, index)
                plain = self.plain_cells[index] = _plain_numbers(texts)
                filled |= plain
                rest = np.flatnonzero(~plain)
                if len(rest):
                    filled[rest] |= [bool(t.strip()) for t in texts[rest].tolist()]
            else:
                codes, blank = self.mapped(frame, index, lambda t: not t.strip(), True)
                filled |= ~np.asarray(blank, dtype=bool)[codes]
        other_rows = 0  # rows with text only in columns the profile does not read
        if filled.all():
            rows = np.arange(n)
        else:
            others = [i for i in range(1, frame.shape[1] + 1) if i not in used]
            empty_rows = np.flatnonzero(~filled)
            other = np.zeros(len(empty_rows), dtype=bool)
            for index in others:
                codes, blank = self.mapped(frame, index, lambda t: not t.strip(), True)
                other |= ~np.asarray(blank, dtype=bool)[codes[empty_rows]]
            if other.any():
                if self.block.long is not None:
                    raise Declined("a row with cells the profile does not read")
                other_rows = int(other.sum())  # a wide table has no value there
            rows = np.flatnonzero(filled)
            if not len(rows):
                return None, other_rows, np.zeros(0, dtype=np.int64)
            frame = frame.iloc[rows]
            self.plain_cells = {i: p[rows] for i, p in self.plain_cells.items()}
        source_rows = rows.astype(np.int64) + first_row
        m = len(rows)
        block = self.block

        # the row's code, label and level
        label = label_notes = None
        if state.label is not None:
            codes, results = self.mapped(frame, state.label, self._label, (None, ()))
            label = Codes(codes, [r[0] for r in results])
            label_notes = Codes(codes, [r[1] for r in results])
        label_alt = (
            Codes(*self.mapped(frame, state.label_alt, self._label_alt))
            if state.label_alt is not None
            else _constant(None, m)
        )
        codes, combos = _combine(
            m,
            self.factorised(frame, state.code),
            self.factorised(frame, state.label),
            self.factorised(frame, state.level),
        )
        results = [self._row_code(*combo) for combo in combos]
        code = Codes(codes, [r[0] for r in results])
        level = Codes(codes, [r[1] for r in results])
        bad = np.asarray([r[2] for r in results], dtype=bool)[codes]
        if block.long is not None and bad.any():
            raise Declined("a row without a code, or with a level the profile does not know")
        label = label if label is not None else _constant(None, m)
        base_notes = label_notes

        geography = block.geography or ""
        sector = block.sector_code
        occupation = block.occupation_code
        sector_col = code if block.dimension == "sector" else _constant(sector, m)
        occupation_col = code if block.dimension == "occupation" else _constant(occupation, m)

        if block.long is not None:
            chunk, rows_read, key = self._long(
                frame,
                m,
                source_rows,
                geography,
                sector_col,
                occupation_col,
                code,
                label,
                label_alt,
                level,
                base_notes,
            )
            return chunk, rows_read, key
        chunk, rows_read, key = self._wide(
            frame,
            m,
            source_rows,
            geography,
            sector_col,
            occupation_col,
            code,
            label,
            label_alt,
            level,
            base_notes,
            bad=bad,
        )
        return chunk, rows_read + other_rows, key

    def _end_row(self, frame: Any) -> int | None:
        """The first row of the chunk whose first filled cell matches an end pattern (the
        row-by-row reader stops there), if any."""
        n = len(frame)
        undecided = np.ones(n, dtype=bool)
        ends = np.zeros(n, dtype=bool)
        for index in range(1, frame.shape[1] + 1):
            if not undecided.any():
                break
            if index in self.value_columns:
                texts = self.column(frame, index)
                for i in np.flatnonzero(undecided).tolist():
                    text = texts[i].strip()
                    if text:
                        undecided[i] = False
                        ends[i] = any(p.search(text) for p in self.end)
                continue
            codes, found = self.mapped(
                frame,
                index,
                lambda t: (bool(t.strip()), any(p.search(t.strip()) for p in self.end)),
                (False, False),
            )
            filled = np.asarray([f[0] for f in found], dtype=bool)[codes]
            matches = np.asarray([f[1] for f in found], dtype=bool)[codes]
            here = undecided & filled
            ends |= here & matches
            undecided &= ~filled
        at = np.flatnonzero(ends)
        return int(at[0]) if len(at) else None

    def _row_code(
        self, code_text: str | None, label_text: str | None, level_text: str | None
    ) -> tuple[str | None, Level | None, bool]:
        """The row's code and level, and whether the row-by-row reader finds a problem with
        them (no code; a level it does not know)."""
        state, block = self.state, self.block
        code = self._code(code_text) if code_text is not None else None
        label = self._label(label_text)[0] if label_text is not None else None
        if code is None and label is not None:
            code = state.label_codes.get(_norm(label))
        if code is None and block.dimension is not None:
            return None, None, True
        try:
            return code, self._level_of(code, level_text or ""), False
        except Declined:
            return code, None, True

    def _key(self, code: Codes, indicator: Codes, year: np.ndarray) -> np.ndarray:
        known = self.code_ids
        code_ids = np.asarray([known.setdefault(c, len(known)) for c in code.values])
        ind_ids = np.asarray(
            [self.indicator_ids.setdefault(i, len(self.indicator_ids)) for i in indicator.values]
        )
        if len(self.indicator_ids) >= 2**16 or (year < 0).any() or (year >= 2**16).any():
            raise Declined("too many indicators for the keys")
        return (
            (code_ids[code.codes].astype(np.int64) << 32)
            | (ind_ids[indicator.codes].astype(np.int64) << 16)
            | year.astype(np.int64)
        )

    def _finish(
        self,
        keep: np.ndarray,
        source_rows: np.ndarray,
        geography: str,
        sector: Codes,
        occupation: Codes,
        code: Codes,
        label: Codes,
        label_alt: Codes,
        level: Codes,
        indicator: Codes,
        year: np.ndarray,
        numbers: np.ndarray,
        null: np.ndarray,
        category: Codes,
        unit: Codes,
        flags: dict[int, Any],
        notes: dict[int, Any],
    ) -> tuple[Chunk, np.ndarray]:
        where = np.flatnonzero(keep)
        position = np.full(len(keep), -1, dtype=np.int64)
        position[where] = np.arange(len(where))
        n = len(where)
        chunk = Chunk(
            n=n,
            geography=_constant(geography, n),
            sector_code=sector.take(where),
            occupation_code=occupation.take(where),
            qualification=_constant(self.block.qualification, n),
            indicator=indicator.take(where),
            year=year[where],
            value=numbers[where],
            value_null=null[where],
            category=category.take(where),
            unit=unit.take(where),
            label=label.take(where),
            label_alt=label_alt.take(where),
            level=level.take(where),
            flags={int(position[i]): f for i, f in flags.items() if keep[i]},
            notes={int(position[i]): t for i, t in notes.items() if keep[i]},
            source_row=source_rows[where],
        )
        # the key of a value: its code only when the rows are sectors or occupations
        keyed = code.take(where) if self.block.dimension is not None else _constant(None, n)
        key = self._key(keyed, chunk.indicator, chunk.year)
        return chunk, key

    def _scaled(self, numbers: np.ndarray, null: np.ndarray, scales: np.ndarray) -> np.ndarray:
        """``number * scale``, rounded to 9 decimals where the scale is not 1, as Python
        rounds."""
        out = numbers * scales
        odd = np.flatnonzero((scales != 1.0) & ~null)
        if len(odd):
            out[odd] = [round(v, 9) for v in out[odd].tolist()]
        return out

    def _long(
        self,
        frame: Any,
        m: int,
        source_rows: np.ndarray,
        geography: str,
        sector: Codes,
        occupation: Codes,
        code: Codes,
        label: Codes,
        label_alt: Codes,
        level: Codes,
        base_notes: Codes | None,
    ) -> tuple[Chunk, int, np.ndarray]:
        state, block, reader = self.state, self.block, self.reader
        long = block.long
        assert long is not None

        def indicator_of(raw: str) -> tuple[str, Any, tuple[str, ...]]:
            name, name_notes = reader._split(_cell_text(raw))
            name = _SPACES.sub(" ", name).strip()
            spec = None
            if long.indicators is not None:
                spec = state.indicators.get(_norm(name))
                if spec is None:
                    raise Declined("an indicator the profile does not read")
            elif not name:
                raise Declined("an empty indicator")
            return (spec.indicator if spec else name), spec, name_notes

        icodes, indicators = self.mapped(frame, state.long_indicator, indicator_of, ("", None, ()))

        def year_of(raw: str) -> int:
            year = _year(_cell_text(raw))
            if year is None:
                raise Declined("not a year")
            return year

        ycodes, years = self.mapped(frame, state.long_year, year_of, 0)
        year = np.asarray(years, dtype=np.int64)[ycodes]

        texts = self.column(frame, state.long_value)
        kinds = {(s.type if s else "number") for _, s, _ in indicators}
        kind_of = sorted(kinds)
        keep = np.ones(m, dtype=bool)
        numbers = np.full(m, np.nan)
        null = np.zeros(m, dtype=bool)
        category: list[Any] = [None] * m
        flags: dict[int, Any] = {}
        notes: dict[int, Any] = {}
        spec_kinds = np.asarray(
            [kind_of.index(s.type if s else "number") for _, s, _ in indicators], dtype=np.int8
        )
        for k_index, kind in enumerate(kind_of):
            rows = np.flatnonzero(spec_kinds[icodes] == k_index) if len(kinds) > 1 else np.arange(m)
            if kind == "category":  # each indicator with its own categories
                for ind in set(icodes[rows].tolist()):
                    spec = indicators[ind][1]
                    sub = rows[icodes[rows] == ind]
                    k, num, nul, cat, fl, no = self.values(texts[sub], kind, spec.categories, ())
                    keep[sub], numbers[sub], null[sub] = k, num, nul
                    for j, i in enumerate(sub.tolist()):
                        category[i] = cat[j]
                    flags.update({int(sub[j]): v for j, v in fl.items()})
                    notes.update({int(sub[j]): v for j, v in no.items()})
                continue
            k, num, nul, _cat, fl, no = self.values(
                texts[rows], kind, (), (), self.plain_cells[state.long_value][rows]
            )
            keep[rows], numbers[rows], null[rows] = k, num, nul
            flags.update({int(rows[j]): v for j, v in fl.items()})
            notes.update({int(rows[j]): v for j, v in no.items()})

        # unit and scale
        def unit_of(ind: int, unit_text: str | None) -> str | None:
            spec = indicators[ind][1]
            unit = None
            if unit_text is not None:
                text = _cell_text(unit_text)
                unit = None if reader._is_missing(text) else text
            unit = (
                unit or (spec.unit if spec else None) or block.unit or self.profile.provenance.unit
            )
            if spec is not None and spec.type == "category":
                return None
            return unit

        ucodes, combos = _combine(
            m, (icodes, list(range(len(indicators)))), self.factorised(frame, state.long_unit)
        )
        units = [unit_of(*combo) for combo in combos]
        scale_of = np.asarray(
            [float((s.scale if s else None) or block.scale) for _, s, _ in indicators]
        )[icodes]
        numbers = self._scaled(numbers, null, scale_of)

        # notes: the label's, the indicator's, the cell's
        name_notes = [t for _, _, t in indicators]
        has = [i for i, t in enumerate(name_notes) if t]
        label_has = (
            [i for i, t in enumerate(base_notes.values) if t] if base_notes is not None else []
        )
        candidates = set(notes)
        if has:
            candidates.update(np.flatnonzero(np.isin(icodes, has)).tolist())
        if label_has:
            candidates.update(np.flatnonzero(np.isin(base_notes.codes, label_has)).tolist())
        merged: dict[int, Any] = {}
        for i in sorted(candidates):
            base = base_notes.values[base_notes.codes[i]] if base_notes is not None else ()
            extra = (*name_notes[icodes[i]], *notes.get(i, ()))
            merged[i] = tuple(dict.fromkeys((*base, *extra))) if extra else base
            if not merged[i]:
                del merged[i]

        chunk, key = self._finish(
            keep,
            source_rows,
            geography,
            sector,
            occupation,
            code,
            label,
            label_alt,
            level,
            Codes(icodes, [t for t, _, _ in indicators]),
            year,
            numbers,
            null,
            Codes(*_categories(category)) if "category" in kinds else _constant(None, m),
            Codes(ucodes, units),
            flags,
            merged,
        )
        return chunk, m, key

    def _wide(
        self,
        frame: Any,
        m: int,
        source_rows: np.ndarray,
        geography: str,
        sector: Codes,
        occupation: Codes,
        code: Codes,
        label: Codes,
        label_alt: Codes,
        level: Codes,
        base_notes: Codes | None,
        *,
        bad: np.ndarray,
    ) -> tuple[Chunk, int, np.ndarray]:
        state, block, reader = self.state, self.block, self.reader
        columns = state.columns or []
        if not columns:
            raise Declined("no value columns")
        if any(c.indicator is None for c in columns):
            raise Declined("a value column without an indicator")
        width = len(columns)
        # a row without a label or code and without any value is no row of this table
        no_code = np.ones(m, dtype=bool)
        if state.code is not None:
            codes, absent = self.mapped(frame, state.code, lambda t: self._code(t) is None, True)
            no_code = np.asarray(absent, dtype=bool)[codes]
        no_label = np.ones(m, dtype=bool)
        if state.label is not None:
            no_label = np.asarray([v is None for v in label.values], dtype=bool)[label.codes]
        empty = no_code & no_label
        if empty.any():
            any_value = np.zeros(m, dtype=bool)
            for column in columns:
                texts = self.column(frame, column.index)
                plain = self.plain_cells.get(column.index)
                for i in np.flatnonzero(empty).tolist():
                    if (plain is not None and plain[i]) or not reader._is_missing(
                        _cell_text(texts[i])
                    ):
                        any_value[i] = True
            row_kept = ~(empty & ~any_value)
        else:
            row_kept = np.ones(m, dtype=bool)
        if (bad & row_kept).any():
            raise Declined("a row without a code, or with a level the profile does not know")

        keep = np.zeros((m, width), dtype=bool)
        numbers = np.full((m, width), np.nan)
        null = np.zeros((m, width), dtype=bool)
        category: list[Any] = [None] * (m * width)
        flags: dict[int, Any] = {}
        notes: dict[int, Any] = {}
        units: list[str | None] = []
        years: list[int] = []
        has_category = False
        for j, column in enumerate(columns):
            spec = column.spec
            assert spec is not None
            texts = self.column(frame, column.index)
            plain = self.plain_cells.get(column.index)
            k, num, nul, cat, fl, no = self.values(
                texts, spec.type, spec.categories, spec.missing, plain
            )
            scale = float(spec.scale or block.scale)
            keep[:, j] = k & row_kept
            numbers[:, j] = self._scaled(num, nul, np.full(m, scale))
            null[:, j] = nul
            if spec.type == "category":
                has_category = True
                for i, c in enumerate(cat):
                    if c is not None:
                        category[i * width + j] = c
            for i, f in fl.items():
                flags[i * width + j] = f
            for i in range(m) if column.notes else ():
                no.setdefault(i, ())
            for i, cell_notes in no.items():
                extra = (*column.notes, *cell_notes)
                base = base_notes.values[base_notes.codes[i]] if base_notes is not None else ()
                merged = tuple(dict.fromkeys((*base, *extra))) if extra else base
                if merged:
                    notes[i * width + j] = merged
            units.append(
                None
                if spec.type == "category"
                else (spec.unit or block.unit or self.profile.provenance.unit)
            )
            years.append(column.year or 0)
        if base_notes is not None and any(base_notes.values):
            for i in np.flatnonzero(
                np.isin(base_notes.codes, [x for x, t in enumerate(base_notes.values) if t])
            ).tolist():
                base = base_notes.values[base_notes.codes[i]]
                for j in range(width):
                    notes.setdefault(i * width + j, base)

        def rows_of(column: Codes) -> Codes:
            return Codes(np.repeat(column.codes, width), column.values)

        per_column = np.tile(np.arange(width, dtype=np.int32), m)
        chunk, key = self._finish(
            keep.reshape(-1),
            np.repeat(source_rows, width),
            geography,
            rows_of(sector),
            rows_of(occupation),
            rows_of(code),
            rows_of(label),
            rows_of(label_alt),
            rows_of(level),
            Codes(per_column, [c.indicator for c in columns]),
            np.asarray(years, dtype=np.int64)[per_column],
            numbers.reshape(-1),
            null.reshape(-1),
            Codes(*_categories(category)) if has_category else _constant(None, m * width),
            Codes(per_column, units),
            flags,
            notes,
        )
        return chunk, m, key


def _categories(category: list[Any]) -> tuple[np.ndarray, list[Any]]:
    values: dict[Any, int] = {}
    codes = np.fromiter(
        (values.setdefault(c, len(values)) for c in category), dtype=np.int32, count=len(category)
    )
    return codes, list(values)


def _combine(n: int, *columns: tuple[np.ndarray, list[Any]] | None) -> tuple[np.ndarray, list]:
    """The distinct combinations of factorised columns (None: a column of None): (codes,
    [(value of each column), ...])."""
    import pandas as pd

    key = np.zeros(n, dtype=np.int64)
    parts = [c for c in columns if c is not None]
    for codes, values in parts:
        key = key * (len(values) + 1) + codes
    codes, uniques = pd.factorize(key, sort=False)
    combos = []
    for k in uniques.tolist():
        picked = []
        for _codes, values in reversed(parts):
            k, at = divmod(k, len(values) + 1)
            picked.append(values[at])
        picked.reverse()
        it = iter(picked)
        combos.append(tuple(next(it) if c is not None else None for c in columns))
    return codes.astype(np.int32), combos


def _plain_numbers(texts: np.ndarray) -> np.ndarray:
    """Which texts are plain numbers (``[+-]?\\d+(\\.\\d+)?``, which ``parse_number`` reads
    with ``float``): all of them, checked on their bytes at once, or each one."""
    if _all_plain(texts):
        return np.ones(len(texts), dtype=bool)
    return _plain_each(texts)


def _all_plain(texts: np.ndarray) -> bool:
    """Whether every text is a plain number, checked on the texts' bytes joined by line
    breaks."""
    if not len(texts):
        return True
    try:
        joined = ("\n" + "\n".join(texts.tolist()) + "\n").encode("ascii")
    except (TypeError, UnicodeEncodeError):
        return False
    b = np.frombuffer(joined, dtype=np.uint8)
    digit = (b >= 48) & (b <= 57)
    dot = b == 46
    sign = (b == 43) | (b == 45)
    line = b == 10
    if not (digit | dot | sign | line).all():
        return False
    before, after = b[:-1], b[1:]
    # a sign follows a line break and comes before a digit
    at = np.flatnonzero(sign)
    if len(at) and not ((b[at - 1] == 10).all() and digit[at + 1].all()):
        return False
    # a decimal point sits between digits, once in a text
    at = np.flatnonzero(dot)
    if len(at):
        if not (digit[at - 1].all() and digit[at + 1].all()):
            return False
        texts_of = np.searchsorted(np.flatnonzero(line), at)
        if (texts_of[1:] == texts_of[:-1]).any():
            return False
    # every text ends with a digit (none is empty)
    del before, after
    return bool(digit[np.flatnonzero(line)[1:] - 1].all())


def _plain_each(texts: np.ndarray) -> np.ndarray:
    """Which texts are plain numbers (``[+-]?\\d+(\\.\\d+)?``, which ``parse_number`` reads
    with ``float``), as arrays."""
    n = len(texts)
    if n == 0:
        return np.zeros(0, dtype=bool)
    try:
        fixed = texts.astype(str)
    except (TypeError, ValueError):
        return np.zeros(n, dtype=bool)
    width = fixed.dtype.itemsize // 4
    if width == 0:
        return np.zeros(n, dtype=bool)
    chars = fixed.view(np.uint32).reshape(n, width)
    digit = (chars >= 48) & (chars <= 57)
    dot = chars == 46
    pad = chars == 0
    sign = (chars[:, 0] == 43) | (chars[:, 0] == 45)
    body = digit | dot | pad
    body[:, 0] |= sign
    ok = body.all(axis=1)
    length = width - pad.sum(axis=1)
    # padding only at the end
    ok &= ~(pad[:, :-1] & ~pad[:, 1:]).any(axis=1) if width > 1 else ok
    dots = dot.sum(axis=1)
    ok &= dots <= 1
    start = sign.astype(np.int64)
    first_digit = np.take_along_axis(digit, start[:, None].clip(max=width - 1), axis=1)[:, 0]
    ok &= first_digit & (length > start)
    last = (length - 1).clip(min=0)
    ok &= np.take_along_axis(digit, last[:, None], axis=1)[:, 0]
    return ok
