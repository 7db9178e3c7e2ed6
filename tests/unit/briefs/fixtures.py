"""Inputs of a brief built like the frozen documents the application stores (no database).

Round results are read with ``RoundResults.from_json`` from the stored shape, as
``tests/unit/consultations`` does; the figures are METHOD.md's test vectors: TV3 (groups,
suppression, divergence) and TV7 (an estimate against the forecast 4.2).
"""

from __future__ import annotations

from app.briefs.assemble import (
    BriefInputs,
    ForecastSeries,
    ItemInfo,
    RoundInput,
    SeriesRole,
    ThemeInput,
)
from app.briefs.content import (
    EMPLOYMENT,
    JOB_ADS,
    OPENINGS,
    OUTLOOK,
    SEPARATIONS,
    Annotation,
    Contact,
    EscoLink,
    Narrative,
    PlanRules,
    SectorCode,
)
from app.consultations.document import RoundResults
from app.forecasts.table import DatasetKind, Level, Provenance, Status
from app.questionnaires.spec import ForecastBinding

#: TV3's published and suppressed cells, as frozen.
TV3_GROUPS = [
    {
        "group": "employers",
        "n": 8,
        "counts": {"1": 0, "2": 0, "3": 0, "4": 3, "5": 5},
        "median": 5.0,
        "q1": 4.0,
        "q3": 5.0,
        "iqr": 1.0,
        "agreement": 1.0,
    },
    {"group": "workers-representatives", "suppressed": True},
    {
        "group": "education-providers",
        "n": 7,
        "counts": {"1": 0, "2": 0, "3": 2, "4": 4, "5": 1},
        "median": 4.0,
        "q1": 3.5,
        "q3": 4.0,
        "iqr": 0.5,
        "agreement": 0.7143,
    },
    {"group": "public-authorities", "suppressed": True},
    {"group": "other-experts", "n": 0, "no_answers": True},
]

TV7_LOW = [-4, -1, 0, 0, 1, 0, 2, 3, 4]
TV7_HIGH = [0, 2, 2, 3, 3, 4, 4, 6, 8]


def _likert(key, position, *, n, median, q1, q3, agreement, status, label, groups, **more):
    item = {
        "key": key,
        "type": "likert",
        "position": position,
        "n": n,
        "n_missing": 0,
        "n_dk": 0,
        "median": median,
        "q1": q1,
        "q3": q3,
        "iqr": q3 - q1,
        "agreement": agreement,
        "scale": 5,
        "consensus_status": status,
        "consensus": status in ("in", "out"),
        "groups": groups,
        "settled": label != "unresolved",
        "label": label,
    }
    item.update(more)
    return item


def round_one() -> dict:
    return {
        "schema_version": 1,
        "round": 1,
        "plan_sha256": "ab" * 32,
        "submitted": 24,
        "min_group_n": 5,
        "stopping": {"decision": "continue", "reason": "2 items not settled"},
        "items": {
            "digital": _likert(
                "digital",
                0,
                n=24,
                median=4.0,
                q1=3.0,
                q3=4.75,
                agreement=0.6667,
                status="none",
                label="unresolved",
                groups=TV3_GROUPS,
                divergence={"groups_compared": 3, "kw_h": 10.5, "kw_p": 0.005},
                contested=True,
            ),
            "teamwork": _likert(
                "teamwork",
                1,
                n=20,
                median=4.0,
                q1=4.0,
                q3=5.0,
                agreement=0.85,
                status="in",
                label="consensus-in",
                groups=[
                    {"group": "employers", "n": 10, "median": 4.0, "q1": 4.0, "q3": 5.0},
                    {"group": "education-providers", "n": 10, "median": 4.5, "q1": 4.0, "q3": 5.0},
                ],
                divergence={
                    "groups_compared": 2,
                    "kw_h": 0.4,
                    "kw_p": 0.52,
                    "max_median_diff": 0.5,
                    "median_max_group": "education-providers",
                    "median_min_group": "employers",
                },
                contested=False,
                intervals={"median": [4.0, 5.0], "agreement": [0.7, 1.0]},
            ),
            "few": {
                "key": "few",
                "type": "likert",
                "position": 2,
                "suppressed": True,
                "consensus_status": "insufficient",
                "consensus": False,
                "settled": False,
                "label": "unresolved",
                "carry": False,
                "reason": "too few answers",
            },
            "employment-change-2034": {
                "key": "employment-change-2034",
                "type": "estimate",
                "position": 3,
                "n": 9,
                "n_missing": 0,
                "median": 2.0,
                "q1": 1.0,
                "q3": 3.0,
                "iqr": 2.0,
                "mean": 2.0556,
                "sd": 2.3109,
                "low_median": 0.0,
                "high_median": 3.0,
                "confidence_median": 55.0,
                "n_with_range": 9,
                "intervals": {"median": [0.5, 4.5]},
            },
            "comments": {"key": "comments", "type": "text", "position": 4, "n": 12},
        },
    }


