"""Forecast import profiles: how one publisher's table, as released, is read (pure).

A profile is a small YAML file (format: ``profile.schema.json``, documented in
docs/forecast-profiles.md) checked in three passes, every problem named by file, line and
key before anything is refused: YAML with positions and the published JSON Schema
(``app.yamlfile``, shared with questionnaires), then the rules a schema cannot express
(regular expressions that compile, one way to name each column, a layout that has values).

The result is a frozen ``Profile``; ``app.forecasts.parse.read_table`` reads a file with it.
Profiles shipped with SkillsDelphi (``app/forecasts/profiles/*.yaml``) are listed by
``list_profiles`` and loaded by ``shipped_profile``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from app.forecasts.table import DatasetKind, Provenance, Status
from app.problems import Problem
from app.yamlfile import Limits, PathT, ProblemList, SchemaChecker, parse_yaml

__all__ = [
    "DEFAULT_MISSING",
    "FORMAT_VERSION",
    "SCALES",
    "Block",
    "ColumnRef",
    "FileSpec",
    "IndicatorSpec",
    "LevelRule",
    "LongSpec",
    "Profile",
    "ProfileError",
    "ProfileInfo",
    "RowSpec",
    "Section",
    "TableLayout",
    "ValueColumn",
    "check_profile_files",
    "letter_index",
    "list_profiles",
    "load_profile",
    "load_profile_text",
    "profile_from",
    "schema",
    "schema_text",
    "shipped_profile",
]

FORMAT_VERSION = 1
SCHEMA_FILE = "profile.schema.json"
PROFILES_PACKAGE = "app.forecasts.profiles"

LIMITS = Limits(
    max_file_bytes=256 * 1024,
    max_nodes=20_000,
    max_depth=30,
    max_problems=100,
    typical_size="a profile has a few hundred",
)

#: Texts meaning "no value" unless the profile lists its own (compared without case).
DEFAULT_MISSING = ("", "–", "—", "-", "N/A", "NA", "N/D", "n.a.", "n/a", "..", "...", "…", "x")

#: Scale words and their multipliers.
SCALES = {
    "ones": 1.0,
    "persons": 1.0,
    "units": 1.0,
    "hundreds": 100.0,
    "thousands": 1_000.0,
    "000s": 1_000.0,
    "'000": 1_000.0,
    "millions": 1_000_000.0,
    "billions": 1_000_000_000.0,
}


class ProfileError(ValueError):
    """A profile has problems; ``problems`` lists them sorted by line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --- the profile ------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnRef:
    """A column, by its header text or by its letter."""

    header: str | None = None
    #: 1-based column number (A = 1) when given by letter.
    index: int | None = None

    def describe(self) -> str:
        return self.header if self.header is not None else _letters(self.index or 1)


@dataclass(frozen=True)
class LevelRule:
    #: ``column``, ``indent`` or ``code``.
    by: str
    column: ColumnRef | None = None
    #: by column: the values; by code: one pattern.
    aggregate: tuple[str, ...] = ()
    detail: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowSpec:
    label: ColumnRef | None = None
    label_alt: ColumnRef | None = None
    code: ColumnRef | None = None
    level: LevelRule | None = None
    #: (label, code) pairs written in the profile.
    label_codes: tuple[tuple[str, str], ...] = ()
    crosswalk: bool = False


@dataclass(frozen=True)
class ValueColumn:
    header: str | None = None
    index: int | None = None
    match: str | None = None
    indicator: str | None = None
    year: int | None = None
    unit: str | None = None
    scale: float | None = None
    type: str = "number"
    categories: tuple[str, ...] = ()
    optional: bool = False
    #: More texts meaning "missing" in this column.
    missing: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.header is not None:
            return self.header
        if self.index is not None:
            return _letters(self.index)
        return f"/{self.match}/"


