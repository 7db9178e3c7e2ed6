"""Reading a panel file (CSV or XLSX) into panellist rows and a list of problems.

Pure: no Flask, no database. ``parse_panel_file`` never raises on bad input; everything
wrong with the file is a ``Problem`` naming the row (the header is row 1, as in a
spreadsheet) and the column. Its message is a message id with its values, translated by the
web process when shown (the child process has no interface language). Uploads are parsed in
a resource-limited child process (``app.uploads``) after its checks; the workbook's zip
directory is checked here again before openpyxl runs (at most 200 entries and 50 MiB
unpacked, no symlinks or macros), and a workbook is opened only when openpyxl uses
defusedxml.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import warnings
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from typing import Any

from email_validator import EmailNotValidError, validate_email

from app.problems import N_, Problem, Value, params_from_json, params_to_json
from app.uploads.checks import (
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    MAX_ZIP_ENTRIES,
    FileRefused,
    check_zip_directory,
    file_kind,
)

__all__ = [
    "COLUMNS",
    "GROUP_VALUES",
    "MAX_PROBLEMS",
    "MAX_ROWS",
    "MAX_UNPACKED_BYTES",
    "MAX_ZIP_ENTRIES",
    "PanelPreview",
    "PanelRow",
    "Problem",
    "email_key",
    "match_column",
    "match_group",
    "normalise_email",
    "parse_panel_file",
    "recheck_preview",
    "text_problem",
]

#: Problems listed in a preview; the rest are counted only (a page shows at most 200).
MAX_PROBLEMS = 1000

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


def _problem(
    row: int | None,
    column: str | None,
    message: str,
    params: dict[str, Value] | None = None,
) -> Problem:
    """A problem of the file (``row`` None) or of a row, and its column (``field`` too)."""
    return Problem(message, field=column, row=row, column=column, params=params or None)


def _at(problem: Problem, row: int, column: str) -> Problem:
    """``problem`` (of a value) placed at a row and column."""
    return replace(problem, field=column, row=row, column=column)


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
    """What an upload would import: the valid rows and the problems found.

    ``problems`` lists the first ``MAX_PROBLEMS`` in row order; ``problem_count`` and
    ``rows_with_problems`` count them all (both default to what ``problems`` lists)."""

    #: Version of the ``to_json`` document; raise it when the fields change.
    SCHEMA = 2

    filename: str
    valid_rows: tuple[PanelRow, ...]
    problems: tuple[Problem, ...]
    #: Data rows read (blank rows not counted).
    total_rows: int = 0
    #: Notes that do not block the import (e.g. columns that are not used); messages only.
    notes: tuple[Problem, ...] = ()
    #: Problems found, listed or not.
    problem_count: int = None  # type: ignore[assignment]
    #: Rows with at least one problem, listed or not.
    rows_with_problems: int = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.problem_count is None:
            object.__setattr__(self, "problem_count", len(self.problems))
        if self.rows_with_problems is None:
            rows = {p.row for p in self.problems if p.row is not None}
            object.__setattr__(self, "rows_with_problems", len(rows))

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.valid_rows)

    def to_json(self) -> dict[str, Any]:
        """A JSON document of the preview (rows and problems as lists, to stay compact)."""
        return {
            "schema": self.SCHEMA,
            "filename": self.filename,
            "valid_rows": [
                [r.row, r.name, r.email, r.organisation, r.stakeholder_group, r.language]
                for r in self.valid_rows
            ],
            "problems": [
                [p.row, p.column, p.message, params_to_json(p.params)] for p in self.problems
            ],
            "total_rows": self.total_rows,
            "notes": [[n.message, params_to_json(n.params)] for n in self.notes],
            "problem_count": self.problem_count,
            "rows_with_problems": self.rows_with_problems,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> PanelPreview:
        """The preview ``to_json`` wrote; ValueError for another schema or a malformed one."""
        if not isinstance(doc, dict) or doc.get("schema") != cls.SCHEMA:
            raise ValueError("not a panel preview of this version")
        try:
            return cls(
                filename=str(doc["filename"]),
                valid_rows=tuple(PanelRow(*row) for row in doc["valid_rows"]),
                problems=tuple(
                    _problem(row, column, str(message), params_from_json(params))
                    for row, column, message, params in doc["problems"]
                ),
                total_rows=int(doc["total_rows"]),
                notes=tuple(
                    Problem(str(message), params=params_from_json(params))
                    for message, params in doc["notes"]
                ),
                problem_count=int(doc["problem_count"]),
                rows_with_problems=int(doc["rows_with_problems"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError("a malformed panel preview") from exc


def email_key(address: str) -> str:
    """What tells addresses apart: the address in lower case ("Anna@X.org" is "anna@x.org")."""
    return address.lower()


def normalise_email(value: str) -> tuple[str | None, Problem | None]:
    """(address, None) as typed, trimmed, its domain in lower case; or (None, why) where
    ``why`` is a problem without its location. Compare addresses by ``email_key``."""
    value = (value or "").strip()
    if not value:
        return None, Problem(N_("an e-mail address is required"))
    if len(value) > MAX_LENGTHS["email"]:
        return None, _too_long(MAX_LENGTHS["email"])
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None, Problem(N_("'%(value)s' is not an e-mail address"), params={"value": value})
    return checked.normalized, None


def _too_long(limit: int) -> Problem:
    return Problem(N_("is longer than %(most)s characters"), params={"most": limit})


def match_group(value: str) -> str | None:
    """The stakeholder group value meant by ``value`` (a value or a label), or None."""
    return _GROUP_BY_KEY.get(_key(value or ""))


def match_column(header: str) -> str | None:
    return _COLUMN_BY_KEY.get(_key(header or ""))


def text_problem(value: str, column: str) -> Problem | None:
    """Why ``value`` cannot be stored as the text of ``column`` (a problem without its
    location), or None."""
    if _CONTROL.search(value):
        return Problem(N_("contains a line break or another control character"))
    limit = MAX_LENGTHS.get(column)
    if limit is not None and len(value) > limit:
        return _too_long(limit)
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


def _csv_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    if data.startswith(b"PK\x03\x04"):
        raise FileRefused(
            N_(
                "the file is a spreadsheet or another zip archive, not CSV text; save it as "
                ".xlsx or as CSV (UTF-8)"
            )
        )
    if b"\x00" in data[:8192]:
        raise FileRefused(N_("the file is not a text file; save it as CSV (UTF-8)"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileRefused(
            N_(
                "the file is not UTF-8 text (byte %(byte)s on line %(line)s); save it as CSV "
                "(UTF-8)"
            ),
            # a line number as an editor shows it: not grouped
            {"byte": f"0x{data[exc.start]:02x}", "line": str(line)},
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
            raise FileRefused(
                N_("row %(row)s: the CSV cannot be read from here on (%(detail)s)"),
                {"row": str(number + 1), "detail": str(exc)},
            ) from exc
        number += 1
        yield number, [f.strip() for f in fields]


def _xlsx_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    import openpyxl

    check_zip_directory(data)
    if not getattr(openpyxl, "DEFUSEDXML", False):
        raise FileRefused(
            N_(
                "workbooks cannot be read safely on this server (defusedxml is not installed); "
                "upload a CSV file instead"
            )
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise FileRefused(N_("the file is not a readable .xlsx workbook")) from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise FileRefused(N_("the workbook has no worksheet"))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                    yield number, [_cell_text(v) for v in values]
        except FileRefused:
            raise
        except Exception as exc:
            raise FileRefused(N_("the worksheet cannot be read to the end")) from exc
    finally:
        workbook.close()


def _records(filename: str, data: bytes) -> Iterator[tuple[int, list[str]]]:
    return _csv_records(data) if file_kind(filename) == "csv" else _xlsx_records(data)


# ----------------------------------------------------------------------------- checking rows


def _header(
    number: int, fields: list[str], problems: list[Problem], notes: list[Problem]
) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, raw in enumerate(fields):
        if not raw:
            continue
        column = match_column(raw)
        if column is None:
            notes.append(Problem(N_("column `%(header)s` is not used"), params={"header": raw}))
        elif column in positions:
            problems.append(
                _problem(
                    number, column, N_("the column appears twice (`%(header)s`)"), {"header": raw}
                )
            )
        else:
            positions[column] = index
    for column in REQUIRED_COLUMNS:
        if column not in positions:
            problems.append(
                _problem(
                    number,
                    column,
                    N_("the column is missing; the header row needs %(columns)s"),
                    {"columns": ", ".join(f"`{c}`" for c in COLUMNS)},
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
    max_problems: int = MAX_PROBLEMS,
) -> PanelPreview:
    """Read a panel file and check every row; never raises on bad input.

    ``languages`` are the accepted language codes (None accepts any two-letter code);
    a blank language cell means ``default_language`` (or is a problem when that is None).
    ``existing_emails`` are already on the panel: such rows are problems. An e-mail address
    repeated in the file is a problem on each later row (addresses compared without case).
    The preview lists the first ``max_problems`` problems and counts them all.
    """
    problems: list[Problem] = []
    notes: list[Problem] = []
    valid: list[PanelRow] = []
    allowed = None if languages is None else {lang.lower() for lang in languages}
    existing = {email_key(e) for e in existing_emails}
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
                raise FileRefused(
                    N_("the file has more than %(most)s rows; split it into smaller files"),
                    {"most": max_rows},
                )
            row = _check_row(number, fields, positions, allowed, default_language, problems)
            if row is None:
                continue
            key = email_key(row.email)
            if key in existing:
                problems.append(_on_the_panel(number, row.email))
                continue
            if key in first_seen:
                problems.append(
                    _problem(
                        number,
                        "email",
                        N_("'%(address)s' appears already in row %(row)s"),
                        {"address": row.email, "row": str(first_seen[key])},
                    )
                )
                continue
            first_seen[key] = number
            valid.append(row)
        if positions is None and not problems:
            problems.append(_problem(None, None, N_("the file is empty")))
        elif positions is not None and total == 0 and not problems:
            problems.append(_problem(None, None, N_("the file has a header row but no panellists")))
    except FileRefused as refused:
        problems.insert(0, refused.problem)  # listed first, never cut
        valid = []
    finally:
        close = getattr(records, "close", None)
        if close is not None:
            close()  # an unfinished workbook reader closes its file now
    return PanelPreview(
        filename=filename,
        valid_rows=tuple(valid),
        problems=tuple(problems[:max_problems]),
        total_rows=total,
        notes=tuple(notes),
        problem_count=len(problems),
        rows_with_problems=len({p.row for p in problems if p.row is not None}),
    )


def recheck_preview(
    preview: PanelPreview,
    *,
    existing_emails: Collection[str] = (),
    languages: Collection[str] | None = None,
    max_problems: int = MAX_PROBLEMS,
) -> PanelPreview:
    """The preview checked against the panel as it is now: a valid row whose address has
    been added to the panel since, or whose language is no longer accepted, becomes a
    problem. Returns the same preview when nothing changed."""
    existing = {email_key(e) for e in existing_emails}
    allowed = None if languages is None else {lang.lower() for lang in languages}
    keep: list[PanelRow] = []
    new: list[Problem] = []
    for row in preview.valid_rows:
        if email_key(row.email) in existing:
            new.append(_on_the_panel(row.row, row.email))
        elif allowed is not None and row.language not in allowed:
            new.append(_not_a_language_of(row.row, row.language, allowed))
        else:
            keep.append(row)
    if not new:
        return preview
    merged = sorted(preview.problems + tuple(new), key=lambda p: -1 if p.row is None else p.row)
    return replace(
        preview,
        valid_rows=tuple(keep),
        problems=tuple(merged[:max_problems]),
        problem_count=preview.problem_count + len(new),
        rows_with_problems=preview.rows_with_problems + len(new),
    )


def _on_the_panel(row: int, address: str) -> Problem:
    return _problem(row, "email", N_("'%(address)s' is already on the panel"), {"address": address})


def _not_a_language_of(row: int, value: str, allowed: Collection[str]) -> Problem:
    return _problem(
        row,
        "language",
        N_("'%(value)s' is not one of the questionnaire's languages (%(languages)s)"),
        {"value": value, "languages": ", ".join(sorted(allowed))},
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
        problems.append(_problem(number, "name", N_("a name is required")))
    elif why := text_problem(name, "name"):
        problems.append(_at(why, number, "name"))
    email, why = normalise_email(cell("email"))
    if why:
        problems.append(_at(why, number, "email"))
    organisation = cell("organisation")
    if why := text_problem(organisation, "organisation"):
        problems.append(_at(why, number, "organisation"))
    raw_group = cell("stakeholder_group")
    group = match_group(raw_group)
    if not raw_group:
        problems.append(
            _problem(number, "stakeholder_group", N_("a stakeholder group is required"))
        )
    elif group is None:
        problems.append(
            _problem(
                number,
                "stakeholder_group",
                N_("'%(value)s' is not a stakeholder group (use one of %(groups)s)"),
                {"value": raw_group, "groups": ", ".join(GROUP_VALUES)},
            )
        )
    language = cell("language").lower() or (default_language or "")
    if not language:
        problems.append(_problem(number, "language", N_("a language is required")))
    elif allowed is not None and language not in allowed:
        problems.append(_not_a_language_of(number, cell("language"), allowed))
    elif allowed is None and not re.fullmatch(r"[a-z]{2,3}", language):
        problems.append(
            _problem(
                number,
                "language",
                N_("'%(value)s' is not a language code"),
                {"value": cell("language")},
            )
        )
    if len(problems) > before or email is None or group is None:
        return None
    return PanelRow(number, name, email, organisation, group, language)
