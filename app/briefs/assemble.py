"""Assembling a sector brief from plain data (pure: no Flask, no database, no clock).

``assemble(inputs, settings)`` turns the frozen round results of a consultation, its approved
themes and the forecast series bound to it into a ``BriefContent``
(``app.briefs.content``). ``app.briefs.queries`` builds the ``BriefInputs`` from the database;
storing and rendering are separate steps. The same inputs always give the same brief.

Figures are taken as frozen or as published, never recomputed from answers: panel statistics
and stakeholder-group cells come from ``RoundResults`` (a suppressed cell stays suppressed),
forecast values from the long table. What is derived here is derived by a stated rule: sums
over the codes bound to the sector, change and per cent where the publisher gives none, the
split of openings, the two ratings (``OutlookSettings``) and triangulation (METHOD.md 8).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.briefs.content import (
    EMPLOYMENT,
    EMPLOYMENT_CHANGE,
    EMPLOYMENT_CHANGE_PCT,
    EXPANSION_DEMAND,
    JOB_ADS,
    KIND_CAVEATS,
    OPENINGS,
    OUTLOOK,
    REPLACEMENT_DEMAND,
    SEPARATIONS,
    Annotation,
    BriefContent,
    Contact,
    ContestedPoint,
    ContestedSection,
    DataSource,
    EmergingSkill,
    EmergingSkillsSection,
    EscoLink,
    Fact,
    FactKey,
    Header,
    ImplicationsSection,
    KeyFactsSection,
    MethodSourcesSection,
    Narrative,
    OccupationList,
    OccupationRow,
    OccupationsSection,
    OpeningsSection,
    OutlookSettings,
    Override,
    PanelRound,
    PanelView,
    PlanRules,
    Point,
    PublishedOutlook,
    Rating,
    RatingCategory,
    RatingKind,
    Ratings,
    Reason,
    Reliability,
    RoundFigure,
    SectorCode,
    Series,
    SkillNeed,
    SkillNeedsSection,
    Source,
    TrendSection,
    TriangulationRow,
    TriangulationSection,
)
from app.briefs.record import RoundItems
from app.consultations.document import ItemResult, RoundResults
from app.forecasts.table import DatasetKind, Level, Provenance, Status
from app.formatting import N_
from app.questionnaires.spec import ForecastBinding, default_bands

__all__ = [
    "BriefInputs",
    "ForecastSeries",
    "ItemInfo",
    "RoundInput",
    "SeriesRole",
    "ThemeInput",
    "assemble",
    "current_category",
    "outlook_category",
    "triangulate_item",
]

#: METHOD.md 8: comparisons with the forecast need at least this many answers.
TRIANGULATION_MIN_N = 5


# --- inputs --------------------------------------------------------------------------------


class SeriesRole(enum.StrEnum):
    """What a bound series stands for in the brief."""

    #: The sector itself (several codes of one dataset are summed).
    sector = "sector"
    #: The all-sector total of the same dataset (the outlook rule compares with it).
    total = "total"
    #: An occupation within the sector (the occupations section).
    occupation = "occupation"


@dataclass(frozen=True)
class ForecastSeries:
    """One indicator of one code of one dataset, as imported (values as published)."""

    provenance: Provenance
    dataset_id: str
    indicator: str
    role: SeriesRole
    values: dict[int, float | None]
    sector_code: str | None = None
    occupation_code: str | None = None
    label: str = ""
    level: Level | None = None
    unit: str | None = None
    geography: str | None = None
    #: A categorical indicator's values as published, by year (``"shortage"``).
    categories: dict[int, str] = field(default_factory=dict)
    flags: dict[int, tuple[Status, ...]] = field(default_factory=dict)

    @property
    def kind(self) -> DatasetKind:
        return self.provenance.kind

    @property
    def code(self) -> str | None:
        if self.role is SeriesRole.occupation:
            return self.occupation_code
        return self.sector_code or self.occupation_code

    @property
    def category(self) -> str | None:
        """The latest category published (categorical indicators)."""
        return self.categories[max(self.categories)] if self.categories else None

    def value(self, year: int | None) -> float | None:
        if year is None:
            return None
        value = self.values.get(year)
        return None if value is None or not math.isfinite(value) else float(value)


@dataclass(frozen=True)
class ItemInfo:
    """What the brief needs of a question: its text per language, type and scale."""

    key: str
    type: str
    text: dict[str, str]
    scale: int | None = None
    #: Scale point labels per language, lowest first.
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unit: str | None = None
    agreement_band: tuple[int, int] | None = None
    disagreement_band: tuple[int, int] | None = None
    #: The forecast an estimate item is compared with (METHOD.md 8).
    forecast: ForecastBinding | None = None
    #: The item expresses the panel's view of the sector's outlook (rating items; estimates
    #: bound to employment change in per cent are such by default).
    outlook: bool = False


@dataclass(frozen=True)
class RoundInput:
    """One closed round: its frozen results and who was asked and answered."""

    results: RoundResults
    invited: int | None = None
    responded: int | None = None
    invited_by_group: dict[str, int] = field(default_factory=dict)
    responded_by_group: dict[str, int] = field(default_factory=dict)
    #: Anonymous (low, high) ranges given to estimate items, per item key, used only for the
    #: share of ranges that contain the forecast (never published one by one).
    ranges: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)

    @property
    def number(self) -> int:
        return self.results.round

    @property
    def submitted(self) -> int:
        return self.responded if self.responded is not None else self.results.submitted


@dataclass(frozen=True)
class ThemeInput:
    """An approved theme with its ESCO links and moderated quotes (text only)."""

    label: dict[str, str]
    esco: tuple[EscoLink, ...] = ()
    quotes: tuple[str, ...] = ()
    approved: bool = True
    item_key: str | None = None


@dataclass(frozen=True)
class BriefInputs:
    """Everything a brief is made of, as plain data."""

    title: str
    consultation_title: str
    sector_label: str
    geography: str
    #: Who publishes the brief (the council), for the citation.
    publisher: str
    #: ISO date of the version.
    date: str
    version: int = 1
    geography_label: str = ""
    languages: tuple[str, ...] = ("en",)
    sector_codes: tuple[SectorCode, ...] = ()
    #: The occupation codes bound, with their mapping to ISCO (listed among the sources,
    #: not in the header).
    occupation_codes: tuple[SectorCode, ...] = ()
    plan: PlanRules | None = None
    rounds: tuple[RoundInput, ...] = ()
    items: dict[str, ItemInfo] = field(default_factory=dict)
    themes: tuple[ThemeInput, ...] = ()
    series: tuple[ForecastSeries, ...] = ()
    narrative: Narrative = Narrative()
    annotations: tuple[Annotation, ...] = ()
    contact: Contact | None = None
    overrides: dict[RatingKind, Override] = field(default_factory=dict)


# --- helpers -------------------------------------------------------------------------------


def _r(value: float | None) -> float | None:
    """A value as compared by a rule: rounded to 10 decimals (METHOD.md conventions)."""
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return round(float(value), 10)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _pct(new: float | None, old: float | None) -> float | None:
    if new is None or old is None or old == 0:
        return None
    return (new / old - 1.0) * 100.0


def _source(p: Provenance, dataset_id: str) -> Source:
    return Source(
        publisher=p.publisher,
        title=p.title,
        vintage=p.vintage,
        licence=p.licence,
        kind=p.kind.value,
        base_year=p.base_year,
        horizon_year=p.horizon_year,
        dataset_id=str(dataset_id),
        url=p.source_url,
    )


def _flags(series: Iterable[ForecastSeries], year: int | None) -> tuple[Status, ...]:
    found: set[Status] = set()
    for s in series:
        found.update(s.flags.get(year, ()) if year is not None else ())
    return tuple(f for f in Status if f in found)


@dataclass(frozen=True)
class _Dataset:
    """The series of one dataset, by role and indicator."""

    dataset_id: str
    provenance: Provenance
    series: tuple[ForecastSeries, ...]

    def of(self, role: SeriesRole, indicator: str) -> tuple[ForecastSeries, ...]:
        return tuple(s for s in self.series if s.role is role and s.indicator == indicator)

    def total(self, role: SeriesRole, indicator: str, year: int | None) -> float | None:
        """The sum over the role's codes at ``year``; None unless every code has a value."""
        found = self.of(role, indicator)
        values = [s.value(year) for s in found]
        if not values or any(v is None for v in values):
            return None
        return float(sum(values))

    def period(self, role: SeriesRole, indicator: str) -> tuple[float | None, int | None]:
        """A value over the projection period (openings, separations): the horizon year's,
        else the base year's, else the one year given."""
        p = self.provenance
        for year in (p.horizon_year, p.base_year):
            value = self.total(role, indicator, year)
            if value is not None:
                return value, year
        years = sorted({y for s in self.of(role, indicator) for y in s.values})
        if len(years) == 1:
            return self.total(role, indicator, years[0]), years[0]
        return None, None

    @property
    def source(self) -> Source:
        return _source(self.provenance, self.dataset_id)


