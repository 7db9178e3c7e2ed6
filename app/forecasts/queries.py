"""Reading forecast datasets and their series (read only; no access checks: callers check)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from app.consultations.models import Consultation
from app.extensions import db
from app.forecasts.models import ForecastBinding, ForecastDataset, ForecastValue
from app.forecasts.table import LongRow

__all__ = [
    "BoundSeries",
    "bindings_of_consultation",
    "bindings_of_dataset",
    "bound_series",
    "counts_by_indicator_year",
    "first_values",
    "list_datasets",
    "series",
]


def list_datasets() -> list[ForecastDataset]:
    """Every dataset, the latest import first."""
    return list(
        db.session.scalars(
            select(ForecastDataset).order_by(
                ForecastDataset.imported_at.desc(), ForecastDataset.id.desc()
            )
        )
    )


def counts_by_indicator_year(dataset_id: int) -> dict[str, dict[int, int]]:
    """{indicator: {year: values}} of a dataset, indicators and years in order."""
    query = (
        select(ForecastValue.indicator, ForecastValue.year, func.count())
        .where(ForecastValue.dataset_id == dataset_id)
        .group_by(ForecastValue.indicator, ForecastValue.year)
        .order_by(ForecastValue.indicator, ForecastValue.year)
    )
    counts: dict[str, dict[int, int]] = {}
    for indicator, year, n in db.session.execute(query):
        counts.setdefault(indicator, {})[year] = n
    return counts


def first_values(dataset_id: int, limit: int = 20) -> list[LongRow]:
    """The dataset's first values in the order they were imported."""
    return [
        v.long_row()
        for v in db.session.scalars(
            select(ForecastValue)
            .where(ForecastValue.dataset_id == dataset_id)
            .order_by(ForecastValue.id)
            .limit(limit)
        )
    ]


def category_values(dataset_id: int, per_indicator: int = 3) -> list[LongRow]:
    """The first values of each categorical indicator of the dataset that hold a category
    (``per_indicator`` each), in the order they were imported."""
    ranked = (
        select(
            ForecastValue.id,
            func.row_number()
            .over(partition_by=ForecastValue.indicator, order_by=ForecastValue.id)
            .label("n"),
        )
        .where(ForecastValue.dataset_id == dataset_id, ForecastValue.category.is_not(None))
        .subquery()
    )
    return [
        v.long_row()
        for v in db.session.scalars(
            select(ForecastValue)
            .join(ranked, ranked.c.id == ForecastValue.id)
            .where(ranked.c.n <= per_indicator)
            .order_by(ForecastValue.id)
        )
    ]


def series(
    dataset_id: int,
    *,
    sector_codes: Sequence[str] | None = None,
    occupation_codes: Sequence[str] | None = None,
    indicators: Iterable[str] | None = None,
    geography: str | None = None,
) -> list[LongRow]:
    """The values of a dataset for some sector and/or occupation codes and indicators,
    ordered by indicator, sector, occupation, year. Sector codes alone: every value of those
    sectors; occupation codes alone: every value of those occupations; both: the sectors'
    own values and those of the occupations within them (or across all sectors). None:
    any code; an empty list selects nothing of that kind."""
    sector, occupation = ForecastValue.sector_code, ForecastValue.occupation_code
    query = select(ForecastValue).where(ForecastValue.dataset_id == dataset_id)
    if sector_codes is not None and occupation_codes is not None:
        sectors, occupations = list(sector_codes), list(occupation_codes)
        query = query.where(
            or_(
                and_(sector.in_(sectors), or_(occupation.is_(None), occupation.in_(occupations))),
                and_(sector.is_(None), occupation.in_(occupations)),
            )
        )
    elif sector_codes is not None:
        query = query.where(sector.in_(list(sector_codes)))
    elif occupation_codes is not None:
        query = query.where(occupation.in_(list(occupation_codes)))
    if indicators is not None:
        query = query.where(ForecastValue.indicator.in_(list(indicators)))
    if geography is not None:
        query = query.where(ForecastValue.geography == geography)
    query = query.order_by(
        ForecastValue.indicator,
        ForecastValue.sector_code,
        ForecastValue.occupation_code,
        ForecastValue.year,
        ForecastValue.id,
    )
    return [v.long_row() for v in db.session.scalars(query)]


