"""Loading classifications into the database. Services flush; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.classifications.models import OccupationGroup, Sector
from app.classifications.nace import NACE_SECTIONS
from app.classifications.parse import parse_esco_isco_groups, parse_nace_ramon
from app.errors import InvalidInput
from app.extensions import db

NACE = "nace-rev2"
ISCO = "isco-08"

#: How many problems an error message lists before summarising the rest.
MAX_PROBLEMS_SHOWN = 50
#: Largest file read: the full NACE and ESCO exports are about 1 MiB.
MAX_FILE_BYTES = 50 * 1024**2


@dataclass(frozen=True)
class ImportSummary:
    classification: str
    added: int
    updated: int
    by_level: dict[int, int]


def ensure_builtin_sectors() -> int:
    """Add the 21 NACE Rev. 2 sections that are missing; return how many were added."""
    existing = set(
        db.session.scalars(
            select(Sector.code).where(Sector.classification == NACE, Sector.level == 1)
        )
    )
    added = 0
    for entry in NACE_SECTIONS:
        if entry.code in existing:
            continue
        db.session.add(
            Sector(
                classification=NACE,
                code=entry.code,
                level=1,
                parent_code=None,
                label=entry.display_label,
                labels=dict(entry.labels),
                description=entry.description or "",
                isic_ref=entry.isic_ref,
            )
        )
        added += 1
    db.session.flush()
    return added


def _problems_or_raise(path: Path, problems) -> None:
    if not problems:
        return
    shown = [str(p) for p in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        shown.append(f"... and {len(problems) - MAX_PROBLEMS_SHOWN} more problems")
    raise InvalidInput(
        f"{path.name}: {len(problems)} problem(s) found; nothing was imported", shown
    )


def import_classification(kind: str, path: str | Path) -> ImportSummary:
    """Load a whole classification file: all records or none.

    ``kind`` is ``nace`` (Eurostat RAMON export) or ``isco`` (ESCO ISCOGroups CSV).
    Raises InvalidInput listing each problem by row and column, or naming the file when it
    is missing, not a regular file, larger than MAX_FILE_BYTES or unreadable. Flushes.
    """
    path = Path(path)
    if kind not in ("nace", "isco"):
        raise InvalidInput(f"classification must be nace or isco, not {kind!r}")
    if not path.exists():
        raise InvalidInput(f"{path}: no such file")
    if not path.is_file():
        raise InvalidInput(f"{path}: not a regular file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InvalidInput(
            f"{path}: the file is larger than {MAX_FILE_BYTES // 1024**2} MiB ({size} bytes); "
            "a classification file is about 1 MiB"
        )
    parser = parse_nace_ramon if kind == "nace" else parse_esco_isco_groups
    try:
        result = parser(path)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    _problems_or_raise(path, list(result.problems))
    if not result.records:
        raise InvalidInput(f"{path.name}: the file holds no records; nothing was imported")

    model = Sector if kind == "nace" else OccupationGroup
    scheme = NACE if kind == "nace" else ISCO
    existing = {
        row.code: row
        for row in db.session.scalars(select(model).where(model.classification == scheme))
    }
    added = updated = 0
    by_level: dict[int, int] = {}
    for rec in result.records:
        by_level[rec.level] = by_level.get(rec.level, 0) + 1
        row = existing.get(rec.code)
        if row is None:
            row = model(classification=scheme, code=rec.code)
            db.session.add(row)
            added += 1
        else:
            updated += 1
        row.level = rec.level
        row.parent_code = rec.parent_code
        row.description = rec.description or ""
        if kind == "nace":
            builtin_labels = row.labels or {}
            row.label = rec.display_label if rec.level == 1 else rec.label
            row.labels = {**builtin_labels, **dict(rec.labels)}
            row.isic_ref = rec.isic_ref
        else:
            row.label = rec.label
            row.uri = rec.uri
    db.session.flush()
    return ImportSummary(scheme, added, updated, dict(sorted(by_level.items())))


#: Levels of NACE Rev. 2 a council may cover: sections and divisions.
COUNCIL_LEVELS = (1, 2)


def normalise_sector_code(code: str) -> str:
    """A NACE code as stored: trimmed, in capitals (``f`` is ``F``)."""
    return code.strip().upper()


def find_sector(code: str) -> Sector | None:
    """The stored NACE Rev. 2 sector with ``code`` (any level), or None."""
    return db.session.scalars(
        select(Sector).where(
            Sector.classification == NACE, Sector.code == normalise_sector_code(code)
        )
    ).first()


def council_sectors() -> list[Sector]:
    """The stored NACE sections, each followed by its stored divisions (by code)."""
    rows = db.session.scalars(
        select(Sector)
        .where(Sector.classification == NACE, Sector.level.in_(COUNCIL_LEVELS))
        .order_by(Sector.level, Sector.code)
    ).all()
    divisions: dict[str | None, list[Sector]] = {}
    for row in rows:
        if row.level == 2:
            divisions.setdefault(row.parent_code, []).append(row)
    ordered = []
    for row in rows:
        if row.level == 1:
            ordered.append(row)
            ordered.extend(divisions.pop(row.code, []))
    ordered.extend(d for rest in divisions.values() for d in rest)  # parent not stored
    return ordered


def divisions_stored() -> bool:
    """Whether the NACE divisions have been imported (``init-db`` adds the sections only)."""
    return (
        db.session.scalars(
            select(Sector.id).where(Sector.classification == NACE, Sector.level == 2).limit(1)
        ).first()
        is not None
    )