def _datasets(series: Iterable[ForecastSeries]) -> tuple[_Dataset, ...]:
    by_id: dict[str, list[ForecastSeries]] = {}
    for s in series:
        by_id.setdefault(str(s.dataset_id), []).append(s)
    return tuple(
        _Dataset(key, members[0].provenance, tuple(members)) for key, members in by_id.items()
    )


def _first(datasets: Iterable[_Dataset], kind: DatasetKind, indicator: str) -> _Dataset | None:
    return next(
        (d for d in datasets if d.provenance.kind is kind and d.of(SeriesRole.sector, indicator)),
        None,
    )


def _final(rounds: tuple[RoundInput, ...], key: str) -> tuple[RoundInput, ItemResult] | None:
    """The last round that asked the item, with its frozen result."""
    for round_ in sorted(rounds, key=lambda r: r.number, reverse=True):
        item = round_.results.item(key)
        if item is not None:
            return round_, item
    return None


def _interval(item: ItemResult, name: str = "median"):
    if not item.intervals or name not in item.intervals:
        return None
    low, high = item.intervals[name]
    return (_number(low), _number(high))


def _item_keys(inputs: BriefInputs, kind: str) -> tuple[str, ...]:
    """Keys of the items of a type, in the order of the last round that asked them."""
    seen: dict[str, int] = {}
    for round_ in sorted(inputs.rounds, key=lambda r: r.number):
        for key, item in round_.results.items.items():
            if item.type == kind:
                seen[key] = item.position + 1000 * round_.number
    keys = list(seen)
    return tuple(sorted(keys, key=lambda k: (seen[k], k)))


def _text(inputs: BriefInputs, key: str) -> dict[str, str]:
    info = inputs.items.get(key)
    return dict(info.text) if info is not None and info.text else {"en": key}


# --- the rules of the two ratings ----------------------------------------------------------


def threshold_band(value: float | None, high: float, low: float) -> str | None:
    """``high`` at or above ``high``, ``low`` at or below ``low``, else ``mid`` (None without
    a value): how a rule classes a figure against its two thresholds."""
    value = _r(value)
    if value is None:
        return None
    if value >= _r(high):
        return "high"
    if value <= _r(low):
        return "low"
    return "mid"


def outlook_category(
    relative_growth: float | None,
    relative_openings: float | None,
    settings: OutlookSettings,
) -> RatingCategory:
    """The future outlook's category (rule ``settings.outlook_version``; see
    ``OutlookSettings``): relative growth in percentage points against the all-sector total
    of the same dataset, and the openings rate's difference from the total's."""
    growth = threshold_band(relative_growth, settings.growth_strong, settings.growth_weak)
    if growth is None:
        return RatingCategory.undetermined
    openings = threshold_band(relative_openings, settings.openings_strong, settings.openings_weak)
    if openings is None:
        return {"high": RatingCategory.strong, "low": RatingCategory.weak}.get(
            growth, RatingCategory.moderate
        )
    if (growth == "high" and openings != "low") or (growth == "mid" and openings == "high"):
        return RatingCategory.strong
    if (growth == "low" and openings != "high") or (growth == "mid" and openings == "low"):
        return RatingCategory.weak
    return RatingCategory.moderate


