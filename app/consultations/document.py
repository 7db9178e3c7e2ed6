"""The frozen results of a closed round, as a typed document (pure: no Flask, no database).

A round's statistics are computed once, when it closes (``app.consultations.results``), and
stored as JSON in ``Round.results``. Feedback, the secretariat's pages, exports, briefs and the
open API all read this one document through these types, and the rules about it live here as
methods, so that no reader re-derives them: whether an item's panel figures may be shown,
which stakeholder-group cells are published, what a chart can be drawn from.

Disclosure control (METHOD.md 5) is applied when the document is made: a suppressed group cell
holds nothing but its group; an item whose panel total is below ``min_group_n`` holds only its
consensus decision and stopping advice. ``to_json`` writes the stored form (the open API's
``consultation.rounds[].items[]``); ``from_json`` reads it back, including documents stored
before the schema version was written (``schema_version`` 1 is that same shape).

``FeedbackRationales`` is a round's second frozen document: the reasons its panellists gave,
as the next round's feedback shows them, frozen when the results are released
(``Round.feedback_rationales``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

#: Version of the stored shape. 1: the shape of the first documents (no version written).
#: 2: a rating item may also hold the statistic ``middle`` (share of answers between the
#: disagree and the agree band), the consensus status ``mid`` (agreement on a middle position)
#: and the label ``consensus-middle``; a version 1 document is read as it is (it has none).
SCHEMA_VERSION = 2

#: Statistics of a rating item, and of each of its published group cells (METHOD.md 2).
LIKERT_STATS = (
    "n",
    "n_missing",
    "n_dk",
    "median",
    "q1",
    "q3",
    "iqr",
    "mean",
    "sd",
    "cv",
    "agreement",
    "disagreement",
    "middle",
    "top1",
    "rwg",
    "ad_md",
)
#: Counts of non-answers are not published per group: with the panel totals they would let
#: anyone work out how a small group's members left the item blank or "cannot assess".
GROUP_STATS = tuple(c for c in LIKERT_STATS if c not in ("n_missing", "n_dk"))
ESTIMATE_STATS = ("low_median", "high_median", "confidence_median", "n_with_range")
RANKING_STATS = ("w", "chi2", "df", "p")
CHOICE_STATS = ("top_share", "modal")
#: What a suppressed item keeps: its decision reveals no answer.
DECISION_FIELDS = ("consensus_status", "consensus", "settled", "label", "carry", "reason")

Number = float | int | str | None


def _num(value: Any) -> Number:
    """A stored statistic: None, a number, or "inf"/"-inf" (JSON has no infinity)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        value = float(value) if isinstance(value, float) else value
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, float) and math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    return str(value)


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, str):
        return None
    return int(value)


def _comparable(value: Number) -> float | None:
    """A statistic as compared by a rule: rounded to 10 decimals; None if not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return None
    return round(float(value), 10)


def _counts(value: Any) -> dict[str, int] | None:
    if value is None:
        return None
    return {str(k): int(v) for k, v in dict(value).items()}


def _drop_none(data: dict[str, Any], keep: Iterable[str] = ()) -> dict[str, Any]:
    keep = set(keep)
    return {k: v for k, v in data.items() if v is not None or k in keep}


class CellStatus(enum.StrEnum):
    """What a stakeholder-group cell of an item shows."""

    #: The group's statistics are shown.
    published = "published"
    #: Hidden: too few answers, or withheld so that a smaller group cannot be worked out.
    suppressed = "suppressed"
    #: Nobody of the group answered (and showing so reveals nothing).
    no_answers = "no answers"


class Disclosure(enum.StrEnum):
    """What may be shown of an item's panel figures."""

    shown = "shown"
    #: Fewer valid answers than ``min_group_n``: only the decision is kept.
    suppressed = "suppressed"
    #: No valid answer at all.
    no_answers = "no answers"


