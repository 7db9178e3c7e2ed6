"""Every round's published item figures, as a brief carries them for its data (pure).

The open API (DESIGN.md "Open API, version 1") publishes, per round of the consultation, each
item with its answer counts and statistics, so that anyone can recompute the median, IQR and
agreement from the counts (METHOD.md 2). The brief's sections hold only what they show (the
final round's ranking, its history); this record keeps, per round, the frozen figures of every
item as the round's results published them: disclosure control is inherited from
``app.consultations.document`` (a suppressed group cell holds only its group; an item below
the threshold holds only its decision), never recomputed.

Annotations are evaluated (no ``from __future__ import annotations``), so that the brief's
stored-form codec reads these types without knowing their module.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.consultations.document import GroupCell, ItemResult, RoundResults

#: A stored statistic: a number, "inf"/"-inf", or None.
Stat = float | int | str | None

#: Statistics of the API item, in the API's order (METHOD.md 2).
API_STATS = ("n", "median", "q1", "q3", "iqr", "mean", "sd", "cv", "agreement")
#: Further figures kept where the item type has them.
EXTRA_STATS = (
    "disagreement",
    "top1",
    "rwg",
    "ad_md",
    "low_median",
    "high_median",
    "confidence_median",
    "n_with_range",
    "w",
    "chi2",
    "df",
    "p",
    "top_share",
)


@dataclass(frozen=True)
class PublishedItem:
    """One item of one round as published."""

    key: str
    type: str
    #: The item's text by language.
    text: dict[str, str] = field(default_factory=dict)
    scale: int | None = None
    #: The panel figures are withheld (fewer valid answers than the threshold).
    suppressed: bool = False
    counts: dict[str, int] | None = None
    n: int | None = None
    median: Stat = None
    q1: Stat = None
    q3: Stat = None
    iqr: Stat = None
    mean: Stat = None
    sd: Stat = None
    cv: Stat = None
    agreement: Stat = None
    consensus_status: str | None = None
    consensus: bool | None = None
    stable: bool | None = None
    groups: tuple[GroupCell, ...] = ()
    contested: bool | None = None
    label: str | None = None
    #: Further statistics by name (EXTRA_STATS), where the type has them.
    extra: dict[str, Stat] = field(default_factory=dict)

    @classmethod
    def from_result(cls, item: ItemResult, text: Mapping[str, str] | None) -> "PublishedItem":
        texts = {str(k): str(v) for k, v in (text or {}).items()}
        if item.suppressed:
            return cls(
                key=item.key,
                type=item.type,
                text=texts,
                suppressed=True,
                consensus_status=item.consensus_status,
                consensus=item.consensus,
                label=item.label,
            )
        stats = item.stats
        return cls(
            key=item.key,
            type=item.type,
            text=texts,
            scale=item.scale,
            counts=dict(item.counts) if item.counts is not None else None,
            n=item.n,
            **{name: stats.get(name) for name in API_STATS if name != "n"},
            consensus_status=item.consensus_status,
            consensus=item.consensus,
            stable=item.stable,
            groups=tuple(item.groups),
            contested=item.contested,
            label=item.label,
            extra={name: stats[name] for name in EXTRA_STATS if name in stats},
        )


@dataclass(frozen=True)
class RoundItems:
    """The published items of one round, in questionnaire order."""

    round: int
    items: tuple[PublishedItem, ...] = ()

    @classmethod
    def from_results(
        cls, results: RoundResults, texts: Mapping[str, Mapping[str, str]]
    ) -> "RoundItems":
        """The round's frozen results as published; ``texts`` are the items' texts by key
        and language. Open questions are left out (their answers are never published)."""
        return cls(
            round=results.round,
            items=tuple(
                PublishedItem.from_result(item, texts.get(key))
                for key, item in results.items.items()
                if item.type != "text"
            ),
        )


def sample_round_items() -> tuple[RoundItems, ...]:
    """Round figures matching ``app.briefs.content.sample_content`` (METHOD.md TV1 and TV3
    counts), for tests."""
    from app.briefs.content import _sample_cells

    cells = _sample_cells()
    tv3 = {"1": 0, "2": 2, "3": 5, "4": 9, "5": 8}
    tv1 = {"1": 0, "2": 1, "3": 1, "4": 3, "5": 2}
    digital = PublishedItem(
        key="digital-data-skills",
        type="likert",
        text={
            "en": "Digital and data skills will matter more",
            "de": "Digitale Kompetenzen werden wichtiger",
        },
        scale=5,
        counts=tv3,
        n=24,
        median=4.0,
        q1=3.0,
        q3=5.0,
        iqr=2.0,
        mean=3.9583333333333335,
        sd=0.954584665735822,
        cv=0.2411582313437866,
        agreement=0.7083333333333334,
        consensus_status="none",
        consensus=False,
        stable=True,
        groups=cells,
        contested=True,
        label="dissent",
        extra={"disagreement": 0.08333333333333333},
    )
    teamwork = PublishedItem(
        key="teamwork-problem-solving",
        type="likert",
        text={"en": "Teamwork and problem solving"},
        scale=5,
        counts=tv1,
        n=7,
        median=4.0,
        q1=3.5,
        q3=4.5,
        iqr=1.0,
        mean=3.857142857142857,
        sd=1.0690449676496976,
        cv=0.2771598434647364,
        agreement=0.7142857142857143,
        consensus_status="in",
        consensus=True,
        stable=None,
        groups=(),
        contested=False,
        label="consensus-in",
    )
    withheld = PublishedItem(
        key="regulatory-compliance",
        type="likert",
        text={"en": "Regulatory compliance"},
        suppressed=True,
        consensus_status="insufficient",
        consensus=False,
    )
    return (
        RoundItems(1, (teamwork, withheld)),
        RoundItems(2, (digital, withheld)),
    )


def item_api(item: PublishedItem, text: str) -> dict[str, Any]:
    """The item in the open API's shape (``consultation.rounds[].items[]``)."""
    out: dict[str, Any] = {"key": item.key, "type": item.type}
    if item.scale is not None or item.type == "likert":
        out["scale"] = item.scale
    out["text"] = text
    if item.suppressed:
        out.update(
            suppressed=True,
            consensus=item.consensus,
            consensus_status=item.consensus_status,
        )
        return out
    out["counts"] = item.counts
    for name in API_STATS:
        out[name] = getattr(item, name)
    out.update(
        consensus=item.consensus,
        consensus_status=item.consensus_status,
        stable=item.stable,
        groups=[cell.to_json() for cell in item.groups],
        contested=item.contested,
    )
    if item.label is not None:
        out["label"] = item.label
    out.update(item.extra)
    return out