@dataclass(frozen=True)
class IndicatorSpec:
    #: The publisher's name, as in the file.
    name: str
    indicator: str
    unit: str | None = None
    scale: float | None = None
    type: str = "number"
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class LongSpec:
    indicator: ColumnRef
    year: ColumnRef
    value: ColumnRef
    unit: ColumnRef | None = None
    #: None: every indicator name is read as published.
    indicators: tuple[IndicatorSpec, ...] | None = None


@dataclass(frozen=True)
class Section:
    match: str
    indicator: str | None = None
    unit: str | None = None
    scale: float | None = None
    geography: str | None = None
    sector_code: str | None = None
    occupation_code: str | None = None
    qualification: str | None = None


@dataclass(frozen=True)
class Block:
    """One table of the sheet (the only one, unless several stand side by side)."""

    #: 1-based first and last column; None: every column.
    first_column: int | None = None
    last_column: int | None = None
    #: ``sector`` or ``occupation``: what the row codes are.
    dimension: str | None = None
    geography: str = ""
    sector_code: str | None = None
    occupation_code: str | None = None
    qualification: str | None = None
    unit: str | None = None
    scale: float = 1.0
    rows: RowSpec = RowSpec()
    values: tuple[ValueColumn, ...] = ()
    long: LongSpec | None = None

    def contains(self, index: int) -> bool:
        """Whether the 1-based column ``index`` lies in the block."""
        if self.first_column is None or self.last_column is None:
            return True
        return self.first_column <= index <= self.last_column


@dataclass(frozen=True)
class TableLayout:
    header_row: int | None = None
    header_find: str | None = None
    header_rows: int = 1
    joiner: str = " "
    skip: tuple[str, ...] = ()
    end: tuple[str, ...] = ()
    missing: tuple[str, ...] = DEFAULT_MISSING
    decimal: str = "."
    thousands: str = ","
    footnotes: bool = True
    #: (marker, status) pairs.
    flags: tuple[tuple[str, Status], ...] = ()
    sections: tuple[Section, ...] = ()
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class FileSpec:
    type: str
    encoding: str = "utf-8"
    delimiter: str = ","
    #: A sheet name, or its 1-based position; None: the first.
    sheet: str | int | None = None


@dataclass(frozen=True)
class Profile:
    """A checked import profile."""

    name: str
    format_version: int
    title: str
    description: str
    provenance: Provenance
    file: FileSpec
    layout: TableLayout
    #: The YAML text as read (what a child process gets to read the profile again).
    text: str
    #: SHA-256 of the UTF-8 text.
    content_hash: str
    #: Where it was read from (file name, or ``shipped:<name>``).
    source: str

    @property
    def needs_crosswalk(self) -> bool:
        return any(b.rows.crosswalk for b in self.layout.blocks)


@dataclass(frozen=True)
class ProfileInfo:
    """A shipped profile, for a list to choose from."""

    name: str
    title: str
    file_type: str


# --- the schema -------------------------------------------------------------------------


@cache
def schema() -> dict[str, Any]:
    """The published JSON Schema of profiles (cached and shared: do not change it)."""
    return json.loads(schema_text())


def schema_text() -> str:
    """The schema file as published, byte for byte."""
    return resources.files("app.forecasts").joinpath(SCHEMA_FILE).read_text("utf-8")


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


# --- loading ----------------------------------------------------------------------------


def load_profile(path: str | Path) -> Profile:
    """Read and check the profile at ``path``; ProfileError lists every problem."""
    path = Path(path)
    file = str(path)
    try:
        if not path.is_file():
            raise ProfileError([_file_problem(file, "not a readable file")])
        with path.open("rb") as fh:
            raw = fh.read(LIMITS.max_file_bytes + 1)
    except OSError as exc:
        raise ProfileError(
            [_file_problem(file, f"cannot read file: {exc.strerror or exc}")]
        ) from None
    if len(raw) > LIMITS.max_file_bytes:
        raise ProfileError([_file_problem(file, _too_large())])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ProfileError([Problem("file is not UTF-8 text", file=file, line=line)]) from None
    return _load(text, file=file, source=path.name, expected_name=path.stem)


