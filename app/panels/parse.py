"""Reading a panel file (CSV or XLSX) into panellist rows and a list of problems.

Pure: no Flask, no database. ``parse_panel_file`` never raises on bad input; everything
wrong with the file is a ``Problem`` naming the row (the header is row 1, as in a
spreadsheet) and the column. Its message is a message id with its values, translated by the
web process when shown (the child process has no interface language).

Rows that are valid but cannot be imported as they are — one e-mail address in several
rows, or an address already on the panel — are a ``Conflict``: the secretariat decides
(``Decisions``) which row, if any, is taken. Addresses are compared without case and kept
as typed. A language the questionnaire does not offer is no problem: such a panellist
receives a fallback language chosen at import (``PanelPreview.fallback_rows``).

Uploads are parsed in a resource-limited child process (``app.uploads``) after its checks;
the workbook's zip directory is checked here again before openpyxl runs (at most 200
entries and 50 MiB unpacked, no symlinks or macros), and a workbook is opened only when
openpyxl uses defusedxml.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import warnings
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from functools import lru_cache
from typing import Any

from babel import Locale, localedata
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
    "ON_PANEL_CHOICES",
    "REPEATED_CHOICES",
    "Conflict",
    "Decisions",
    "PanelPreview",
    "PanelRow",
    "Problem",
    "Resolution",
    "email_key",
    "match_column",
    "match_group",
    "match_language",
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
    """One valid row; ``row`` is its row in the file."""

    row: int
    name: str
    #: As typed (the domain in lower case); compared through ``email_key``.
    email: str
    organisation: str
    stakeholder_group: str
    #: The language the file gives (ISO 639 code), offered by the questionnaire or not.
    language: str

    @property
    def key(self) -> str:
        return email_key(self.email)

    def to_json(self) -> list[Any]:
        return [
            self.row,
            self.name,
            self.email,
            self.organisation,
            self.stakeholder_group,
            self.language,
        ]


@dataclass(frozen=True, slots=True)
class Conflict:
    """Valid rows that cannot all be imported: one e-mail address in several rows, or an
    address already on the panel (``on_panel``; taking a row then updates that panellist).
    At most one of ``rows`` is taken, as the secretariat decides."""

    #: In file order; more than one unless ``on_panel``.
    rows: tuple[PanelRow, ...]
    on_panel: bool = False

    @property
    def first_row(self) -> int:
        """The conflict's identifier in a preview: the row where its address first appears."""
        return self.rows[0].row

    @property
    def key(self) -> str:
        return self.rows[0].key

    @property
    def address(self) -> str:
        """The address as its first row types it."""
        return self.rows[0].email

    @property
    def repeated(self) -> bool:
        """The address appears in more than one row of the file."""
        return len(self.rows) > 1


#: Choices for every repeated address not decided one by one.
REPEATED_CHOICES = ("first", "last", "skip")
#: Choices for every address on the panel not decided one by one.
ON_PANEL_CHOICES = ("update", "skip")


@dataclass(frozen=True)
class Decisions:
    """What the secretariat chose for the preview's conflicts.

    A choice for one conflict (``rows``) comes first; the others follow the choices for
    all of a kind: ``repeated`` picks the row of an address repeated in the file,
    ``on_panel`` says whether a row whose address is on the panel updates that panellist.
    An address repeated and on the panel needs both (or "skip" in either)."""

    #: Per conflict, by its first row: the row taken, or None for none.
    rows: Mapping[int, int | None] = dataclass_field(default_factory=dict)
    #: One of ``REPEATED_CHOICES``, or None (decided one by one).
    repeated: str | None = None
    #: One of ``ON_PANEL_CHOICES``, or None (decided one by one).
    on_panel: str | None = None

    def choice(self, conflict: Conflict) -> tuple[bool, PanelRow | None]:
        """(decided, the row taken or None) for ``conflict``; a chosen row that is not
        one of the conflict's rows leaves it undecided."""
        if conflict.first_row in self.rows:
            wanted = self.rows[conflict.first_row]
            if wanted is None:
                return True, None
            taken = next((r for r in conflict.rows if r.row == wanted), None)
            return taken is not None, taken
        if conflict.on_panel and self.on_panel == "skip":
            return True, None
        if not conflict.repeated:
            taken = conflict.rows[0]
        elif self.repeated == "skip":
            return True, None
        elif self.repeated == "first":
            taken = conflict.rows[0]
        elif self.repeated == "last":
            taken = conflict.rows[-1]
        else:
            return False, None
        if conflict.on_panel and self.on_panel != "update":
            return False, None
        return True, taken