def current_category(relative_change: float | None, strong: float, weak: float) -> RatingCategory:
    """Current conditions' category from a change relative to the total (percentage points),
    ``strong`` and ``weak`` inclusive."""
    band = threshold_band(relative_change, strong, weak)
    if band is None:
        return RatingCategory.undetermined
    return {"high": RatingCategory.strong, "low": RatingCategory.weak}.get(
        band, RatingCategory.moderate
    )


def _latest_change(dataset: _Dataset, role: SeriesRole, indicator: str):
    """Per cent change over the last two years the role's series all have values for."""
    series = dataset.of(role, indicator)
    if not series:
        return None, None, None
    years = sorted(
        set.intersection(*({y for y in s.values if s.value(y) is not None} for s in series))
    )
    if len(years) < 2:
        return None, None, None
    old, new = years[-2], years[-1]
    return _pct(dataset.total(role, indicator, new), dataset.total(role, indicator, old)), old, new


def _current_rating(datasets, settings: OutlookSettings, override: Override | None) -> Rating:
    attempts = (
        (
            DatasetKind.statistics,
            EMPLOYMENT,
            "relative_employment_change",
            settings.current_strong,
            settings.current_weak,
        ),
        (
            DatasetKind.job_ads,
            JOB_ADS,
            "relative_job_ads_change",
            settings.ads_strong,
            settings.ads_weak,
        ),
    )
    reason = Reason(N_("no recent official statistics or job advertisements for the sector"))
    for kind, indicator, name, strong, weak in attempts:
        dataset = _first(datasets, kind, indicator)
        if dataset is None:
            continue
        sector, old, new = _latest_change(dataset, SeriesRole.sector, indicator)
        inputs: dict[str, float | None] = {"sector_change": sector}
        total = None
        if old is not None:
            series = dataset.of(SeriesRole.total, indicator)
            if series:
                total = _pct(
                    dataset.total(SeriesRole.total, indicator, new),
                    dataset.total(SeriesRole.total, indicator, old),
                )
        inputs["total_change"] = total
        relative = None if sector is None or total is None else sector - total
        inputs["relative_change"] = relative
        inputs["from_year"], inputs["to_year"] = (
            (float(old), float(new)) if old is not None else (None, None)
        )
        category = current_category(relative, strong, weak)
        if category is RatingCategory.undetermined:
            reason = (
                Reason(N_("the dataset has no all-sector total to compare the sector with"))
                if sector is not None
                else Reason(N_("the dataset has fewer than two years for the sector"))
            )
            continue
        return Rating(
            kind=RatingKind.current_conditions,
            category=category,
            rule_version=settings.current_version,
            primary_indicator=name,
            inputs=inputs,
            source=dataset.source,
            override=override,
        )
    return Rating(
        kind=RatingKind.current_conditions,
        category=RatingCategory.undetermined,
        rule_version=settings.current_version,
        primary_indicator=None,
        reason=reason,
        override=override,
    )


# --- sections ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Projection:
    """The figures of the primary projection for the sector and the total."""

    dataset: _Dataset | None
    base: float | None = None
    projected: float | None = None
    change: float | None = None
    change_pct: float | None = None
    total_pct: float | None = None
    openings: float | None = None
    expansion: float | None = None
    replacement: float | None = None
    openings_rate: float | None = None
    total_openings_rate: float | None = None


def _published_or(dataset: _Dataset, indicator: str, year: int, computed: float | None):
    """The publisher's own figure when one series of the sector carries it, else computed."""
    series = dataset.of(SeriesRole.sector, indicator)
    if len(series) == 1 and series[0].value(year) is not None:
        return series[0].value(year)
    return computed


def _projection(datasets) -> _Projection:
    dataset = _first(datasets, DatasetKind.projection, EMPLOYMENT) or _first(
        datasets, DatasetKind.projection, EMPLOYMENT_CHANGE_PCT
    )
    if dataset is None:
        return _Projection(None)
    p = dataset.provenance
    sector, total = SeriesRole.sector, SeriesRole.total
    base = dataset.total(sector, EMPLOYMENT, p.base_year)
    projected = dataset.total(sector, EMPLOYMENT, p.horizon_year)
    change = None if base is None or projected is None else projected - base
    change = _published_or(dataset, EMPLOYMENT_CHANGE, p.horizon_year, change)
    change_pct = _published_or(
        dataset, EMPLOYMENT_CHANGE_PCT, p.horizon_year, _pct(projected, base)
    )
    total_base = dataset.total(total, EMPLOYMENT, p.base_year)
    total_pct = _pct(dataset.total(total, EMPLOYMENT, p.horizon_year), total_base)
    if total_pct is None:
        found = dataset.of(total, EMPLOYMENT_CHANGE_PCT)
        total_pct = found[0].value(p.horizon_year) if len(found) == 1 else None
    openings, _ = dataset.period(sector, OPENINGS)
    replacement, _ = dataset.period(sector, SEPARATIONS)
    if replacement is None:
        replacement, _ = dataset.period(sector, REPLACEMENT_DEMAND)
    expansion, _ = dataset.period(sector, EXPANSION_DEMAND)
    years = p.horizon_year - p.base_year
    if expansion is None and openings is not None:
        if replacement is not None:
            expansion = openings - replacement
        elif change is not None and years > 0:
            expansion = change / years
    if replacement is None and openings is not None and expansion is not None:
        replacement = openings - expansion
    rate = None if openings is None or not base else openings / base * 100.0
    total_openings, _ = dataset.period(total, OPENINGS)
    total_rate = (
        None if total_openings is None or not total_base else total_openings / total_base * 100
    )
    return _Projection(
        dataset,
        base=base,
        projected=projected,
        change=change,
        change_pct=change_pct,
        total_pct=total_pct,
        openings=openings,
        expansion=expansion,
        replacement=replacement,
        openings_rate=rate,
        total_openings_rate=total_rate,
    )