@dataclass(frozen=True)
class GroupCell:
    """One stakeholder group's cell of a rating item."""

    group: str
    status: CellStatus
    n: int | None = None
    counts: dict[str, int] | None = None
    stats: dict[str, Number] = field(default_factory=dict)

    @property
    def published(self) -> bool:
        """The cell's figures may be shown (and its group named beside rationales)."""
        return self.status is CellStatus.published and bool(self.n)

    @property
    def suppressed(self) -> bool:
        return self.status is CellStatus.suppressed

    @property
    def no_answers(self) -> bool:
        return self.status is CellStatus.no_answers

    def __getattr__(self, name: str) -> Number:
        # Statistics read as attributes (cell.median); only those a cell can hold.
        if name in GROUP_STATS:
            return self.stats.get(name)
        raise AttributeError(name)

    def to_json(self) -> dict[str, Any]:
        if self.status is CellStatus.suppressed:
            return {"group": self.group, "suppressed": True}
        if self.status is CellStatus.no_answers:
            return {"group": self.group, "n": 0, "no_answers": True}
        out: dict[str, Any] = {k: self.stats.get(k) for k in GROUP_STATS if k != "n"}
        out.update(group=self.group, n=self.n, counts=self.counts)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GroupCell:
        group = str(data["group"])
        if data.get("suppressed"):
            return cls(group, CellStatus.suppressed)
        if data.get("no_answers"):
            return cls(group, CellStatus.no_answers, n=0)
        n = _int(data.get("n"))
        if not n:
            return cls(group, CellStatus.no_answers, n=0)
        stats = {k: _num(data.get(k)) for k in GROUP_STATS if k != "n"}
        return cls(
            group, CellStatus.published, n=n, counts=_counts(data.get("counts")), stats=stats
        )


