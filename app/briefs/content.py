"""What a sector brief contains, as a typed document (pure: no Flask, no database).

A brief is assembled once from frozen round results, approved themes and bound forecast series
(``app.briefs.assemble``), stored as JSON in ``BriefVersion.content`` (``to_json``), and read
back by every output: the HTML page, the PDF, CSV/XLSX/JSON data and the data package
(``from_json``). The rules about it live here, as methods, so that no reader re-derives them:
which sections exist and in what order (``sections()``), which key facts there are, which
rating is shown (the secretariat's override, with its reason, beside the rule's), what the
chart of a figure may draw.

The sections follow DESIGN.md "Sector brief — contents", in order. **Every section is
present**: a section without data carries a ``Reason`` (an English message id marked with
``N_`` and its values, translated where it is shown), never silently missing.

What the secretariat writes is kept apart from what was computed: the ``Narrative`` (summary
and implications per audience) and ``Annotation`` texts beside figures. Figures themselves are
never edited; a rating may be overridden only with a written reason, which is shown beside it.

Disclosure control (METHOD.md 5) is inherited, never recomputed: stakeholder-group cells are
the frozen ``GroupCell`` values of the round results, and a suppressed cell holds nothing but
its group.
"""

from __future__ import annotations

import enum
import math
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, ClassVar

from app.briefs.record import RoundItems
from app.consultations.document import CellStatus, GroupCell
from app.forecasts.table import DatasetKind, Level, Status
from app.formatting import N_

__all__ = [
    "SCHEMA_VERSION",
    "Annotation",
    "BriefContent",
    "ContentError",
    "ContestedPoint",
    "ContestedSection",
    "Contact",
    "DataSource",
    "EmergingSkill",
    "EmergingSkillsSection",
    "EscoLink",
    "Fact",
    "FactKey",
    "Header",
    "ImplicationsSection",
    "KeyFactsSection",
    "MethodSourcesSection",
    "Narrative",
    "OccupationList",
    "OccupationRow",
    "OccupationsSection",
    "OpeningsSection",
    "OutlookSettings",
    "Override",
    "PanelRound",
    "PanelView",
    "PlanRules",
    "Point",
    "PublishedOutlook",
    "Rating",
    "RatingCategory",
    "RatingKind",
    "Ratings",
    "Reason",
    "Reliability",
    "RoundFigure",
    "Section",
    "SectorCode",
    "Series",
    "SkillNeed",
    "SkillNeedsSection",
    "Source",
    "TrendSection",
    "TriangulationRow",
    "TriangulationSection",
    "distinct_codes",
    "geography_words",
    "sample_content",
]

#: Version of the stored shape; ``from_json`` refuses documents of a newer one.
SCHEMA_VERSION = 1

#: Indicators the brief reads from the long table (``ForecastValue.indicator``).
EMPLOYMENT = "employment"
EMPLOYMENT_CHANGE = "employment_change"
EMPLOYMENT_CHANGE_PCT = "employment_change_pct"
#: Annual average openings over the projection period, as published.
OPENINGS = "openings"
#: Openings from replacement (people leaving the occupation or the labour force).
SEPARATIONS = "separations"
REPLACEMENT_DEMAND = "replacement_demand"
EXPANSION_DEMAND = "expansion_demand"
#: Counts of online job advertisements (``DatasetKind.job_ads``).
JOB_ADS = "job_ads"
#: A publisher's own categorical outlook (a category, never a number).
OUTLOOK = "outlook"


class ContentError(ValueError):
    """A brief's content that cannot be: ``message`` is an English message id (``N_``) whose
    ``%(name)s`` placeholders ``params`` fill; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str, params: Mapping[str, Any] | None = None) -> None:
        self.field = field
        self.message = message
        self.params = dict(params or {})
        super().__init__(f"{field}: {message % self.params if self.params else message}")


# --- small parts ---------------------------------------------------------------------------


class Section(enum.StrEnum):
    """The sections of a brief, in the order DESIGN.md gives them."""

    header = "header"
    key_facts = "key_facts"
    trend = "trend"
    openings = "openings"
    occupations = "occupations"
    skill_needs = "skill_needs"
    contested = "contested"
    emerging_skills = "emerging_skills"
    triangulation = "triangulation"
    implications = "implications"
    method_sources = "method_sources"


@dataclass(frozen=True)
class Reason:
    """Why a section, list or figure has no data: an English message id and its values."""

    message: str
    params: dict[str, str | int | float] = field(default_factory=dict)

    def text(self, translate=None) -> str:
        """The sentence, translated by ``translate`` (a gettext) when given."""
        message = translate(self.message) if translate else self.message
        return message % self.params if self.params else message


@dataclass(frozen=True)
class Annotation:
    """A note by the secretariat beside a figure (never a changed figure).

    ``target`` names what it is beside: a section (``"trend"``), a fact key
    (``"base_employment"``), a chart name (``"employment_trend"``) or an item key."""

    target: str
    text: str

    def __post_init__(self) -> None:
        if not str(self.target).strip():
            raise ContentError("annotation.target", N_("an annotation must say what it is beside"))
        if not str(self.text).strip():
            raise ContentError("annotation.text", N_("an annotation must have a text"))


@dataclass(frozen=True)
class Source:
    """Where a figure comes from: a forecast dataset, or the panel of the consultation."""

    publisher: str
    title: str
    #: Edition of the data (``2024-34``), or the panel's rounds (``rounds 1-3``).
    vintage: str
    licence: str = ""
    #: ``DatasetKind`` value, or ``"panel"`` for the consultation's own figures.
    kind: str = DatasetKind.projection.value
    base_year: int | None = None
    horizon_year: int | None = None
    dataset_id: str | None = None
    url: str | None = None

    PANEL: ClassVar[str] = "panel"

    @property
    def is_panel(self) -> bool:
        return self.kind == self.PANEL


@dataclass(frozen=True)
class Reliability:
    """What a reader needs to weigh a figure.

    Panel figures: ``n``, the response rate, the consensus status (strength) and the interval
    of the median (METHOD.md 7). Forecast figures: the publisher's caveats."""

    n: int | None = None
    response_rate: float | None = None
    consensus_status: str | None = None
    agreement: float | None = None
    interval: tuple[float | None, float | None] | None = None
    caveats: tuple[str, ...] = ()
    flags: tuple[Status, ...] = ()