def round_two() -> dict:
    """Round 2 asks the unsettled item again: TV3's figures, contested."""
    return {
        "schema_version": 1,
        "round": 2,
        "plan_sha256": "ab" * 32,
        "submitted": 24,
        "min_group_n": 5,
        "stopping": {"decision": "stop-max-rounds", "reason": "last round"},
        "items": {
            "digital": _likert(
                "digital",
                0,
                n=24,
                median=4.0,
                q1=3.0,
                q3=5.0,
                agreement=0.7083,
                status="none",
                label="dissent",
                groups=TV3_GROUPS,
                divergence={"groups_compared": 3, "kw_h": 11.8017, "kw_p": 0.0027},
                contested=True,
                balanced={"median": 4.0, "agreement": 0.6508},
                intervals={"median": [3.0, 5.0]},
                stability={"n_paired": 22, "net_change": 0.05, "wilcoxon_p": 0.4, "stable": True},
            ),
        },
    }


def provenance(kind: DatasetKind = DatasetKind.projection, **more) -> Provenance:
    values = {
        "publisher": "Example Statistics Office",
        "title": "Illustrative employment projections",
        "licence": "CC BY 4.0",
        "vintage": "2024-34",
        "base_year": 2024,
        "horizon_year": 2034,
        "unit": "thousand jobs",
        "kind": kind,
        "caveats": ("Projections assume no recession.",),
        "sector_classification": "NEM",
        "occupation_classification": "SOC 2018",
    }
    values.update(more)
    return Provenance(**values)


PROJECTION = provenance()
HISTORY = provenance(
    DatasetKind.statistics,
    title="Illustrative employment statistics",
    vintage="2024",
    base_year=2022,
    horizon_year=2024,
    caveats=(),
)
ADS = provenance(
    DatasetKind.job_ads, title="Illustrative job advertisements", vintage="2024", caveats=()
)


def projection_series() -> tuple[ForecastSeries, ...]:
    """Sector: 1000 -> 1042 (+4.2 %), openings 120 a year of which 115.8 replacement;
    total: 100000 -> 102000 (+2 %), openings 10000 a year."""

    def s(indicator, role, values, **more):
        return ForecastSeries(PROJECTION, "1", indicator, role, values, geography="US", **more)

    sector = {"sector_code": "230000", "label": "Construction"}
    return (
        s(EMPLOYMENT, SeriesRole.sector, {2024: 1000.0, 2034: 1042.0}, **sector),
        s(OPENINGS, SeriesRole.sector, {2034: 120.0}, **sector),
        s(SEPARATIONS, SeriesRole.sector, {2034: 115.8}, **sector),
        s(
            OUTLOOK,
            SeriesRole.sector,
            {2034: None},
            categories={2034: "faster than average"},
            **sector,
        ),
        s(
            EMPLOYMENT,
            SeriesRole.total,
            {2024: 100000.0, 2034: 102000.0},
            sector_code="TE1000",
            label="Total employment",
        ),
        s(OPENINGS, SeriesRole.total, {2034: 10000.0}, sector_code="TE1000"),
        s(
            EMPLOYMENT,
            SeriesRole.occupation,
            {2024: 300.0, 2034: 330.0},
            occupation_code="47-2111",
            label="Electricians",
            level=Level.detail,
        ),
        s(
            OPENINGS,
            SeriesRole.occupation,
            {2034: 35.0},
            occupation_code="47-2111",
            level=Level.detail,
        ),
        s(
            EMPLOYMENT,
            SeriesRole.occupation,
            {2024: 500.0, 2034: 480.0},
            occupation_code="47-2061",
            label="Construction laborers",
            level=Level.detail,
            flags={2034: (Status.low_reliability,)},
        ),
        s(
            EMPLOYMENT,
            SeriesRole.occupation,
            {2024: 20.0, 2034: 30.0},
            occupation_code="47-2231",
            label="Solar photovoltaic installers",
            level=Level.detail,
        ),
        s(
            EMPLOYMENT,
            SeriesRole.occupation,
            {2024: 820.0, 2034: 840.0},
            occupation_code="47-0000",
            label="Construction and extraction occupations",
            level=Level.aggregate,
        ),
    )


