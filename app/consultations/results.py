"""Freezing a closed round's results: the engine's output as one JSON document.

The document is the single source for controlled feedback, the secretariat's result pages,
exports and briefs, so every view shows the same figures. Disclosure control is applied here:
suppressed group cells carry only ``{"group": g, "suppressed": true}``.
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
    item_statistics,
    kendall_w,
    round_stability,
    stopping_rule,
)
from app.consultations.models import ItemType, Round, RoundStatus
from app.consultations.queries import (
    choice_answers,
    estimate_answers,
    likert_answers,
    ranking_answers,
    submitted_count,
    text_answers,
)

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
    "top1",
    "rwg",
    "ad_md",
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


def _likert_results(round_: Round, plan: AnalysisPlan, items: list) -> dict[str, dict]:
    frame = likert_answers(round_)
    if frame.empty:
        return {}
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
    out: dict[str, dict] = {}
    cells = groups.cells
    # submitted responses per item and group, answered or not
    respondents: dict[str, dict[str, int]] = {}
    for (item_key, group), size in frame.groupby(["item", "group"]).size().items():
        respondents.setdefault(item_key, {})[group] = int(size)
    for key in stats.index:
        row = stats.loc[key]
        entry: dict[str, Any] = {c: clean(row[c]) for c in LIKERT_STATS}
        entry["scale"] = int(row["k"])
        entry["counts"] = _counts_dict(row["counts"])
        entry["consensus_status"] = str(status[key])
        entry["consensus"] = status[key] in ("in", "out")
        entry["stability"] = _row(stability, key) if stability is not None else None
        entry["stable"] = entry["stability"]["stable"] if entry["stability"] else None
        entry["groups"] = _group_cells(
            cells[cells["item"] == key], respondents.get(key, {}), plan.min_group_n
        )
        div = _row(groups.divergence, key) or {}
        entry["divergence"] = {
            k: div.get(k)
            for k in (
                "groups_compared",
                "kw_h",
                "kw_p",
                "max_median_diff",
                "median_max_group",
                "median_min_group",
            )
            if k in div
        }
        entry["contested"] = div.get("contested")
        entry["balanced"] = _row(balanced, key) if balanced is not None else None
        intervals = _row(boot, key) or {}
        entry["intervals"] = {
            s: [intervals.get(f"{s}_ci_low"), intervals.get(f"{s}_ci_high")]
            for s in ("median", "agreement", "disagreement")
        }
        decision = _row(stop.items, key) or {}
        entry.update(
            settled=bool(decision.get("settled")),
            label=decision.get("label"),
            carry=decision.get("carry"),
            reason=decision.get("reason"),
        )
        out[key] = entry
    out["__stopping__"] = {"decision": stop.decision, "reason": stop.reason}
    return out


#: Counts of non-answers are not published per group: with the panel totals they would let
#: anyone work out how a small group's members left the item blank or "cannot assess".
GROUP_STATS = tuple(c for c in LIKERT_STATS if c not in ("n_missing", "n_dk"))


def _group_cells(
    cells: pd.DataFrame, respondents: dict[str, int], min_group_n: int
) -> list[dict[str, Any]]:
    """Group cells as published. A group with no valid answer is shown as "no answers" only
    when nobody of it responded or at least ``min_group_n`` did; otherwise it is suppressed,
    since "no answers" would tell how its few members answered."""
    published = []
    for _, cell in cells.iterrows():
        if cell["status"] == "suppressed":
            published.append({"group": cell["group"], "suppressed": True})
        elif cell["status"] == "no answers":
            if 0 < respondents.get(cell["group"], 0) < min_group_n:
                published.append({"group": cell["group"], "suppressed": True})
            else:
                published.append({"group": cell["group"], "n": 0, "no_answers": True})
        else:
            entry = {c: clean(cell[c]) for c in GROUP_STATS if c in cell}
            entry["group"] = cell["group"]
            entry["counts"] = _counts_dict(cell["counts"])
            published.append(entry)
    return published


def _estimate_results(round_: Round, items: list) -> dict[str, dict]:
    frame = estimate_answers(round_)
    if frame.empty:
        return {}
    ratio = {i.key: bool(i.spec.get("ratio_scale")) for i in items}
    stats = estimate_statistics(frame, ratio_scale=ratio)
    boot = bootstrap_intervals(frame[["item", "value"]], "median", scale=None)
    out = {}
    for key in stats.index:
        entry = _row(stats, key) or {}
        ci = _row(boot, key) or {}
        entry["intervals"] = {"median": [ci.get("median_ci_low"), ci.get("median_ci_high")]}
        out[key] = entry
    return out


def _choice_results(round_: Round, items: list) -> dict[str, dict]:
    frame = choice_answers(round_)
    if frame.empty:
        return {}
    out = {}
    for item in items:
        sub = frame[frame["item"] == item.key]
        options = [o["key"] for o in item.spec.get("options", [])]
        stats = choice_statistics(sub[["item", "choices"]], options={item.key: options})
        row = stats.loc[item.key]
        out[item.key] = {
            "n": clean(row["n"]),
            "n_missing": clean(row["n_missing"]),
            "top_share": clean(row["top_share"]),
            "modal": clean(row["modal"]),
            "counts": {k: int(v) for k, v in row["counts"].items()},
            "shares": {k: clean(v) for k, v in row["shares"].items()},
            "multiple": bool(item.spec.get("multiple")),
        }
    return out


def _ranking_results(round_: Round, items: list) -> dict[str, dict]:
    frame = ranking_answers(round_)
    out = {}
    for item in items:
        options = [o["key"] for o in item.spec.get("options", [])]
        sub = frame[frame["item"] == item.key][["panellist", "option", "rank"]]
        result = kendall_w(sub, options)
        opts = []
        for option, row in result.options.iterrows():
            opts.append({"option": option, **{c: clean(v) for c, v in row.items()}})
        opts.sort(key=lambda o: (o["mean_rank"] is None, o["mean_rank"] or 0))
        out[item.key] = {
            "n": int(result.m),
            "w": clean(result.w),
            "chi2": clean(result.chi2),
            "df": int(result.df),
            "p": clean(result.p),
            "options": opts,
        }
    return out


def compute_round_results(round_: Round) -> dict[str, Any]:
    """Statistics of every item of a closed round, under the consultation's plan.

    Returns a JSON-serialisable dict: ``plan_sha256``, ``submitted``, ``stopping``
    (``decision``, ``reason``) and ``items`` keyed by item key. Raises ValueError from the
    engine on inconsistent stored data (never expected: answers are validated on entry).
    """
    from app.consultations.services import plan_of

    if round_.status in (RoundStatus.draft, RoundStatus.open):
        raise ValueError("results are computed only for a closed round")
    plan = plan_of(round_.consultation)
    by_type: dict[ItemType, list] = {}
    for item in round_.items:
        by_type.setdefault(item.type, []).append(item)
    likert = _likert_results(round_, plan, by_type.get(ItemType.likert, []))
    stopping = likert.pop("__stopping__", None) or {
        "decision": "continue" if round_.number < plan.max_rounds else "stop-max-rounds",
        "reason": "no rating items in this round",
    }
    computed = {
        **likert,
        **_estimate_results(round_, by_type.get(ItemType.estimate, [])),
        **_choice_results(round_, by_type.get(ItemType.choice, [])),
        **_ranking_results(round_, by_type.get(ItemType.ranking, [])),
    }
    texts = text_answers(round_, withhold_small=False)
    text_counts = texts.groupby("item").size().to_dict() if not texts.empty else {}
    items: dict[str, Any] = {}
    for item in round_.items:
        entry = {"key": item.key, "type": item.type.value, "position": item.position}
        figures = computed.get(item.key, {})
        n = figures.get("n")
        if item.type is not ItemType.text and n is not None and n < plan.min_group_n:
            # METHOD.md 5.4: the panel total is published only from min_group_n answers on;
            # the consensus decision and stopping advice stay (they reveal no answer).
            figures = {
                "suppressed": True,
                **{
                    k: figures[k]
                    for k in (
                        "consensus_status",
                        "consensus",
                        "settled",
                        "label",
                        "carry",
                        "reason",
                    )
                    if k in figures
                },
            }
        entry.update(figures)
        if item.type is ItemType.text:
            entry["n"] = text_counts.get(item.key, 0)
        items[item.key] = entry
    return {
        "plan_sha256": plan.sha256(),
        "round": round_.number,
        "submitted": submitted_count(round_),
        "stopping": stopping,
        "items": items,
    }


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
