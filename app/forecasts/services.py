"""Importing forecast datasets, and binding their series to consultations. Services flush;
the caller (a view or a command, in one unit of work) commits.

An import makes two passes and holds neither the file's rows nor its values in memory:
pass 1 reads the file with the profile and keeps the checked values in a temporary file, in
batches. A plain CSV table is read in chunks of columns by the vectorised reader
(``app.forecasts.fastpath``), which gives exactly what the row-by-row reader gives or
declines; otherwise, and whenever it declines (any problem in the file), every row is read
with ``app.forecasts.parse.read_table``, which collects every problem located by row and
column; when there is any problem the whole file is refused (``InvalidInput``) before
anything is written. Pass 2 streams the kept batches to the database by its bulk path
(``executemany`` of the driver; ``COPY`` on PostgreSQL), inside the caller's one
transaction: a failure anywhere rolls back the dataset
and every value (SECURITY.md R4). The file is parsed once, and what is written is exactly
what was checked. The same file (by its SHA-256) is never imported twice: it is found
before parsing and nothing changes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from app.audit.services import record
from app.auth.models import User
from app.auth.policy import Act, authorize
from app.classifications.models import OccupationGroup, Sector
from app.consultations.models import Consultation
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.forecasts.fastpath import Chunk, Declined, read_columns
from app.forecasts.models import ForecastBinding, ForecastDataset, ForecastValue
from app.forecasts.parse import read_table
from app.forecasts.queries import code_labels, dataset_geographies
from app.forecasts.table import DatasetKind, LongRow, Provenance, json_list
from app.problems import N_, Problem

if TYPE_CHECKING:
    from app.forecasts.profile import Profile

__all__ = [
    "BATCH_ROWS",
    "MAX_PROBLEMS",
    "BindingReport",
    "ImportReport",
    "bind_series",
    "file_hash",
    "find_duplicate",
    "import_dataset",
    "parse_crosswalk",
    "unbind_series",
]

#: Values written to the database at a time (memory stays bounded by one batch).
BATCH_ROWS = 10_000
#: SQLite's page cache while an import writes (KiB).
SQLITE_CACHE_KIB = 256 * 1024
#: Problems kept of a refused file; the rest are counted.
MAX_PROBLEMS = 1000
#: First rows kept for a preview.
FIRST_ROWS = 20

Progress = Callable[[int, int | None], None]

#: Columns of ``forecast_value`` the import writes, in this order.
VALUE_COLUMNS = (
    "dataset_id",
    "geography",
    "sector_code",
    "occupation_code",
    "qualification",
    "indicator",
    "year",
    "value",
    "category",
    "unit",
    "label",
    "label_alt",
    "level",
    "flags",
    "notes",
)


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    #: The dataset written; or, when the file was imported before, that dataset.
    dataset_id: int | None
    #: Values read from the file.
    rows: int
    #: {indicator: {year: values}}
    counts: dict[str, dict[int, int]] = field(default_factory=dict)
    #: The first values, for a preview.
    first: tuple[LongRow, ...] = ()
    sha256: str = ""
    dry_run: bool = False
    #: The same file was imported before as ``dataset_id``; nothing changed.
    already_imported: bool = False
    provenance: Provenance | None = None

    @property
    def written(self) -> bool:
        return not (self.dry_run or self.already_imported)


def file_hash(data: bytes) -> str:
    """The SHA-256 of a file, in hex: a dataset's identity."""
    return hashlib.sha256(data).hexdigest()


def find_duplicate(data: bytes, profile: str) -> ForecastDataset | None:
    """The dataset imported from exactly this file with the profile named ``profile``, if
    any. A workbook holding several tables is imported once per table, each with its own
    profile; the same file with the same profile is the same dataset."""
    sha = file_hash(data)
    return db.session.scalars(
        select(ForecastDataset).where(
            ForecastDataset.source_hash == sha, ForecastDataset.profile == str(profile)[:100]
        )
    ).first()


# ----------------------------------------------------------------------------- provenance

