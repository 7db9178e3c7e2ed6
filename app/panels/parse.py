"""Reading a panel file (CSV or XLSX) into panellist rows and a list of problems.

Pure: no Flask, no database. ``parse_panel_file`` never raises on bad input; everything
wrong with the file is a ``Problem`` naming the row (the header is row 1, as in a
spreadsheet) and the column. Limits (SECURITY.md 2.5) are checked before any parsing: an
``.xlsx`` must be a zip of at most 200 entries and 50 MiB unpacked, without symlinks or
macros, and is opened only when openpyxl uses defusedxml.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from email_validator import EmailNotValidError, validate_email

#: Rows of data accepted in one file (the header not counted).
MAX_ROWS = 200_000
#: Entries of an ``.xlsx`` zip, and their total unpacked size in bytes.
MAX_ZIP_ENTRIES = 200
MAX_UNPACKED_BYTES = 50 * 1024 * 1024

#: The columns read, in their canonical names; the first three are required.
COLUMNS = ("name", "email", "organisation", "stakeholder_group", "language")
REQUIRED_COLUMNS = ("name", "email", "stakeholder_group")
MAX_LENGTHS = {"name": 200, "email": 254, "organisation": 300}

#: Header names understood for each column (compared without case, spaces or punctuation).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "panellist", "panelist", "person", "Name", "Nom"),
    "email": (
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "mail",
        "mail address",
        "E-Mail-Adresse",
    ),
    "organisation": (
        "organisation",
        "organization",
        "org",
        "institution",
        "company",
        "Organisation",
        "Einrichtung",
    ),
    "stakeholder_group": (
        "stakeholder_group",
        "stakeholder group",
        "stakeholder",
        "group",
        "Gruppe",
        "Interessengruppe",
        "groupe",
    ),
    "language": ("language", "lang", "preferred language", "locale", "Sprache", "langue"),
}

#: Values understood for each stakeholder group (the keys are the stored values).
GROUP_ALIASES: dict[str, tuple[str, ...]] = {
    "employers": (
        "employers",
        "employer",
        "employers' organisations",
        "employer organisation",
        "employers' representatives",
        "business",
        "industry",
        "companies",
        "Arbeitgeber",
        "Arbeitgeberverband",
        "Unternehmen",
        "employeurs",
        "employeur",
        "entreprises",
    ),
    "workers-representatives": (
        "workers-representatives",
        "workers' representatives",
        "worker representatives",
        "workers representative",
        "employees' representatives",
        "trade union",
        "trade unions",
        "union",
        "unions",
        "workers",
        "Gewerkschaft",
        "Gewerkschaften",
        "Arbeitnehmervertretung",
        "Arbeitnehmer",
        "syndicat",
        "syndicats",
        "représentants des travailleurs",
    ),
    "education-providers": (
        "education-providers",
        "education provider",
        "education providers",
        "education and training providers",
        "education and training provider",
        "training provider",
        "training providers",
        "VET provider",
        "VET providers",
        "school",
        "schools",
        "university",
        "universities",
        "Bildungsanbieter",
        "Bildungseinrichtung",
        "Bildungs- und Weiterbildungseinrichtungen",
        "organismes de formation",
        "organisme de formation",
        "établissement d'enseignement",
    ),
    "public-authorities": (
        "public-authorities",
        "public authority",
        "public authorities",
        "government",
        "ministry",
        "public administration",
        "Behörde",
        "Behörden",
        "öffentliche Verwaltung",
        "Ministerium",
        "autorités publiques",
        "autorité publique",
        "administration",
    ),
    "other-experts": (
        "other-experts",
        "other experts",
        "other expert",
        "expert",
        "experts",
        "other",
        "researchers",
        "Sonstige Experten",
        "Experten",
        "Sonstige",
        "autres experts",
        "autre",
    ),
}

GROUP_VALUES = tuple(GROUP_ALIASES)


def _key(text: str) -> str:
    """Comparison key: case-folded, accents kept, spaces and punctuation removed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "", text)


