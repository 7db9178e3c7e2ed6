"""Kendall's W with ties and partial rankings (METHOD §2): TV5 and Friedman parity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from app.consensus import kendall_w
from app.consensus.rankings import OPTION_COLUMNS

FAST = settings(max_examples=40, deadline=None)


def _rankings(lists) -> pd.DataFrame:
    rows = [(j, option, r + 1) for j, ranked in enumerate(lists) for r, option in enumerate(ranked)]
    return pd.DataFrame(rows, columns=["panellist", "option", "rank"])


def test_tv5_full_rankings():
    result = kendall_w(_rankings(["ABCD", "ACBD", "BACD", "ABDC", "BACD"]))
    assert (result.m, result.n_options, result.df) == (5, 4, 3)
    assert result.s == 91 and result.ties == 0
    assert round(result.w, 4) == 0.7280 and result.w == result.w_uncorrected
    assert round(result.chi2, 4) == 10.92
    assert round(result.p, 4) == 0.0122
    options = result.options
    assert options["rank_sum"].tolist() == [7, 9, 15, 19]
    assert options["mean_rank"].tolist() == pytest.approx([1.4, 1.8, 3.0, 3.8])
    assert options["borda"].tolist() == [13, 11, 5, 1]
    assert options["share_first"].tolist() == pytest.approx([0.6, 0.4, 0, 0])


def test_tv5_top_two_rankings():
    result = kendall_w(_rankings(["AB", "AC", "BA", "AB", "BA"]), options=list("ABCD"))
    assert result.options["rank_sum"].tolist() == [7, 9.5, 16, 17.5]
    assert result.s == 76.5 and result.ties == 30
    assert round(result.w_uncorrected, 4) == 0.6120
    assert round(result.w, 4) == 0.6800
    assert round(result.chi2, 4) == 10.2
    assert round(result.p, 4) == 0.0169
    assert result.options["mean_rank"].tolist() == pytest.approx([1.4, 1.9, 3.2, 3.5])
    assert result.options["borda"].tolist() == pytest.approx([13, 10.5, 4, 2.5])
    assert result.statistics() == {"n": 5, "w": result.w}


def test_unranked_option_is_listed_in_given_order():
    result = kendall_w(_rankings(["BA", "AB"]), options=["C", "B", "A"])
    assert list(result.options.index) == ["C", "B", "A"]
    assert result.options.loc["C", "rank_sum"] == 6


def test_full_minus_one_equals_full():
    full = kendall_w(_rankings(["ABCD", "BACD", "ABDC"]))
    short = kendall_w(_rankings(["ABC", "BAC", "ABD"]), options=list("ABCD"))
    assert short.w == pytest.approx(full.w)
    assert short.options["borda"].tolist() == full.options["borda"].tolist()


def test_perfect_agreement_and_single_panellist():
    assert kendall_w(_rankings(["ABC"] * 4)).w == pytest.approx(1.0)
    single = kendall_w(_rankings(["ABC"]))
    assert single.m == 1 and np.isnan(single.w) and np.isnan(single.p)
    assert single.options["mean_rank"].tolist() == [1, 2, 3]


def test_empty_rankings():
    result = kendall_w(pd.DataFrame({"panellist": [], "option": [], "rank": []}), options="AB")
    assert result.m == 0 and np.isnan(result.w)
    assert list(result.options.columns) == list(OPTION_COLUMNS)
    assert result.options["mean_rank"].isna().all()


def test_nan_rank_rows_are_unlisted():
    frame = _rankings(["AB", "BA"])
    frame.loc[len(frame)] = [0, "C", np.nan]
    result = kendall_w(frame, options="ABC")
    assert result.options.loc["C", "rank_sum"] == 6


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(1, "A", 1), (1, "B", 3)], r"panellist 1: ranks \[1.0, 3.0\] are not 1..2"),
        ([(1, "A", 1), (1, "A", 2)], r"panellist 1 lists option 'A' twice"),
        ([(1, "A", 1), (1, "B", 1)], r"are not 1..2"),
        ([(1, "Z", 1)], r"option 'Z'"),
        ([(1, "A", "first")], r"rank 'first' is not a number"),
    ],
)
def test_invalid_rankings(rows, message):
    frame = pd.DataFrame(rows, columns=["panellist", "option", "rank"])
    with pytest.raises(ValueError, match=message):
        kendall_w(frame, options="AB")


def test_missing_columns():
    with pytest.raises(ValueError, match="rank"):
        kendall_w(pd.DataFrame({"panellist": [1], "option": ["A"]}))


@FAST
@given(st.integers(2, 8), st.integers(3, 6), st.randoms(use_true_random=False))
def test_chi2_matches_friedman_for_full_rankings(m, n_options, rnd):
    options = [f"o{i}" for i in range(n_options)]
    lists = [rnd.sample(options, n_options) for _ in range(m)]
    result = kendall_w(_rankings(lists), options=options)
    matrix = np.array([[lst.index(o) + 1 for o in options] for lst in lists], dtype=float)
    if np.all(matrix == matrix[0]):
        assert result.w == pytest.approx(1.0)
    friedman = stats.friedmanchisquare(*matrix.T)
    assert result.chi2 == pytest.approx(friedman.statistic, rel=1e-9, abs=1e-9)
    assert result.p == pytest.approx(friedman.pvalue, rel=1e-9, abs=1e-12)


@FAST
@given(st.integers(2, 8), st.integers(3, 6), st.randoms(use_true_random=False))
def test_chi2_matches_friedman_for_partial_rankings(m, n_options, rnd):
    options = [f"o{i}" for i in range(n_options)]
    lists = [rnd.sample(options, rnd.randint(1, n_options)) for _ in range(m)]
    result = kendall_w(_rankings(lists), options=options)
    free = [(len(lst) + 1 + n_options) / 2 for lst in lists]
    matrix = np.array(
        [
            [lst.index(o) + 1 if o in lst else f for o in options]
            for lst, f in zip(lists, free, strict=True)
        ]
    )
    if np.all(matrix == matrix[:, :1]):
        assert np.isnan(result.w)
        return
    friedman = stats.friedmanchisquare(*matrix.T)
    assert result.chi2 == pytest.approx(friedman.statistic, rel=1e-9, abs=1e-9)
    assert 0 <= result.w <= 1 + 1e-12
    assert result.options["borda"].sum() == pytest.approx(m * n_options * (n_options - 1) / 2)