def history_series() -> tuple[ForecastSeries, ...]:
    """Sector 980 -> 1000 (+2.0408 %), total 98000 -> 100000 (same): relative 0."""
    return (
        ForecastSeries(
            HISTORY,
            "2",
            EMPLOYMENT,
            SeriesRole.sector,
            {2022: 950.0, 2023: 980.0, 2024: 1000.0},
            sector_code="230000",
            label="Construction",
            flags={2024: (Status.provisional,)},
        ),
        ForecastSeries(
            HISTORY,
            "2",
            EMPLOYMENT,
            SeriesRole.total,
            {2023: 98000.0, 2024: 100000.0},
            sector_code="TE1000",
        ),
    )


def ads_series() -> tuple[ForecastSeries, ...]:
    return (
        ForecastSeries(
            ADS,
            "3",
            JOB_ADS,
            SeriesRole.sector,
            {2023: 40.0, 2024: 48.0},
            sector_code="230000",
            label="Construction",
            unit="thousand advertisements",
        ),
    )


ITEMS = {
    "digital": ItemInfo(
        "digital",
        "likert",
        {"en": "Digital skills will matter more", "de": "Digitale Kompetenzen werden wichtiger"},
        scale=5,
    ),
    "teamwork": ItemInfo("teamwork", "likert", {"en": "Teamwork"}, scale=5),
    "few": ItemInfo("few", "likert", {"en": "Rarely answered"}, scale=5),
    "employment-change-2034": ItemInfo(
        "employment-change-2034",
        "estimate",
        {"en": "Employment change to 2034 (%)"},
        unit="%",
        forecast=ForecastBinding("employment_change_pct", 2034),
    ),
    "comments": ItemInfo("comments", "text", {"en": "Anything else?"}),
}


def brief_inputs(**changes) -> BriefInputs:
    """A complete set of inputs: two rounds, two themes, a projection, history and job ads."""
    values = {
        "title": "Construction: skills outlook",
        "consultation_title": "Future skill needs",
        "sector_label": "Construction",
        "geography": "US",
        "geography_label": "United States",
        "publisher": "Example Skills Council",
        "date": "2026-11-30",
        "version": 1,
        "languages": ("en", "de"),
        "sector_codes": (SectorCode("NEM", "230000", "Construction", ("F",), "NACE Rev. 2"),),
        "plan": PlanRules(
            "ab" * 32,
            consensus_in="iqr <= 1 and agreement >= 0.70",
            min_n=5,
            min_group_n=5,
            quantile_method="type7",
        ),
        "rounds": (
            RoundInput(
                RoundResults.from_json(round_one()),
                invited=30,
                invited_by_group={"employers": 10, "education-providers": 10},
                responded_by_group={"employers": 8, "education-providers": 7},
                ranges={"employment-change-2034": tuple(zip(TV7_LOW, TV7_HIGH, strict=True))},
            ),
            RoundInput(RoundResults.from_json(round_two()), invited=30),
        ),
        "items": ITEMS,
        "themes": (
            ThemeInput(
                {"en": "Heat-pump installation"},
                (EscoLink("http://data.europa.eu/esco/skill/0001", "install heat pumps"),),
                ("Every new building asks for heat pumps now.",),
                item_key="teamwork",
            ),
            ThemeInput({"en": "Not approved"}, approved=False),
        ),
        "series": projection_series() + history_series() + ads_series(),
        "narrative": Narrative(summary="Growth ahead.", ministries="Fund retraining."),
        "annotations": (Annotation("employment_trend", "2020 reflects the pandemic."),),
        "contact": Contact("Secretariat", "secretariat@example.org"),
    }
    values.update(changes)
    return BriefInputs(**values)


def empty_inputs() -> BriefInputs:
    """Inputs with nothing to show: no rounds, no themes, no series, no narrative."""
    return BriefInputs(
        title="Empty",
        consultation_title="Nothing yet",
        sector_label="Construction",
        geography="US",
        publisher="Example Skills Council",
        date="2026-11-30",
    )