def _panel_view(
    inputs: BriefInputs, projection: _Projection, settings: OutlookSettings
) -> PanelView | None:
    """The panel's view of the outlook: estimate items of employment change in per cent
    first, then rating items marked as the outlook's."""
    candidates = []
    for key in _item_keys(inputs, "estimate"):
        info = inputs.items.get(key)
        if info is not None and (
            info.outlook
            or (info.forecast is not None and info.forecast.indicator == EMPLOYMENT_CHANGE_PCT)
        ):
            candidates.append(key)
    for key in _item_keys(inputs, "likert"):
        info = inputs.items.get(key)
        if info is not None and info.outlook:
            candidates.append(key)
    if not candidates:
        return None
    reason = None
    for key in candidates:
        found = _final(inputs.rounds, key)
        if found is None:
            continue
        _, item = found
        info = inputs.items[key]
        if not item.shown:
            reason = Reason(N_("too few panellists answered the question on the outlook"))
            continue
        median, q1, q3 = (_number(item.stats.get(n)) for n in ("median", "q1", "q3"))
        if item.type == "estimate":
            if projection.total_pct is None:
                category = RatingCategory.undetermined
                reason = Reason(
                    N_("the forecast has no all-sector total to compare the panel with")
                )
            else:
                relative = None if median is None else median - projection.total_pct
                category = outlook_category(relative, None, settings)
        else:
            scale = item.scale or info.scale or 5
            agree = info.agreement_band or default_bands(scale)[0]
            disagree = info.disagreement_band or default_bands(scale)[1]
            value = _r(median)
            if value is None:
                category = RatingCategory.undetermined
            elif agree[0] <= value <= agree[1]:
                category = RatingCategory.strong
            elif disagree[0] <= value <= disagree[1]:
                category = RatingCategory.weak
            else:
                category = RatingCategory.moderate
        return PanelView(
            category=category,
            item_keys=(key,),
            median=median,
            q1=q1,
            q3=q3,
            n=item.n,
            unit=info.unit,
            reason=reason if category is RatingCategory.undetermined else None,
        )
    return PanelView(RatingCategory.undetermined, tuple(candidates), reason=reason)


def _published_outlooks(datasets) -> tuple[PublishedOutlook, ...]:
    out = []
    for dataset in datasets:
        for s in dataset.of(SeriesRole.sector, OUTLOOK):
            for year in sorted(s.categories):
                out.append(
                    PublishedOutlook(
                        category=s.categories[year],
                        label=s.label,
                        year=year,
                        source=dataset.source,
                        code=s.code,
                    )
                )
    return tuple(out)


def _future_rating(
    inputs: BriefInputs, datasets, projection: _Projection, settings: OutlookSettings
) -> Rating:
    relative = (
        None
        if projection.change_pct is None or projection.total_pct is None
        else projection.change_pct - projection.total_pct
    )
    relative_openings = (
        None
        if projection.openings_rate is None or projection.total_openings_rate is None
        else projection.openings_rate - projection.total_openings_rate
    )
    category = outlook_category(relative, relative_openings, settings)
    reason = None
    if projection.dataset is None:
        reason = Reason(N_("no projection is bound to the brief"))
    elif projection.change_pct is None:
        reason = Reason(N_("the projection has no employment change for the sector"))
    elif projection.total_pct is None:
        reason = Reason(N_("the projection has no all-sector total to compare the sector with"))
    elif relative_openings is None:
        reason = Reason(N_("the projection has no openings: the rating rests on growth alone"))
    panel = _panel_view(inputs, projection, settings)
    disagrees = None
    if (
        panel is not None
        and panel.category is not RatingCategory.undetermined
        and category is not RatingCategory.undetermined
    ):
        disagrees = panel.category is not category
    return Rating(
        kind=RatingKind.future_outlook,
        category=category,
        rule_version=settings.outlook_version,
        primary_indicator="relative_employment_growth",
        inputs={
            "sector_growth": projection.change_pct,
            "total_growth": projection.total_pct,
            "relative_growth": relative,
            "openings_rate": projection.openings_rate,
            "total_openings_rate": projection.total_openings_rate,
            "relative_openings_rate": relative_openings,
        },
        reason=reason,
        source=projection.dataset.source if projection.dataset else None,
        panel_view=panel,
        disagrees=disagrees,
        override=inputs.overrides.get(RatingKind.future_outlook),
        published=_published_outlooks(datasets),
    )


def _response_rate(round_: RoundInput) -> float | None:
    if not round_.invited:
        return None
    return round_.submitted / round_.invited