@dataclass(frozen=True)
class Point:
    """One value of a series; ``flags`` say provisional, revised, forecast..."""

    year: int
    value: float | None
    flags: tuple[Status, ...] = ()


@dataclass(frozen=True)
class SectorCode:
    """A code of the sector as the forecast classifies it, with its mapping to NACE/ISCO."""

    classification: str
    code: str
    label: str = ""
    #: Codes of the target classification this code maps to (e.g. NACE sections).
    maps_to: tuple[str, ...] = ()
    maps_to_classification: str | None = None


def distinct_codes(codes: Iterable[SectorCode]) -> tuple[SectorCode, ...]:
    """Each code once (the first listing of a classification and code, with the mapping
    of any later listing it lacked); a code that maps only to itself keeps no mapping."""
    merged: dict[tuple[str, str], SectorCode] = {}
    for code in codes:
        maps_to = code.maps_to
        if tuple(maps_to) == (code.code,) and code.maps_to_classification in (
            None,
            "",
            code.classification,
        ):
            maps_to = ()
        key = (code.classification, code.code)
        earlier = merged.get(key)
        if earlier is None:
            merged[key] = replace(
                code,
                maps_to=tuple(maps_to),
                maps_to_classification=code.maps_to_classification if maps_to else None,
            )
        elif not earlier.maps_to and maps_to:
            merged[key] = replace(
                earlier,
                label=earlier.label or code.label,
                maps_to=tuple(maps_to),
                maps_to_classification=code.maps_to_classification,
            )
        elif not earlier.label and code.label:
            merged[key] = replace(earlier, label=code.label)
    return tuple(merged.values())


def geography_words(label: str | None, code: str | None) -> str:
    """The geography as written on a page: its label and code, the code once when the
    label is the code itself."""
    label, code = (label or "").strip(), (code or "").strip()
    if label and code and label.casefold() != code.casefold():
        return f"{label} ({code})"
    return label or code


@dataclass(frozen=True)
class Contact:
    """Whom to ask about the brief."""

    name: str
    email: str = ""
    organisation: str = ""


# --- header --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    title: str
    sector_label: str
    sector_codes: tuple[SectorCode, ...]
    #: Geography code (``US``, ``DE``, ``FR-IDF``) and its name.
    geography: str
    geography_label: str
    consultation_title: str
    #: Numbers of the rounds the brief draws on.
    rounds: tuple[int, ...]
    #: The forecasts used, each as a source (publisher, title, vintage).
    forecast_vintages: tuple[Source, ...]
    #: ISO date of the version (``2026-11-30``).
    date: str
    version: int
    citation: str
    contact: Contact | None
    #: Languages of the consultation (first = default).
    languages: tuple[str, ...] = ("en",)

    @property
    def sector_classifications(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.classification for c in self.sector_codes))


# --- key facts and ratings -----------------------------------------------------------------


class FactKey(enum.StrEnum):
    """The key facts of a brief, in the order they are read."""

    base_employment = "base_employment"
    projected_employment = "projected_employment"
    employment_change = "employment_change"
    employment_change_pct = "employment_change_pct"
    openings_total = "openings_total"
    openings_expansion_share = "openings_expansion_share"
    openings_replacement_share = "openings_replacement_share"
    panel_employment_change = "panel_employment_change"
    current_conditions = "current_conditions"
    future_outlook = "future_outlook"


#: Facts that are shares 0..1 (read as per cent).
SHARE_FACTS = frozenset({FactKey.openings_expansion_share, FactKey.openings_replacement_share})
#: Facts that are ratings (a category, not a number).
RATING_FACTS = frozenset({FactKey.current_conditions, FactKey.future_outlook})


@dataclass(frozen=True)
class Fact:
    """One key fact: a value with its unit and year, or a rating's category, with its source
    and reliability note; ``reason`` instead when it cannot be given."""

    key: FactKey
    value: float | None = None
    unit: str | None = None
    #: Year the value is for (the horizon for projections); ``base_year`` for changes.
    year: int | None = None
    base_year: int | None = None
    category: str | None = None
    flags: tuple[Status, ...] = ()
    source: Source | None = None
    reliability: Reliability | None = None
    reason: Reason | None = None

    @property
    def available(self) -> bool:
        if self.key in RATING_FACTS:
            return self.category is not None and self.category != RatingCategory.undetermined
        return self.value is not None

    @property
    def is_share(self) -> bool:
        return self.key in SHARE_FACTS


class RatingKind(enum.StrEnum):
    #: How the sector's labour market stands now (latest official statistics, job ads).
    current_conditions = "current_conditions"
    #: Where the forecast says it is heading.
    future_outlook = "future_outlook"


class RatingCategory(enum.StrEnum):
    strong = "strong"
    moderate = "moderate"
    weak = "weak"
    #: The rule's inputs are missing: no rating is given.
    undetermined = "undetermined"


#: What a rating does not mean, printed beside every rating.
RATING_DISCLAIMER = N_(
    "A rating summarises figures for the sector as a whole. It is not a promise of a job, "
    "nor a forecast for any one person, occupation or employer."
)


@dataclass(frozen=True)
class Override:
    """The secretariat's rating in place of the rule's; refused without a written reason."""

    category: RatingCategory
    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "category", RatingCategory(self.category))
        if not str(self.reason or "").strip():
            raise ContentError(
                "override.reason", N_("a rating can only be overridden with a written reason")
            )


@dataclass(frozen=True)
class PanelView:
    """The panel's view of the same question, from the relevant estimate or rating items."""

    category: RatingCategory
    item_keys: tuple[str, ...] = ()
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    n: int | None = None
    unit: str | None = None
    reason: Reason | None = None


@dataclass(frozen=True)
class PublishedOutlook:
    """A publisher's own categorical outlook, as published (never turned into a number)."""

    category: str
    label: str
    year: int | None
    source: Source
    code: str | None = None