@dataclass(frozen=True)
class Resolution:
    """A preview's rows as the decisions make them."""

    #: New panellists, in file order.
    add: tuple[PanelRow, ...]
    #: Rows that update the panellist with their address, in file order.
    update: tuple[PanelRow, ...]
    #: Conflicts without a decision (nothing may be imported while there are any).
    undecided: tuple[Conflict, ...]
    #: Valid rows left out by the decisions.
    skipped: int


@dataclass(frozen=True, slots=True)
class PanelPreview:
    """What an upload would import: the valid rows, the conflicts to decide, the problems.

    ``problems`` lists the first ``MAX_PROBLEMS`` in row order; ``problem_count`` and
    ``rows_with_problems`` count them all (both default to what ``problems`` lists)."""

    #: Version of the ``to_json`` document; raise it when the fields change.
    SCHEMA = 3

    filename: str
    #: Rows that import as they are (no conflict).
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
    #: Valid rows that need a decision, by their first row.
    conflicts: tuple[Conflict, ...] = ()
    #: The questionnaire's languages the rows were checked against; () for any.
    offered: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.problem_count is None:
            object.__setattr__(self, "problem_count", len(self.problems))
        if self.rows_with_problems is None:
            rows = {p.row for p in self.problems if p.row is not None}
            object.__setattr__(self, "rows_with_problems", len(rows))

    @property
    def ok(self) -> bool:
        """Nothing wrong and nothing to decide: every valid row imports as it is."""
        return not self.problems and not self.conflicts and bool(self.valid_rows)

    @property
    def importable(self) -> bool:
        """Some row can be imported (perhaps after a decision)."""
        return bool(self.valid_rows or self.conflicts)

    @property
    def conflict_rows(self) -> int:
        """Rows that need a decision."""
        return sum(len(c.rows) for c in self.conflicts)

    def fallback_rows(self) -> tuple[PanelRow, ...]:
        """Valid rows (conflicts' rows too) whose language the questionnaire does not offer,
        in file order: those panellists receive a fallback language."""
        if not self.offered:
            return ()
        rows = [r for r in _all_rows(self) if r.language not in self.offered]
        return tuple(sorted(rows, key=lambda r: r.row))

    def resolve(self, decisions: Decisions | None = None) -> Resolution:
        """The rows to add and to update under ``decisions`` (none: every conflict is
        undecided)."""
        decisions = decisions or Decisions()
        add, update, undecided = list(self.valid_rows), [], []
        skipped = 0
        for conflict in self.conflicts:
            decided, taken = decisions.choice(conflict)
            if not decided:
                undecided.append(conflict)
                continue
            skipped += len(conflict.rows) - (taken is not None)
            if taken is not None:
                (update if conflict.on_panel else add).append(taken)
        return Resolution(
            add=tuple(sorted(add, key=lambda r: r.row)),
            update=tuple(update),
            undecided=tuple(undecided),
            skipped=skipped,
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON document of the preview (rows and problems as lists, to stay compact)."""
        return {
            "schema": self.SCHEMA,
            "filename": self.filename,
            "valid_rows": [r.to_json() for r in self.valid_rows],
            "problems": [
                [p.row, p.column, p.message, params_to_json(p.params)] for p in self.problems
            ],
            "total_rows": self.total_rows,
            "notes": [[n.message, params_to_json(n.params)] for n in self.notes],
            "problem_count": self.problem_count,
            "rows_with_problems": self.rows_with_problems,
            "conflicts": [[c.on_panel, [r.to_json() for r in c.rows]] for c in self.conflicts],
            "offered": list(self.offered),
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> PanelPreview:
        """The preview ``to_json`` wrote; ValueError for another schema or a malformed one."""
        if not isinstance(doc, dict) or doc.get("schema") != cls.SCHEMA:
            raise ValueError("not a panel preview of this version")
        try:
            conflicts = tuple(
                Conflict(tuple(PanelRow(*row) for row in rows), bool(on_panel))
                for on_panel, rows in doc["conflicts"]
            )
            if any(not c.rows for c in conflicts):
                raise ValueError("a conflict without rows")
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
                conflicts=conflicts,
                offered=tuple(str(lang) for lang in doc["offered"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError("a malformed panel preview") from exc


def _all_rows(preview: PanelPreview) -> Iterator[PanelRow]:
    yield from preview.valid_rows
    for conflict in preview.conflicts:
        yield from conflict.rows


def _grouped(
    rows: Iterable[PanelRow], existing: Collection[str]
) -> tuple[tuple[PanelRow, ...], tuple[Conflict, ...]]:
    """(rows that import as they are, conflicts), both in file order: rows sharing an
    address (compared by ``email_key``) or whose address is in ``existing`` (keys)."""
    by_key: dict[str, list[PanelRow]] = {}
    for row in sorted(rows, key=lambda r: r.row):
        by_key.setdefault(row.key, []).append(row)
    valid: list[PanelRow] = []
    conflicts: list[Conflict] = []
    for key, group in by_key.items():
        if len(group) == 1 and key not in existing:
            valid.append(group[0])
        else:
            conflicts.append(Conflict(tuple(group), on_panel=key in existing))
    return tuple(valid), tuple(sorted(conflicts, key=lambda c: c.first_row))


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


#: Languages also recognised by their own name ("Ελληνικά", "polski"): those of the EU and
#: its neighbours. Every language is recognised by its code and its English, German or
#: French name.
OWN_NAMES = (
    "bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv "
    "bs ca eu gl is lb mk nb nn no ru sq sr tr uk"
)
_CODE = re.compile(r"([a-z]{2,3})(?:[-_][a-z0-9]{2,8})*")


@lru_cache(maxsize=1)
def _languages_by_name() -> dict[str, str]:
    names: dict[str, str] = {}
    for display in ("en", "de", "fr"):
        for code, name in Locale(display).languages.items():
            if _CODE.fullmatch(code) and "_" not in code and localedata.exists(code):
                names.setdefault(_key(name), code)
    for code in OWN_NAMES.split():
        own = Locale(code).languages.get(code)
        if own:
            names.setdefault(_key(own), code)
    return names


def match_language(value: str) -> str | None:
    """The language code (ISO 639, as Babel knows it) that ``value`` means: a code ("el",
    "EL"), a code with a region ("fr-BE", "pt_BR"), or a name in English, German or French
    ("Greek", "Griechisch", "grec") or in the language itself ("Ελληνικά"); None for
    anything else."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    found = _CODE.fullmatch(text.lower())
    if found and localedata.exists(found[1]):
        return found[1]
    return _languages_by_name().get(_key(text)) if text else None


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

    ``languages`` are the questionnaire's language codes: a row may name another language
    (a code or a name, see ``match_language``), whose panellist receives a fallback at
    import (``PanelPreview.fallback_rows``). A blank language cell means
    ``default_language`` (or is a problem when that is None). ``existing_emails`` are on
    the panel already; such rows, and rows sharing an address, are conflicts to decide
    (addresses compared without case). The preview lists the first ``max_problems``
    problems and counts them all.
    """
    problems: list[Problem] = []
    notes: list[Problem] = []
    valid: list[PanelRow] = []
    offered = tuple(lang.lower() for lang in languages or ())
    existing = {email_key(e) for e in existing_emails}
    conflicts: tuple[Conflict, ...] = ()
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
            row = _check_row(number, fields, positions, default_language, problems)
            if row is not None:
                valid.append(row)
        valid_rows, conflicts = _grouped(valid, existing)
        valid = list(valid_rows)
        if positions is None and not problems:
            problems.append(_problem(None, None, N_("the file is empty")))
        elif positions is not None and total == 0 and not problems:
            problems.append(_problem(None, None, N_("the file has a header row but no panellists")))
    except FileRefused as refused:
        problems.insert(0, refused.problem)  # listed first, never cut
        valid, conflicts = [], ()
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
        conflicts=conflicts,
        offered=offered,
    )


def recheck_preview(
    preview: PanelPreview,
    *,
    existing_emails: Collection[str] = (),
    languages: Collection[str] | None = None,
) -> PanelPreview:
    """The preview checked against the panel and the questionnaire as they are now: a row
    whose address has been added to the panel since becomes a conflict to decide (and one
    whose panellist has gone imports as it is); ``languages`` (None: as before) are the
    languages offered now. Returns the same preview when nothing changed."""
    existing = {email_key(e) for e in existing_emails}
    valid, conflicts = _grouped(_all_rows(preview), existing)
    offered = preview.offered if languages is None else tuple(x.lower() for x in languages)
    if (valid, conflicts, offered) == (preview.valid_rows, preview.conflicts, preview.offered):
        return preview
    return replace(preview, valid_rows=valid, conflicts=conflicts, offered=offered)


def _check_row(
    number: int,
    fields: list[str],
    positions: dict[str, int],
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
    raw_language = cell("language")
    language = match_language(raw_language) if raw_language else (default_language or "")
    if not raw_language and not language:
        problems.append(_problem(number, "language", N_("a language is required")))
    elif not language:
        problems.append(
            _problem(
                number,
                "language",
                N_("'%(value)s' is not a language code"),
                {"value": raw_language},
            )
        )
    if len(problems) > before or email is None or group is None or not language:
        return None
    return PanelRow(number, name, email, organisation, group, language)