def _key_facts(
    inputs: BriefInputs, projection: _Projection, ratings: Ratings, triangulation
) -> KeyFactsSection:
    d = projection.dataset
    p = d.provenance if d else None
    src = d.source if d else None
    base_year, horizon = (p.base_year, p.horizon_year) if p else (None, None)
    unit = p.unit if p else None
    reliability = Reliability(caveats=tuple(p.caveats)) if p else None

    def fact(key, value, year, *, unit=unit, base=None, flags=(), missing=None):
        if d is None:
            return Fact(key, reason=Reason(N_("no projection is bound to the brief")))
        return Fact(
            key,
            value=value,
            unit=unit,
            year=year,
            base_year=base,
            flags=flags,
            source=src,
            reliability=reliability,
            reason=None if value is not None else missing,
        )

    sector = d.of(SeriesRole.sector, EMPLOYMENT) if d else ()
    no_employment = Reason(
        N_("the forecast has no employment for the sector in %(year)s"),
        {"year": horizon or 0},
    )
    no_openings = Reason(N_("this forecast has no openings for the sector"))
    total = projection.openings
    facts = [
        fact(
            FactKey.base_employment,
            projection.base,
            base_year,
            flags=_flags(sector, base_year),
            missing=Reason(
                N_("the forecast has no employment for the sector in %(year)s"),
                {"year": base_year or 0},
            ),
        ),
        fact(
            FactKey.projected_employment,
            projection.projected,
            horizon,
            flags=tuple(dict.fromkeys((*_flags(sector, horizon), Status.forecast))),
            missing=no_employment,
        ),
        fact(
            FactKey.employment_change,
            projection.change,
            horizon,
            base=base_year,
            missing=no_employment,
        ),
        fact(
            FactKey.employment_change_pct,
            projection.change_pct,
            horizon,
            unit="%",
            base=base_year,
            missing=no_employment,
        ),
        fact(FactKey.openings_total, total, horizon, base=base_year, missing=no_openings),
        fact(
            FactKey.openings_expansion_share,
            None if not total or projection.expansion is None else projection.expansion / total,
            horizon,
            unit=None,
            base=base_year,
            missing=no_openings,
        ),
        fact(
            FactKey.openings_replacement_share,
            None if not total or projection.replacement is None else projection.replacement / total,
            horizon,
            unit=None,
            base=base_year,
            missing=no_openings,
        ),
    ]
    facts.append(_panel_fact(inputs, triangulation))
    caveats = {str(s.dataset_id): tuple(s.provenance.caveats) for s in inputs.series}
    for rating in (ratings.current_conditions, ratings.future_outlook):
        facts.append(
            Fact(
                FactKey(rating.kind.value),
                category=rating.shown.value,
                source=rating.source,
                reliability=Reliability(caveats=caveats.get(str(rating.source.dataset_id), ()))
                if rating.source is not None
                else None,
                reason=rating.reason if not rating.determined else None,
            )
        )
    reason = None if d is not None else Reason(N_("no projection is bound to the brief"))
    return KeyFactsSection(tuple(facts), ratings, reason)


def _panel_fact(inputs: BriefInputs, triangulation: TriangulationSection) -> Fact:
    """The panel's estimate of employment change, with n, response rate and interval."""
    row = next((r for r in triangulation.rows if r.indicator == EMPLOYMENT_CHANGE_PCT), None)
    if row is None:
        return Fact(
            FactKey.panel_employment_change,
            reason=Reason(N_("the panel was not asked for an estimate of employment change")),
        )
    round_ = next(r for r in inputs.rounds if r.number == row.round)
    source = Source(
        publisher=inputs.publisher,
        title=inputs.consultation_title,
        vintage=f"round {row.round}",
        kind=Source.PANEL,
    )
    return Fact(
        FactKey.panel_employment_change,
        value=row.median,
        unit=row.unit,
        year=row.year,
        source=source,
        reliability=Reliability(
            n=row.n, response_rate=_response_rate(round_), interval=row.median_interval
        ),
        reason=None
        if row.median is not None
        else Reason(N_("too few panellists answered to show the panel's estimate")),
    )


def _series(dataset: _Dataset, role: SeriesRole, indicator: str, name: str) -> Series | None:
    found = dataset.of(role, indicator)
    if not found:
        return None
    years = sorted({y for s in found for y in s.values})
    points = []
    base = dataset.provenance.base_year
    for year in years:
        value = dataset.total(role, indicator, year)
        flags = _flags(found, year)
        if dataset.provenance.kind is DatasetKind.projection and year > base:
            flags = tuple(dict.fromkeys((*flags, Status.forecast)))
        points.append(Point(year, value, flags))
    label = found[0].label if len(found) == 1 else ", ".join(s.label or str(s.code) for s in found)
    code = found[0].code if len(found) == 1 else None
    return Series(
        name=name,
        indicator=indicator,
        label=label,
        unit=found[0].unit or dataset.provenance.unit,
        points=tuple(points),
        source=dataset.source,
        kind=dataset.provenance.kind.value,
        code=code,
    )


def _trend(datasets) -> TrendSection:
    series = []
    for dataset in datasets:
        kind = dataset.provenance.kind
        indicator = JOB_ADS if kind is DatasetKind.job_ads else EMPLOYMENT
        name = {
            DatasetKind.statistics: "employment_history",
            DatasetKind.projection: "employment_projection",
            DatasetKind.job_ads: "job_ads",
        }[kind]
        found = _series(dataset, SeriesRole.sector, indicator, f"{name}_{dataset.dataset_id}")
        if found is not None:
            series.append(found)
    order = {
        DatasetKind.statistics.value: 0,
        DatasetKind.projection.value: 1,
        DatasetKind.job_ads.value: 2,
    }
    series.sort(key=lambda s: (order[s.kind], s.name))
    if not series:
        return TrendSection(reason=Reason(N_("no employment series is bound to the brief")))
    return TrendSection(tuple(series))


def _openings(projection: _Projection) -> OpeningsSection:
    d = projection.dataset
    if d is None:
        return OpeningsSection(reason=Reason(N_("no projection is bound to the brief")))
    p = d.provenance
    if projection.openings is None:
        return OpeningsSection(
            base_year=p.base_year,
            horizon_year=p.horizon_year,
            source=d.source,
            reason=Reason(N_("this forecast has no openings for the sector")),
        )
    flags = _flags(d.of(SeriesRole.sector, OPENINGS), p.horizon_year) or _flags(
        d.of(SeriesRole.sector, OPENINGS), p.base_year
    )
    return OpeningsSection(
        total=projection.openings,
        expansion=projection.expansion,
        replacement=projection.replacement,
        unit=p.unit,
        annual_average=True,
        base_year=p.base_year,
        horizon_year=p.horizon_year,
        source=d.source,
        flags=flags,
    )