@dataclass(frozen=True)
class Rating:
    """One of the two ratings. ``category`` is the rule's; ``shown`` is what the brief says
    (an override, with its reason beside it, or the rule's)."""

    kind: RatingKind
    category: RatingCategory
    rule_version: str
    #: The indicator the rule rests on (``relative_employment_growth``, ``job_ads``...).
    primary_indicator: str | None
    #: The rule's inputs by name (sector growth, total growth, openings rate...).
    inputs: dict[str, float | None] = field(default_factory=dict)
    #: Why the rating is undetermined, or which input was missing.
    reason: Reason | None = None
    source: Source | None = None
    panel_view: PanelView | None = None
    #: The panel's view and the rule's category differ (None when either is undetermined).
    disagrees: bool | None = None
    override: Override | None = None
    published: tuple[PublishedOutlook, ...] = ()
    #: The sentence on what a rating does not mean.
    disclaimer: str = RATING_DISCLAIMER

    @property
    def shown(self) -> RatingCategory:
        return self.override.category if self.override is not None else self.category

    @property
    def overridden(self) -> bool:
        return self.override is not None

    @property
    def determined(self) -> bool:
        return self.shown is not RatingCategory.undetermined


@dataclass(frozen=True)
class Ratings:
    """Current conditions and future outlook: two ratings, never merged into one."""

    current_conditions: Rating
    future_outlook: Rating

    def __post_init__(self) -> None:
        if self.current_conditions.kind is not RatingKind.current_conditions:
            raise ContentError("ratings.current_conditions", N_("the rating is of another kind"))
        if self.future_outlook.kind is not RatingKind.future_outlook:
            raise ContentError("ratings.future_outlook", N_("the rating is of another kind"))

    def of(self, kind: RatingKind) -> Rating:
        return getattr(self, RatingKind(kind).value)


@dataclass(frozen=True)
class KeyFactsSection:
    facts: tuple[Fact, ...]
    ratings: Ratings
    reason: Reason | None = None

    def fact(self, key: FactKey | str) -> Fact | None:
        key = FactKey(key)
        return next((f for f in self.facts if f.key is key), None)


# --- trend, openings, occupations ----------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """A series of one indicator for one sector or occupation, e.g. employment."""

    name: str
    indicator: str
    label: str
    unit: str | None
    points: tuple[Point, ...]
    source: Source
    #: ``statistics`` (history), ``projection`` or ``job_ads`` (a recent signal, beside).
    kind: str = DatasetKind.projection.value
    code: str | None = None

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(p.year for p in self.points)

    def value(self, year: int) -> float | None:
        return next((p.value for p in self.points if p.year == year), None)


@dataclass(frozen=True)
class TrendSection:
    """Employment history and projection; job advertisements, where used, beside them."""

    series: tuple[Series, ...] = ()
    reason: Reason | None = None


@dataclass(frozen=True)
class OpeningsSection:
    """Openings over the projection period, split into expansion and replacement demand."""

    total: float | None = None
    expansion: float | None = None
    replacement: float | None = None
    unit: str | None = None
    #: ``True`` when the values are annual averages over the period (as BLS publishes).
    annual_average: bool = True
    base_year: int | None = None
    horizon_year: int | None = None
    source: Source | None = None
    flags: tuple[Status, ...] = ()
    reason: Reason | None = None

    @property
    def expansion_share(self) -> float | None:
        if self.total in (None, 0) or self.expansion is None:
            return None
        return self.expansion / self.total

    @property
    def replacement_share(self) -> float | None:
        if self.total in (None, 0) or self.replacement is None:
            return None
        return self.replacement / self.total


@dataclass(frozen=True)
class OccupationRow:
    code: str
    label: str
    base: float | None
    projected: float | None
    change: float | None
    change_pct: float | None
    openings: float | None = None
    flags: tuple[Status, ...] = ()


@dataclass(frozen=True)
class OccupationList:
    rows: tuple[OccupationRow, ...] = ()
    reason: Reason | None = None


@dataclass(frozen=True)
class OccupationsSection:
    largest: OccupationList = OccupationList()
    fastest_growing: OccupationList = OccupationList()
    declining: OccupationList = OccupationList()
    classification: str | None = None
    unit: str | None = None
    base_year: int | None = None
    horizon_year: int | None = None
    source: Source | None = None
    reason: Reason | None = None


# --- the panel -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundFigure:
    """An item's figures in one round (for the chart of ratings across rounds)."""

    round: int
    n: int | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    agreement: float | None = None
    consensus_status: str | None = None
    #: The panel figures were withheld in this round (too few answers).
    suppressed: bool = False


@dataclass(frozen=True)
class SkillNeed:
    """A rating item of the final round it was asked in, with its history and groups."""

    key: str
    text: dict[str, str]
    rank: int
    round: int
    n: int | None
    median: float | None
    q1: float | None
    q3: float | None
    iqr: float | None
    agreement: float | None
    consensus_status: str | None
    stable: bool | None
    #: Final label: consensus-in, consensus-out, dissent, unresolved.
    label: str | None
    scale: int | None = None
    median_interval: tuple[float | None, float | None] | None = None
    balanced_median: float | None = None
    balanced_agreement: float | None = None
    #: The frozen group cells: suppressed cells hold only their group.
    groups: tuple[GroupCell, ...] = ()
    history: tuple[RoundFigure, ...] = ()
    contested: bool | None = None

    @property
    def published_groups(self) -> tuple[GroupCell, ...]:
        return tuple(c for c in self.groups if c.published)

    @property
    def suppressed_groups(self) -> tuple[str, ...]:
        return tuple(c.group for c in self.groups if c.status is CellStatus.suppressed)


@dataclass(frozen=True)
class SkillNeedsSection:
    items: tuple[SkillNeed, ...] = ()
    #: Items asked whose figures were withheld (too few answers): named, not ranked.
    withheld: tuple[str, ...] = ()
    #: Label text of the items withheld, per key and language.
    withheld_text: dict[str, dict[str, str]] = field(default_factory=dict)
    reason: Reason | None = None


