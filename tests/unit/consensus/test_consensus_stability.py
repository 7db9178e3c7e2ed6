"""Stability between rounds and the stopping rule (METHOD §4): TV4, scipy parity, decisions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from consensus_vectors import TV1, answers
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from app.consensus import item_statistics, round_stability, stopping_rule
from app.consensus.stability import STABILITY_COLUMNS

FAST = settings(max_examples=40, deadline=None)


def test_tv4_item_a_not_stable(tv4_rounds):
    row = round_stability(*tv4_rounds).loc["A"]
    assert row["n_paired"] == 12
    assert round(row["cv_previous"], 4) == 0.3740
    assert round(row["cv_current"], 4) == 0.2213
    assert round(row["cv_change"], 4) == 0.4083
    assert round(row["net_change"], 4) == 0.25
    assert (row["wilcoxon_n"], row["w_plus"], row["w_minus"]) == (6, 17.5, 3.5)
    assert round(row["wilcoxon_z"], 4) == 1.6330
    assert round(row["wilcoxon_p"], 4) == 0.1025
    assert not bool(row["stable"])


def test_tv4_cv_of_all_round_one_answers_differs_from_paired(tv4_rounds):
    first, _ = tv4_rounds
    assert round(item_statistics(first).loc["A", "cv"], 4) == 0.3574


def test_tv4_item_b_stable_by_default_rule_not_by_cv(tv4_rounds):
    result = round_stability(*tv4_rounds)
    row = result.loc["B"]
    assert round(row["cv_previous"], 4) == 0.2299
    assert round(row["cv_current"], 4) == 0.1846
    assert round(row["cv_change"], 4) == 0.1968
    assert round(row["net_change"], 4) == 0.0833
    assert (row["wilcoxon_n"], row["w_plus"]) == (1, 1.0)
    assert round(row["wilcoxon_z"], 4) == 1.0
    assert round(row["wilcoxon_p"], 4) == 0.3173
    assert bool(row["stable"])
    by_cv = round_stability(*tv4_rounds, rule="cv_change < 0.15")
    assert not bool(by_cv.loc["B", "stable"])


def test_round_one_has_no_stability():
    result = round_stability(None, answers(TV1))
    assert list(result.columns) == list(STABILITY_COLUMNS)
    assert result.loc["q", "n_paired"] == 0
    assert result["stable"].isna().all()
    assert np.isnan(result.loc["q", "wilcoxon_p"])


def test_too_few_pairs_leave_stable_null():
    result = round_stability(answers([4, 4, 5, 3]), answers([4, 4, 5, 3]), min_n=5)
    assert result.loc["q", "n_paired"] == 4
    assert result["stable"].isna().all()
    assert result.loc["q", "wilcoxon_p"] == 1.0


def test_identical_rounds():
    row = round_stability(answers(TV1), answers(TV1)).loc["q"]
    assert (row["cv_change"], row["net_change"], row["wilcoxon_n"], row["wilcoxon_p"]) == (
        0.0,
        0.0,
        0,
        1.0,
    )
    assert np.isnan(row["wilcoxon_z"])
    assert bool(row["stable"])


def test_zero_cv_edge_cases():
    same = [3] * 6
    row = round_stability(answers(same), answers(same)).loc["q"]
    assert row["cv_change"] == 0.0
    row = round_stability(answers(same), answers([3, 3, 3, 3, 3, 4])).loc["q"]
    assert row["cv_change"] == np.inf
    assert not bool(
        round_stability(answers(same), answers([3] * 5 + [4]), rule="cv_change < 0.15").loc[
            "q", "stable"
        ]
    )


def test_swaps_between_panellists_cancel_in_net_change():
    row = round_stability(answers([1, 5, 3, 3, 3]), answers([5, 1, 3, 3, 3])).loc["q"]
    assert row["net_change"] == 0.0
    assert row["wilcoxon_n"] == 2


def test_attrition_and_missing_answers_are_not_paired():
    first = answers([1, 2, 3, 4, 5, 5])
    second = answers([1, 2, None, 4, 5], start=0)
    second.loc[len(second)] = ["q", 99, 1.0]
    row = round_stability(first, second).loc["q"]
    assert row["n_paired"] == 4


def test_items_follow_current_round():
    first = pd.concat([answers(TV1, "old"), answers(TV1, "kept")])
    second = pd.concat([answers(TV1, "kept"), answers(TV1, "new")])
    result = round_stability(first, second)
    assert list(result.index) == ["kept", "new"]
    assert result.loc["new", "n_paired"] == 0


def test_string_panellist_keys():
    first = answers(TV1)
    second = answers([4, 4, 4, 3, 5, 4, 3])
    first["panellist"] = [f"p{i}" for i in range(7)]
    second["panellist"] = [f"p{i}" for i in reversed(range(7))]
    reversed_second = second.assign(value=second["value"].to_numpy()[::-1])
    direct = round_stability(
        first, answers([4, 4, 4, 3, 5, 4, 3]).assign(panellist=first["panellist"])
    )
    shuffled = round_stability(first, reversed_second)
    assert direct["n_paired"].iloc[0] == 7
    pd.testing.assert_frame_equal(direct, shuffled)


def test_duplicate_answer_is_rejected():
    second = answers([4, 4, 5])
    second.loc[3] = ["q", 1, 3.0]
    with pytest.raises(
        ValueError, match=r"item 'q': panellist 1 answers more than once in current"
    ):
        round_stability(answers([4, 4, 5]), second)


def test_out_of_scale_in_previous_round():
    with pytest.raises(ValueError, match=r"item 'q': value 7 "):
        round_stability(answers([4, 7]), answers([4, 4]))


def test_bad_arguments():
    with pytest.raises(ValueError, match="zero_method"):
        round_stability(None, answers(TV1), zero_method="zsplit")
    with pytest.raises(ValueError, match="unknown name"):
        round_stability(None, answers(TV1), rule="iqr <= 1")
    with pytest.raises(ValueError, match="panellist"):
        round_stability(None, pd.DataFrame({"item": ["q"], "value": [1]}))


def test_inputs_untouched(tv4_rounds):
    first, second = tv4_rounds
    before = first.copy(), second.copy()
    round_stability(first, second)
    pd.testing.assert_frame_equal(first, before[0])
    pd.testing.assert_frame_equal(second, before[1])


def test_empty_current_round():
    empty = pd.DataFrame({"item": [], "panellist": [], "value": []})
    result = round_stability(answers(TV1), empty)
    assert result.empty and list(result.columns) == list(STABILITY_COLUMNS)


pairs = st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=1, max_size=40)


@FAST
@given(pairs, st.sampled_from(["wilcox", "pratt"]))
def test_wilcoxon_matches_scipy(data, zero_method):
    x1 = np.array([a for a, _ in data], dtype=float)
    x2 = np.array([b for _, b in data], dtype=float)
    row = round_stability(answers(list(x1)), answers(list(x2)), zero_method=zero_method).loc["q"]
    if np.any(x1 != x2):
        expected = stats.wilcoxon(
            x2, x1, zero_method=zero_method, correction=False, method="approx"
        ).pvalue
        assert row["wilcoxon_p"] == pytest.approx(expected, abs=1e-12)
    else:
        assert row["wilcoxon_p"] == 1.0
    diff = x2 - x1
    nonzero = diff[diff != 0]
    if zero_method == "wilcox" and nonzero.size:
        ranks = stats.rankdata(np.abs(nonzero))
        assert row["w_plus"] == pytest.approx(ranks[nonzero > 0].sum())
        assert row["w_minus"] == pytest.approx(ranks[nonzero < 0].sum())
    c = np.arange(1, 6)
    net = 0.5 * np.abs((x2[:, None] == c).mean(0) - (x1[:, None] == c).mean(0)).sum()
    assert row["net_change"] == pytest.approx(net, abs=1e-12)
    if len(x1) > 1:
        cv1, cv2 = x1.std(ddof=1) / x1.mean(), x2.std(ddof=1) / x2.mean()
        assert row["cv_previous"] == pytest.approx(cv1, abs=1e-12)
        assert row["cv_current"] == pytest.approx(cv2, abs=1e-12)
        if cv1 > 0:
            assert row["cv_change"] == pytest.approx(abs(cv2 - cv1) / cv1, abs=1e-9)


@settings(max_examples=25, deadline=None)
@given(pairs, st.randoms(use_true_random=False))
def test_stability_invariant_to_row_order(data, rnd):
    first = answers([a for a, _ in data])
    second = answers([b for _, b in data])
    seed = rnd.randint(0, 10_000)
    pd.testing.assert_frame_equal(
        round_stability(first, second),
        round_stability(
            first.sample(frac=1, random_state=seed), second.sample(frac=1, random_state=seed + 1)
        ),
    )


def _status(**items) -> pd.Series:
    return pd.Series(items, name="consensus_status").rename_axis("item")


def _stable(**items) -> pd.Series:
    return pd.Series(items, dtype="boolean")


def test_stopping_continue_with_reasons():
    decision = stopping_rule(
        _status(a="in", b="none", c="none", d="out"),
        _stable(a=False, b=True, c=False, d=pd.NA),
        round_number=2,
    )
    assert decision.decision == "continue"
    items = decision.items
    assert items["settled"].to_dict() == {"a": True, "b": True, "c": False, "d": True}
    assert items["label"].to_dict() == {
        "a": "consensus-in",
        "b": "dissent",
        "c": "unresolved",
        "d": "consensus-out",
    }
    assert items["carry"].to_dict() == {"a": False, "b": False, "c": True, "d": False}
    assert "1 of 4" in decision.reason
    assert items.loc["c", "reason"] == "no consensus; not stable"


def test_stopping_all_settled():
    decision = stopping_rule(_status(a="in", b="none"), _stable(a=True, b=True), round_number=2)
    assert decision.decision == "stop-all-settled"
    assert decision.items["label"].tolist() == ["consensus-in", "dissent"]
    assert not decision.items["carry"].any()


def test_stopping_max_rounds():
    decision = stopping_rule(
        _status(a="none", b="insufficient"), _stable(a=False), round_number=3, max_rounds=3
    )
    assert decision.decision == "stop-max-rounds"
    assert decision.items["label"].tolist() == ["unresolved", "unresolved"]
    assert "stability not assessable" in decision.items.loc["b", "reason"]


def test_confirm_consensus_needs_stability():
    decision = stopping_rule(
        _status(a="in", b="out"), _stable(a=False, b=True), round_number=2, confirm_consensus=True
    )
    assert decision.items["settled"].tolist() == [False, True]
    assert "not yet confirmed" in decision.items.loc["a", "reason"]
    assert decision.decision == "continue"


def test_round_one_without_stability_and_carry_settled():
    decision = stopping_rule(
        _status(a="in", b="conflict"), None, round_number=1, carry_settled=True
    )
    assert decision.items["settled"].tolist() == [True, False]
    assert decision.items["carry"].tolist() == [True, True]
    assert "conflict" in decision.items.loc["b", "reason"]


def test_stopping_accepts_frames_and_validates():
    stability = pd.DataFrame({"stable": pd.array([True], dtype="boolean")}, index=["a"])
    status = pd.DataFrame({"consensus_status": ["none"]}, index=["a"])
    assert stopping_rule(status, stability, round_number=2).decision == "stop-all-settled"
    with pytest.raises(ValueError, match=r"item 'a': status 'maybe'"):
        stopping_rule(_status(a="maybe"), None, round_number=1)
    with pytest.raises(ValueError, match="round_number"):
        stopping_rule(_status(a="in"), None, round_number=0)
    empty = stopping_rule(_status(), None, round_number=1)
    assert empty.decision == "stop-all-settled" and empty.items.empty


def _two_rounds(seed: int, items: int = 30, panellists: int = 40):
    rng = np.random.default_rng(seed)
    keys = [f"item-{i:02d}" for i in range(items)]
    first = rng.integers(1, 6, (items, panellists)).astype(float)
    second = np.clip(first + rng.integers(-1, 2, first.shape), 1, 5)
    second[rng.random(second.shape) < 0.1] = np.nan

    def frame(values, who):
        return pd.DataFrame(
            {
                "item": np.repeat(keys, len(who)),
                "panellist": np.tile(who, items),
                "value": values[:, who].reshape(-1),
            }
        )

    return frame(first, np.arange(panellists)), frame(second, np.arange(3, panellists))


def test_sparse_key_space_gives_the_same_result(monkeypatch):
    import app.consensus.stability as module

    first, second = _two_rounds(7)
    dense = round_stability(first, second)
    monkeypatch.setattr(module, "DENSE_LIMIT", 0)
    sparse = round_stability(first, second)
    pd.testing.assert_frame_equal(dense, sparse)
    duplicate = pd.concat([second, second.iloc[:1]], ignore_index=True)
    with pytest.raises(ValueError, match="answers more than once"):
        round_stability(first, duplicate)


def test_long_frames_in_runs_match_shuffled_frames():
    first, second = _two_rounds(11)
    ordered = round_stability(first, second)
    shuffled = round_stability(first.sample(frac=1, random_state=1), second.sample(frac=1))
    pd.testing.assert_frame_equal(ordered, shuffled)
    for item in ("item-00", "item-17"):
        x1 = first.loc[first["item"] == item].set_index("panellist")["value"]
        x2 = second.loc[second["item"] == item].set_index("panellist")["value"]
        pair = pd.concat([x1, x2], axis=1, join="inner").dropna().to_numpy()
        expected = stats.wilcoxon(
            pair[:, 1], pair[:, 0], zero_method="wilcox", correction=False, method="approx"
        ).pvalue
        assert ordered.loc[item, "n_paired"] == len(pair)
        assert ordered.loc[item, "wilcoxon_p"] == pytest.approx(expected, abs=1e-12)
