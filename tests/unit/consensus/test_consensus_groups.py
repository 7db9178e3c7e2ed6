"""Stakeholder groups (METHOD §5, §6): TV3, TV6, disclosure control properties, scipy parity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from consensus_vectors import TV3, TV6_GROUPS, answers, grouped
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from app.consensus import (
    GROUPS,
    balanced_statistics,
    disclosure_control,
    group_breakdown,
    item_statistics,
    weighted_quantile,
)
from app.consensus.groups import CELL_COLUMNS, DIVERGENCE_COLUMNS, balanced_weights

FAST = settings(max_examples=40, deadline=None)


def test_tv3_total(tv3_answers):
    row = item_statistics(tv3_answers).loc["q"]
    assert row["n"] == 24 and row["counts"] == (0, 2, 5, 9, 8)
    assert (row["median"], row["q1"], row["q3"], row["iqr"]) == (4.0, 3.0, 5.0, 2.0)
    assert round(row["agreement"], 4) == 0.7083


def test_tv3_suppression(tv3_answers):
    assert disclosure_control({g: len(v) for g, v in TV3.items()}) == {
        "employers": "published",
        "workers-representatives": "complementary",
        "education-providers": "published",
        "public-authorities": "primary",
        "other-experts": "no answers",
    }
    cells = group_breakdown(tv3_answers).cells.set_index("group")
    assert list(cells.index) == list(GROUPS)
    assert cells["status"].to_dict() == {
        "employers": "published",
        "workers-representatives": "suppressed",
        "education-providers": "published",
        "public-authorities": "suppressed",
        "other-experts": "no answers",
    }
    for group in ("workers-representatives", "public-authorities"):
        cell = cells.loc[group]
        assert bool(cell["suppressed"])
        assert pd.isna(cell["n"]) and pd.isna(cell["n_missing"]) and cell["counts"] is None
        assert cells.loc[group, list(CELL_COLUMNS[6:-2])].isna().all()
    assert cells.loc["other-experts", "n"] == 0
    employers, education = cells.loc["employers"], cells.loc["education-providers"]
    assert (employers["n"], employers["median"], employers["iqr"], employers["agreement"]) == (
        8,
        5.0,
        1.0,
        1.0,
    )
    assert (education["n"], education["median"], education["iqr"]) == (7, 4.0, 0.5)
    assert round(education["agreement"], 4) == 0.7143


def test_tv3_divergence_withholds_the_difference(tv3_answers):
    row = group_breakdown(tv3_answers).divergence.loc["q"]
    assert row["groups_compared"] == 3
    assert round(row["kw_h"], 4) == 11.8017
    assert round(row["kw_p"], 4) == 0.0027
    assert np.isnan(row["max_median_diff"])
    assert row["median_max_group"] is None and row["median_min_group"] is None
    assert bool(row["contested"])
    assert row["n"] == 24 and bool(row["total_published"])


def test_tv3_balanced(tv3_answers):
    row = balanced_statistics(tv3_answers).loc["q"]
    assert row["n_groups"] == 4
    assert (row["median"], row["balanced_median"]) == (4.0, 4.0)
    assert round(row["agreement"], 4) == 0.7083
    assert round(row["balanced_agreement"], 4) == 0.6508
    codes = pd.Index(GROUPS).get_indexer(tv3_answers["group"])
    weights, _ = balanced_weights(
        np.zeros(len(codes), dtype=np.int64), codes, np.ones(len(codes), bool), 1, 5, 5
    )
    per_group = pd.Series(weights).groupby(tv3_answers["group"].to_numpy()).sum()
    assert per_group["employers"] == pytest.approx(0.25)
    assert per_group["education-providers"] == pytest.approx(0.25)
    pooled = per_group["workers-representatives"] + per_group["public-authorities"]
    assert pooled == pytest.approx(0.5)
    assert weights.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(("p", "expected"), [(0.5, 3.0), (0.3, 2.5), (0.25, 2.0), (0.75, 4.0)])
def test_tv6_weighted_quantile(p, expected):
    assert weighted_quantile([1, 2, 3, 4], [0.1, 0.2, 0.3, 0.4], p) == expected


def test_tv6_inverted_cdf_contrast():
    assert np.quantile([1, 2, 3, 4], 0.3, weights=[0.1, 0.2, 0.3, 0.4], method="inverted_cdf") == 2


def test_tv6_balanced_and_divergence():
    frame = grouped(TV6_GROUPS)
    row = balanced_statistics(frame).loc["q"]
    assert row["median"] == 3.0 and round(row["agreement"], 4) == 0.4167
    assert row["balanced_median"] == 3.5
    assert row["balanced_agreement"] == pytest.approx(0.5)
    codes = pd.Index(GROUPS).get_indexer(frame["group"])
    weights, _ = balanced_weights(
        np.zeros(len(codes), dtype=np.int64), codes, np.ones(len(codes), bool), 1, 5, 5
    )
    assert weights[:5] == pytest.approx([0.1] * 5)
    assert weights[5:] == pytest.approx([1 / 14] * 7)
    div = group_breakdown(frame).divergence.loc["q"]
    assert round(div["kw_h"], 4) == 8.8168 and round(div["kw_p"], 4) == 0.0030
    assert div["max_median_diff"] == 1.0
    assert (div["median_max_group"], div["median_min_group"]) == (
        "employers",
        "workers-representatives",
    )
    assert bool(div["contested"])
    assert not bool(group_breakdown(frame, contested_alpha=0.001).divergence.loc["q", "contested"])


def test_contested_by_median_difference_alone():
    frame = grouped({"employers": [5, 5, 5, 4, 5], "education-providers": [3, 3, 2, 3, 3]})
    div = group_breakdown(frame, contested_alpha=1e-9).divergence.loc["q"]
    assert div["max_median_diff"] == 2.0 and bool(div["contested"])


def test_identical_values_give_h_zero_and_p_one():
    frame = grouped({"employers": [4] * 5, "public-authorities": [4] * 6})
    div = group_breakdown(frame).divergence.loc["q"]
    assert (div["kw_h"], div["kw_p"], div["max_median_diff"]) == (0.0, 1.0, 0.0)
    assert not bool(div["contested"])


def test_single_group_and_small_panels():
    div = group_breakdown(grouped({"employers": [4] * 6})).divergence.loc["q"]
    assert div["groups_compared"] == 1 and np.isnan(div["kw_h"]) and pd.isna(div["contested"])
    small = group_breakdown(grouped({"employers": [4, 5, 3]}))
    assert (
        pd.isna(small.divergence.loc["q", "n"]) and not small.divergence.loc["q", "total_published"]
    )
    assert small.cells.set_index("group").loc["employers", "status"] == "suppressed"


def test_missing_answers_do_not_count_towards_group_size():
    frame = grouped({"employers": [4, 4, 4, 4, 4], "education-providers": [3] * 5})
    frame.loc[0, "value"] = np.nan
    cells = group_breakdown(frame).cells.set_index("group")
    assert cells.loc["employers", "status"] == "suppressed"
    assert cells.loc["education-providers", "status"] == "suppressed"


def test_group_errors():
    frame = grouped({"employers": [4] * 5})
    frame.loc[0, "group"] = "press"
    with pytest.raises(ValueError, match="group 'press' in row 0"):
        group_breakdown(frame)
    with pytest.raises(ValueError, match="min_group_n"):
        group_breakdown(grouped({"employers": [4] * 5}), min_group_n=2)
    with pytest.raises(ValueError, match="group"):
        group_breakdown(answers([4] * 5))
    with pytest.raises(ValueError, match="min_group_n"):
        disclosure_control({"employers": 4}, min_group_n=2)
    with pytest.raises(ValueError, match="'press'"):
        disclosure_control({"press": 4})
    with pytest.raises(ValueError, match="count"):
        disclosure_control({"employers": -1})


def test_empty_breakdown_has_columns():
    empty = pd.DataFrame({"item": [], "panellist": [], "group": [], "value": []})
    result = group_breakdown(empty)
    assert list(result.cells.columns) == list(CELL_COLUMNS) and result.cells.empty
    assert list(result.divergence.columns) == list(DIVERGENCE_COLUMNS)
    assert balanced_statistics(empty).empty


def test_breakdown_leaves_input_untouched(tv3_answers):
    before = tv3_answers.copy()
    group_breakdown(tv3_answers)
    balanced_statistics(tv3_answers)
    pd.testing.assert_frame_equal(tv3_answers, before)


def test_categorical_group_column(tv3_answers):
    frame = tv3_answers.assign(group=pd.Categorical(tv3_answers["group"], categories=GROUPS[::-1]))
    pd.testing.assert_frame_equal(group_breakdown(frame).cells, group_breakdown(tv3_answers).cells)


sizes = st.lists(st.integers(0, 12), min_size=5, max_size=5)


@FAST
@given(sizes, st.integers(3, 8))
def test_no_suppressed_group_recoverable_by_subtraction(group_sizes, min_group_n):
    counts = dict(zip(GROUPS, group_sizes, strict=True))
    states = disclosure_control(counts, min_group_n)
    suppressed = [g for g, s in states.items() if s in ("primary", "complementary")]
    total = sum(group_sizes)
    total_published = total >= min_group_n
    assert all((s == "no answers") == (counts[g] == 0) for g, s in states.items())
    assert all(counts[g] >= min_group_n for g, s in states.items() if s == "published")
    if suppressed:
        pooled = sum(counts[g] for g in suppressed)
        if total_published:
            # Publishing the total would reveal a lone suppressed group, or a pooled cell that
            # is itself smaller than min_group_n: neither may happen.
            assert len(suppressed) >= 2 and pooled >= min_group_n
        else:
            # The only way out: every group with answers is suppressed and the total withheld.
            assert all(states[g] != "published" for g in GROUPS)


@settings(max_examples=30, deadline=None)
@given(sizes, st.integers(3, 8), st.randoms(use_true_random=False))
def test_suppressed_cells_hide_their_counts(group_sizes, min_group_n, rnd):
    assume(sum(group_sizes) > 0)
    values = {
        g: [rnd.randint(1, 5) for _ in range(n)] for g, n in zip(GROUPS, group_sizes, strict=True)
    }
    frame = grouped(values)
    result = group_breakdown(frame, min_group_n=min_group_n)
    cells = result.cells.set_index("group")
    published_n = cells.loc[cells["status"] == "published", "n"].sum()
    suppressed = cells[cells["suppressed"]]
    assert suppressed["n"].isna().all() and suppressed["counts"].isna().all()
    assert suppressed[["median", "agreement", "mean"]].isna().all().all()
    if len(suppressed) and bool(result.divergence.loc["q", "total_published"]):
        remainder = result.divergence.loc["q", "n"] - published_n
        assert len(suppressed) >= 2 and remainder >= min_group_n
    diff_shown = not np.isnan(result.divergence.loc["q", "max_median_diff"])
    if diff_shown:
        for column in ("median_max_group", "median_min_group"):
            assert cells.loc[result.divergence.loc["q", column], "status"] == "published"


@FAST
@given(
    st.lists(st.lists(st.integers(1, 5), min_size=1, max_size=15), min_size=2, max_size=5),
)
def test_kruskal_matches_scipy(samples):
    groups = dict(zip(GROUPS, samples, strict=False))
    div = group_breakdown(grouped(groups), min_group_n=3).divergence.loc["q"]
    compared = [v for v in groups.values() if len(v) >= 3]
    if len(compared) < 2:
        assert np.isnan(div["kw_h"])
        return
    flat = np.concatenate(compared)
    if np.all(flat == flat[0]):
        assert (div["kw_h"], div["kw_p"]) == (0.0, 1.0)
        return
    expected = stats.kruskal(*[np.asarray(v, float) for v in compared])
    assert div["kw_h"] == pytest.approx(expected.statistic, rel=1e-9, abs=1e-9)
    assert div["kw_p"] == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-12)
    medians = [np.median(v) for v in compared]
    if not np.isnan(div["max_median_diff"]):
        assert div["max_median_diff"] == max(medians) - min(medians)


@FAST
@given(
    st.integers(1, 5),
    st.integers(1, 12),
    st.randoms(use_true_random=False),
    st.integers(3, 6),
)
def test_balanced_equals_unweighted_for_equal_groups(n_groups, size, rnd, min_group_n):
    values = {g: [rnd.randint(1, 5) for _ in range(size)] for g in GROUPS[:n_groups]}
    row = balanced_statistics(grouped(values), min_group_n=min_group_n).loc["q"]
    assert row["balanced_median"] == row["median"]
    assert row["balanced_agreement"] == pytest.approx(row["agreement"], abs=1e-12)
    assert row["balanced_disagreement"] == pytest.approx(row["disagreement"], abs=1e-12)


@FAST
@given(
    st.lists(st.tuples(st.integers(1, 6), st.floats(0.01, 5)), min_size=1, max_size=30),
    st.sampled_from([0.1, 0.25, 0.5, 0.75, 0.9]),
)
def test_weighted_quantile_grid_matches_scalar_version(pairs, p):
    from app.consensus.groups import _weighted_quantile_grid

    x = np.array([a for a, _ in pairs])
    w = np.array([b for _, b in pairs])
    grid = np.bincount(x - 1, weights=w, minlength=6)[None, :]
    assert _weighted_quantile_grid(grid, p)[0] == weighted_quantile(x, w, p)


@FAST
@given(st.lists(st.integers(1, 5), min_size=1, max_size=30))
def test_weighted_median_with_equal_weights_is_the_median(values):
    assert weighted_quantile(values, np.ones(len(values)), 0.5) == np.median(values)


def test_weighted_quantile_edge_cases():
    assert np.isnan(weighted_quantile([], [], 0.5))
    assert weighted_quantile([3, np.nan], [1, 5], 0.5) == 3
    assert weighted_quantile([1, 2], [0, 1], 0.0) == 2
    with pytest.raises(ValueError, match="length"):
        weighted_quantile([1, 2], [1], 0.5)
    with pytest.raises(ValueError, match="non-negative"):
        weighted_quantile([1, 2], [1, -1], 0.5)
    with pytest.raises(ValueError, match="outside"):
        weighted_quantile([1], [1], 1.5)


def test_balanced_without_group_column_equals_unweighted():
    row = balanced_statistics(answers([1, 2, 4, 5, 5, 5])).loc["q"]
    assert row["n_groups"] == 1
    assert row["balanced_median"] == row["median"] == 4.5
    assert row["balanced_agreement"] == pytest.approx(row["agreement"])


@settings(max_examples=20, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("ab"), st.sampled_from(GROUPS), st.integers(1, 5)),
        max_size=60,
    ),
    st.integers(0, 10_000),
)
def test_group_results_invariant_to_row_order(rows, seed):
    frame = pd.DataFrame(rows, columns=["item", "group", "value"])
    shuffled = frame.sample(frac=1, random_state=seed)
    first, second = group_breakdown(frame, 3), group_breakdown(shuffled, 3)
    pd.testing.assert_frame_equal(first.cells, second.cells)
    pd.testing.assert_frame_equal(first.divergence, second.divergence)
    pd.testing.assert_frame_equal(balanced_statistics(frame, 3), balanced_statistics(shuffled, 3))
