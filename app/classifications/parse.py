"""Readers for published classification files, with a validation report.

``parse_nace_ramon`` reads the Eurostat RAMON export of NACE Rev. 2 (ten columns, with or
without a header row); ``parse_esco_isco_groups`` reads the ESCO ``ISCOGroups`` CSV. Both
return every record they could read together with the problems found; a caller imports
nothing unless ``ParseResult.problems`` is empty.

Problems name the 1-based row (CSV record, the header counting as row 1) and the column.
When a record starts on a different physical line than its row number (earlier records
with line breaks inside quoted fields), the message gives the line too.

``source`` is a path or a file object. Binary input is decoded as UTF-8 (a BOM is dropped) and
bytes that are not UTF-8 are reported by row and column; a text stream is taken as decoded
already. A path that cannot be opened raises ``OSError``.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from app.classifications.nace import (
    NACE_LEVEL_NAMES,
    ClassEntry,
    display_case,
    nace_uri,
    section_for_division,
)
from app.problems import Problem

Source = str | os.PathLike[str] | IO[bytes] | IO[str]

NACE_RAMON_COLUMNS: tuple[str, ...] = (
    "Order",
    "Level",
    "Code",
    "Parent",
    "Description",
    "This item includes",
    "This item also includes",
    "Rulings",
    "This item excludes",
    "Reference to ISIC Rev. 4",
)

ESCO_ISCO_COLUMNS: tuple[str, ...] = (
    "conceptType",
    "conceptUri",
    "code",
    "preferredLabel",
    "altLabels",
    "inScheme",
    "description",
)
ESCO_ISCO_REQUIRED: tuple[str, ...] = ("conceptType", "conceptUri", "code", "preferredLabel")

#: Longest label and URI that can be stored (the sizes of the database columns).
MAX_LABEL_LENGTH = 400
MAX_URI_LENGTH = 255

_BOM = "\ufeff"
_BAD_BYTE = re.compile("[\udc80-\udcff]")
#: Control characters other than tab and line breaks (a NUL cannot even be stored).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_NACE_CODE_PATTERNS: dict[int, tuple[re.Pattern[str], str]] = {
    1: (re.compile(r"[A-U]"), "section code (one letter A-U)"),
    2: (re.compile(r"\d{2}"), "division code (NN)"),
    3: (re.compile(r"\d{2}\.\d"), "group code (NN.N)"),
    4: (re.compile(r"\d{2}\.\d{2}"), "class code (NN.NN)"),
}
_ISIC_SECTION = re.compile(r"[A-U]")
_ISIC_NUMERIC = re.compile(r"\d{2,4}")
_ESCO_ISCO_CODE = re.compile(r"\d{1,4}")
_ESCO_ISCO_URI_CODE = re.compile(r"/isco/C(\d+)$")
_ISCO_LEVEL_NAMES = {1: "major group", 2: "sub-major group", 3: "minor group", 4: "unit group"}


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Records read from a file and the problems found; import only when ``ok``."""

    records: tuple[ClassEntry, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def level_counts(self) -> dict[int, int]:
        """Number of records per level, e.g. ``{1: 21, 2: 88, 3: 272, 4: 615}``."""
        return dict(sorted(Counter(entry.level for entry in self.records).items()))


def _normalise_name(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


class _Report:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, row: int, column: str | None, reason: str, line: int | None = None) -> None:
        self.problems.append(Problem(reason, field=column, row=row, column=column, line=line))


@dataclass(slots=True)
class _Row:
    number: int
    line: int
    fields: list[str]


def _read_text(source: Source) -> str:
    """Text of ``source``; bytes that are not UTF-8 survive as lone surrogates."""
    if isinstance(source, str | os.PathLike):
        data: bytes | str = Path(source).read_bytes()
    elif hasattr(source, "read"):
        data = source.read()
    else:
        raise TypeError(f"expected a path or a file object, not {type(source).__name__}")
    if isinstance(data, bytes | bytearray | memoryview):
        text = bytes(data).decode("utf-8", errors="surrogateescape")
    elif isinstance(data, str):
        text = data
    else:
        raise TypeError(f"file object returned {type(data).__name__}, not bytes or str")
    return text.removeprefix(_BOM)


def _rows(text: str, report: _Report) -> Iterator[_Row]:
    """CSV records with their row number and first physical line; blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    number = 0
    while True:
        start_line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.add(number + 1, None, f"the CSV cannot be read from here on ({exc})", start_line)
            return
        number += 1
        if fields:
            yield _Row(number, start_line, fields)


def _check_encoding(row: _Row, names: Sequence[str], report: _Report) -> list[str]:
    """Report fields holding bytes that are not UTF-8 or control characters other than line
    breaks and tabs (a NUL cannot be stored); return the fields with U+FFFD instead of bad
    bytes."""
    cleaned: list[str] = []
    for index, value in enumerate(row.fields):
        control = _CONTROL.search(value)
        if control:
            char = control.group()
            column = names[index] if index < len(names) else f"field {index + 1}"
            report.add(
                row.number,
                column,
                f"contains a control character (U+{ord(char):04X}); is this a text file?",
                row.line,
            )
        bad = _BAD_BYTE.findall(value)
        if bad:
            shown = " ".join(f"0x{ord(char) - 0xDC00:02x}" for char in bad[:5])
            column = names[index] if index < len(names) else f"field {index + 1}"
            report.add(
                row.number,
                column,
                f"contains bytes that are not valid UTF-8 ({shown}); save the file as UTF-8",
                row.line,
            )
            value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        cleaned.append(value)
    return cleaned


def _check_field_count(row: _Row, names: Sequence[str], report: _Report) -> bool:
    count = len(row.fields)
    if count == len(names):
        return True
    column = names[count] if count < len(names) else f"field {len(names) + 1}"
    report.add(
        row.number,
        column,
        f"the row has {count} field{'s' if count != 1 else ''}, expected exactly {len(names)}"
        f" ({', '.join(names)})",
        row.line,
    )
    return False


def _check_parents(
    records: Sequence[tuple[_Row, ClassEntry]],
    all_levels: Mapping[str, int],
    unusable: set[str],
    report: _Report,
    parent_column: str,
    level_name: Callable[[int], str],
) -> None:
    """Every non-top record's parent must exist somewhere in the file, one level up.

    Parents in ``unusable`` (rows already reported as invalid) and rows whose parent column
    was already reported are not reported again.
    """
    reported = {p.row for p in report.problems if p.column == parent_column}
    for row, entry in records:
        if entry.parent_code is None or entry.level == 1 or entry.parent_code in unusable:
            continue
        if row.number in reported:
            continue
        parent_level = all_levels.get(entry.parent_code)
        if parent_level is None:
            report.add(
                row.number,
                parent_column,
                f"parent {entry.parent_code!r} of {entry.code!r} is not in the file",
                row.line,
            )
        elif parent_level != entry.level - 1:
            report.add(
                row.number,
                parent_column,
                f"parent {entry.parent_code!r} is a {level_name(parent_level)} (level "
                f"{parent_level}); a {level_name(entry.level)} (level {entry.level}) needs a "
                f"parent of level {entry.level - 1}",
                row.line,
            )


def _nace_level_name(level: int) -> str:
    return NACE_LEVEL_NAMES.get(level, f"level {level}")


def _is_nace_header(fields: Sequence[str]) -> bool:
    known = {_normalise_name(name) for name in NACE_RAMON_COLUMNS}
    level = fields[1].strip() if len(fields) > 1 else ""
    return not level.isdigit() and sum(_normalise_name(f) in known for f in fields) >= 3


def parse_nace_ramon(source: Source, *, lang: str = "en") -> ParseResult:
    """Read a Eurostat RAMON export of NACE Rev. 2.

    Columns: Order, Level, Code, Parent, Description, This item includes, This item also
    includes, Rulings, This item excludes, Reference to ISIC Rev. 4. A header row with these
    names is recognised and checked; without it the first row is data. ``lang`` is the
    language of the labels in the file.
    """
    report = _Report()
    names = NACE_RAMON_COLUMNS
    text = _read_text(source)
    if not text.strip():
        report.add(1, names[0], "the file is empty; expected NACE Rev. 2 records")
        return ParseResult((), tuple(report.problems))

    rows = list(_rows(text, report))
    header: _Row | None = None
    if rows and _is_nace_header(rows[0].fields):
        header = rows.pop(0)
        fields = _check_encoding(header, names, report)
        if _check_field_count(header, names, report):
            for expected, found in zip(names, fields, strict=True):
                if _normalise_name(found) != _normalise_name(expected):
                    report.add(
                        header.number,
                        expected,
                        f"header is {found.strip()!r}, expected {expected!r}",
                        header.line,
                    )
    if not rows and not report.problems:
        report.add(header.number + 1 if header else 1, "Code", "the file holds no NACE records")

    entries: list[tuple[_Row, ClassEntry]] = []
    first_row_of: dict[str, int] = {}
    all_levels: dict[str, int] = {}
    unusable: set[str] = set()
    for row in rows:
        entry = _nace_entry(row, report, lang)
        if entry is None:
            if len(row.fields) > 2 and row.fields[2].strip():
                unusable.add(row.fields[2].strip())
            continue
        if entry.code in first_row_of:
            report.add(
                row.number,
                "Code",
                f"{entry.code!r} duplicates the code in row {first_row_of[entry.code]}",
                row.line,
            )
            continue
        first_row_of[entry.code] = row.number
        all_levels[entry.code] = entry.level
        entries.append((row, entry))

    _check_parents(entries, all_levels, unusable, report, "Parent", _nace_level_name)
    report.problems.sort(key=lambda problem: problem.row)
    return ParseResult(tuple(entry for _row, entry in entries), tuple(report.problems))


def _nace_entry(row: _Row, report: _Report, lang: str) -> ClassEntry | None:
    """Validate one NACE data row; return its entry if level and code are usable."""
    names = NACE_RAMON_COLUMNS
    fields = _check_encoding(row, names, report)
    if not _check_field_count(row, names, report):
        return None
    value = dict(zip(names, (f.strip() for f in fields), strict=True))

    def problem(column: str, reason: str) -> None:
        report.add(row.number, column, reason, row.line)

    order = value["Order"]
    if not order:
        problem("Order", "the order number is missing")
    elif not order.isdigit():
        problem("Order", f"{order!r} is not a whole number")

    level_text = value["Level"]
    level: int | None = None
    if not level_text:
        problem("Level", "the level is missing; expected 1 to 4")
    elif level_text.isdigit() and 1 <= int(level_text) <= 4:
        level = int(level_text)
    else:
        problem("Level", f"{level_text!r} is not a NACE level; expected 1 (section) to 4 (class)")

    code = value["Code"]
    code_ok = False
    if not code:
        problem("Code", "the code is missing")
    elif level is not None:
        pattern, what = _NACE_CODE_PATTERNS[level]
        if pattern.fullmatch(code):
            code_ok = True
        else:
            problem("Code", f"{code!r} is not a NACE {what} for level {level}")

    parent = value["Parent"] or None
    if level == 1 and parent is not None:
        problem("Parent", f"a section has no parent, found {parent!r}")
    elif level is not None and level > 1:
        if parent is None:
            problem("Parent", f"the parent is missing; a {_nace_level_name(level)} needs one")
        elif code_ok:
            _check_nace_parent_code(code, level, parent, problem)

    label = value["Description"]
    if not label:
        problem("Description", "the description (title) is missing")
    elif len(label) > MAX_LABEL_LENGTH:
        problem("Description", f"the title is longer than {MAX_LABEL_LENGTH} characters")

    isic = value["Reference to ISIC Rev. 4"]
    if isic and level is not None:
        pattern = _ISIC_SECTION if level == 1 else _ISIC_NUMERIC
        if not pattern.fullmatch(isic):
            expected = "a section letter A-U" if level == 1 else "2 to 4 digits"
            problem("Reference to ISIC Rev. 4", f"{isic!r} is not an ISIC Rev. 4 code ({expected})")

    if level is None or not code_ok:
        return None
    notes = {
        column: value[column]
        for column in ("This item also includes", "Rulings", "This item excludes")
        if value[column]
    }
    return ClassEntry(
        code=code,
        level=level,
        parent_code=None if level == 1 else parent,
        label=label,
        labels={lang: display_case(label)} if label else {},
        description=value["This item includes"],
        isic_ref=isic or None,
        uri=nace_uri(code),
        notes=notes,
    )


def _check_nace_parent_code(
    code: str, level: int, parent: str, problem: Callable[[str, str], None]
) -> None:
    """The parent must be the code one level up: division -> its section, 01.1 -> 01, ..."""
    if level == 2:
        expected = section_for_division(code)
        if expected is None:
            problem("Code", f"division {code!r} does not exist in NACE Rev. 2")
        elif parent != expected:
            problem(
                "Parent",
                f"division {code!r} belongs to section {expected!r} in NACE Rev. 2, not {parent!r}",
            )
        return
    expected = code[:-1].rstrip(".")
    if parent != expected:
        problem(
            "Parent",
            f"the parent of {_nace_level_name(level)} {code!r} must be {expected!r}, "
            f"not {parent!r}",
        )


def _isco_level_name(level: int) -> str:
    return _ISCO_LEVEL_NAMES.get(level, f"level {level}")


def parse_esco_isco_groups(source: Source, *, lang: str = "en") -> ParseResult:
    """Read an ESCO ``ISCOGroups_<lang>.csv`` file (ISCO-08 groups with ESCO URIs).

    The header must name ``conceptType``, ``conceptUri``, ``code`` and ``preferredLabel``;
    ``altLabels``, ``inScheme`` and ``description`` are read when present and other columns are
    ignored. The level is the number of digits of the code and the parent the code without its
    last digit.
    """
    report = _Report()
    text = _read_text(source)
    if not text.strip():
        report.add(1, ESCO_ISCO_REQUIRED[0], "the file is empty; expected a header row")
        return ParseResult((), tuple(report.problems))

    rows = list(_rows(text, report))
    if not rows:
        return ParseResult((), tuple(report.problems))
    header_row = rows.pop(0)
    header = [name.strip() for name in _check_encoding(header_row, (), report)]
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        key = name.casefold()
        canonical = next((c for c in ESCO_ISCO_COLUMNS if c.casefold() == key), name)
        if not name:
            continue
        if canonical in index:
            report.add(
                header_row.number,
                canonical,
                f"the column appears twice (fields {index[canonical] + 1} and {position + 1})",
                header_row.line,
            )
            continue
        index[canonical] = position
    missing = [name for name in ESCO_ISCO_REQUIRED if name not in index]
    for name in missing:
        report.add(
            header_row.number,
            name,
            f"the required column is missing from the header (found: {', '.join(header)})",
            header_row.line,
        )
    if missing:
        return ParseResult((), tuple(report.problems))
    if not rows:
        report.add(header_row.number + 1, "code", "the file holds no ISCO groups after the header")

    column_names = [
        next((c for c in ESCO_ISCO_COLUMNS if c.casefold() == name.casefold()), name)
        for name in header
    ]
    entries: list[tuple[_Row, ClassEntry]] = []
    first_row_of: dict[str, int] = {}
    first_row_of_uri: dict[str, int] = {}
    all_levels: dict[str, int] = {}
    unusable: set[str] = set()
    code_position = index["code"]
    for row in rows:
        entry = _esco_entry(row, column_names, index, report, lang)
        if entry is None:
            if len(row.fields) > code_position and row.fields[code_position].strip():
                unusable.add(row.fields[code_position].strip())
            continue
        if entry.code in first_row_of:
            report.add(
                row.number,
                "code",
                f"{entry.code!r} duplicates the code in row {first_row_of[entry.code]}",
                row.line,
            )
            continue
        if entry.uri is not None:
            if entry.uri in first_row_of_uri:
                report.add(
                    row.number,
                    "conceptUri",
                    f"{entry.uri!r} duplicates the URI in row {first_row_of_uri[entry.uri]}",
                    row.line,
                )
            else:
                first_row_of_uri[entry.uri] = row.number
        first_row_of[entry.code] = row.number
        all_levels[entry.code] = entry.level
        entries.append((row, entry))

    _check_parents(entries, all_levels, unusable, report, "code", _isco_level_name)
    report.problems.sort(key=lambda problem: problem.row)
    return ParseResult(tuple(entry for _row, entry in entries), tuple(report.problems))


def _esco_entry(
    row: _Row,
    column_names: Sequence[str],
    index: Mapping[str, int],
    report: _Report,
    lang: str,
) -> ClassEntry | None:
    """Validate one ESCO ISCO group row; return its entry if the code is usable."""
    fields = _check_encoding(row, column_names, report)
    if not _check_field_count(row, column_names, report):
        return None

    def get(column: str) -> str:
        position = index.get(column)
        return fields[position].strip() if position is not None else ""

    def problem(column: str, reason: str) -> None:
        report.add(row.number, column, reason, row.line)

    concept_type = get("conceptType")
    if concept_type != "ISCOGroup":
        problem("conceptType", f"{concept_type!r} is not 'ISCOGroup'")

    code = get("code")
    code_ok = bool(_ESCO_ISCO_CODE.fullmatch(code))
    if not code:
        problem("code", "the ISCO code is missing")
    elif not code_ok:
        problem("code", f"{code!r} is not an ISCO-08 group code (1 to 4 digits)")

    uri = get("conceptUri")
    if not uri:
        problem("conceptUri", "the concept URI is missing")
    elif not uri.startswith(("http://", "https://")) or any(c.isspace() for c in uri):
        problem("conceptUri", f"{uri!r} is not an http(s) URI")
    elif len(uri) > MAX_URI_LENGTH:
        problem("conceptUri", f"the URI is longer than {MAX_URI_LENGTH} characters")
    else:
        match = _ESCO_ISCO_URI_CODE.search(uri)
        if match and code_ok and match.group(1) != code:
            problem("conceptUri", f"{uri!r} is the URI of ISCO group {match.group(1)}, not {code}")

    label = get("preferredLabel")
    if not label:
        problem("preferredLabel", "the preferred label is missing")
    elif len(label) > MAX_LABEL_LENGTH:
        problem("preferredLabel", f"the label is longer than {MAX_LABEL_LENGTH} characters")

    if not code_ok:
        return None
    level = len(code)
    alt_labels = get("altLabels")
    return ClassEntry(
        code=code,
        level=level,
        parent_code=code[:-1] if level > 1 else None,
        label=label,
        labels={lang: label} if label else {},
        description=get("description"),
        isic_ref=None,
        uri=uri or None,
        notes={"altLabels": alt_labels} if alt_labels else {},
    )
