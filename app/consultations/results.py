"""Freezing a closed round's results: the engine's output as one typed document.

``compute_round_results`` turns the engine's frames into a ``RoundResults``
(``app.consultations.document``), the single source for controlled feedback, the
secretariat's result pages, exports and briefs, so every view shows the same figures.
Disclosure control is applied here: a suppressed group cell holds nothing but its group.
``feedback_rationales`` makes the round's other frozen document, the reasons shown as
feedback, when the results are released.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pandas as pd

from app.consensus import (
    AnalysisPlan,
    balanced_statistics,
    bootstrap_intervals,
    choice_statistics,
    consensus_status,
    estimate_statistics,
    group_breakdown,
    is_consensus,
    item_statistics,
    kendall_w,
    round_stability,
    stopping_rule,
)
from app.consultations.document import (
    GROUP_STATS,
    LIKERT_STATS,
    CellStatus,
    Divergence,
    FeedbackRationales,
    GroupCell,
    ItemResult,
    RankedOption,
    RoundResults,
    SharedRationale,
    Stability,
    Stopping,
    StoppingDecision,
)
from app.consultations.keys import rationale_seed
from app.consultations.models import ItemType, Round, RoundStatus
from app.consultations.queries import (
    choice_answers,
    estimate_answers,
    likert_answers,
    ranking_answers,
    rationales,
    submitted_count,
    text_answers,
)


def clean(value: Any) -> Any:
    """JSON-safe scalar: NaN/NA -> None, numpy -> Python, inf -> "inf"."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        value = float(value)
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    return value


def _row(frame: pd.DataFrame, key: str) -> dict[str, Any] | None:
    if frame is None or key not in frame.index:
        return None
    return {c: clean(v) for c, v in frame.loc[key].items()}


def _counts_dict(counts: Any) -> dict[str, int] | None:
    if counts is None or (isinstance(counts, float) and math.isnan(counts)):
        return None
    return {str(i + 1): int(c) for i, c in enumerate(counts)}


def _previous_round(round_: Round) -> Round | None:
    earlier = [r for r in round_.consultation.rounds if r.number == round_.number - 1]
    return earlier[0] if earlier else None


def _likert_results(
    round_: Round, plan: AnalysisPlan, items: list
) -> tuple[dict[str, ItemResult], Stopping | None]:
    frame = likert_answers(round_)
    if frame.empty:
        return {}, None
    scale = {i.key: int(i.spec.get("scale", 5)) for i in items}
    agree = {i.key: tuple(i.spec["agreement_band"]) for i in items if i.spec.get("agreement_band")}
    disagree = {
        i.key: tuple(i.spec["disagreement_band"]) for i in items if i.spec.get("disagreement_band")
    }
    if plan.agreement_band:
        agree = {i.key: agree.get(i.key, tuple(plan.agreement_band)) for i in items}
    if plan.disagreement_band:
        disagree = {i.key: disagree.get(i.key, tuple(plan.disagreement_band)) for i in items}
    band_args = {"agreement_band": agree or None, "disagreement_band": disagree or None}
    stats = item_statistics(frame, scale=scale, quantile_method=plan.quantile_method, **band_args)
    previous = _previous_round(round_)
    stability = None
    if previous is not None:
        prev = likert_answers(previous)
        prev = prev[prev["item"].isin(stats.index)]
        stability = round_stability(
            prev if not prev.empty else None,
            frame,
            scale=scale,
            min_n=plan.min_n,
            rule=plan.stability_rule,
            zero_method=plan.zero_method,
        )
    groups = group_breakdown(
        frame,
        plan.min_group_n,
        scale=scale,
        contested_alpha=plan.contested_alpha,
        contested_median_diff=plan.contested_median_diff,
        quantile_method=plan.quantile_method,
        **band_args,
    )
    status = consensus_status(
        stats,
        plan.consensus_in,
        plan.consensus_out,
        plan.min_n,
        groups=groups.cells if plan.scope == "panel_and_groups" else None,
        consensus_mid=plan.consensus_mid,
    )
    balanced = (
        balanced_statistics(frame, plan.min_group_n, scale=scale, **band_args)
        if plan.weighting == "balanced"
        else None
    )
    boot = bootstrap_intervals(
        frame[["item", "value"]],
        ("median", "agreement", "disagreement"),
        plan.bootstrap_b,
        plan.bootstrap_seed,
        scale=scale,
        min_n=plan.min_n,
        **band_args,
    )
    stop = stopping_rule(
        status,
        stability,
        round_number=round_.number,
        max_rounds=plan.max_rounds,
        confirm_consensus=plan.confirm_consensus,
        carry_settled=plan.carry_settled,
    )
    out: dict[str, ItemResult] = {}
    cells = groups.cells
    # submitted responses per item and group, answered or not
    respondents: dict[str, dict[str, int]] = {}
    for (item_key, group), size in frame.groupby(["item", "group"]).size().items():
        respondents.setdefault(item_key, {})[group] = int(size)
    positions = {i.key: i.position for i in items}
    for key in stats.index:
        row = stats.loc[key]
        div = _row(groups.divergence, key) or {}
        intervals = _row(boot, key) or {}
        decision = _row(stop.items, key) or {}
        moved = _row(stability, key) if stability is not None else None
        out[key] = ItemResult(
            key=key,
            type="likert",
            position=positions.get(key, 0),
            n=clean(row["n"]),
            stats={c: clean(row[c]) for c in LIKERT_STATS if c != "n"},
            scale=int(row["k"]),
            counts=_counts_dict(row["counts"]),
            consensus_status=str(status[key]),
            consensus=is_consensus(status[key]),
            stability=Stability.from_json(moved) if moved else None,
            groups=_group_cells(
                cells[cells["item"] == key], respondents.get(key, {}), plan.min_group_n
            ),
            divergence=Divergence.from_json(div),
            contested=div.get("contested"),
            balanced=_row(balanced, key) if balanced is not None else None,
            intervals={
                s: (intervals.get(f"{s}_ci_low"), intervals.get(f"{s}_ci_high"))
                for s in ("median", "agreement", "disagreement")
            },
            settled=bool(decision.get("settled")),
            label=decision.get("label"),
            carry=decision.get("carry"),
            reason=decision.get("reason"),
        )
    return out, Stopping(StoppingDecision(stop.decision), str(stop.reason or ""))


