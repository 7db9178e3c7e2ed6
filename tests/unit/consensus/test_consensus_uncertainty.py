"""Percentile bootstrap (METHOD §7): TV1, TV2, TV7 and the Appendix A reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from consensus_vectors import TV1, TV2, TV7, answers
from hypothesis import given, settings
from hypothesis import strategies as st

from app.consensus import bootstrap_intervals

FAST = settings(max_examples=25, deadline=None)


def reference(x, lo, hi, n_boot=2000, seed=12345):
    """METHOD Appendix A, verbatim in substance."""
    x = np.sort(np.asarray(x, float))
    rng = np.random.default_rng(seed)
    xb = x[rng.integers(0, x.size, size=(n_boot, x.size))]
    median = np.quantile(np.median(xb, axis=1), [0.025, 0.975], method="linear")
    share = np.quantile(((xb >= lo) & (xb <= hi)).mean(axis=1), [0.025, 0.975], method="linear")
    return median, share


def test_tv1():
    row = bootstrap_intervals(answers(TV1)).loc["q"]
    assert (row["median_ci_low"], row["median_ci_high"]) == (3.0, 5.0)
    assert round(row["agreement_ci_low"], 4) == 0.4286
    assert row["agreement_ci_high"] == 1.0


def test_tv2():
    row = bootstrap_intervals(answers([*TV2, None, None])).loc["q"]
    assert row["n"] == 10
    assert (row["median_ci_low"], row["median_ci_high"]) == (1.0, 2.5)
    assert (row["agreement_ci_low"], row["agreement_ci_high"]) == (0.0, 0.3)
    assert (row["disagreement_ci_low"], row["disagreement_ci_high"]) == (0.5, 1.0)


def test_tv7_estimate_median():
    frame = answers(TV7["value"], "employment-change")
    row = bootstrap_intervals(frame, "median", scale=None).loc["employment-change"]
    assert (row["median_ci_low"], row["median_ci_high"]) == (0.5, 4.5)
    assert list(bootstrap_intervals(frame, "median", scale=None).columns) == [
        "n",
        "median_ci_low",
        "median_ci_high",
    ]


def test_result_depends_only_on_counts_and_not_on_other_items():
    alone = bootstrap_intervals(answers(TV1, "a"))
    shuffled = answers(list(reversed(TV1)), "a")
    together = bootstrap_intervals(pd.concat([shuffled, answers([1, 2, 3, 3, 5, 5, 5], "b")]))
    pd.testing.assert_series_equal(alone.loc["a"], together.loc["a"])


def test_small_items_get_nan_and_min_n_is_configurable():
    result = bootstrap_intervals(answers([4, 5, 4, 3]))
    assert result.loc["q", "n"] == 4 and result.drop(columns="n").isna().all(axis=None)
    assert not bootstrap_intervals(answers([4, 5, 4, 3]), min_n=2).isna().any(axis=None)


def test_identical_answers_give_degenerate_intervals():
    row = bootstrap_intervals(answers([4] * 8)).loc["q"]
    assert (row["median_ci_low"], row["median_ci_high"]) == (4.0, 4.0)
    assert (row["agreement_ci_low"], row["agreement_ci_high"]) == (1.0, 1.0)


def test_bands_and_scale_are_used():
    row = bootstrap_intervals(
        answers([7, 8, 9, 7, 6, 8, 9, 7, 3, 8, 7, 9]), "agreement", scale=9, agreement_band=(7, 9)
    ).loc["q"]
    expected = reference([7, 8, 9, 7, 6, 8, 9, 7, 3, 8, 7, 9], 7, 9)[1]
    assert (row["agreement_ci_low"], row["agreement_ci_high"]) == tuple(expected)


def test_empty_and_errors():
    empty = bootstrap_intervals(pd.DataFrame({"item": [], "value": []}), "median")
    assert empty.empty and list(empty.columns) == ["n", "median_ci_low", "median_ci_high"]
    with pytest.raises(ValueError, match="stat 'mean'"):
        bootstrap_intervals(answers(TV1), "mean")
    with pytest.raises(ValueError, match="needs a Likert scale"):
        bootstrap_intervals(answers(TV1), "agreement", scale=None)
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_intervals(answers(TV1), n_boot=0)
    with pytest.raises(ValueError, match="seed"):
        bootstrap_intervals(answers(TV1), seed=-1)
    with pytest.raises(ValueError, match=r"item 'q': value 6 "):
        bootstrap_intervals(answers([1, 6]))
    with pytest.raises(ValueError, match=r"item 'q': value inf"):
        bootstrap_intervals(answers([1.0, np.inf]), "median", scale=None)


@FAST
@given(
    st.lists(st.integers(1, 5), min_size=5, max_size=60),
    st.integers(0, 2**32),
    st.integers(50, 400),
)
def test_likert_matches_appendix_reference(values, seed, n_boot):
    row = bootstrap_intervals(answers(values), n_boot=n_boot, seed=seed).loc["q"]
    median, agreement = reference(values, 4, 5, n_boot, seed)
    _, disagreement = reference(values, 1, 2, n_boot, seed)
    assert (row["median_ci_low"], row["median_ci_high"]) == tuple(median)
    assert (row["agreement_ci_low"], row["agreement_ci_high"]) == tuple(agreement)
    assert (row["disagreement_ci_low"], row["disagreement_ci_high"]) == tuple(disagreement)


@FAST
@given(
    st.lists(st.floats(-50, 50, allow_nan=False), min_size=5, max_size=40),
    st.integers(0, 2**32),
)
def test_estimates_match_appendix_reference(values, seed):
    row = bootstrap_intervals(answers(values), "median", 300, seed, scale=None).loc["q"]
    median, _ = reference(values, 0, 0, 300, seed)
    assert (row["median_ci_low"], row["median_ci_high"]) == tuple(median)


def test_many_items_sharing_n_are_resampled_in_chunks():
    rng = np.random.default_rng(5)
    values = rng.integers(1, 6, (300, 12))
    frame = pd.DataFrame(
        {"item": np.repeat([f"i{j:03d}" for j in range(300)], 12), "value": values.reshape(-1)}
    )
    result = bootstrap_intervals(frame, n_boot=200)
    for j in (0, 150, 299):
        median, agreement = reference(values[j], 4, 5, 200)
        row = result.loc[f"i{j:03d}"]
        assert (row["median_ci_low"], row["median_ci_high"]) == tuple(median)
        assert (row["agreement_ci_low"], row["agreement_ci_high"]) == tuple(agreement)