def _occupations(projection: _Projection, settings: OutlookSettings) -> OccupationsSection:
    d = projection.dataset
    if d is None:
        return OccupationsSection(reason=Reason(N_("no projection is bound to the brief")))
    p = d.provenance
    by_code: dict[str, dict[str, ForecastSeries]] = {}
    for s in d.series:
        if s.role is SeriesRole.occupation and s.level is not Level.aggregate and s.code:
            by_code.setdefault(s.code, {})[s.indicator] = s
    rows = []
    for code in sorted(by_code):
        found = by_code[code]
        employment = found.get(EMPLOYMENT)
        if employment is None:
            continue
        base, projected = employment.value(p.base_year), employment.value(p.horizon_year)
        change = None if base is None or projected is None else projected - base
        pct = _pct(projected, base)
        if (
            EMPLOYMENT_CHANGE_PCT in found
            and found[EMPLOYMENT_CHANGE_PCT].value(p.horizon_year) is not None
        ):
            pct = found[EMPLOYMENT_CHANGE_PCT].value(p.horizon_year)
        if (
            EMPLOYMENT_CHANGE in found
            and found[EMPLOYMENT_CHANGE].value(p.horizon_year) is not None
        ):
            change = found[EMPLOYMENT_CHANGE].value(p.horizon_year)
        openings = None
        if OPENINGS in found:
            s = found[OPENINGS]
            openings = s.value(p.horizon_year)
            if openings is None:
                openings = s.value(p.base_year)
        rows.append(
            OccupationRow(
                code=code,
                label=employment.label,
                base=base,
                projected=projected,
                change=change,
                change_pct=pct,
                openings=openings,
                flags=_flags(found.values(), p.horizon_year),
            )
        )
    common = {
        "classification": p.occupation_classification,
        "unit": p.unit,
        "base_year": p.base_year,
        "horizon_year": p.horizon_year,
        "source": d.source,
    }
    if not rows:
        return OccupationsSection(
            **common, reason=Reason(N_("this forecast has no occupation detail"))
        )
    top = settings.occupations_top
    largest = sorted((r for r in rows if r.base is not None), key=lambda r: (-r.base, r.code))
    growing = sorted(
        (r for r in rows if r.change_pct is not None and _r(r.change_pct) > 0),
        key=lambda r: (-r.change_pct, r.code),
    )
    declining = sorted(
        (r for r in rows if r.change_pct is not None and _r(r.change_pct) < 0),
        key=lambda r: (r.change_pct, r.code),
    )

    def listed(found, reason):
        found = tuple(found[:top])
        return OccupationList(found, None if found else Reason(reason))

    return OccupationsSection(
        largest=listed(largest, N_("the forecast has no employment for the occupations")),
        fastest_growing=listed(growing, N_("no occupation of the sector is projected to grow")),
        declining=listed(declining, N_("no occupation of the sector is projected to decline")),
        **common,
    )


def _history(inputs: BriefInputs, key: str) -> tuple[RoundFigure, ...]:
    out = []
    for round_ in sorted(inputs.rounds, key=lambda r: r.number):
        item = round_.results.item(key)
        if item is None:
            continue
        if not item.shown:
            out.append(
                RoundFigure(round_.number, suppressed=True, consensus_status=item.consensus_status)
            )
            continue
        out.append(
            RoundFigure(
                round_.number,
                n=item.n,
                median=_number(item.stats.get("median")),
                q1=_number(item.stats.get("q1")),
                q3=_number(item.stats.get("q3")),
                agreement=_number(item.stats.get("agreement")),
                consensus_status=item.consensus_status,
            )
        )
    return tuple(out)


_LABEL_ORDER = {"consensus-in": 0, "dissent": 1, "unresolved": 2, "consensus-out": 3}


def _skill_needs(inputs: BriefInputs) -> SkillNeedsSection:
    shown: list[tuple[RoundInput, ItemResult]] = []
    withheld = []
    for key in _item_keys(inputs, "likert"):
        round_, item = _final(inputs.rounds, key)
        (shown if item.shown else withheld).append((round_, item))
    # ranked by the panel's median, then agreement; ties by key (deterministic)
    shown.sort(
        key=lambda ri: (
            -(_r(_number(ri[1].stats.get("median"))) or -math.inf),
            -(_r(_number(ri[1].stats.get("agreement"))) or -math.inf),
            ri[1].key,
        )
    )
    items = []
    for rank, (round_, item) in enumerate(shown, start=1):
        balanced = item.balanced or {}
        items.append(
            SkillNeed(
                key=item.key,
                text=_text(inputs, item.key),
                rank=rank,
                round=round_.number,
                n=item.n,
                median=_number(item.stats.get("median")),
                q1=_number(item.stats.get("q1")),
                q3=_number(item.stats.get("q3")),
                iqr=_number(item.stats.get("iqr")),
                agreement=_number(item.stats.get("agreement")),
                consensus_status=item.consensus_status,
                stable=item.stable,
                label=item.label,
                scale=item.scale,
                median_interval=_interval(item),
                balanced_median=_number(balanced.get("median")),
                balanced_agreement=_number(balanced.get("agreement")),
                groups=item.groups,
                history=_history(inputs, item.key),
                contested=item.contested,
            )
        )
    reason = None
    if not items:
        reason = (
            Reason(N_("too few panellists answered the rating questions to show their results"))
            if withheld
            else Reason(N_("the consultation has no rating questions with results"))
        )
    return SkillNeedsSection(
        items=tuple(items),
        withheld=tuple(item.key for _, item in withheld),
        withheld_text={item.key: _text(inputs, item.key) for _, item in withheld},
        reason=reason,
    )


def _contested(inputs: BriefInputs) -> ContestedSection:
    points = []
    compared = False
    for key in _item_keys(inputs, "likert"):
        round_, item = _final(inputs.rounds, key)
        if not item.shown:
            continue
        div = item.divergence
        if div is not None and (div.groups_compared or 0) >= 2:
            compared = True
        if not item.contested:
            continue
        published = item.published_groups
        both = (
            div is not None
            and div.median_max_group in published
            and div.median_min_group in published
        )
        points.append(
            ContestedPoint(
                key=item.key,
                text=_text(inputs, item.key),
                round=round_.number,
                groups=item.groups,
                kw_h=_number(div.kw_h) if div else None,
                kw_p=_number(div.kw_p) if div else None,
                groups_compared=div.groups_compared if div else None,
                max_median_diff=_number(div.max_median_diff) if both else None,
                median_max_group=div.median_max_group if both else None,
                median_min_group=div.median_min_group if both else None,
                scale=item.scale,
            )
        )
    if points:
        return ContestedSection(tuple(points))
    if not compared:
        return ContestedSection(
            reason=Reason(N_("too few stakeholder groups answered to compare their positions"))
        )
    return ContestedSection(reason=Reason(N_("the stakeholder groups did not diverge on any item")))