#: The longest text each provenance field holds (the columns' sizes).
_PROVENANCE_LENGTHS = {
    "publisher": 300,
    "title": 500,
    "licence": 300,
    "vintage": 40,
    "unit": 80,
    "source_url": 500,
    "sector_classification": 60,
    "occupation_classification": 60,
}
_REQUIRED_TEXT = ("publisher", "title", "licence", "vintage", "unit")
MIN_YEAR, MAX_YEAR = 1900, 2200


def check_provenance(provenance: Provenance) -> list[Problem]:
    """What is wrong with a dataset's provenance, each problem naming its field."""
    problems = []
    for name in _REQUIRED_TEXT:
        if not str(getattr(provenance, name) or "").strip():
            problems.append(Problem(N_("this is required"), field=name))
    for name, most in _PROVENANCE_LENGTHS.items():
        value = getattr(provenance, name)
        if value is not None and len(str(value)) > most:
            problems.append(
                Problem(
                    N_("at most %(count)s characters, please"), field=name, params={"count": most}
                )
            )
    for name in ("base_year", "horizon_year"):
        year = getattr(provenance, name)
        if not isinstance(year, int) or isinstance(year, bool) or not MIN_YEAR <= year <= MAX_YEAR:
            problems.append(
                Problem(
                    N_("a year from %(low)s to %(high)s, please"),
                    field=name,
                    params={"low": str(MIN_YEAR), "high": str(MAX_YEAR)},
                )
            )
    if (
        isinstance(provenance.base_year, int)
        and isinstance(provenance.horizon_year, int)
        and provenance.horizon_year < provenance.base_year
    ):
        problems.append(
            Problem(N_("the horizon year comes before the base year"), field="horizon_year")
        )
    url = (provenance.source_url or "").strip()
    if url and not url.lower().startswith(("http://", "https://")):
        problems.append(Problem(N_("an address starting with https:// please"), field="source_url"))
    try:
        DatasetKind(provenance.kind)
    except ValueError:
        problems.append(Problem(N_("not a kind of dataset"), field="kind"))
    return problems


# ----------------------------------------------------------------------------- import


