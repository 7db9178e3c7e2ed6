"""Controlled feedback shown beside carried-forward items (METHOD.md 9).

Everything comes from the *frozen* documents of the previous round, and only once that
round's results are released: the figures (frozen at close) and the reasons (frozen at
release) are identical for every panellist, moderation after the release does not change them,
and nothing of the open round is ever read. Disclosure control (METHOD.md 5): a suppressed
cell shows only that it is not shown; a panel total under the plan's ``min_group_n`` is not
shown either; rationales are authorless, moderated, in a seeded random order, and carry a
stakeholder group only when that group's cell is published. Stakeholder groups appear only
if the plan enables group feedback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import gettext as _

from app import formatting
from app.consultations.document import ItemResult, SharedRationale
from app.consultations.models import Round, RoundStatus
from app.consultations.plans import plan_of
from app.consultations.responses import AnswerInput, own_answers
from app.consultations.results import feedback_rationales
from app.panels.forms import group_label
from app.panels.models import Panellist
from app.questionnaires.spec import Item as SpecItem

#: Bars are drawn in steps of this many per cent (CSS classes, no inline styles: CSP).
BAR_STEP = 5


def number(value: Any) -> str:
    """A statistic as the secretariat reads it too: 2 decimals, in the interface language."""
    return formatting.number(value)


def share(value: Any) -> str:
    return formatting.percent(value)


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    share: str
    #: Width class of the bar: 0, 5, ..., 100.
    step: int


@dataclass(frozen=True)
class GroupRow:
    label: str
    #: "published", "suppressed" or "no answers".
    status: str
    n: int | None = None
    median: str = ""
    q1: str = ""
    q3: str = ""
    counts: tuple[int, ...] = ()


@dataclass(frozen=True)
class RankRow:
    label: str
    mean_rank: str
    borda: str
    share_first: str


@dataclass
class ItemFeedback:
    kind: str
    round_number: int
    #: True when the panel figures are not shown (too few answers).
    suppressed: bool = False
    n: int | None = None
    median: str = ""
    q1: str = ""
    q3: str = ""
    unit: str = ""
    bars: list[Bar] = field(default_factory=list)
    scale_points: tuple[str, ...] = ()
    consensus: str | None = None
    stability: str | None = None
    groups: list[GroupRow] = field(default_factory=list)
    options: list[RankRow] = field(default_factory=list)
    own: list[str] = field(default_factory=list)
    own_rationale: str | None = None
    outside_iqr: bool = False
    rationales: list[tuple[str, str | None]] = field(default_factory=list)


def previous_released_round(round_: Round) -> Round | None:
    """The round before ``round_`` when its results are released, else None."""
    earlier = [r for r in round_.consultation.rounds if r.number == round_.number - 1]
    if not earlier or earlier[0].status is not RoundStatus.released or not earlier[0].results:
        return None
    return earlier[0]


def _consensus_words(status: str | None) -> str | None:
    words = {
        "in": _("Consensus reached: the panel agrees."),
        "out": _("Consensus reached: the panel disagrees."),
        "mid": _("Consensus reached: the panel agrees on a middle position."),
        "none": _("No consensus yet."),
        "conflict": _("No clear consensus (the rules point both ways)."),
        "insufficient": _("Too few answers to judge consensus."),
    }
    return words.get(status) if status else None


def _stability_words(stable: bool | None) -> str | None:
    if stable is None:
        return None
    if stable:
        return _("The answers hardly changed since the round before.")
    return _("The answers changed since the round before.")


def _bars(labels: list[str], counts: list[int], n: int) -> list[Bar]:
    bars = []
    for label, count in zip(labels, counts, strict=True):
        fraction = count / n if n else 0.0
        step = int(round(fraction * 100 / BAR_STEP)) * BAR_STEP
        bars.append(Bar(label=label, count=count, share=share(fraction), step=step))
    return bars


def _likert_labels(spec: SpecItem, lang: str) -> list[str]:
    labels = spec.labels_for(lang) or ()
    return [
        f"{point} – {labels[point - 1]}" if labels else str(point)
        for point in range(1, spec.scale + 1)
    ]


def answer_lines(spec: SpecItem, answer: AnswerInput | None, lang: str) -> list[str]:
    """An answer as the panellist reads it back, a line per part (no reason)."""
    if answer is None or (answer.is_blank()):
        return [_("You did not answer this question.")]
    if spec.type == "likert":
        if answer.dont_know:
            return [_("Cannot assess")]
        return [_likert_labels(spec, lang)[int(answer.value) - 1]]
    if spec.type == "estimate":
        unit = f" {spec.unit}" if spec.unit else ""
        lines = [formatting.number(answer.value, trim=True) + unit]
        if answer.low is not None and answer.high is not None:
            lines.append(
                _(
                    "Realistic range: %(low)s to %(high)s",
                    low=formatting.number(answer.low, trim=True),
                    high=formatting.number(answer.high, trim=True),
                )
                + unit
            )
        if answer.confidence is not None:
            lines.append(_("How sure: %(c)s of 100", c=answer.confidence))
        return lines
    options = {o.key: o.text_for(lang) for o in getattr(spec, "options", ())}
    if spec.type == "choice":
        return [options.get(k, k) for k in answer.choices or ()]
    if spec.type == "ranking":
        return [f"{n}. {options.get(k, k)}" for n, k in enumerate(answer.ranking or (), 1)]
    if spec.type == "text":
        return [shortened(answer.text or "")]
    return []


def shortened(text: str, limit: int = 140) -> str:
    """``text`` on one line, cut at a word after ``limit`` characters ("…")."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0] + " …"