def _emerging(inputs: BriefInputs) -> EmergingSkillsSection:
    skills = []
    for theme in inputs.themes:
        if not theme.approved:
            continue
        median = status = None
        if theme.item_key:
            found = _final(inputs.rounds, theme.item_key)
            if found is not None and found[1].shown:
                median = _number(found[1].stats.get("median"))
                status = found[1].consensus_status
        skills.append(
            EmergingSkill(
                label=dict(theme.label),
                esco=tuple(theme.esco),
                quotes=tuple(q for q in theme.quotes if str(q).strip()),
                item_key=theme.item_key,
                median=median,
                consensus_status=status,
            )
        )
    if not skills:
        return EmergingSkillsSection(
            reason=Reason(N_("no theme was approved from the panel's free-text answers"))
        )
    return EmergingSkillsSection(tuple(skills))


def triangulate_item(
    forecast: float | None,
    median: float | None,
    q1: float | None,
    q3: float | None,
    n: int | None,
    ranges: Iterable[tuple[float, float]] = (),
) -> dict[str, float | bool | int | None]:
    """METHOD.md 8 for one item: ``forecast_outside_panel_iqr`` (f < Q1 or f > Q3, boundary
    inside), ``gap`` (f − median), ``distance_to_iqr`` (max(Q1 − f, f − Q3, 0)),
    ``n_with_range`` and ``range_coverage`` (share of the ranges whose [low, high] contains
    f). Values compared at 10 decimals; all None when f is missing or n < 5."""
    ranges = [(float(lo), float(hi)) for lo, hi in ranges]
    out: dict[str, float | bool | int | None] = {
        "forecast_outside_panel_iqr": None,
        "gap": None,
        "distance_to_iqr": None,
        "n_with_range": len(ranges) or None,
        "range_coverage": None,
    }
    f, q1r, q3r = _r(forecast), _r(q1), _r(q3)
    if f is None or median is None or q1r is None or q3r is None or (n or 0) < TRIANGULATION_MIN_N:
        return out
    out["forecast_outside_panel_iqr"] = f < q1r or f > q3r
    out["gap"] = forecast - median
    out["distance_to_iqr"] = max(q1 - forecast, forecast - q3, 0.0)
    if ranges:
        covered = sum(1 for lo, hi in ranges if _r(lo) <= f <= _r(hi))
        out["range_coverage"] = covered / len(ranges)
    return out


def _other_geographies(series: Sequence[ForecastSeries], council: str) -> dict[str, Any]:
    """``other_geographies``/``council_geography`` of a data source whose series all describe
    another geography than the council's (nothing when one of them is the council's)."""
    described = sorted({s.geography for s in series if s.geography})
    if not council or not described or council.casefold() in {g.casefold() for g in described}:
        return {}
    return {"other_geographies": tuple(described), "council_geography": council}


def _forecast_value(
    binding: ForecastBinding, datasets, geography: str
) -> tuple[float | None, Source | None]:
    """f for a binding: the bound indicator's value in the target year, or for employment
    change in per cent, (v_target / v_base − 1) · 100 from the employment series."""

    def matches(s: ForecastSeries) -> bool:
        if binding.sector_code is not None:
            if binding.sector_code not in (s.sector_code, s.occupation_code):
                return False
        elif s.role is not SeriesRole.sector:
            return False
        want = binding.geography or geography
        return not (want and s.geography and s.geography != want)

    for dataset in datasets:
        if dataset.provenance.kind is not DatasetKind.projection:
            continue
        found = [s for s in dataset.series if s.indicator == binding.indicator and matches(s)]
        values = [s.value(binding.year) for s in found]
        if found and all(v is not None for v in values) and len(found) == 1:
            return values[0], dataset.source
        if binding.indicator == EMPLOYMENT_CHANGE_PCT:
            employment = [s for s in dataset.series if s.indicator == EMPLOYMENT and matches(s)]
            base = dataset.provenance.base_year
            old = [s.value(base) for s in employment]
            new = [s.value(binding.year) for s in employment]
            if employment and None not in old and None not in new:
                return _pct(sum(new), sum(old)), dataset.source
    return None, None


def _triangulation(inputs: BriefInputs, datasets) -> TriangulationSection:
    rows = []
    for key in _item_keys(inputs, "estimate"):
        info = inputs.items.get(key)
        if info is None or info.forecast is None:
            continue
        round_, item = _final(inputs.rounds, key)
        binding = info.forecast
        f, source = _forecast_value(binding, datasets, inputs.geography)
        common = {
            "key": key,
            "text": _text(inputs, key),
            "unit": info.unit or "",
            "indicator": binding.indicator,
            "year": binding.year,
            "round": round_.number,
            "sector_code": binding.sector_code,
            "geography": binding.geography or inputs.geography,
            "source": source,
            "forecast": f,
            "shown_to_panel": binding.show_to_panel,
        }
        if not item.shown:
            rows.append(
                TriangulationRow(
                    **common, reason=Reason(N_("too few panellists answered to compare"))
                )
            )
            continue
        median, q1, q3, iqr = (_number(item.stats.get(n)) for n in ("median", "q1", "q3", "iqr"))
        compared = triangulate_item(f, median, q1, q3, item.n, round_.ranges.get(key, ()))
        if compared["n_with_range"] is None:
            n_range = _number(item.stats.get("n_with_range"))
            compared["n_with_range"] = None if n_range is None else int(n_range)
        reason = None
        if f is None:
            reason = Reason(
                N_("the forecast has no value for %(indicator)s in %(year)s"),
                {"indicator": binding.indicator, "year": binding.year},
            )
        elif (item.n or 0) < TRIANGULATION_MIN_N:
            reason = Reason(N_("too few panellists answered to compare"))
        balanced = item.balanced or {}
        rows.append(
            TriangulationRow(
                **common,
                n=item.n,
                median=median,
                q1=q1,
                q3=q3,
                iqr=iqr,
                median_interval=_interval(item),
                balanced_median=_number(balanced.get("median")),
                reason=reason,
                **compared,
            )
        )
    if not rows:
        return TriangulationSection(
            reason=Reason(N_("no estimate question is bound to a forecast"))
        )
    return TriangulationSection(tuple(rows))