@dataclass(frozen=True)
class ContestedPoint:
    """An item on which the stakeholder groups diverge: each group's position, never one
    averaged number. Suppressed groups are named as withheld and hold nothing else."""

    key: str
    text: dict[str, str]
    round: int
    groups: tuple[GroupCell, ...]
    kw_h: float | None = None
    kw_p: float | None = None
    groups_compared: int | None = None
    #: Only when both extreme groups are published (METHOD.md 5).
    max_median_diff: float | None = None
    median_max_group: str | None = None
    median_min_group: str | None = None
    scale: int | None = None

    @property
    def positions(self) -> tuple[GroupCell, ...]:
        """The groups whose position may be shown."""
        return tuple(c for c in self.groups if c.published)

    @property
    def suppressed_groups(self) -> tuple[str, ...]:
        return tuple(c.group for c in self.groups if c.status is CellStatus.suppressed)

    @property
    def groups_without_answers(self) -> tuple[str, ...]:
        return tuple(c.group for c in self.groups if c.status is CellStatus.no_answers)


@dataclass(frozen=True)
class ContestedSection:
    points: tuple[ContestedPoint, ...] = ()
    reason: Reason | None = None


@dataclass(frozen=True)
class EscoLink:
    uri: str
    #: The label the link was saved with, if any.
    label: str = ""
    #: The skill's preferred label by language, from the ESCO classification loaded.
    labels: dict[str, str] = field(default_factory=dict)

    def label_in(self, lang: str, default: str) -> tuple[str, str | None]:
        """The label to print in ``lang`` (else ``default``, else the saved one, else any),
        with its language when known; the URI's last part (its code) without a label."""
        for wanted in (lang, default):
            if self.labels.get(wanted):
                return self.labels[wanted], wanted
        if self.label:
            return self.label, None
        for code, text in sorted(self.labels.items()):
            if text:
                return text, code
        return self.uri.rstrip("/").rsplit("/", 1)[-1] or self.uri, None

    @property
    def has_label(self) -> bool:
        return bool(self.label or any(self.labels.values()))


@dataclass(frozen=True)
class EmergingSkill:
    """An approved theme: its label, ESCO links and moderated anonymous quotes."""

    label: dict[str, str]
    esco: tuple[EscoLink, ...] = ()
    quotes: tuple[str, ...] = ()
    #: Rating item made from the theme, and its result if it was rated.
    item_key: str | None = None
    median: float | None = None
    consensus_status: str | None = None


@dataclass(frozen=True)
class EmergingSkillsSection:
    skills: tuple[EmergingSkill, ...] = ()
    reason: Reason | None = None


@dataclass(frozen=True)
class TriangulationRow:
    """An estimate item beside the forecast it is bound to (METHOD.md 8)."""

    key: str
    text: dict[str, str]
    unit: str
    indicator: str
    year: int
    round: int
    sector_code: str | None = None
    geography: str | None = None
    source: Source | None = None
    #: f: the forecast in the item's unit.
    forecast: float | None = None
    n: int | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    iqr: float | None = None
    forecast_outside_panel_iqr: bool | None = None
    #: f − median, signed, in points of the item's unit.
    gap: float | None = None
    distance_to_iqr: float | None = None
    n_with_range: int | None = None
    range_coverage: float | None = None
    median_interval: tuple[float | None, float | None] | None = None
    balanced_median: float | None = None
    #: Shown to panellists before they answered (it anchors: pre-registered).
    shown_to_panel: bool = False
    reason: Reason | None = None

    @property
    def flagged(self) -> bool:
        """The gap is flagged: the forecast lies outside the panel's middle half."""
        return bool(self.forecast_outside_panel_iqr)


@dataclass(frozen=True)
class TriangulationSection:
    rows: tuple[TriangulationRow, ...] = ()
    reason: Reason | None = None

    @property
    def flagged(self) -> tuple[TriangulationRow, ...]:
        return tuple(r for r in self.rows if r.flagged)


# --- narrative -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Narrative:
    """What the secretariat writes (the only part of a brief it edits): a summary and the
    implications for each audience. Plain text; paragraphs separated by blank lines."""

    summary: str = ""
    ministries: str = ""
    education_providers: str = ""
    guidance_practitioners: str = ""

    AUDIENCES: ClassVar[tuple[str, ...]] = (
        "ministries",
        "education_providers",
        "guidance_practitioners",
    )

    @property
    def empty(self) -> bool:
        return not any(str(getattr(self, f.name)).strip() for f in fields(self))

    def for_audience(self, audience: str) -> str:
        if audience not in self.AUDIENCES:
            raise KeyError(audience)
        return getattr(self, audience)


@dataclass(frozen=True)
class ImplicationsSection:
    narrative: Narrative = Narrative()
    reason: Reason | None = None


# --- method and sources --------------------------------------------------------------------


@dataclass(frozen=True)
class PanelRound:
    """Panel composition and response of one round."""

    round: int
    invited: int | None
    responded: int
    invited_by_group: dict[str, int] = field(default_factory=dict)
    responded_by_group: dict[str, int] = field(default_factory=dict)

    @property
    def response_rate(self) -> float | None:
        if not self.invited:
            return None
        return self.responded / self.invited

    def group_rate(self, group: str) -> float | None:
        invited = self.invited_by_group.get(group)
        if not invited:
            return None
        return self.responded_by_group.get(group, 0) / invited


@dataclass(frozen=True)
class PlanRules:
    """The analysis plan's rules, as locked (with the hash reports print)."""

    sha256: str
    consensus_in: str | None = None
    consensus_out: str | None = None
    stability_rule: str | None = None
    min_n: int | None = None
    min_group_n: int | None = None
    contested_alpha: float | None = None
    contested_median_diff: float | None = None
    quantile_method: str | None = None
    max_rounds: int | None = None
    #: Plan version (1 = as pre-registered; later = amended, with ``amended_reason``).
    version: int = 1
    amended_reason: str | None = None
    #: The rule for agreement on a middle position (METHOD.md 3); None: the plan has none.
    consensus_mid: str | None = None