_COLUMN_BY_KEY = {
    _key(alias): column for column, aliases in COLUMN_ALIASES.items() for alias in aliases
}
_GROUP_BY_KEY = {
    _key(alias): group for group, aliases in GROUP_ALIASES.items() for alias in aliases
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class Problem(NamedTuple):
    """Why a file or one of its rows cannot be imported: (row, column, message).

    ``row`` is None for the file as a whole; ``column`` is None for a whole row."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        where = f"row {self.row}"
        if self.column:
            where += f", column `{self.column}`"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class PanelRow:
    """One importable panellist; ``row`` is its row in the file."""

    row: int
    name: str
    email: str
    organisation: str
    stakeholder_group: str
    language: str


@dataclass(frozen=True, slots=True)
class PanelPreview:
    """What an upload would import: the valid rows and every problem found."""

    filename: str
    valid_rows: tuple[PanelRow, ...]
    problems: tuple[Problem, ...]
    #: Data rows read (blank rows not counted).
    total_rows: int = 0
    #: Notes that do not block the import (e.g. columns that are not used).
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.valid_rows)

    @property
    def rows_with_problems(self) -> int:
        return len({p.row for p in self.problems if p.row is not None})


def normalise_email(value: str) -> tuple[str | None, str | None]:
    """(address, None) in the stored form (lower case), or (None, reason)."""
    value = (value or "").strip()
    if not value:
        return None, "an e-mail address is required"
    if len(value) > MAX_LENGTHS["email"]:
        return None, f"is longer than {MAX_LENGTHS['email']} characters"
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None, f"{value!r} is not an e-mail address"
    return checked.normalized.lower(), None


def match_group(value: str) -> str | None:
    """The stakeholder group value meant by ``value`` (a value or a label), or None."""
    return _GROUP_BY_KEY.get(_key(value or ""))


def match_column(header: str) -> str | None:
    return _COLUMN_BY_KEY.get(_key(header or ""))


def text_problem(value: str, column: str) -> str | None:
    """Why ``value`` cannot be stored as the text of ``column``, or None."""
    if _CONTROL.search(value):
        return "contains a line break or another control character"
    limit = MAX_LENGTHS.get(column)
    if limit is not None and len(value) > limit:
        return f"is longer than {limit} characters"
    return None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


# ----------------------------------------------------------------------------- reading files


class _FileRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _csv_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    if data.startswith(b"PK\x03\x04"):
        raise _FileRefused(
            "the file is a spreadsheet or another zip archive, not CSV text; "
            "save it as .xlsx or as CSV (UTF-8)"
        )
    if b"\x00" in data[:8192]:
        raise _FileRefused("the file is not a text file; save it as CSV (UTF-8)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _FileRefused(
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
            "save it as CSV (UTF-8)"
        ) from exc
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _FileRefused(
                f"row {number + 1}: the CSV cannot be read from here on ({exc})"
            ) from exc
        number += 1
        yield number, [f.strip() for f in fields]


def _check_zip(data: bytes) -> None:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _FileRefused("the file is an old Excel workbook (.xls); save it as .xlsx")
    if not data.startswith(b"PK\x03\x04"):
        raise _FileRefused("the file is not an .xlsx workbook")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise _FileRefused("the file is not a readable .xlsx workbook") from exc
    if len(entries) > MAX_ZIP_ENTRIES:
        raise _FileRefused(
            f"the workbook holds {len(entries)} parts; at most {MAX_ZIP_ENTRIES} are accepted"
        )
    unpacked = sum(e.file_size for e in entries)
    if unpacked > MAX_UNPACKED_BYTES:
        raise _FileRefused(
            f"the workbook unpacks to {unpacked // (1024 * 1024)} MiB; at most "
            f"{MAX_UNPACKED_BYTES // (1024 * 1024)} MiB are accepted"
        )
    names = set()
    for entry in entries:
        if (entry.external_attr >> 16) & 0o170000 == 0o120000:
            raise _FileRefused("the workbook contains a symbolic link; it is not accepted")
        if entry.flag_bits & 0x1:
            raise _FileRefused("the workbook is encrypted; save it without a password")
        names.add(entry.filename.lower())
    if any(n.endswith("vbaproject.bin") for n in names):
        raise _FileRefused(
            "the workbook contains macros; save it as an .xlsx workbook without macros"
        )
    if "xl/workbook.xml" not in names or "[content_types].xml" not in names:
        raise _FileRefused("the file is not an .xlsx workbook")


def _xlsx_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    import openpyxl

    _check_zip(data)
    if not getattr(openpyxl, "DEFUSEDXML", False):
        raise _FileRefused(
            "workbooks cannot be read safely on this server (defusedxml is not installed); "
            "upload a CSV file instead"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise _FileRefused("the file is not a readable .xlsx workbook") from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise _FileRefused("the workbook has no worksheet")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                    yield number, [_cell_text(v) for v in values]
        except _FileRefused:
            raise
        except Exception as exc:
            raise _FileRefused("the worksheet cannot be read to the end") from exc
    finally:
        workbook.close()


def _records(filename: str, data: bytes) -> Iterator[tuple[int, list[str]]]:
    name = (filename or "").strip().lower()
    if name.endswith(".csv"):
        return _csv_records(data)
    if name.endswith(".xlsx"):
        return _xlsx_records(data)
    if name.endswith((".xlsm", ".xltm", ".xlam")):
        raise _FileRefused(
            "macro-enabled workbooks (.xlsm) are not accepted; save the file as .xlsx"
        )
    raise _FileRefused("the file must be a .csv (UTF-8) or an .xlsx workbook")


# ----------------------------------------------------------------------------- checking rows


def _header(
    number: int, fields: list[str], problems: list[Problem], notes: list[str]
) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, raw in enumerate(fields):
        if not raw:
            continue
        column = match_column(raw)
        if column is None:
            notes.append(f"column `{raw}` is not used")
        elif column in positions:
            problems.append(Problem(number, column, f"the column appears twice (`{raw}`)"))
        else:
            positions[column] = index
    for column in REQUIRED_COLUMNS:
        if column not in positions:
            problems.append(
                Problem(
                    number,
                    column,
                    "the column is missing; the header row needs "
                    + ", ".join(f"`{c}`" for c in COLUMNS),
                )
            )
    return positions


def parse_panel_file(
    filename: str,
    data: bytes,
    *,
    languages: Collection[str] | None = None,
    default_language: str | None = None,
    existing_emails: Collection[str] = (),
    max_rows: int = MAX_ROWS,
) -> PanelPreview:
    """Read a panel file and check every row; never raises on bad input.

    ``languages`` are the accepted language codes (None accepts any two-letter code);
    a blank language cell means ``default_language`` (or is a problem when that is None).
    ``existing_emails`` (lower case) are already on the panel: such rows are problems.
    An e-mail address repeated in the file is a problem on each later row.
    """
    problems: list[Problem] = []
    notes: list[str] = []
    valid: list[PanelRow] = []
    allowed = None if languages is None else {lang.lower() for lang in languages}
    existing = {e.lower() for e in existing_emails}
    first_seen: dict[str, int] = {}
    total = 0
    records: Iterator[tuple[int, list[str]]] | None = None
    try:
        records = _records(filename, data)
        positions: dict[str, int] | None = None
        for number, fields in records:
            if not any(fields):
                continue
            if positions is None:
                positions = _header(number, fields, problems, notes)
                if problems:
                    break
                continue
            total += 1
            if total > max_rows:
                raise _FileRefused(
                    f"the file has more than {max_rows:,} rows; split it into smaller files"
                )
            row = _check_row(number, fields, positions, allowed, default_language, problems)
            if row is None:
                continue
            if row.email in existing:
                problems.append(Problem(number, "email", f"{row.email!r} is already on the panel"))
                continue
            if row.email in first_seen:
                problems.append(
                    Problem(
                        number,
                        "email",
                        f"{row.email!r} appears already in row {first_seen[row.email]}",
                    )
                )
                continue
            first_seen[row.email] = number
            valid.append(row)
        if positions is None and not problems:
            problems.append(Problem(None, None, "the file is empty"))
        elif positions is not None and total == 0 and not problems:
            problems.append(Problem(None, None, "the file has a header row but no panellists"))
    except _FileRefused as refused:
        problems.append(Problem(None, None, refused.message))
        valid = []
    finally:
        close = getattr(records, "close", None)
        if close is not None:
            close()  # an unfinished workbook reader closes its file now
    return PanelPreview(
        filename=filename,
        valid_rows=tuple(valid),
        problems=tuple(problems),
        total_rows=total,
        notes=tuple(notes),
    )


def _check_row(
    number: int,
    fields: list[str],
    positions: dict[str, int],
    allowed: set[str] | None,
    default_language: str | None,
    problems: list[Problem],
) -> PanelRow | None:
    def cell(column: str) -> str:
        index = positions.get(column)
        return fields[index] if index is not None and index < len(fields) else ""

    before = len(problems)
    name = cell("name")
    if not name:
        problems.append(Problem(number, "name", "a name is required"))
    elif why := text_problem(name, "name"):
        problems.append(Problem(number, "name", why))
    email, why = normalise_email(cell("email"))
    if why:
        problems.append(Problem(number, "email", why))
    organisation = cell("organisation")
    if why := text_problem(organisation, "organisation"):
        problems.append(Problem(number, "organisation", why))
    raw_group = cell("stakeholder_group")
    group = match_group(raw_group)
    if not raw_group:
        problems.append(Problem(number, "stakeholder_group", "a stakeholder group is required"))
    elif group is None:
        problems.append(
            Problem(
                number,
                "stakeholder_group",
                f"{raw_group!r} is not a stakeholder group (use one of "
                + ", ".join(GROUP_VALUES)
                + ")",
            )
        )
    language = cell("language").lower() or (default_language or "")
    if not language:
        problems.append(Problem(number, "language", "a language is required"))
    elif allowed is not None and language not in allowed:
        problems.append(
            Problem(
                number,
                "language",
                f"{cell('language')!r} is not one of the questionnaire's languages "
                f"({', '.join(sorted(allowed))})",
            )
        )
    elif allowed is None and not re.fullmatch(r"[a-z]{2,3}", language):
        problems.append(Problem(number, "language", f"{cell('language')!r} is not a language code"))
    if len(problems) > before or email is None or group is None:
        return None
    return PanelRow(number, name, email, organisation, group, language)