def _group_cells(
    cells: pd.DataFrame, respondents: dict[str, int], min_group_n: int
) -> tuple[GroupCell, ...]:
    """Group cells as published. A group with no valid answer is shown as "no answers" only
    when nobody of it responded or at least ``min_group_n`` did; otherwise it is suppressed,
    since "no answers" would tell how its few members answered."""
    published = []
    for _, cell in cells.iterrows():
        group = str(cell["group"])
        if cell["status"] == "suppressed":
            published.append(GroupCell(group, CellStatus.suppressed))
        elif cell["status"] == "no answers":
            if 0 < respondents.get(group, 0) < min_group_n:
                published.append(GroupCell(group, CellStatus.suppressed))
            else:
                published.append(GroupCell(group, CellStatus.no_answers, n=0))
        else:
            published.append(
                GroupCell(
                    group,
                    CellStatus.published,
                    n=clean(cell["n"]),
                    counts=_counts_dict(cell["counts"]),
                    stats={c: clean(cell[c]) for c in GROUP_STATS if c in cell and c != "n"},
                )
            )
    return tuple(published)


def _estimate_results(round_: Round, items: list) -> dict[str, ItemResult]:
    frame = estimate_answers(round_)
    if frame.empty:
        return {}
    ratio = {i.key: bool(i.spec.get("ratio_scale")) for i in items}
    stats = estimate_statistics(frame, ratio_scale=ratio)
    boot = bootstrap_intervals(frame[["item", "value"]], "median", scale=None)
    positions = {i.key: i.position for i in items}
    out = {}
    for key in stats.index:
        entry = _row(stats, key) or {}
        ci = _row(boot, key) or {}
        n = entry.pop("n", None)
        out[key] = ItemResult(
            key=key,
            type="estimate",
            position=positions.get(key, 0),
            n=None if n is None else int(n),
            stats={
                k: (int(v) if k in ("n_missing", "n_with_range") and v is not None else v)
                for k, v in entry.items()
            },
            intervals={"median": (ci.get("median_ci_low"), ci.get("median_ci_high"))},
        )
    return out


def _choice_results(round_: Round, items: list) -> dict[str, ItemResult]:
    frame = choice_answers(round_)
    if frame.empty:
        return {}
    out = {}
    for item in items:
        sub = frame[frame["item"] == item.key]
        options = [o["key"] for o in item.spec.get("options", [])]
        stats = choice_statistics(sub[["item", "choices"]], options={item.key: options})
        row = stats.loc[item.key]
        out[item.key] = ItemResult(
            key=item.key,
            type="choice",
            position=item.position,
            n=clean(row["n"]),
            stats={
                "n_missing": clean(row["n_missing"]),
                "top_share": clean(row["top_share"]),
                "modal": clean(row["modal"]),
            },
            counts={k: int(v) for k, v in row["counts"].items()},
            shares={k: clean(v) for k, v in row["shares"].items()},
            multiple=bool(item.spec.get("multiple")),
        )
    return out