@dataclass(frozen=True)
class OutlookSettings:
    """The pre-declared rules turning figures into the two ratings; printed in the method
    section. Thresholds are in percentage points and compared inclusively (``>=``/``<=``),
    after rounding to 10 decimals (METHOD.md conventions).

    Future outlook (``outlook_version``): relative growth = the sector's employment change in
    per cent from base to horizon minus the all-sector total's of the same dataset. It is
    *high* at or above ``growth_strong``, *low* at or below ``growth_weak``. The openings rate
    = annual openings / base employment x 100, relative to the total's the same way (*high* at
    or above ``openings_strong``, *low* at or below ``openings_weak``). Strong: growth high
    and openings not low, or growth middling and openings high. Weak: growth low and openings
    not high, or growth middling and openings low. Moderate otherwise. Without openings the
    growth class alone decides (high = strong, low = weak). Undetermined without the sector's
    or the total's growth.

    Current conditions (``current_version``): from the latest official statistics, the
    sector's employment change in per cent over the last published year minus the total's
    (``current_strong`` / ``current_weak``); without statistics, the change of online job
    advertisements over the last year minus the total's (``ads_strong`` / ``ads_weak``) — a
    recent signal, named as such. Undetermined when neither is present.

    The panel's view: an estimate item of employment change in per cent is classed like the
    forecast's growth (its median minus the total's growth); a rating item by its median:
    strong in the agreement band, weak in the disagreement band, else moderate.
    """

    outlook_version: str = "outlook-1"
    growth_strong: float = 2.0
    growth_weak: float = -2.0
    openings_strong: float = 1.0
    openings_weak: float = -1.0
    current_version: str = "current-1"
    current_strong: float = 1.0
    current_weak: float = -1.0
    ads_strong: float = 10.0
    ads_weak: float = -10.0
    #: Rows in each list of occupations.
    occupations_top: int = 10

    def __post_init__(self) -> None:
        for high, low in (
            ("growth_strong", "growth_weak"),
            ("openings_strong", "openings_weak"),
            ("current_strong", "current_weak"),
            ("ads_strong", "ads_weak"),
        ):
            a, b = getattr(self, high), getattr(self, low)
            for name, value in ((high, a), (low, b)):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ContentError(
                        name, N_("%(value)s is not a number"), {"value": repr(value)}
                    )
                if not math.isfinite(value):
                    raise ContentError(
                        name, N_("%(value)s is not a number"), {"value": repr(value)}
                    )
            if not a > b:
                raise ContentError(
                    high,
                    N_("the strong threshold %(high)s must be above the weak one %(low)s"),
                    {"high": a, "low": b},
                )
        if not str(self.outlook_version).strip() or not str(self.current_version).strip():
            raise ContentError("outlook_version", N_("a rule needs a version"))
        if isinstance(self.occupations_top, bool) or not isinstance(self.occupations_top, int):
            raise ContentError(
                "occupations_top",
                N_("%(value)s is not a number"),
                {"value": repr(self.occupations_top)},
            )
        if self.occupations_top < 1:
            raise ContentError("occupations_top", N_("must be at least 1"))

    def to_json(self) -> dict[str, Any]:
        return _dump(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OutlookSettings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise ContentError(unknown[0], N_("is not a setting of the outlook rule"))
        return cls(**dict(data))


#: Caveats every brief prints for a kind of data, beside the publisher's own.
KIND_CAVEATS: dict[str, tuple[str, ...]] = {
    DatasetKind.projection.value: (
        N_(
            "A projection shows where current trends lead under the publisher's assumptions; "
            "it is not a prediction of what will happen."
        ),
    ),
    DatasetKind.statistics.value: (
        N_("Official statistics are revised; recent figures may be provisional."),
    ),
    DatasetKind.job_ads.value: (
        N_(
            "Only part of all hiring is advertised online; the share differs between "
            "occupations, regions and employers."
        ),
        N_(
            "Online advertisements over-represent occupations needing higher qualifications "
            "and permanent, full-time contracts; manual, seasonal and temporary jobs are "
            "under-represented."
        ),
        N_(
            "An advertisement is not a vacancy filled: one vacancy may be advertised several "
            "times or never be filled."
        ),
        N_(
            "Job advertisements are a recent signal, shown beside the official figures, "
            "never in their place."
        ),
    ),
}


@dataclass(frozen=True)
class DataSource:
    """A dataset used in the brief, with what every reader must know about it."""

    source: Source
    caveats: tuple[str, ...] = ()
    #: Message ids of the caveats of the data's kind (``KIND_CAVEATS``).
    kind_caveats: tuple[str, ...] = ()
    sector_classification: str | None = None
    occupation_classification: str | None = None
    #: Codes of this dataset the brief used, with their mapping to NACE/ISCO.
    codes_used: tuple[SectorCode, ...] = ()
    #: Share of hiring advertised online, where the publisher states it (0..1).
    online_share: float | None = None
    #: The geographies the data describe, when none of them is the council's (another
    #: country's forecast used for comparison); empty otherwise.
    other_geographies: tuple[str, ...] = ()
    #: The council's geography, named beside ``other_geographies``.
    council_geography: str = ""

    def caveat_texts(self, translate: Callable[[str], str]) -> list[str]:
        """Every caveat of the data, as a reader sees it: that they describe another labour
        market (when they do), the caveats of their kind, then the publisher's own."""
        texts = []
        if self.other_geographies:
            texts.append(
                translate(OTHER_GEOGRAPHY)
                % {"used": ", ".join(self.other_geographies), "council": self.council_geography}
            )
        return texts + [translate(c) for c in self.kind_caveats] + list(self.caveats)


#: The caveat of data that describe another labour market than the council's.
OTHER_GEOGRAPHY = N_(
    "These data describe %(used)s, not %(council)s, the area of the council: they show "
    "another labour market, for comparison only."
)


#: The small-cell rules, printed in the method section.
SMALL_CELL_RULES = (
    N_(
        "A stakeholder group's figures are shown only when at least %(min_group_n)s of its "
        "members answered; otherwise they are withheld."
    ),
    N_(
        "When one group is withheld, a further group is withheld too, so that no withheld "
        "group can be worked out from the others."
    ),
    N_(
        "The panel's own figures are shown only when at least %(min_group_n)s panellists "
        "answered the question."
    ),
)


@dataclass(frozen=True)
class MethodSourcesSection:
    panel: tuple[PanelRound, ...] = ()
    plan: PlanRules | None = None
    outlook: OutlookSettings = OutlookSettings()
    sources: tuple[DataSource, ...] = ()
    min_group_n: int = 5
    small_cell_rules: tuple[str, ...] = SMALL_CELL_RULES
    #: Quantile method named in the report (METHOD.md 2).
    quantile_method: str = "type7"
    reason: Reason | None = None

    def round(self, number: int) -> PanelRound | None:
        return next((r for r in self.panel if r.round == number), None)


# --- the brief -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefContent:
    """A sector brief as data, every section present, in DESIGN.md's order."""

    header: Header
    key_facts: KeyFactsSection
    trend: TrendSection
    openings: OpeningsSection
    occupations: OccupationsSection
    skill_needs: SkillNeedsSection
    contested: ContestedSection
    emerging_skills: EmergingSkillsSection
    triangulation: TriangulationSection
    implications: ImplicationsSection
    method_sources: MethodSourcesSection
    annotations: tuple[Annotation, ...] = ()
    #: Every round's items as published (counts and statistics, for the data and the API;
    #: ``app.briefs.record``), in round order.
    rounds: tuple[RoundItems, ...] = ()
    schema_version: int = SCHEMA_VERSION

    # --- rules ---------------------------------------------------------------------------

    def sections(self) -> tuple[tuple[Section, Any], ...]:
        """Every section, in order, as (name, section)."""
        return tuple((s, getattr(self, s.value)) for s in Section)

    def section(self, name: Section | str) -> Any:
        return getattr(self, Section(name).value)

    def missing(self) -> dict[Section, Reason]:
        """The sections without data, each with the reason it says."""
        return {
            name: section.reason
            for name, section in self.sections()
            if getattr(section, "reason", None) is not None
        }

    @property
    def ratings(self) -> Ratings:
        return self.key_facts.ratings

    @property
    def narrative(self) -> Narrative:
        return self.implications.narrative

    def facts(self) -> tuple[Fact, ...]:
        return self.key_facts.facts

    def fact(self, key: FactKey | str) -> Fact | None:
        return self.key_facts.fact(key)

    def annotations_for(self, target: str) -> tuple[Annotation, ...]:
        return tuple(a for a in self.annotations if a.target == target)

    def with_narrative(self, narrative: Narrative) -> BriefContent:
        """This brief with the secretariat's text replaced (nothing else changes)."""
        return replace(
            self, implications=ImplicationsSection(narrative, _narrative_reason(narrative))
        )

    def with_annotations(self, annotations: tuple[Annotation, ...]) -> BriefContent:
        return replace(self, annotations=tuple(annotations))

    def with_override(self, kind: RatingKind | str, override: Override | None) -> BriefContent:
        """This brief with a rating overridden (or the override removed, with None)."""
        kind = RatingKind(kind)
        ratings = self.key_facts.ratings
        rating = replace(ratings.of(kind), override=override)
        ratings = replace(ratings, **{kind.value: rating})
        facts = tuple(
            replace(f, category=rating.shown.value) if f.key.value == kind.value else f
            for f in self.key_facts.facts
        )
        return replace(self, key_facts=replace(self.key_facts, facts=facts, ratings=ratings))

    # --- stored form ---------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The stored form: plain JSON types (no NaN), stable key names."""
        return _dump(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BriefContent:
        """Read the stored form. Raises ValueError on a document of a newer schema or of a
        wrong shape (``ContentError`` for a refused value such as an override without a
        reason)."""
        version = int(data.get("schema_version") or 1)
        if version > SCHEMA_VERSION:
            raise ValueError(
                f"the brief content is of schema version {version}; this version of the "
                f"application reads up to {SCHEMA_VERSION}"
            )
        return _load(cls, data)


def _narrative_reason(narrative: Narrative) -> Reason | None:
    if narrative.empty:
        return Reason(N_("the secretariat has not written the implications yet"))
    return None


# --- a generic codec for the frozen dataclasses above --------------------------------------

_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls, globalns=globals())
    return _HINTS[cls]


def _dump(value: Any) -> Any:
    if isinstance(value, GroupCell):
        return value.to_json()
    if isinstance(value, enum.Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _dump(v) for k, v in value.items()}
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return value
    return value


def _load(tp: Any, data: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if data is None:
            return None
        if len(args) == 1:
            return _load(args[0], data)
        # unions of plain values (float | int | str): kept as stored
        return data
    if tp is Any:
        return data
    if origin is tuple:
        args = typing.get_args(tp)
        if data is None:
            return None
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_load(args[0], v) for v in data)
        return tuple(_load(a, v) for a, v in zip(args, data, strict=True))
    if origin is dict:
        key_type, value_type = typing.get_args(tp)
        return {_load(key_type, k): _load(value_type, v) for k, v in (data or {}).items()}
    if tp is GroupCell:
        return GroupCell.from_json(data)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(data)
    if isinstance(tp, type) and is_dataclass(tp):
        if not isinstance(data, Mapping):
            raise ValueError(f"{tp.__name__}: expected an object, got {type(data).__name__}")
        hints = _hints(tp)
        kwargs = {}
        for f in fields(tp):
            if f.name in data:
                kwargs[f.name] = _load(hints[f.name], data[f.name])
        return tp(**kwargs)
    if tp is float:
        return None if data is None else float(data)
    if tp is int:
        return None if data is None else int(data)
    if tp is str:
        return None if data is None else str(data)
    if tp is bool:
        return None if data is None else bool(data)
    return data


# --- a complete example, for tests and fixtures --------------------------------------------


def _sample_cells() -> tuple[GroupCell, ...]:
    """The group cells of METHOD.md TV3 as frozen: two published, two suppressed."""
    employers = {"group": "employers", "n": 8, "counts": {"1": 0, "2": 0, "3": 0, "4": 3, "5": 5}}
    employers.update(median=5.0, q1=4.0, q3=5.0, iqr=1.0, agreement=1.0)
    education = {"group": "education-providers", "n": 7}
    education.update(counts={"1": 0, "2": 0, "3": 2, "4": 4, "5": 1})
    education.update(median=4.0, q1=3.5, q3=4.0, iqr=0.5, agreement=0.7143)
    return (
        GroupCell.from_json(employers),
        GroupCell("workers-representatives", CellStatus.suppressed),
        GroupCell.from_json(education),
        GroupCell("public-authorities", CellStatus.suppressed),
        GroupCell("other-experts", CellStatus.no_answers, n=0),
    )


def sample_content() -> BriefContent:
    """A small brief with every section filled, typed by hand (illustrative figures, not
    a real sector): for renderers' and workflow tests. ``app.briefs.assemble`` makes real
    ones."""
    projection = Source(
        publisher="Example Statistics Office",
        title="Illustrative employment projections",
        vintage="2024-34",
        licence="CC BY 4.0",
        kind=DatasetKind.projection.value,
        base_year=2024,
        horizon_year=2034,
        dataset_id="1",
    )
    history = replace(
        projection,
        title="Illustrative employment statistics",
        vintage="2024",
        kind=DatasetKind.statistics.value,
        base_year=2019,
        horizon_year=2024,
        dataset_id="2",
    )
    panel = Source(
        publisher="Example Skills Council",
        title="Future skill needs",
        vintage="rounds 1-2",
        kind=Source.PANEL,
    )
    settings = OutlookSettings()
    outlook = Rating(
        kind=RatingKind.future_outlook,
        category=RatingCategory.strong,
        rule_version=settings.outlook_version,
        primary_indicator="relative_employment_growth",
        inputs={
            "sector_growth": 6.1,
            "total_growth": 3.1,
            "relative_growth": 3.0,
            "openings_rate": 11.2,
            "total_openings_rate": 11.1,
            "relative_openings_rate": 0.1,
        },
        source=projection,
        panel_view=PanelView(
            RatingCategory.moderate, ("employment-change-2034",), 4.0, 2.0, 5.0, 15, "%"
        ),
        disagrees=True,
        published=(
            PublishedOutlook(
                "much faster than average", "Outlook as published", 2034, projection, "23-0000"
            ),
        ),
    )
    current = Rating(
        kind=RatingKind.current_conditions,
        category=RatingCategory.undetermined,
        rule_version=settings.current_version,
        primary_indicator=None,
        reason=Reason(N_("no recent official statistics or job advertisements for the sector")),
    )
    current = replace(
        current,
        override=Override(
            RatingCategory.moderate, "Employers report steady hiring in the council's meetings."
        ),
    )
    reliability = Reliability(caveats=("Projections assume no recession in the period.",))
    facts = (
        Fact(
            FactKey.base_employment,
            1200.0,
            "thousand jobs",
            2024,
            source=projection,
            reliability=reliability,
        ),
        Fact(
            FactKey.projected_employment,
            1273.2,
            "thousand jobs",
            2034,
            source=projection,
            reliability=reliability,
            flags=(Status.forecast,),
        ),
        Fact(
            FactKey.employment_change,
            73.2,
            "thousand jobs",
            2034,
            2024,
            source=projection,
            reliability=reliability,
        ),
        Fact(
            FactKey.employment_change_pct,
            6.1,
            "%",
            2034,
            2024,
            source=projection,
            reliability=reliability,
        ),
        Fact(
            FactKey.openings_total,
            134.4,
            "thousand jobs",
            2034,
            2024,
            source=projection,
            reliability=reliability,
        ),
        Fact(
            FactKey.openings_expansion_share,
            7.32 / 134.4,
            None,
            2034,
            2024,
            source=projection,
            reliability=reliability,
        ),
        Fact(
            FactKey.openings_replacement_share,
            127.08 / 134.4,
            None,
            2034,
            2024,
            source=projection,
            reliability=reliability,
        ),
        Fact(
            FactKey.panel_employment_change,
            4.0,
            "%",
            2034,
            source=panel,
            reliability=Reliability(
                n=15, response_rate=0.75, consensus_status=None, interval=(2.0, 5.0)
            ),
        ),
        Fact(
            FactKey.current_conditions,
            category=current.shown.value,
            source=None,
            reason=current.reason,
        ),
        Fact(FactKey.future_outlook, category=outlook.shown.value, source=projection),
    )
    cells = _sample_cells()
    skill = SkillNeed(
        key="digital-data-skills",
        text={
            "en": "Digital and data skills will matter more",
            "de": "Digitale Kompetenzen werden wichtiger",
        },
        rank=1,
        round=2,
        n=24,
        median=4.0,
        q1=3.0,
        q3=5.0,
        iqr=2.0,
        agreement=0.7083,
        consensus_status="none",
        stable=True,
        label="dissent",
        scale=5,
        median_interval=(3.0, 5.0),
        balanced_median=4.0,
        balanced_agreement=0.6508,
        groups=cells,
        history=(
            RoundFigure(1, 22, 4.0, 3.0, 4.75, 0.6818, "none"),
            RoundFigure(2, 24, 4.0, 3.0, 5.0, 0.7083, "none"),
        ),
        contested=True,
    )
    second = replace(
        skill,
        key="teamwork-problem-solving",
        text={"en": "Teamwork and problem solving"},
        rank=2,
        median=4.0,
        q1=4.0,
        q3=5.0,
        iqr=1.0,
        agreement=0.8,
        consensus_status="in",
        label="consensus-in",
        contested=False,
        groups=cells,
        history=(RoundFigure(1, 22, 4.0, 4.0, 5.0, 0.8, "in"),),
    )
    contested = ContestedPoint(
        key=skill.key,
        text=skill.text,
        round=2,
        groups=cells,
        kw_h=11.8017,
        kw_p=0.0027,
        groups_compared=3,
        scale=5,
    )
    tri = TriangulationRow(
        key="employment-change-2034",
        text={"en": "Employment change to 2034 (%)"},
        unit="%",
        indicator=EMPLOYMENT_CHANGE_PCT,
        year=2034,
        round=2,
        sector_code="23-0000",
        geography="US",
        source=projection,
        forecast=4.2,
        n=9,
        median=2.0,
        q1=1.0,
        q3=3.0,
        iqr=2.0,
        forecast_outside_panel_iqr=True,
        gap=2.2,
        distance_to_iqr=1.2,
        n_with_range=9,
        range_coverage=2 / 9,
        median_interval=(0.5, 4.5),
        balanced_median=2.0,
    )
    return BriefContent(
        header=Header(
            title="Construction: skills outlook",
            sector_label="Construction",
            sector_codes=(
                SectorCode(
                    "SOC 2018",
                    "47-0000",
                    "Construction and extraction occupations",
                    ("F",),
                    "NACE Rev. 2",
                ),
            ),
            geography="US",
            geography_label="United States",
            consultation_title="Future skill needs",
            rounds=(1, 2),
            forecast_vintages=(projection, history),
            date="2026-11-30",
            version=1,
            citation="Example Skills Council (2026). Construction: skills outlook, version 1.",
            contact=Contact(
                "Skills Council secretariat", "secretariat@example.org", "Example Skills Council"
            ),
            languages=("en", "de"),
        ),
        key_facts=KeyFactsSection(facts, Ratings(current, outlook)),
        trend=TrendSection(
            (
                Series(
                    "employment_history",
                    EMPLOYMENT,
                    "Construction",
                    "thousand jobs",
                    (
                        Point(2019, 1100.0),
                        Point(2021, 1150.0),
                        Point(2024, 1200.0, (Status.provisional,)),
                    ),
                    history,
                    DatasetKind.statistics.value,
                    "47-0000",
                ),
                Series(
                    "employment_projection",
                    EMPLOYMENT,
                    "Construction",
                    "thousand jobs",
                    (Point(2024, 1200.0), Point(2034, 1273.2, (Status.forecast,))),
                    projection,
                    DatasetKind.projection.value,
                    "47-0000",
                ),
            )
        ),
        openings=OpeningsSection(
            134.4, 7.32, 127.08, "thousand jobs", True, 2024, 2034, projection
        ),
        occupations=OccupationsSection(
            largest=OccupationList(
                (
                    OccupationRow(
                        "47-2061", "Construction laborers", 1000.0, 1050.0, 50.0, 5.0, 110.0
                    ),
                    OccupationRow("47-2111", "Electricians", 800.0, 880.0, 80.0, 10.0, 80.0),
                )
            ),
            fastest_growing=OccupationList(
                (
                    OccupationRow(
                        "47-2231", "Solar photovoltaic installers", 25.0, 37.0, 12.0, 48.0, 4.0
                    ),
                )
            ),
            declining=OccupationList(
                reason=Reason(N_("no occupation of the sector is projected to decline"))
            ),
            classification="SOC 2018",
            unit="thousand jobs",
            base_year=2024,
            horizon_year=2034,
            source=projection,
        ),
        skill_needs=SkillNeedsSection(
            (skill, second),
            withheld=("regulatory-compliance",),
            withheld_text={"regulatory-compliance": {"en": "Regulatory compliance"}},
        ),
        contested=ContestedSection((contested,)),
        emerging_skills=EmergingSkillsSection(
            (
                EmergingSkill(
                    {"en": "Heat-pump installation", "de": "Einbau von Wärmepumpen"},
                    (EscoLink("http://data.europa.eu/esco/skill/0001", "install heat pumps"),),
                    ("Every new building now asks for heat pumps.",),
                    "heat-pumps",
                    4.0,
                    "in",
                ),
            )
        ),
        triangulation=TriangulationSection((tri,)),
        implications=ImplicationsSection(
            Narrative(
                summary="Demand grows faster than in the economy as a whole.",
                ministries="Fund retraining in heat-pump installation.",
                education_providers="Add data skills to apprenticeships.",
                guidance_practitioners="Electricians remain in demand.",
            )
        ),
        method_sources=MethodSourcesSection(
            panel=(
                PanelRound(
                    1,
                    30,
                    22,
                    {"employers": 10, "education-providers": 8},
                    {"employers": 8, "education-providers": 7},
                ),
                PanelRound(
                    2,
                    30,
                    24,
                    {"employers": 10, "education-providers": 8},
                    {"employers": 8, "education-providers": 7},
                ),
            ),
            plan=PlanRules(
                "ab" * 32,
                "iqr <= 1 and agreement >= 0.70",
                "iqr <= 1 and disagreement >= 0.70",
                "net_change < 0.15 and wilcoxon_p >= 0.05",
                5,
                5,
                0.05,
                2.0,
                "type7",
                3,
                consensus_mid="iqr <= 1 and middle >= 0.70",
            ),
            outlook=settings,
            sources=(
                DataSource(
                    projection,
                    reliability.caveats,
                    KIND_CAVEATS[DatasetKind.projection.value],
                    "SOC 2018",
                    None,
                    (
                        SectorCode(
                            "SOC 2018",
                            "47-0000",
                            "Construction and extraction occupations",
                            ("F",),
                            "NACE Rev. 2",
                        ),
                    ),
                ),
                DataSource(history, (), KIND_CAVEATS[DatasetKind.statistics.value]),
            ),
            min_group_n=5,
        ),
        annotations=(Annotation("employment_trend", "2020 figures reflect the pandemic."),),
    )


__all__ += [
    "EMPLOYMENT",
    "EMPLOYMENT_CHANGE",
    "EMPLOYMENT_CHANGE_PCT",
    "EXPANSION_DEMAND",
    "JOB_ADS",
    "KIND_CAVEATS",
    "OPENINGS",
    "OUTLOOK",
    "RATING_DISCLAIMER",
    "REPLACEMENT_DEMAND",
    "SEPARATIONS",
    "SMALL_CELL_RULES",
    "Level",
]
