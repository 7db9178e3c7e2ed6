"""Agreement on a middle position (status ``mid``, label ``consensus-middle``), not dissent."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from consensus_vectors import TV1, TV2, TV3, TV8, answers, grouped

from app.consensus import (
    CONSENSUS_STATUSES,
    DEFAULT_CONSENSUS_MID,
    AnalysisPlan,
    consensus_status,
    group_breakdown,
    is_consensus,
    item_statistics,
    round_stability,
    stopping_rule,
)
from app.consensus.plan import LATER_FIELDS, NEW_PLAN_DEFAULTS
from app.consensus.stability import LABELS

ALL_THREES = [3] * 20


def _status(values, plan: AnalysisPlan, **stats_args) -> str:
    stats = item_statistics(answers(values), **stats_args)
    return consensus_status(
        stats, plan.consensus_in, plan.consensus_out, plan.min_n, consensus_mid=plan.consensus_mid
    ).loc["q"]


def test_the_middle_is_the_share_strictly_between_the_bands():
    stats = item_statistics(answers(ALL_THREES)).loc["q"]
    assert (stats["middle"], stats["iqr"], stats["sd"], stats["rwg"]) == (1.0, 0.0, 0.0, 1.0)
    assert (stats["agreement"], stats["disagreement"]) == (0.0, 0.0)
    tv1 = item_statistics(answers(TV1)).loc["q"]
    assert tv1["middle"] == pytest.approx(1 / 7)  # one 3 of seven answers
    assert tv1["agreement"] + tv1["disagreement"] + tv1["middle"] == pytest.approx(1.0)
    # k = 7, default bands [5, 7] / [1, 3]: the 4s
    seven = item_statistics(answers([4, 4, 4, 3, 5, 4]), scale=7).loc["q"]
    assert seven["middle"] == pytest.approx(4 / 6)
    # k = 9 with the GRADE bands [7, 9] / [1, 3]: 4..6
    grade = item_statistics(
        answers(TV8), scale=9, agreement_band=(7, 9), disagreement_band=(1, 3)
    ).loc["q"]
    assert grade["middle"] == pytest.approx(1 / 12)  # the one 6


def test_a_four_point_scale_has_no_middle_and_never_gives_mid():
    stats = item_statistics(answers([2, 2, 3, 3, 2, 3]), scale=4)
    assert np.isnan(stats.loc["q", "middle"])
    plan = AnalysisPlan.new()
    status = consensus_status(stats, consensus_mid=plan.consensus_mid)
    assert status.loc["q"] == "none"  # a null middle rule is no reason for "insufficient"


def test_twenty_panellists_all_answering_three_agree_on_the_middle():
    new = AnalysisPlan.new()
    assert new.consensus_mid == DEFAULT_CONSENSUS_MID == "iqr <= 1 and middle >= 0.70"
    assert _status(ALL_THREES, new) == "mid"
    assert is_consensus("mid") and "mid" in CONSENSUS_STATUSES
    # a plan without the middle rule (made before it existed) keeps its old reading
    assert _status(ALL_THREES, AnalysisPlan()) == "none"


def test_mid_is_settled_and_labelled_consensus_middle_not_dissent():
    status = pd.Series({"q": "mid", "r": "none"})
    first = stopping_rule(status, round_number=1, max_rounds=3)
    q = first.items.loc["q"]
    assert (q["settled"], q["label"], q["carry"]) == (True, "consensus-middle", False)
    assert q["reason"] == "consensus on a middle position"
    assert first.items.loc["r", "label"] == "unresolved"
    stable = pd.Series({"q": True, "r": True}, dtype="boolean")
    second = stopping_rule(status, stable, round_number=2, max_rounds=3)
    assert second.items["label"].to_dict() == {"q": "consensus-middle", "r": "dissent"}
    assert second.items.loc["q", "reason"] == "consensus on a middle position, stable"
    assert second.items.loc["r", "reason"] == "stable without consensus (dissent)"
    assert second.decision == "stop-all-settled"
    assert "consensus-middle" in LABELS


def test_confirm_consensus_waits_for_stability_for_mid_too():
    decision = stopping_rule(
        pd.Series({"q": "mid"}), round_number=1, max_rounds=3, confirm_consensus=True
    )
    q = decision.items.loc["q"]
    assert (q["settled"], q["label"], q["carry"]) == (False, "unresolved", True)
    assert q["reason"] == (
        "consensus on a middle position not yet confirmed by stability (stability not assessable)"
    )


def test_two_rounds_of_threes_end_in_consensus_middle():
    first, second = answers(ALL_THREES), answers(ALL_THREES)
    plan = AnalysisPlan.new()
    stats = item_statistics(second)
    status = consensus_status(stats, consensus_mid=plan.consensus_mid)
    stability = round_stability(first, second)
    assert bool(stability.loc["q", "stable"]) is True
    decision = stopping_rule(status, stability, round_number=2, max_rounds=3)
    assert decision.items.loc["q", "label"] == "consensus-middle"


def test_in_and_out_take_precedence_over_the_middle_rule():
    stats = item_statistics(answers([3, 3, 3, 4, 4, 4, 4]))
    assert (
        consensus_status(stats, "median >= 3", None, consensus_mid="median >= 3").loc["q"] == "in"
    )
    assert (
        consensus_status(stats, "median > 9", "median >= 3", consensus_mid="median >= 3").loc["q"]
        == "out"
    )
    both = consensus_status(stats, "median >= 3", "median >= 3", consensus_mid="median >= 3")
    assert both.loc["q"] == "conflict"


@pytest.mark.parametrize(
    ("values", "status"),
    [(TV1, "in"), (TV2, "out"), ([v for vs in TV3.values() for v in vs], "none")],
)
def test_method_vectors_keep_their_status_under_a_new_plan(values, status):
    assert _status(values, AnalysisPlan.new()) == status
    assert _status(values, AnalysisPlan()) == status


def test_mid_must_hold_in_every_published_group_under_panel_and_groups():
    groups = {"employers": [3] * 6, "education-providers": [3] * 5 + [4] * 2}
    frame = grouped(groups)
    stats = item_statistics(frame)
    cells = group_breakdown(frame, 5).cells
    rule = "iqr <= 1 and middle >= 0.70"
    assert consensus_status(stats, consensus_mid=rule, groups=cells).loc["q"] == "mid"
    split = grouped({"employers": [3] * 6, "education-providers": [3, 3, 4, 4, 4]})
    status = consensus_status(
        item_statistics(split),
        consensus_mid="middle >= 0.5",
        groups=group_breakdown(split, 5).cells,
    )
    assert status.loc["q"] == "none"  # the education providers do not share it


# --- plans made before the middle rule existed ------------------------------------------

#: A plan as stored before ``consensus_mid`` existed (the defaults of then).
OLD_PLAN = {
    "agreement_band": None,
    "bootstrap_b": 2000,
    "bootstrap_seed": 12345,
    "carry_settled": False,
    "confirm_consensus": False,
    "consensus_in": "iqr <= 1 and agreement >= 0.70",
    "consensus_out": "iqr <= 1 and disagreement >= 0.70",
    "contested_alpha": 0.05,
    "contested_median_diff": 2.0,
    "disagreement_band": None,
    "max_rounds": 3,
    "min_group_n": 5,
    "min_n": 5,
    "quantile_method": "type7",
    "scope": "panel",
    "stability_rule": "net_change < 0.15 and wilcoxon_p >= 0.05",
    "weighting": "balanced",
    "zero_method": "wilcox",
}


def test_an_old_plan_keeps_its_canonical_json_its_fingerprint_and_its_meaning():
    canonical = json.dumps(OLD_PLAN, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert digest == "cc832eb32fa5cd310f2180bd8d16a164e72e27a9923f200ab7633f6839ba4c50"
    plan = AnalysisPlan.from_dict(OLD_PLAN)
    assert plan.consensus_mid is None
    assert plan.to_json() == canonical and plan.sha256() == digest
    assert AnalysisPlan.from_dict(plan.to_dict()).sha256() == digest  # as stored again
    assert _status(ALL_THREES, plan) == "none"  # no middle status for a plan of then
    assert LATER_FIELDS["consensus_mid"] is None


def test_a_new_plan_has_the_middle_rule_in_its_json_and_round_trips():
    plan = AnalysisPlan.new()
    assert NEW_PLAN_DEFAULTS == {"consensus_mid": "iqr <= 1 and middle >= 0.70"}
    assert '"consensus_mid":"iqr <= 1 and middle >= 0.70"' in plan.to_json()
    assert plan.sha256() != AnalysisPlan().sha256()
    again = AnalysisPlan.from_dict(json.loads(plan.to_json()))
    assert again == plan and again.sha256() == plan.sha256()
    assert AnalysisPlan.from_dict(plan.to_dict()) == plan
    # a new plan without a middle rule is the old default plan
    assert AnalysisPlan.new({"consensus_mid": None}).sha256() == AnalysisPlan().sha256()
    with pytest.raises(ValueError, match="^consensus_mid: "):
        AnalysisPlan.new({"consensus_mid": "middle >= happiness"})