def _ranking_results(round_: Round, items: list) -> dict[str, ItemResult]:
    frame = ranking_answers(round_)
    out = {}
    for item in items:
        options = [o["key"] for o in item.spec.get("options", [])]
        sub = frame[frame["item"] == item.key][["panellist", "option", "rank"]]
        result = kendall_w(sub, options)
        ranked = [
            RankedOption.from_json({"option": option, **{c: clean(v) for c, v in row.items()}})
            for option, row in result.options.iterrows()
        ]
        ranked.sort(key=lambda o: (o.mean_rank is None, o.mean_rank or 0))
        out[item.key] = ItemResult(
            key=item.key,
            type="ranking",
            position=item.position,
            n=int(result.m),
            stats={
                "w": clean(result.w),
                "chi2": clean(result.chi2),
                "df": int(result.df),
                "p": clean(result.p),
            },
            options=tuple(ranked),
        )
    return out


def compute_round_results(round_: Round, plan: AnalysisPlan) -> RoundResults:
    """Statistics of every item of a closed round, under the consultation's ``plan``.

    Disclosure control is applied: group cells under the threshold are suppressed, and an
    item with fewer valid answers than ``min_group_n`` keeps only its decision (METHOD.md
    5.4). Raises ValueError when the round is not closed, or from the engine on inconsistent
    stored data (never expected: answers are validated on entry).
    """
    if round_.status in (RoundStatus.draft, RoundStatus.open):
        raise ValueError("results are computed only for a closed round")
    by_type: dict[ItemType, list] = {}
    for item in round_.items:
        by_type.setdefault(item.type, []).append(item)
    likert, stopping = _likert_results(round_, plan, by_type.get(ItemType.likert, []))
    if stopping is None:
        last = round_.number >= plan.max_rounds
        stopping = Stopping(
            StoppingDecision.max_rounds if last else StoppingDecision.continue_,
            "no rating items in this round",
        )
    computed = {
        **likert,
        **_estimate_results(round_, by_type.get(ItemType.estimate, [])),
        **_choice_results(round_, by_type.get(ItemType.choice, [])),
        **_ranking_results(round_, by_type.get(ItemType.ranking, [])),
    }
    texts = text_answers(round_, withhold_small=False)
    text_counts = texts.groupby("item").size().to_dict() if not texts.empty else {}
    items: dict[str, ItemResult] = {}
    for item in round_.items:
        if item.type is ItemType.text:
            result = ItemResult(
                item.key, "text", item.position, n=int(text_counts.get(item.key, 0))
            )
        else:
            result = computed.get(item.key) or ItemResult(item.key, item.type.value, item.position)
            if result.n is not None and result.n < plan.min_group_n:
                # METHOD.md 5.4: the panel total is published only from min_group_n answers
                # on; the consensus decision and stopping advice stay (they reveal no answer).
                result = result.withheld()
        items[item.key] = result
    return RoundResults(
        round=round_.number,
        plan_sha256=plan.sha256(),
        submitted=submitted_count(round_),
        min_group_n=plan.min_group_n,
        stopping=stopping,
        items=items,
    )


def shuffled_rationales(
    texts: list[tuple[str, str, bool]], seed: int | str, item_key: str
) -> list[tuple[str, str, bool]]:
    """Rationales in a seeded random order (never by time or author).

    Pass ``app.consultations.keys.rationale_seed(...)``: a public seed would let anyone undo
    the shuffle and line up one respondent's rationales across items.
    """
    rng = random.Random(f"{seed}:{item_key}")  # noqa: S311 - ordering, not security
    shuffled = list(texts)
    rng.shuffle(shuffled)
    return shuffled


def feedback_rationales(round_: Round, plan: AnalysisPlan) -> FeedbackRationales:
    """The reasons of a closed round as the next round's feedback shows them, as they stand.

    Per item (open questions have no reasons): the texts not hidden by moderation, in the
    seeded order of ``shuffled_rationales``, without author; the author's group only where the
    item's group cell is published and the plan enables group feedback. Nothing while fewer
    than ``min_group_n`` responses are submitted. Frozen when the results are released
    (``services.release_round``). Raises StudyKeyMissing when the study key is gone.
    """
    document = round_.frozen_results()
    items: dict[str, tuple[SharedRationale, ...]] = {}
    for item in round_.items:
        if item.type is ItemType.text:
            continue
        texts = rationales(item)
        if not texts:
            continue
        entry = document.item(item.key) if document is not None else None
        named = entry.published_groups if entry is not None and plan.group_feedback else ()
        seed = rationale_seed(round_.consultation_id, item.key)
        shown = tuple(
            SharedRationale(text.strip(), group if group in named else None)
            for text, group, _hidden in shuffled_rationales(texts, seed, item.key)
            if (text or "").strip()
        )
        if shown:
            items[item.key] = shown
    return FeedbackRationales(items)