def _group_rows(entry: ItemResult, scale: int) -> list[GroupRow]:
    rows = []
    for cell in entry.groups:
        label = group_label(cell.group)
        if cell.published:
            counts = cell.counts or {}
            rows.append(
                GroupRow(
                    label=label,
                    status="published",
                    n=cell.n,
                    median=number(cell.median),
                    q1=number(cell.q1),
                    q3=number(cell.q3),
                    counts=tuple(int(counts.get(str(p), 0)) for p in range(1, scale + 1)),
                )
            )
        elif cell.suppressed:
            rows.append(GroupRow(label=label, status="suppressed"))
        else:
            rows.append(GroupRow(label=label, status="no answers", n=0))
    return rows


def item_feedback(
    spec: SpecItem,
    entry: ItemResult,
    own: AnswerInput | None,
    texts: Sequence[SharedRationale],
    *,
    round_number: int,
    lang: str,
    group_feedback: bool = True,
) -> ItemFeedback:
    """Feedback for one item from its frozen result ``entry`` and frozen reasons ``texts``.

    ``group_feedback`` (the plan's): whether the published group cells are shown.
    """
    suppressed = not entry.shown
    fb = ItemFeedback(kind=spec.type, round_number=round_number, n=entry.n, suppressed=suppressed)
    fb.own = answer_lines(spec, own, lang)
    fb.own_rationale = own.rationale if own is not None else None
    fb.rationales = [(r.text, group_label(r.group) if r.group else None) for r in texts]
    if suppressed:
        return fb
    n = entry.n or 0
    if spec.type in ("likert", "estimate"):
        fb.median, fb.q1, fb.q3 = (number(entry.stats.get(k)) for k in ("median", "q1", "q3"))
        value = None if own is None or own.dont_know else own.value
        fb.outside_iqr = entry.outside_iqr(value)
    if spec.type == "likert":
        labels = _likert_labels(spec, lang)
        counts = entry.counts or {}
        fb.bars = _bars(labels, [int(counts.get(str(p), 0)) for p in range(1, spec.scale + 1)], n)
        fb.scale_points = tuple(str(p) for p in range(1, spec.scale + 1))
        fb.consensus = _consensus_words(entry.consensus_status)
        fb.stability = _stability_words(entry.stable)
        fb.groups = _group_rows(entry, spec.scale) if group_feedback else []
    elif spec.type == "estimate":
        fb.unit = spec.unit or ""
    elif spec.type == "choice":
        counts = entry.counts or {}
        labels = [o.text_for(lang) for o in spec.options]
        fb.bars = _bars(labels, [int(counts.get(o.key, 0)) for o in spec.options], n)
    elif spec.type == "ranking":
        names = {o.key: o.text_for(lang) for o in spec.options}
        fb.options = [
            RankRow(
                label=names.get(row.option, row.option),
                mean_rank=number(row.mean_rank),
                borda=formatting.number(row.borda, trim=True),
                share_first=share(row.share_first),
            )
            for row in entry.options
        ]
    return fb


def round_feedback(
    round_: Round, panellist: Panellist | None, lang: str
) -> dict[str, ItemFeedback]:
    """Feedback per carried-forward item of ``round_``, keyed by the item's key; without a
    panellist (the secretariat's preview) it has no "your answer".

    Empty in round 1 and while the previous round's results are not released.
    """
    previous = previous_released_round(round_)
    if previous is None:
        return {}
    plan = plan_of(round_.consultation)
    document = previous.frozen_results()
    # Rounds released before the reasons were frozen with the release read them as they
    # stand; moderating such a round freezes them first (results.services).
    reasons = previous.frozen_feedback_rationales()
    if reasons is None:
        reasons = feedback_rationales(previous, plan)
    mine = own_answers(previous, panellist) if panellist is not None else {}
    out: dict[str, ItemFeedback] = {}
    for item in round_.items:
        source = item.carried_from
        entry = document.item(source.key) if source is not None else None
        if source is None or source.round_id != previous.id or entry is None:
            continue
        out[item.key] = item_feedback(
            SpecItem.from_dict(source.spec),
            entry,
            mine.get(source.key),
            reasons.of(source.key),
            round_number=previous.number,
            lang=lang,
            group_feedback=plan.group_feedback,
        )
    return out


def carried_answers(round_: Round, panellist: Panellist) -> dict[str, AnswerInput]:
    """The panellist's own answers of the previous round, for the items of ``round_`` carried
    from it, by the new item's key: what the page fills in for them to confirm or change.

    Only once that round is released (when its feedback is shown), found through the
    panellist's pseudonym, as their drafts are; nothing is stored. The reasons are left out:
    in the new round the reason field asks something else (why they move away from the group
    view), and the old reason is shown beside the panel's figures; copying it would send it
    into the next round's feedback a second time as if given anew.
    """
    previous = previous_released_round(round_)
    if previous is None:
        return {}
    mine = own_answers(previous, panellist)
    out: dict[str, AnswerInput] = {}
    for item in round_.items:
        source = item.carried_from
        if source is None or source.round_id != previous.id:
            continue
        answer = mine.get(source.key)
        if answer is not None and not answer.is_blank():
            out[item.key] = replace(answer, rationale=None)
    return out