@dataclass(frozen=True)
class Stability:
    """Change since the previous round on the paired set (METHOD.md 4)."""

    n_paired: int | None = None
    net_change: Number = None
    wilcoxon_p: Number = None
    cv_change: Number = None
    stable: bool | None = None
    #: Further figures of the test (cv_previous, cv_current, wilcoxon_z, w_plus, ...).
    more: dict[str, Number] = field(default_factory=dict)

    _NAMED = ("n_paired", "net_change", "wilcoxon_p", "cv_change", "stable")

    def to_json(self) -> dict[str, Any]:
        return {**self.more, **{k: getattr(self, k) for k in self._NAMED}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Stability | None:
        if not data:
            return None
        stable = data.get("stable")
        return cls(
            n_paired=_int(data.get("n_paired")),
            net_change=_num(data.get("net_change")),
            wilcoxon_p=_num(data.get("wilcoxon_p")),
            cv_change=_num(data.get("cv_change")),
            stable=None if stable is None else bool(stable),
            more={k: _num(v) for k, v in data.items() if k not in cls._NAMED},
        )


@dataclass(frozen=True)
class Divergence:
    """Differences between the published stakeholder groups (METHOD.md 5)."""

    groups_compared: int | None = None
    kw_h: Number = None
    kw_p: Number = None
    #: Largest difference of group medians, and the two groups; only when both are
    #: published.
    max_median_diff: Number = None
    median_max_group: str | None = None
    median_min_group: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _drop_none({f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Divergence | None:
        if data is None:
            return None
        return cls(
            groups_compared=_int(data.get("groups_compared")),
            kw_h=_num(data.get("kw_h")),
            kw_p=_num(data.get("kw_p")),
            max_median_diff=_num(data.get("max_median_diff")),
            median_max_group=data.get("median_max_group"),
            median_min_group=data.get("median_min_group"),
        )


@dataclass(frozen=True)
class RankedOption:
    """One option of a ranking item, by mean rank."""

    option: str
    rank_sum: Number = None
    mean_rank: Number = None
    borda: Number = None
    share_first: Number = None

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RankedOption:
        return cls(
            option=str(data["option"]),
            **{k: _num(data.get(k)) for k in ("rank_sum", "mean_rank", "borda", "share_first")},
        )


#: Interval per statistic: (low, high), either end None when not computable.
Intervals = dict[str, tuple[Number, Number]]


@dataclass(frozen=True)
class ItemResult:
    """One item's frozen figures. Which fields are set depends on ``type``."""

    key: str
    type: str
    position: int = 0
    #: The panel figures are withheld (fewer valid answers than ``min_group_n``).
    suppressed: bool = False
    #: Valid answers (for open questions: written answers).
    n: int | None = None
    #: Statistics by name (LIKERT_STATS, ESTIMATE_STATS, RANKING_STATS, CHOICE_STATS).
    stats: dict[str, Number] = field(default_factory=dict)
    scale: int | None = None
    #: Answers per scale point ("1".."k") or per option key.
    counts: dict[str, int] | None = None
    #: Share per option key (choice items).
    shares: dict[str, Number] | None = None
    multiple: bool | None = None
    options: tuple[RankedOption, ...] = ()
    #: in, out, mid (agreement on a middle position), none, conflict or insufficient.
    consensus_status: str | None = None
    #: The status is a consensus (in, out or mid): the open API's ``consensus``.
    consensus: bool | None = None
    stability: Stability | None = None
    groups: tuple[GroupCell, ...] = ()
    divergence: Divergence | None = None
    contested: bool | None = None
    #: Balanced figures across groups (METHOD.md 6), by name.
    balanced: dict[str, Number] | None = None
    intervals: Intervals | None = None
    settled: bool | None = None
    #: Final label of the stopping rule: consensus-in, consensus-out, consensus-middle,
    #: dissent (stable without consensus of any kind), unresolved.
    label: str | None = None
    carry: bool | None = None
    reason: str | None = None

    @property
    def stable(self) -> bool | None:
        return self.stability.stable if self.stability is not None else None

    def __getattr__(self, name: str) -> Number:
        # Statistics read as attributes (result.median), in templates too.
        if name in LIKERT_STATS or name in ESTIMATE_STATS or name in RANKING_STATS:
            return self.stats.get(name)
        if name in CHOICE_STATS:
            return self.stats.get(name)
        raise AttributeError(name)

    # --- disclosure rules ----------------------------------------------------------------

    @property
    def disclosure(self) -> Disclosure:
        """What may be shown of the panel figures: the one rule every reader follows."""
        if self.type == "text":
            return Disclosure.shown if self.n else Disclosure.no_answers
        if self.suppressed:
            return Disclosure.suppressed
        if not self.n:
            return Disclosure.no_answers
        return Disclosure.shown

    @property
    def shown(self) -> bool:
        return self.disclosure is Disclosure.shown

    @property
    def published_cells(self) -> tuple[GroupCell, ...]:
        """Group cells whose figures may be shown (none while the item is suppressed)."""
        if not self.shown:
            return ()
        return tuple(cell for cell in self.groups if cell.published)

    @property
    def published_groups(self) -> frozenset[str]:
        """Groups that may be named, e.g. beside rationales (published cells only)."""
        return frozenset(cell.group for cell in self.published_cells)

    @property
    def chartable(self) -> bool:
        """A chart can be drawn: a shown rating (with counts), ranking or choice item."""
        if not self.shown or self.type not in ("likert", "ranking", "choice"):
            return False
        return self.type != "likert" or bool(self.counts)

    @property
    def top_options(self) -> tuple[RankedOption, ...]:
        """The options ranked first by mean rank: several when tied (ranking items shown).

        ``options`` are stored best first; values are compared at 10 decimals (METHOD.md)."""
        if not self.shown or self.type != "ranking" or not self.options:
            return ()
        best = _comparable(self.options[0].mean_rank)
        if best is None:
            return ()
        return tuple(o for o in self.options if _comparable(o.mean_rank) == best)

    @property
    def modal_options(self) -> frozenset[str]:
        """Keys of the options chosen most often: several when tied (choice items shown,
        with at least one answer). A set: the stored counts need not keep option order."""
        if not self.shown or self.type != "choice" or not self.counts:
            return frozenset()
        top = max(self.counts.values())
        if top <= 0:
            return frozenset()
        return frozenset(key for key, n in self.counts.items() if n == top)

    def outside_iqr(self, value: float | None) -> bool:
        """Whether ``value`` lies outside the panel's middle half (shown items only)."""
        q1, q3 = self.stats.get("q1"), self.stats.get("q3")
        if value is None or not self.shown:
            return False
        if not isinstance(q1, int | float) or not isinstance(q3, int | float):
            return False
        return value < q1 or value > q3

    # --- stored form ---------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "type": self.type, "position": self.position}
        if self.suppressed:
            out["suppressed"] = True
            for name in DECISION_FIELDS:
                value = getattr(self, name)
                if value is not None:
                    out[name] = value
            return out
        if self.type == "text":
            out["n"] = self.n or 0
            return out
        out["n"] = self.n
        out.update(self.stats)
        if self.type == "likert":
            out.update(
                scale=self.scale,
                counts=self.counts,
                consensus_status=self.consensus_status,
                consensus=self.consensus,
                stability=self.stability.to_json() if self.stability else None,
                stable=self.stable,
                groups=[cell.to_json() for cell in self.groups],
                divergence=self.divergence.to_json() if self.divergence else {},
                contested=self.contested,
                balanced=self.balanced,
                settled=self.settled,
                label=self.label,
                carry=self.carry,
                reason=self.reason,
            )
        elif self.type == "choice":
            out.update(counts=self.counts, shares=self.shares, multiple=bool(self.multiple))
        elif self.type == "ranking":
            out["options"] = [option.to_json() for option in self.options]
        if self.intervals is not None:
            out["intervals"] = {k: [low, high] for k, (low, high) in self.intervals.items()}
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ItemResult:
        kind = str(data["type"])
        names = {
            "likert": LIKERT_STATS,
            "estimate": (
                "n_missing",
                "median",
                "q1",
                "q3",
                "iqr",
                "mean",
                "sd",
                "cv",
                *ESTIMATE_STATS,
            ),
            "choice": ("n_missing", *CHOICE_STATS),
            "ranking": RANKING_STATS,
        }.get(kind, ())
        stats = {k: _num(data[k]) for k in names if k != "n" and k in data}
        if "df" in stats:
            stats["df"] = _int(stats["df"])
        if "modal" in data:
            stats["modal"] = data.get("modal")
        intervals = data.get("intervals")
        stability = data.get("stability")
        return cls(
            key=str(data["key"]),
            type=kind,
            position=int(data.get("position") or 0),
            suppressed=bool(data.get("suppressed")),
            n=_int(data.get("n")),
            stats=stats,
            scale=_int(data.get("scale")),
            counts=_counts(data.get("counts")),
            shares={str(k): _num(v) for k, v in data["shares"].items()}
            if data.get("shares") is not None
            else None,
            multiple=data.get("multiple"),
            options=tuple(RankedOption.from_json(o) for o in data.get("options") or ()),
            consensus_status=data.get("consensus_status"),
            consensus=data.get("consensus"),
            stability=Stability.from_json(stability)
            if stability
            else (Stability(stable=data["stable"]) if data.get("stable") is not None else None),
            groups=tuple(GroupCell.from_json(g) for g in data.get("groups") or ()),
            divergence=Divergence.from_json(data.get("divergence")),
            contested=data.get("contested"),
            balanced={k: _num(v) for k, v in data["balanced"].items()}
            if data.get("balanced")
            else None,
            intervals={
                str(k): (_num(v[0]), _num(v[1])) for k, v in intervals.items() if v is not None
            }
            if intervals is not None
            else None,
            settled=data.get("settled"),
            label=data.get("label"),
            carry=data.get("carry"),
            reason=data.get("reason"),
        )

    def withheld(self) -> ItemResult:
        """This item as published when its panel total is too small: the decision only."""
        return ItemResult(
            key=self.key,
            type=self.type,
            position=self.position,
            suppressed=True,
            **{name: getattr(self, name) for name in DECISION_FIELDS},
        )


class StoppingDecision(enum.StrEnum):
    """What the stopping rule advises after a round (METHOD.md 4)."""

    continue_ = "continue"
    all_settled = "stop-all-settled"
    max_rounds = "stop-max-rounds"


@dataclass(frozen=True)
class Stopping:
    decision: StoppingDecision
    reason: str = ""

    @property
    def stops(self) -> bool:
        return self.decision is not StoppingDecision.continue_

    def to_json(self) -> dict[str, Any]:
        return {"decision": self.decision.value, "reason": self.reason}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Stopping:
        return cls(StoppingDecision(data["decision"]), str(data.get("reason") or ""))


@dataclass(frozen=True)
class RoundResults:
    """The frozen results of one closed round."""

    round: int
    plan_sha256: str
    #: Submitted responses of the round.
    submitted: int
    #: The plan's disclosure threshold the document was made under.
    min_group_n: int
    stopping: Stopping
    #: Items by key, in questionnaire order.
    items: dict[str, ItemResult]
    schema_version: int = SCHEMA_VERSION

    def item(self, key: str) -> ItemResult | None:
        return self.items.get(key)

    @property
    def unsettled(self) -> tuple[str, ...]:
        """Keys of rating items the stopping rule does not consider settled."""
        return tuple(
            key for key, item in self.items.items() if item.type == "likert" and not item.settled
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "round": self.round,
            "plan_sha256": self.plan_sha256,
            "submitted": self.submitted,
            "min_group_n": self.min_group_n,
            "stopping": self.stopping.to_json(),
            "items": {key: item.to_json() for key, item in self.items.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, min_group_n: int | None = None) -> RoundResults:
        """Read a stored document. ``min_group_n`` is the plan's, for documents stored
        before they recorded it. Raises ValueError on a document of a newer schema."""
        version = int(data.get("schema_version") or 1)
        if version > SCHEMA_VERSION:
            raise ValueError(
                f"the round results are of schema version {version}; this version of the "
                f"application reads up to {SCHEMA_VERSION}"
            )
        items = sorted(
            (ItemResult.from_json(item) for item in (data.get("items") or {}).values()),
            key=lambda item: item.position,
        )
        threshold = data.get("min_group_n", min_group_n)
        if threshold is None:
            raise ValueError("the round results do not say their disclosure threshold")
        return cls(
            round=int(data["round"]),
            plan_sha256=str(data.get("plan_sha256") or ""),
            submitted=int(data.get("submitted") or 0),
            min_group_n=int(threshold),
            stopping=Stopping.from_json(data["stopping"]),
            items={item.key: item for item in items},
            schema_version=SCHEMA_VERSION,
        )


#: Version of the stored shape of the feedback rationales.
FEEDBACK_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class SharedRationale:
    """One reason as the panellists of the next round read it."""

    text: str
    #: The author's stakeholder group, only where the feedback may name it (its cell is
    #: published and the plan enables group feedback); None otherwise.
    group: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _drop_none({"text": self.text, "group": self.group})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SharedRationale:
        group = data.get("group")
        return cls(text=str(data["text"]), group=None if group is None else str(group))


@dataclass(frozen=True)
class FeedbackRationales:
    """The reasons shown as feedback in the next round, frozen when the results are released.

    Per item key, the texts left after moderation, in the order shown (seeded, secret, never
    by time or author). Nothing here leads to an author: no response id, pseudonym or row
    order, and a group only where the feedback names it. Moderation after the release
    changes later publications, not this document (METHOD.md 9) — except that a reason that
    could identify its author can be withdrawn from it (``without``).
    """

    items: dict[str, tuple[SharedRationale, ...]]
    schema_version: int = FEEDBACK_SCHEMA_VERSION

    def of(self, key: str) -> tuple[SharedRationale, ...]:
        """The item's reasons in the order shown; empty when none were given or shown."""
        return self.items.get(key, ())

    def without(self, key: str, text: str) -> FeedbackRationales:
        """This document with the item's reason ``text`` taken out (the only change ever
        made to it after the release: a reason that could identify its author)."""
        kept = tuple(r for r in self.of(key) if r.text != text.strip())
        items = {k: v for k, v in self.items.items() if k != key}
        if kept:
            items[key] = kept
        return FeedbackRationales(items, self.schema_version)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "items": {key: [r.to_json() for r in texts] for key, texts in self.items.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeedbackRationales:
        """Read the stored form. Raises ValueError on a document of a newer schema."""
        version = int(data.get("schema_version") or 1)
        if version > FEEDBACK_SCHEMA_VERSION:
            raise ValueError(
                f"the feedback rationales are of schema version {version}; this version of "
                f"the application reads up to {FEEDBACK_SCHEMA_VERSION}"
            )
        return cls(
            items={
                str(key): tuple(SharedRationale.from_json(r) for r in texts)
                for key, texts in (data.get("items") or {}).items()
            }
        )