def _method(inputs: BriefInputs, datasets, settings: OutlookSettings) -> MethodSourcesSection:
    panel = tuple(
        PanelRound(
            round=r.number,
            invited=r.invited,
            responded=r.submitted,
            invited_by_group=dict(sorted(r.invited_by_group.items())),
            responded_by_group=dict(sorted(r.responded_by_group.items())),
        )
        for r in sorted(inputs.rounds, key=lambda r: r.number)
    )
    sources = []
    for dataset in datasets:
        p = dataset.provenance
        used: dict[tuple[str, str], str] = {}
        for s in dataset.series:
            if s.role is not SeriesRole.occupation:
                key = (s.sector_code or "", s.occupation_code or "")
                used[key] = used.get(key) or s.label or ""
        codes = []
        for (sector_code, occupation_code), label in sorted(used.items()):
            code = sector_code or occupation_code
            if not code:
                continue
            mapped = next(
                (c for c in (*inputs.sector_codes, *inputs.occupation_codes) if c.code == code),
                None,
            )
            classification = (
                p.sector_classification if sector_code else p.occupation_classification
            ) or ""
            codes.append(
                SectorCode(
                    classification=mapped.classification if mapped else classification,
                    code=code,
                    label=(mapped.label if mapped and mapped.label else label) or "",
                    maps_to=mapped.maps_to if mapped else (),
                    maps_to_classification=mapped.maps_to_classification if mapped else None,
                )
            )
        sources.append(
            DataSource(
                source=dataset.source,
                caveats=tuple(p.caveats),
                kind_caveats=KIND_CAVEATS[p.kind.value],
                sector_classification=p.sector_classification,
                occupation_classification=p.occupation_classification,
                codes_used=tuple(codes),
                **_other_geographies(dataset.series, inputs.geography),
            )
        )
    plan = inputs.plan
    min_group_n = (
        plan.min_group_n
        if plan is not None and plan.min_group_n
        else (inputs.rounds[0].results.min_group_n if inputs.rounds else 5)
    )
    reason = None
    if not panel and not sources:
        reason = Reason(N_("the brief draws on no consultation round and no dataset"))
    return MethodSourcesSection(
        panel=panel,
        plan=plan,
        outlook=settings,
        sources=tuple(sources),
        min_group_n=min_group_n,
        quantile_method=(plan.quantile_method if plan and plan.quantile_method else "type7"),
        reason=reason,
    )


def _header(inputs: BriefInputs, datasets) -> Header:
    year = inputs.date[:4]
    citation = f"{inputs.publisher} ({year}). {inputs.title}, version {inputs.version}."
    if inputs.geography_label or inputs.geography:
        citation += f" {inputs.geography_label or inputs.geography}."
    return Header(
        title=inputs.title,
        sector_label=inputs.sector_label,
        sector_codes=tuple(inputs.sector_codes),
        geography=inputs.geography,
        geography_label=inputs.geography_label or inputs.geography,
        consultation_title=inputs.consultation_title,
        rounds=tuple(sorted(r.number for r in inputs.rounds)),
        forecast_vintages=tuple(d.source for d in datasets),
        date=inputs.date,
        version=inputs.version,
        citation=citation,
        contact=inputs.contact,
        languages=tuple(inputs.languages),
    )


def assemble(inputs: BriefInputs, settings: OutlookSettings | None = None) -> BriefContent:
    """The brief made of ``inputs`` under the rating rules ``settings``.

    Every section is present; a section without data carries a ``Reason``. Deterministic:
    the same inputs give an equal ``BriefContent`` (and the same ``to_json``).

    Raises:
        ContentError: an override without a reason (refused when the override is made).
    """
    settings = settings or OutlookSettings()
    datasets = _datasets(inputs.series)
    projection = _projection(datasets)
    ratings = Ratings(
        current_conditions=_current_rating(
            datasets, settings, inputs.overrides.get(RatingKind.current_conditions)
        ),
        future_outlook=_future_rating(inputs, datasets, projection, settings),
    )
    triangulation = _triangulation(inputs, datasets)
    return BriefContent(
        header=_header(inputs, datasets),
        key_facts=_key_facts(inputs, projection, ratings, triangulation),
        trend=_trend(datasets),
        openings=_openings(projection),
        occupations=_occupations(projection, settings),
        skill_needs=_skill_needs(inputs),
        contested=_contested(inputs),
        emerging_skills=_emerging(inputs),
        triangulation=triangulation,
        implications=ImplicationsSection(
            inputs.narrative,
            None
            if not inputs.narrative.empty
            else Reason(N_("the secretariat has not written the implications yet")),
        ),
        method_sources=_method(inputs, datasets, settings),
        annotations=tuple(inputs.annotations),
        rounds=_published_rounds(inputs),
    )


def _published_rounds(inputs: BriefInputs) -> tuple[RoundItems, ...]:
    """Every round's items as published (counts and statistics for the data files and the
    open API), from the frozen results, in round order."""
    texts = {key: info.text for key, info in inputs.items.items()}
    return tuple(
        RoundItems.from_results(r.results, texts)
        for r in sorted(inputs.rounds, key=lambda r: r.number)
    )