def load_profile_text(text: str, source: str = "<profile>") -> Profile:
    """Check and build a profile from YAML text; ProfileError lists every problem."""
    return _load(text, file=source, source=source, expected_name=None)


def profile_from(spec: str | Path) -> Profile:
    """A shipped profile by name, else the profile file at ``spec``."""
    text = str(spec)
    if isinstance(spec, str) and re.fullmatch(r"[a-z0-9][a-z0-9-]*", text):
        if text in _shipped_names():
            return shipped_profile(text)
        if not Path(text).exists():
            known = ", ".join(sorted(_shipped_names()))
            raise ProfileError(
                [_file_problem(text, f"no such file and no shipped profile of that name ({known})")]
            )
    return load_profile(spec)


def check_profile_files(paths: Iterable[str | Path]) -> list[Problem]:
    """Every problem of every profile (paths or shipped names), in the order given."""
    problems: list[Problem] = []
    for path in paths:
        try:
            profile_from(path)
        except ProfileError as exc:
            problems.extend(exc.problems)
    return problems


def _file_problem(file: str, message: str) -> Problem:
    return Problem(message, file=file, line=1)


def _too_large() -> str:
    return f"the file is larger than {LIMITS.max_file_bytes // 1024} KiB; a profile is a few KiB"


def _load(text: str, *, file: str, source: str, expected_name: str | None) -> Profile:
    problems = ProblemList(file, LIMITS)
    if len(text.encode("utf-8")) > LIMITS.max_file_bytes:
        raise ProfileError([_file_problem(file, _too_large())])
    data, index = parse_yaml(text, problems)
    if data is not None or not problems.items:
        checker = _Checker(data, index, problems)
        checker.check_schema(_validator())
        if not problems.items:
            checker.check_rules(expected_name)
    if problems.items:
        raise ProfileError(problems.sorted())
    return _build(data, text, source)


# --- rules a schema cannot express ------------------------------------------------------