def bindings_of_consultation(consultation: Consultation) -> list[ForecastBinding]:
    return list(
        db.session.scalars(
            select(ForecastBinding)
            .where(ForecastBinding.consultation_id == consultation.id)
            .order_by(ForecastBinding.id)
        )
    )


def bindings_of_dataset(dataset_id: int) -> list[ForecastBinding]:
    return list(
        db.session.scalars(
            select(ForecastBinding)
            .where(ForecastBinding.dataset_id == dataset_id)
            .order_by(ForecastBinding.id)
        )
    )


@dataclass(frozen=True)
class BoundCode:
    """A code a binding uses, with its published label and what it maps to."""

    kind: str  # "sector" or "occupation"
    code: str
    label: str | None
    #: (classification, code, label) of NACE / ISCO codes it maps to; empty: no crosswalk.
    maps_to: tuple[tuple[str, str, str | None], ...] = ()


@dataclass(frozen=True)
class BoundSeries:
    """What a binding selects: the dataset, the codes used and how they map, the values."""

    binding_id: int
    dataset_id: int
    codes: tuple[BoundCode, ...]
    values: tuple[LongRow, ...]


def dataset_geographies(dataset_id: int) -> list[str]:
    """The geographies the dataset's values describe, in order."""
    query = (
        select(ForecastValue.geography)
        .where(ForecastValue.dataset_id == dataset_id)
        .group_by(ForecastValue.geography)
        .order_by(ForecastValue.geography)
    )
    return list(db.session.scalars(query))


def code_labels(
    dataset_id: int, kind: str, codes: Sequence[str] | None = None
) -> dict[str, str | None]:
    """{code: published label} of the dataset's sector (``kind`` "sector") or occupation
    codes (all, or those of ``codes``), in code order. A sector's label is that of its own
    values (no occupation), an occupation's that of any of its values."""
    column = ForecastValue.sector_code if kind == "sector" else ForecastValue.occupation_code
    found: dict[str, str | None] = {}
    query = select(column).where(ForecastValue.dataset_id == dataset_id, column.is_not(None))
    if codes is not None:
        query = query.where(column.in_(list(codes)))
    for (code,) in db.session.execute(query.group_by(column).order_by(column)):
        found[code] = None
    labelled = select(column, func.max(ForecastValue.label)).where(
        ForecastValue.dataset_id == dataset_id, column.is_not(None)
    )
    if codes is not None:
        labelled = labelled.where(column.in_(list(codes)))
    if kind == "sector":
        labelled = labelled.where(ForecastValue.occupation_code.is_(None))
    for code, label in db.session.execute(labelled.group_by(column)):
        found[code] = label
    return found


def bound_codes(binding: ForecastBinding) -> list[BoundCode]:
    """The codes a binding uses, with the labels the dataset publishes and the crosswalk."""
    labels: dict[tuple[str, str], str | None] = {}
    for kind, codes in (
        ("sector", binding.sector_codes or []),
        ("occupation", binding.occupation_codes or []),
    ):
        if codes:
            for code, label in code_labels(binding.dataset_id, kind, codes).items():
                labels[(kind, code)] = label
    maps: dict[tuple[str, str], list[tuple[str, str, str | None]]] = {}
    for entry in binding.crosswalk or ():
        maps.setdefault((entry["kind"], entry["code"]), []).append(
            (entry["classification"], entry["target_code"], entry.get("target_label"))
        )
    return [
        BoundCode(kind, code, labels.get((kind, code)), tuple(maps.get((kind, code), ())))
        for kind, codes in (
            ("sector", binding.sector_codes or []),
            ("occupation", binding.occupation_codes or []),
        )
        for code in codes
    ]


def bound_series(binding: ForecastBinding, indicators: Iterable[str] | None = None) -> BoundSeries:
    """The values a binding selects (its sector codes' and occupation codes' series, in its
    geography if it names one), with the codes used and their mapping to NACE / ISCO."""
    values = series(
        binding.dataset_id,
        sector_codes=binding.sector_codes if binding.sector_codes else None,
        occupation_codes=binding.occupation_codes if binding.occupation_codes else None,
        indicators=indicators,
        geography=binding.geography,
    )
    return BoundSeries(binding.id, binding.dataset_id, tuple(bound_codes(binding)), tuple(values))