class _Spool:
    """The values pass 1 checked, kept on disk in batches (pickled tuples of the columns
    after ``dataset_id``, or the vectorised reader's chunks of columns) until pass 2 writes
    them: the file is read and checked once, and what is written is exactly what was
    checked. Memory holds one batch."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(prefix="forecast-import-")  # noqa: SIM115
        self.batch: list[tuple[Any, ...]] = []

    def add(self, row: LongRow) -> None:
        self.batch.append(_value_tuple(row))
        if len(self.batch) >= BATCH_ROWS:
            self.flush()

    def add_chunk(self, chunk: Chunk) -> None:
        self.flush()
        chunk.source_row = None  # not written
        pickle.dump(chunk, self.file, protocol=pickle.HIGHEST_PROTOCOL)

    def flush(self) -> None:
        if self.batch:
            pickle.dump(self.batch, self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.batch = []

    def clear(self) -> None:
        """Forget what was kept (the file is read again, row by row)."""
        self.batch = []
        self.file.seek(0)
        self.file.truncate()

    def batches(self) -> Iterator[tuple[int, Iterable[tuple[Any, ...]]]]:
        """(how many values, the values) of each batch kept, in order."""
        self.flush()
        self.file.seek(0)
        while True:
            try:
                kept = pickle.load(self.file)  # noqa: S301 - our own file, written just now
            except EOFError:
                return
            if isinstance(kept, Chunk):
                yield kept.n, kept.value_tuples()
            else:
                yield len(kept), kept

    def close(self) -> None:
        self.file.close()


@dataclass
class _Pass:
    """What pass 1 found."""

    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    counts: dict[str, dict[int, int]] = field(default_factory=dict)
    first: list[LongRow] = field(default_factory=list)


def _read(
    data: bytes,
    filename: str,
    profile: Profile,
    crosswalk: bytes | None,
    progress: Progress | None,
    spool: _Spool | None,
) -> _Pass:
    """Pass 1: the vectorised reader when it reads the file exactly, else row by row."""
    try:
        return _read_columns(data, profile, crosswalk, progress, spool)
    except Declined:
        if spool is not None:
            spool.clear()
    return _read_rows(data, filename, profile, crosswalk, progress, spool)


def _read_columns(
    data: bytes,
    profile: Profile,
    crosswalk: bytes | None,
    progress: Progress | None,
    spool: _Spool | None,
) -> _Pass:
    found = _Pass()
    for chunk in read_columns(data, profile, crosswalk=crosswalk):
        found.rows += chunk.n
        for indicator, year, count in chunk.counts():
            years = found.counts.setdefault(indicator, {})
            years[year] = years.get(year, 0) + count
        if len(found.first) < FIRST_ROWS:
            found.first.extend(chunk.long_rows(FIRST_ROWS - len(found.first)))
        if spool is not None:
            spool.add_chunk(chunk)
        if progress is not None:
            progress(found.rows, None)
    return found


def _read_rows(
    data: bytes,
    filename: str,
    profile: Profile,
    crosswalk: bytes | None,
    progress: Progress | None,
    spool: _Spool | None,
) -> _Pass:
    found = _Pass()
    for item in read_table(data, filename, profile, crosswalk=crosswalk):
        if isinstance(item, Problem):
            found.problem_count += 1
            if len(found.problems) < MAX_PROBLEMS:
                found.problems.append(item)
            spool = None  # nothing of this file is written: stop keeping its values
            continue
        found.rows += 1
        years = found.counts.setdefault(item.indicator, {})
        years[item.year] = years.get(item.year, 0) + 1
        if len(found.first) < FIRST_ROWS:
            found.first.append(item)
        if spool is not None:
            spool.add(item)
        if progress is not None and found.rows % 100_000 == 0:
            progress(found.rows, None)
    return found


def _value_tuple(row: LongRow) -> tuple[Any, ...]:
    """The columns of ``VALUE_COLUMNS`` after ``dataset_id``."""
    return (
        row.geography,
        row.sector_code,
        row.occupation_code,
        row.qualification,
        row.indicator,
        row.year,
        # a category is never a number, whatever the parser gave
        None if row.category is not None else row.value,
        row.category,
        row.unit,
        row.label,
        row.label_alt,
        row.level.value if row.level else None,
        json_list([f.value for f in row.flags]),
        json_list(list(row.notes)),
    )


def _write_values(
    batches: Iterator[tuple[int, Iterable[tuple[Any, ...]]]],
    dataset_id: int,
    total: int,
    progress: Progress | None,
) -> int:
    """Write the spooled values to ``forecast_value`` on the session's connection (its
    transaction), by the database's bulk path; returns how many were written. PostgreSQL
    (psycopg): ``COPY``; SQLite: the driver's ``executemany`` of each batch, without
    building a list of the batch's rows."""
    connection = db.session.connection()
    written = 0
    head = (dataset_id,)
    columns = ", ".join(VALUE_COLUMNS)
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        raw = connection.connection.driver_connection
        statement = f"COPY forecast_value ({columns}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            write_row = copy.write_row
            for count, batch in batches:
                for values in batch:
                    write_row(head + values)
                written += count
                if progress is not None:
                    progress(written, total)
        return written
    if connection.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in VALUE_COLUMNS)
        statement = f"INSERT INTO forecast_value ({columns}) VALUES ({marks})"  # noqa: S608
        cursor = connection.connection.driver_connection.cursor()
        # a page cache large enough for the indexes' pages that a large import touches
        # (SQLite's default is 2 MiB); the connection's own setting is restored after
        (cache,) = cursor.execute("PRAGMA cache_size").fetchone()
        cursor.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
        try:
            for count, batch in batches:
                cursor.executemany(statement, (head + values for values in batch))
                written += count
                if progress is not None:
                    progress(written, total)
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(cache)}")
            cursor.close()
        return written
    table = ForecastValue.__table__
    for count, batch in batches:
        connection.execute(
            insert(table), [dict(zip(VALUE_COLUMNS, head + v, strict=True)) for v in batch]
        )
        written += count
        if progress is not None:
            progress(written, total)
    return written