class _Checker(SchemaChecker):
    name_key = "header"
    name_missing_keys = True

    def const_message(self, path: PathT, expected: Any, instance: Any) -> str:
        if path == ("format_version",):
            return (
                f"must be {FORMAT_VERSION}, the only profile format this version of "
                f"SkillsDelphi reads, not {instance!r}"
            )
        return super().const_message(path, expected, instance)

    def check_rules(self, expected_name: str | None) -> None:
        data = self.data
        name = data.get("name")
        if expected_name is not None and name != expected_name:
            self.add(("name",), f"name {name!r} must match the file name ({expected_name}.yaml)")
        prov = data["provenance"]
        if prov["horizon_year"] < prov["base_year"]:
            self.add(
                ("provenance", "horizon_year"),
                f"the horizon year ({prov['horizon_year']}) is before the base year "
                f"({prov['base_year']})",
            )
        file = data["file"]
        if file["type"] == "csv" and "sheet" in file:
            self.add(("file", "sheet"), "a CSV file has no sheets; remove sheet")
        if file["type"] == "xlsx":
            for key in ("encoding", "delimiter"):
                if key in file:
                    self.add(("file", key), f"a workbook has no {key}; remove it")
        table = data["table"]
        header = table.get("header", {})
        if "row" in header and "find" in header:
            self.add(("table", "header", "find"), "give the header's row or find, not both")
        self._regex(("table", "header", "find"), header.get("find"))
        for key in ("skip", "end"):
            value = table.get(key)
            for i, pattern in enumerate(value if isinstance(value, list) else [value]):
                where = ("table", key, i) if isinstance(value, list) else ("table", key)
                self._regex(where, pattern)
        decimal = table.get("decimal", ".")
        if table.get("thousands") == decimal:
            self.add(
                ("table", "thousands"),
                f"the thousands separator cannot be the decimal mark ({decimal!r})",
            )
        for i, section in enumerate(table.get("sections", [])):
            self._regex(("table", "sections", i, "match"), section.get("match"))
        blocks = table.get("blocks")
        if blocks is None:
            self._block(("table",), table, {})
        else:
            for key in ("values", "long"):
                if key in table:
                    self.add(("table", key), f"with blocks, give {key} in each block")
            for i, block in enumerate(blocks):
                self._block(("table", "blocks", i), block, table)
            if any("columns" not in b for b in blocks) and len(blocks) > 1:
                self.add(("table", "blocks"), "blocks side by side each need their columns (B:F)")

    def _regex(self, path: PathT, pattern: Any) -> None:
        if not isinstance(pattern, str):
            return
        try:
            re.compile(pattern)
        except re.error as exc:
            self.add(path, f"not a valid regular expression: {exc}")

    def _block(self, path: PathT, block: dict[str, Any], defaults: dict[str, Any]) -> None:
        columns = block.get("columns")
        if isinstance(columns, str):
            first, last = (letter_index(p) for p in columns.split(":"))
            if first > last:
                self.add((*path, "columns"), f"{columns}: the first column comes after the last")
        has_values, has_long = "values" in block, "long" in block
        if has_values and has_long:
            self.add((*path, "long"), "give values (wide layout) or long (long layout), not both")
        elif not has_values and not has_long:
            self.add(path, "required key 'values' (wide layout) or 'long' (long layout) is missing")
        rows = block.get("rows", defaults.get("rows", {}))
        level = rows.get("level")
        rows_path = (*path, "rows") if "rows" in block else ("table", "rows")
        if level is not None:
            self._level((*rows_path, "level"), level)
        if has_values and "label" not in rows and "code" not in rows:
            self.add(
                rows_path if rows else path,
                "the rows need a label or a code column (rows: {label: ..., code: ...})",
            )
        if rows.get("crosswalk") and "label" not in rows:
            self.add((*rows_path, "crosswalk"), "a crosswalk maps labels: give the label column")
        dimension = block.get("dimension", defaults.get("dimension"))
        if ("code" in rows or rows.get("crosswalk") or "label_codes" in rows) and not dimension:
            self.add(
                path,
                "required key 'dimension' is missing (sector or occupation: what the row codes "
                "are)",
            )
        sections = defaults.get("sections", block.get("sections", []))
        section_indicator = any("indicator" in s for s in sections)
        for i, column in enumerate(block.get("values", [])):
            self._value_column((*path, "values", i), column, section_indicator)
        long = block.get("long")
        if isinstance(long, dict):
            for name, spec in (long.get("indicators") or {}).items():
                self._categories((*path, "long", "indicators", name), spec)

    def _level(self, path: PathT, level: dict[str, Any]) -> None:
        by = level.get("by")
        if by == "column":
            if "column" not in level:
                self.add(path, "required key 'column' is missing (level by column)")
            if "aggregate" not in level and "detail" not in level:
                self.add(path, "list the values meaning aggregate and detail")
            for key in ("aggregate", "detail"):
                if isinstance(level.get(key), str):
                    self.add((*path, key), "by column: give a list of values")
        elif by == "indent":
            for key in ("column", "aggregate", "detail"):
                if key in level:
                    self.add((*path, key), f"level by indent takes no {key}")
        elif by == "code":
            if "column" in level:
                self.add((*path, "column"), "level by code reads the code column; remove column")
            if "aggregate" not in level:
                self.add(path, "required key 'aggregate' (a pattern of aggregate codes) is missing")
            for key in ("aggregate", "detail"):
                value = level.get(key)
                if isinstance(value, list):
                    self.add((*path, key), "by code: give one regular expression")
                else:
                    self._regex((*path, key), value)

    def _value_column(self, path: PathT, column: dict[str, Any], section_indicator: bool) -> None:
        ways = [k for k in ("header", "letter", "match") if k in column]
        if len(ways) != 1:
            self.add(
                path,
                "name the column by exactly one of header, letter or match"
                + (f" (not {' and '.join(ways)})" if ways else ""),
            )
        pattern = column.get("match")
        groups: set[str] = set()
        if isinstance(pattern, str):
            try:
                groups = set(re.compile(pattern).groupindex)
            except re.error as exc:
                self.add((*path, "match"), f"not a valid regular expression: {exc}")
                return
        if "indicator" not in column and "indicator" not in groups and not section_indicator:
            self.add(path, "required key 'indicator' is missing (no section row names one)")
        if "year" not in column and "year" not in groups:
            self.add(path, "required key 'year' is missing (or a match with a group named year)")
        self._categories(path, column)

    def _categories(self, path: PathT, spec: dict[str, Any]) -> None:
        if spec.get("type") == "category" and "categories" not in spec:
            self.add(path, "required key 'categories' is missing (the values a category may take)")
        if spec.get("type", "number") == "number" and "categories" in spec:
            self.add((*path, "categories"), "categories need type: category")
        if spec.get("type") == "category" and "scale" in spec:
            self.add((*path, "scale"), "a category has no scale")


