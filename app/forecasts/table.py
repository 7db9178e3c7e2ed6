"""The long table every forecast publication is read into, and what travels with it (pure).

A publisher's table as released (CSV or XLSX, any layout an import profile can describe) is
read into rows of one shape: ``geography, sector_code, occupation_code, qualification,
indicator, year, value, unit`` (DESIGN.md "Forecast import"). A categorical indicator (a
publisher's own outlook rating such as shortage / balance / surplus) carries ``category`` and
no ``value``: it is never a number. The parser (``app.forecasts.parse``) yields these rows;
the import service (``app.forecasts.services``) checks the whole file before it writes any
of them, then writes them in one transaction.

Codes are text, always: ``"230000"`` and ``"47-2111"`` are identifiers, and leading zeros
stay.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["DatasetKind", "Level", "LongRow", "Provenance", "Status", "TableSummary"]


class DatasetKind(enum.StrEnum):
    """What a dataset is; a brief shows each kind with its own caveats."""

    #: A statistical projection of employment, openings and the like.
    projection = "projection"
    #: Official statistics: what was measured (history).
    statistics = "statistics"
    #: Counts of online job advertisements: a recent signal, shown beside official figures.
    job_ads = "job_ads"


class Level(enum.StrEnum):
    """Where a row sits in the publisher's hierarchy."""

    #: A total or subtotal (e.g. "Total, all occupations", a major group).
    aggregate = "aggregate"
    #: A detailed row (an occupation, an industry at the finest level published).
    detail = "detail"


class Status(enum.StrEnum):
    """Status flags a value may carry, shown the same way in every output."""

    provisional = "provisional"
    revised = "revised"
    estimated = "estimated"
    forecast = "forecast"
    low_reliability = "low_reliability"
    break_in_series = "break_in_series"


@dataclass(frozen=True, slots=True)
class LongRow:
    """One value of the long table."""

    geography: str
    sector_code: str | None
    occupation_code: str | None
    #: ISCED level or band; None for all qualifications.
    qualification: str | None
    #: e.g. ``employment``, ``employment_change``, ``openings``, ``separations``.
    indicator: str
    year: int
    #: The number in ``unit`` after the profile's scale; None for a categorical indicator or
    #: a value the publisher marks as missing.
    value: float | None
    unit: str | None
    #: A categorical indicator's value as published (``"shortage"``); None for numbers.
    category: str | None = None
    #: Label of the sector or occupation as published, and in the second label language.
    label: str | None = None
    label_alt: str | None = None
    level: Level | None = None
    flags: tuple[Status, ...] = ()
    #: Footnote marks found in the cell or label (``"1"``, ``"a"``), without brackets.
    notes: tuple[str, ...] = ()
    #: Row of the source file (1-based, as a spreadsheet shows it) the value came from.
    source_row: int | None = None

    @property
    def key(self) -> tuple[str, str | None, str | None, str | None, str, int]:
        """What a dataset holds once: a second row with the same key is a duplicate."""
        return (
            self.geography,
            self.sector_code,
            self.occupation_code,
            self.qualification,
            self.indicator,
            self.year,
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["level"] = self.level.value if self.level else None
        data["flags"] = [f.value for f in self.flags]
        data["notes"] = list(self.notes)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LongRow:
        values = dict(data)
        values["level"] = Level(values["level"]) if values.get("level") else None
        values["flags"] = tuple(Status(f) for f in values.get("flags") or ())
        values["notes"] = tuple(values.get("notes") or ())
        return cls(**values)


@dataclass(frozen=True)
class Provenance:
    """Where a dataset comes from, printed on every brief that uses it. The profile gives
    the defaults; whoever imports may correct them."""

    publisher: str
    title: str
    licence: str
    #: Edition, e.g. ``2024-34``.
    vintage: str
    base_year: int
    horizon_year: int
    #: Default unit of the values, e.g. ``thousand jobs``.
    unit: str
    kind: DatasetKind = DatasetKind.projection
    source_url: str | None = None
    #: The publisher's caveats, as sentences (e.g. what a job advertisement is not).
    caveats: tuple[str, ...] = ()
    #: Classification of the codes: sector (``NEM``, ``NAICS``, ``NACE``...) and occupation
    #: (``SOC 2018``, ``ISCO-08``...).
    sector_classification: str | None = None
    occupation_classification: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        data["caveats"] = list(self.caveats)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Provenance:
        values = dict(data)
        values["kind"] = DatasetKind(values.get("kind") or DatasetKind.projection)
        values["caveats"] = tuple(values.get("caveats") or ())
        return cls(**values)


@dataclass(frozen=True)
class TableSummary:
    """What a preview shows of a parsed table: its first rows, counts per indicator and year,
    and how many rows there are in all."""

    rows: int
    first: tuple[LongRow, ...] = ()
    #: {indicator: {year: number of values}}
    counts: dict[str, dict[int, int]] = field(default_factory=dict)
    #: The first values of each categorical indicator that hold a category, a few each: the
    #: first rows of a table are often totals, where no category is published.
    categories: tuple[LongRow, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "first": [r.to_json() for r in self.first],
            "categories": [r.to_json() for r in self.categories],
            "counts": {i: {str(y): n for y, n in c.items()} for i, c in self.counts.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TableSummary:
        return cls(
            rows=int(data["rows"]),
            first=tuple(LongRow.from_json(r) for r in data.get("first") or ()),
            categories=tuple(LongRow.from_json(r) for r in data.get("categories") or ()),
            counts={
                i: {int(y): int(n) for y, n in c.items()}
                for i, c in (data.get("counts") or {}).items()
            },
        )


def json_list(values: tuple[str, ...] | list[str]) -> str | None:
    """Flags or notes as the bulk import writes them: a JSON list, None (NULL) for none."""
    return json.dumps(list(values), ensure_ascii=False) if values else None