def import_dataset(
    data: bytes,
    filename: str,
    profile: Profile,
    *,
    by: User,
    provenance: Provenance | None = None,
    crosswalk: bytes | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a forecast table read with ``profile`` as one dataset, all of it or nothing.

    ``provenance`` corrects the profile's (``profile.provenance``); ``crosswalk`` maps
    labels to codes for profiles that identify rows by label only. ``dry_run``: read and
    check, write nothing. ``progress(rows, total)`` is told every 100,000 rows read (total
    None) and after every batch written. The same file imported before changes nothing
    (``already_imported``). Raises NotAllowed (officials import), InvalidInput with every
    problem located by row and column (nothing written). Flushes; audits the import."""
    authorize(by, Act.import_data, ForecastDataset())
    sha = file_hash(data)
    existing = db.session.scalars(
        select(ForecastDataset.id).where(
            ForecastDataset.source_hash == sha,
            ForecastDataset.profile == str(profile.name)[:100],
        )
    ).first()
    if existing is not None:
        return ImportReport(existing, 0, sha256=sha, dry_run=dry_run, already_imported=True)
    provenance = provenance or profile.provenance
    problems = check_provenance(provenance)
    spool = None if dry_run else _Spool()
    try:
        return _import(
            data,
            filename,
            profile,
            by,
            provenance,
            problems,
            crosswalk,
            dry_run,
            progress,
            spool,
            sha,
        )
    finally:
        if spool is not None:
            spool.close()


def _import(
    data: bytes,
    filename: str,
    profile: Profile,
    by: User,
    provenance: Provenance,
    problems: list[Problem],
    crosswalk: bytes | None,
    dry_run: bool,
    progress: Progress | None,
    spool: _Spool | None,
    sha: str,
) -> ImportReport:
    found = _read(data, filename, profile, crosswalk, progress, spool)
    total = len(problems) + found.problem_count
    if total:
        problems.extend(found.problems)
        if found.problem_count > len(found.problems):
            more = found.problem_count - len(found.problems)
            problems.append(Problem(N_("… and %(count)s more problems"), params={"count": more}))
        raise InvalidInput(
            N_("the file was not imported and nothing was written; problems found: %(count)s"),
            problems,
            params={"count": total},
        )
    if found.rows == 0:
        raise InvalidInput(
            N_("the file holds no values the profile can read; nothing was imported"),
            [Problem(N_("no values found"), file=filename)],
        )
    report = ImportReport(
        None,
        found.rows,
        found.counts,
        tuple(found.first),
        sha256=sha,
        dry_run=dry_run,
        provenance=provenance,
    )
    if dry_run:
        return report
    dataset = ForecastDataset(
        publisher=provenance.publisher.strip(),
        title=provenance.title.strip(),
        licence=provenance.licence.strip(),
        vintage=provenance.vintage.strip(),
        base_year=provenance.base_year,
        horizon_year=provenance.horizon_year,
        unit=provenance.unit.strip(),
        source_url=(provenance.source_url or "").strip() or None,
        source_filename=filename[:255],
        source_hash=sha,
        profile=str(profile.name)[:100],
        kind=DatasetKind(provenance.kind),
        caveats=[str(c) for c in provenance.caveats],
        sector_classification=provenance.sector_classification,
        occupation_classification=provenance.occupation_classification,
        description=str(getattr(profile, "description", "") or ""),
        row_count=found.rows,
        imported_by_id=by.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(dataset)
            db.session.flush()
    except IntegrityError:  # the same file, imported at this moment by someone else
        raise InvalidInput(
            N_("this file is being imported by someone else at this moment; nothing was written")
        ) from None
    written = _write_values(spool.batches(), dataset.id, found.rows, progress)
    record(
        "forecast-imported",
        actor=by,
        object_type="forecast_dataset",
        object_id=dataset.id,
        details={
            "filename": filename[:255],
            "sha256": sha,
            "profile": dataset.profile,
            "rows": written,
            "kind": dataset.kind.value,
        },
    )
    return replace(report, dataset_id=dataset.id)


def get_dataset_for(user: User, dataset_id: int) -> ForecastDataset:
    """The dataset, when the user may see it; NotFound otherwise."""
    dataset = db.session.get(ForecastDataset, dataset_id) if dataset_id < 2**31 else None
    authorize(user, Act.view, dataset, what="forecast_dataset")
    return dataset


# ----------------------------------------------------------------------------- binding


@dataclass(frozen=True)
class BindingReport:
    binding: ForecastBinding
    sector_codes: tuple[str, ...]
    occupation_codes: tuple[str, ...]
    mapped: int
    #: What the secretariat should know although the binding was made (another geography).
    warnings: tuple[Problem, ...] = ()


#: Columns of a crosswalk file (compared without case); the first two are required.
CROSSWALK_COLUMNS = ("forecast_code", "target_code", "classification", "target_label")
_CLASSIFICATIONS = {
    "nace": "nace-rev2",
    "nace-rev2": "nace-rev2",
    "nace rev. 2": "nace-rev2",
    "isco": "isco-08",
    "isco-08": "isco-08",
}
MAX_CROSSWALK_ROWS = 20_000
MAX_CODES = 2_000


def split_codes(text: str | None) -> list[str]:
    """Codes typed as a list: separated by commas, semicolons or line breaks; in order,
    each once."""
    seen: dict[str, None] = {}
    for part in (text or "").replace(";", ",").replace("\n", ",").split(","):
        code = part.strip()
        if code:
            seen.setdefault(code, None)
    return list(seen)


def dataset_codes(dataset_id: int) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """{sector code: label} and {occupation code: label} present in the dataset."""
    return code_labels(dataset_id, "sector"), code_labels(dataset_id, "occupation")


def parse_crosswalk(
    data: bytes,
    filename: str,
    sectors: dict[str, str | None],
    occupations: dict[str, str | None],
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """A crosswalk CSV (``forecast_code, target_code[, classification, target_label]``):
    one entry per row, and a problem located by row and column for every bad row. The
    forecast code must be one of the dataset's sector or occupation codes; the target
    classification is NACE for a sector code and ISCO for an occupation code unless the
    ``classification`` column says; a target code unknown to a loaded classification is
    a problem."""
    problems: list[Problem] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Problem(N_("the file is not UTF-8 text"), file=filename, field="crosswalk")]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        return [], [Problem(N_("the file is empty"), file=filename, field="crosswalk")]
    names = [h.strip().lower().replace(" ", "_") for h in header]
    missing = [c for c in CROSSWALK_COLUMNS[:2] if c not in names]
    if missing:
        return [], [
            Problem(
                N_("the header needs the column %(column)s"),
                row=1,
                column=c,
                field="crosswalk",
                params={"column": c},
            )
            for c in missing
        ]
    index = {name: names.index(name) for name in CROSSWALK_COLUMNS if name in names}
    known = {
        "nace-rev2": dict(
            db.session.execute(
                select(Sector.code, Sector.label).where(Sector.classification == "nace-rev2")
            ).all()
        ),
        "isco-08": dict(
            db.session.execute(
                select(OccupationGroup.code, OccupationGroup.label).where(
                    OccupationGroup.classification == "isco-08"
                )
            ).all()
        ),
    }
    entries: list[dict[str, Any]] = []
    for number, cells in enumerate(reader, start=2):
        if number > MAX_CROSSWALK_ROWS + 1:
            problems.append(
                Problem(
                    N_("at most %(count)s rows, please"),
                    row=number,
                    field="crosswalk",
                    params={"count": MAX_CROSSWALK_ROWS},
                )
            )
            break
        if not any(c.strip() for c in cells):
            continue

        def cell(name: str, cells: list[str] = cells) -> str:
            at = index.get(name)
            return cells[at].strip() if at is not None and at < len(cells) else ""

        source, target = cell("forecast_code"), cell("target_code")
        where = {"row": number, "field": "crosswalk"}
        if not source:
            problems.append(Problem(N_("this is required"), column="forecast_code", **where))
            continue
        if source in sectors:
            kind, label = "sector", sectors[source]
        elif source in occupations:
            kind, label = "occupation", occupations[source]
        else:
            problems.append(
                Problem(
                    N_("the code %(code)s is not in this dataset"),
                    column="forecast_code",
                    params={"code": source},
                    **where,
                )
            )
            continue
        if not target:
            problems.append(Problem(N_("this is required"), column="target_code", **where))
            continue
        stated = cell("classification").lower()
        if stated:
            classification = _CLASSIFICATIONS.get(stated)
            if classification is None:
                problems.append(
                    Problem(
                        N_("%(value)s is not a classification: write nace or isco"),
                        column="classification",
                        params={"value": stated},
                        **where,
                    )
                )
                continue
        else:
            classification = "nace-rev2" if kind == "sector" else "isco-08"
        target_label = cell("target_label") or known[classification].get(target)
        if known[classification] and target not in known[classification]:
            problems.append(
                Problem(
                    N_("the code %(code)s is not in %(classification)s"),
                    column="target_code",
                    params={"code": target, "classification": classification},
                    **where,
                )
            )
            continue
        entries.append(
            {
                "kind": kind,
                "code": source,
                "label": label,
                "classification": classification,
                "target_code": target,
                "target_label": target_label,
            }
        )
    if not entries and not problems:
        problems.append(Problem(N_("the file holds no rows"), file=filename, field="crosswalk"))
    return entries, problems


def _unknown(codes: Sequence[str], present: dict[str, str | None], field_name: str) -> list:
    unknown = [c for c in codes if c not in present]
    if not unknown:
        return []
    return [
        Problem(
            N_("not in this dataset: %(codes)s"),
            field=field_name,
            params={"codes": ", ".join(unknown[:50]) + (" …" if len(unknown) > 50 else "")},
        )
    ]


def bind_series(
    consultation: Consultation,
    dataset: ForecastDataset,
    *,
    by: User,
    sector_codes: Iterable[str] = (),
    occupation_codes: Iterable[str] = (),
    crosswalk: bytes | None = None,
    crosswalk_filename: str | None = None,
    geography: str | None = None,
    total_code: str | None = None,
) -> BindingReport:
    """Bind a dataset's series to a consultation: its sector and/or occupation codes, or the
    codes of an uploaded crosswalk (forecast code → NACE or ISCO code). Binding the same
    dataset again replaces the earlier binding. Raises NotFound / NotAllowed (the
    council's secretariat binds), InvalidInput naming every unknown code and every bad
    crosswalk row. ``total_code``: the dataset's all-sector total, checked like the other
    sector codes. Flushes; audits."""
    authorize(by, Act.run, consultation)
    authorize(by, Act.view, dataset, what="forecast_dataset")
    sectors_wanted = list(dict.fromkeys(c.strip() for c in sector_codes if c and c.strip()))
    occupations_wanted = list(dict.fromkeys(c.strip() for c in occupation_codes if c and c.strip()))
    present_sectors, present_occupations = dataset_codes(dataset.id)
    problems = []
    if len(sectors_wanted) > MAX_CODES or len(occupations_wanted) > MAX_CODES:
        problems.append(Problem(N_("at most %(count)s codes, please"), params={"count": MAX_CODES}))
    problems += _unknown(sectors_wanted, present_sectors, "sector_codes")
    problems += _unknown(occupations_wanted, present_occupations, "occupation_codes")
    entries: list[dict[str, Any]] = []
    if crosswalk is not None:
        entries, crosswalk_problems = parse_crosswalk(
            crosswalk, crosswalk_filename or "crosswalk.csv", present_sectors, present_occupations
        )
        problems += crosswalk_problems
    total_code = (total_code or "").strip() or None
    if total_code is not None:
        # The total is of the kind bound: the all-occupation total for occupation-only series.
        occupations_only = not sectors_wanted and (
            occupations_wanted or any(e["kind"] == "occupation" for e in entries)
        )
        present = present_occupations if occupations_only else present_sectors
        problems += _unknown([total_code], present, "total_code")
    geography = (geography or "").strip() or None
    geographies = dataset_geographies(dataset.id)
    if geography is not None and len(geography) > 16:
        problems.append(
            Problem(
                N_("at most %(count)s characters, please"), field="geography", params={"count": 16}
            )
        )
    elif geography is not None:
        problems += _unknown([geography], dict.fromkeys(geographies), "geography")
    if not problems and not (sectors_wanted or occupations_wanted or entries):
        problems.append(
            Problem(
                N_("name sector or occupation codes, or upload a crosswalk"), field="sector_codes"
            )
        )
    if problems:
        raise InvalidInput(N_("the forecast series were not bound"), problems)
    for entry in entries:  # a crosswalk's codes are used, unless codes were named
        wanted = sectors_wanted if entry["kind"] == "sector" else occupations_wanted
        if entry["code"] not in wanted:
            wanted.append(entry["code"])
    binding = db.session.scalars(
        select(ForecastBinding).where(
            ForecastBinding.consultation_id == consultation.id,
            ForecastBinding.dataset_id == dataset.id,
        )
    ).first()
    replaced = binding is not None
    if binding is None:
        binding = ForecastBinding(consultation=consultation, dataset=dataset)
        db.session.add(binding)
    binding.sector_codes = sectors_wanted
    binding.occupation_codes = occupations_wanted
    if crosswalk is not None:
        binding.crosswalk = entries
        binding.crosswalk_filename = (crosswalk_filename or "")[:255] or None
    elif not replaced:
        binding.crosswalk = []
    binding.geography = geography
    binding.total_code = total_code
    binding.created_by_id = by.id
    db.session.flush()
    record(
        "forecast-bound",
        actor=by,
        object_type="forecast_binding",
        object_id=binding.id,
        details={
            "consultation_id": consultation.id,
            "dataset_id": dataset.id,
            "sector_codes": len(sectors_wanted),
            "occupation_codes": len(occupations_wanted),
            "crosswalk_rows": len(binding.crosswalk or ()),
            "replaced": replaced,
        },
    )
    return BindingReport(
        binding,
        tuple(sectors_wanted),
        tuple(occupations_wanted),
        len(binding.crosswalk or ()),
        tuple(_geography_warnings(consultation, geography, geographies)),
    )


def _geography_warnings(
    consultation: Consultation, chosen: str | None, geographies: Sequence[str]
) -> list[Problem]:
    """Warnings (not refusals) when the bound series describe another labour market than the
    council's: a brief may compare with another country's forecast, but says so."""
    council_geography = (consultation.council.geography or "").strip()
    used = [chosen] if chosen else list(geographies)
    if not council_geography or not used:
        return []
    if any(g.casefold() == council_geography.casefold() for g in used):
        return []
    return [
        Problem(
            N_(
                "these series describe %(used)s, but the council covers %(council)s: the "
                "figures are of another labour market, and the brief will say so"
            ),
            field="geography",
            params={"used": ", ".join(used[:10]), "council": council_geography},
        )
    ]


def unbind_series(binding: ForecastBinding, *, by: User) -> None:
    """Remove a binding. Raises NotFound / NotAllowed. Flushes; audits."""
    authorize(by, Act.run, binding)
    record(
        "forecast-unbound",
        actor=by,
        object_type="forecast_binding",
        object_id=binding.id,
        details={"consultation_id": binding.consultation_id, "dataset_id": binding.dataset_id},
    )
    db.session.delete(binding)
    db.session.flush()


def get_binding_for(user: User, binding_id: int) -> ForecastBinding:
    binding = db.session.get(ForecastBinding, binding_id) if binding_id < 2**31 else None
    if binding is None:
        raise NotFound(N_("no such forecast binding"))
    authorize(user, Act.view, binding)
    return binding