# --- building ---------------------------------------------------------------------------


def letter_index(letters: str) -> int:
    """1-based column number of ``letters`` (A = 1, AA = 27)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def _letters(index: int) -> str:
    out = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def _scale(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        return SCALES[value]
    return float(value)


def _ref(value: Any) -> ColumnRef | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return ColumnRef(index=letter_index(value["letter"]))
    return ColumnRef(header=str(value))


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def _rows(data: dict[str, Any]) -> RowSpec:
    level = data.get("level")
    rule = None
    if level is not None:
        rule = LevelRule(
            by=level["by"],
            column=_ref(level.get("column")),
            aggregate=_texts(level.get("aggregate")),
            detail=_texts(level.get("detail")),
        )
    return RowSpec(
        label=_ref(data.get("label")),
        label_alt=_ref(data.get("label_alt")),
        code=_ref(data.get("code")),
        level=rule,
        label_codes=tuple((str(k), str(v)) for k, v in (data.get("label_codes") or {}).items()),
        crosswalk=bool(data.get("crosswalk", False)),
    )


def _value_column(data: dict[str, Any]) -> ValueColumn:
    return ValueColumn(
        header=data.get("header"),
        index=letter_index(data["letter"]) if "letter" in data else None,
        match=data.get("match"),
        indicator=data.get("indicator"),
        year=data.get("year"),
        unit=data.get("unit"),
        scale=_scale(data.get("scale")),
        type=data.get("type", "number"),
        categories=tuple(data.get("categories") or ()),
        optional=bool(data.get("optional", False)),
        missing=tuple(data.get("missing") or ()),
    )


def _long(data: dict[str, Any]) -> LongSpec:
    indicators = None
    if data.get("indicators") is not None:
        indicators = tuple(
            IndicatorSpec(
                name=str(name),
                indicator=spec.get("indicator", str(name)),
                unit=spec.get("unit"),
                scale=_scale(spec.get("scale")),
                type=spec.get("type", "number"),
                categories=tuple(spec.get("categories") or ()),
            )
            for name, spec in data["indicators"].items()
        )
    return LongSpec(
        indicator=_ref(data["indicator"]),  # type: ignore[arg-type]
        year=_ref(data["year"]),  # type: ignore[arg-type]
        value=_ref(data["value"]),  # type: ignore[arg-type]
        unit=_ref(data.get("unit")),
        indicators=indicators,
    )


_INHERITED = (
    "dimension",
    "geography",
    "sector_code",
    "occupation_code",
    "qualification",
    "unit",
    "scale",
    "rows",
)


def _block(data: dict[str, Any], defaults: dict[str, Any]) -> Block:
    merged = {k: defaults[k] for k in _INHERITED if k in defaults}
    merged.update(data)
    first = last = None
    if "columns" in merged:
        first, last = (letter_index(p) for p in merged["columns"].split(":"))
    return Block(
        first_column=first,
        last_column=last,
        dimension=merged.get("dimension"),
        geography=merged.get("geography", ""),
        sector_code=merged.get("sector_code"),
        occupation_code=merged.get("occupation_code"),
        qualification=merged.get("qualification"),
        unit=merged.get("unit"),
        scale=_scale(merged.get("scale")) or 1.0,
        rows=_rows(merged.get("rows") or {}),
        values=tuple(_value_column(v) for v in merged.get("values") or ()),
        long=_long(merged["long"]) if "long" in merged else None,
    )


def _build(data: dict[str, Any], text: str, source: str) -> Profile:
    prov = data["provenance"]
    provenance = Provenance(
        publisher=prov["publisher"],
        title=prov["title"],
        licence=prov["licence"],
        vintage=str(prov["vintage"]),
        base_year=prov["base_year"],
        horizon_year=prov["horizon_year"],
        unit=prov["unit"],
        kind=DatasetKind(prov.get("kind", "projection")),
        source_url=prov.get("source_url"),
        caveats=tuple(prov.get("caveats") or ()),
        sector_classification=prov.get("sector_classification"),
        occupation_classification=prov.get("occupation_classification"),
    )
    f = data["file"]
    file = FileSpec(
        type=f["type"],
        encoding=f.get("encoding", "utf-8"),
        delimiter=f.get("delimiter", ","),
        sheet=f.get("sheet"),
    )
    t = data["table"]
    header = t.get("header", {})
    decimal = t.get("decimal", ".")
    thousands = t.get("thousands", "," if decimal == "." else "")
    sections = tuple(
        Section(
            match=s["match"],
            indicator=s.get("indicator"),
            unit=s.get("unit"),
            scale=_scale(s.get("scale")),
            geography=s.get("geography"),
            sector_code=s.get("sector_code"),
            occupation_code=s.get("occupation_code"),
            qualification=s.get("qualification"),
        )
        for s in t.get("sections", [])
    )
    blocks = tuple(_block(b, t) for b in t["blocks"]) if "blocks" in t else (_block(t, {}),)
    layout = TableLayout(
        header_row=header.get("row"),
        header_find=header.get("find"),
        header_rows=header.get("rows", 1),
        joiner=header.get("joiner", " "),
        skip=_texts(t.get("skip")),
        end=_texts(t.get("end")),
        missing=tuple(t["missing"]) if "missing" in t else DEFAULT_MISSING,
        decimal=decimal,
        thousands=thousands,
        footnotes=t.get("footnotes", True),
        flags=tuple((k, Status(v)) for k, v in (t.get("flags") or {}).items()),
        sections=sections,
        blocks=blocks,
    )
    if layout.header_row is None and layout.header_find is None:
        layout = replace(layout, header_row=1)
    return Profile(
        name=data["name"],
        format_version=data["format_version"],
        title=data["title"],
        description=(data.get("description") or "").strip(),
        provenance=provenance,
        file=file,
        layout=layout,
        text=text,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source=source,
    )


# --- shipped profiles -------------------------------------------------------------------


def _shipped_names() -> set[str]:
    folder = resources.files(PROFILES_PACKAGE)
    return {p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml")}


def shipped_profile(name: str) -> Profile:
    """The shipped profile ``name``; ProfileError when there is none or it is broken."""
    if name not in _shipped_names():
        raise ProfileError([_file_problem(name, "there is no shipped profile of that name")])
    text = resources.files(PROFILES_PACKAGE).joinpath(f"{name}.yaml").read_text("utf-8")
    profile = _load(
        text,
        file=f"app/forecasts/profiles/{name}.yaml",
        source=f"shipped:{name}",
        expected_name=name,
    )
    return profile


def list_profiles() -> list[ProfileInfo]:
    """The shipped profiles, by name."""
    out = []
    for name in sorted(_shipped_names()):
        profile = shipped_profile(name)
        out.append(ProfileInfo(name=name, title=profile.title, file_type=profile.file.type))
    return out
