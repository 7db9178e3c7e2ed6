"""item_statistics and choice_statistics: METHOD §2, TV1, TV2, TV8, edge cases, numpy parity."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from consensus_vectors import TV1, TV8, answers
from hypothesis import given, settings
from hypothesis import strategies as st

from app.consensus import choice_statistics, item_statistics
from app.consensus.items import ITEM_COLUMNS

FAST = settings(max_examples=40, deadline=None)


def _row(frame: pd.DataFrame, item="q") -> pd.Series:
    return frame.loc[item]


def test_tv1():
    row = _row(item_statistics(answers(TV1)))
    assert row["n"] == 7
    assert row["n_missing"] == 0
    assert row["counts"] == (0, 1, 1, 3, 2)
    expected = {
        "median": 4.0,
        "q1": 3.5,
        "q3": 4.5,
        "iqr": 1.0,
        "mean": 3.8571,
        "sd": 1.0690,
        "cv": 0.2772,
        "agreement": 0.7143,
        "disagreement": 0.1429,
        "top1": 0.2857,
        "rwg": 0.4286,
        "ad_md": 0.7143,
    }
    for name, value in expected.items():
        assert round(row[name], 4) == value, name
    assert row["ad_md"] < 5 / 6


def test_tv1_type6_contrast():
    row = _row(item_statistics(answers(TV1), quantile_method="type6"))
    assert (row["q1"], row["q3"], row["iqr"], row["median"]) == (3.0, 5.0, 2.0, 4.0)


def test_tv2_missing_and_cannot_assess(tv2_answers):
    row = _row(item_statistics(tv2_answers))
    assert (row["n"], row["n_missing"], row["n_dk"]) == (10, 2, 1)
    assert row["counts"] == (3, 5, 1, 1, 0)
    expected = {
        "median": 2.0,
        "q1": 1.25,
        "q3": 2.0,
        "iqr": 0.75,
        "mean": 2.0,
        "sd": 0.9428,
        "cv": 0.4714,
        "agreement": 0.1,
        "disagreement": 0.8,
        "rwg": 0.5556,
        "ad_md": 0.6,
    }
    for name, value in expected.items():
        assert round(row[name], 4) == value, name
    type6 = _row(item_statistics(tv2_answers, quantile_method="type6"))
    assert (type6["q1"], type6["q3"]) == (1.0, 2.25)


def test_tv8_nine_point_scale_with_grade_bands():
    row = _row(
        item_statistics(answers(TV8), scale=9, agreement_band=(7, 9), disagreement_band=(1, 3))
    )
    expected = {
        "median": 7.5,
        "q1": 7.0,
        "q3": 8.25,
        "iqr": 1.25,
        "mean": 7.3333,
        "sd": 1.6697,
        "rwg": 0.5818,
        "ad_md": 1.1667,
        "agreement": 0.8333,
        "disagreement": 0.0833,
    }
    for name, value in expected.items():
        assert round(row[name], 4) == value, name
    assert round(_row(item_statistics(answers(TV8), scale=9))["agreement"], 4) == 0.9167


@pytest.mark.parametrize(
    ("k", "agree", "disagree"),
    [
        (3, (3, 3), (1, 1)),
        (4, (3, 4), (1, 2)),
        (5, (4, 5), (1, 2)),
        (7, (5, 7), (1, 3)),
        (9, (6, 9), (1, 4)),
        (10, (7, 10), (1, 4)),
        (11, (7, 11), (1, 5)),
    ],
)
def test_default_bands(k, agree, disagree):
    values = list(range(1, k + 1))
    row = _row(item_statistics(answers(values), scale=k))
    assert row["agreement"] == pytest.approx((agree[1] - agree[0] + 1) / k)
    assert row["disagreement"] == pytest.approx((disagree[1] - disagree[0] + 1) / k)


@pytest.mark.parametrize(
    ("values", "median", "iqr"),
    [
        ([1, 2, 3, 4], 2.5, 1.5),
        ([3, None], 3.0, 0.0),
        ([5], 5.0, 0.0),
        ([2, 2, 2, 2, 2], 2.0, 0.0),
        ([1, 5], 3.0, 2.0),
    ],
)
def test_spread_small_frames(values, median, iqr):
    row = _row(item_statistics(answers(values)))
    assert (row["median"], row["iqr"]) == (median, iqr)


def test_single_answer_leaves_dispersion_undefined():
    row = _row(item_statistics(answers([4])))
    assert row["n"] == 1
    assert np.isnan(row["sd"]) and np.isnan(row["cv"]) and np.isnan(row["rwg"])
    assert row["ad_md"] == 0.0
    assert row["agreement"] == 1.0


def test_identical_answers():
    row = _row(item_statistics(answers([3] * 6)))
    assert (row["sd"], row["cv"], row["rwg"], row["ad_md"], row["iqr"]) == (0, 0, 1, 0, 0)


def test_all_missing_item_keeps_its_row():
    row = _row(item_statistics(answers([None, None, None])))
    assert (row["n"], row["n_missing"]) == (0, 3)
    for name in ("median", "q1", "q3", "iqr", "mean", "sd", "agreement", "top1", "ad_md"):
        assert np.isnan(row[name]), name
    assert row["counts"] == (0, 0, 0, 0, 0)


def test_empty_input_gives_empty_frame_with_columns():
    empty = pd.DataFrame({"item": [], "panellist": [], "value": []})
    result = item_statistics(empty)
    assert list(result.columns) == list(ITEM_COLUMNS)
    assert result.empty and result.index.name == "item"


def test_rows_sorted_by_item_and_input_untouched():
    frame = pd.concat([answers([1, 2], "b"), answers([5, 4], "a")], ignore_index=True)
    before = frame.copy()
    result = item_statistics(frame)
    assert list(result.index) == ["a", "b"]
    pd.testing.assert_frame_equal(frame, before)


def test_per_item_scale_and_band_mappings():
    frame = pd.concat([answers([7, 7, 1], "wide"), answers([5, 4, 1], "narrow")])
    result = item_statistics(frame, scale={"wide": 7, "narrow": 5}, agreement_band={"wide": (6, 7)})
    assert result.loc["wide", "k"] == 7 and result.loc["narrow", "k"] == 5
    assert result.loc["wide", "agreement"] == pytest.approx(2 / 3)
    assert result.loc["wide", "top1"] == pytest.approx(2 / 3)
    assert len(result.loc["wide", "counts"]) == 7
    assert result.loc["narrow", "agreement"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("bad", "shown"), [(6, "6"), (0, "0"), (3.5, "3.5"), (-1, "-1"), (np.inf, "inf")]
)
def test_out_of_scale_value_names_item_and_value(bad, shown):
    frame = pd.concat([answers([1, 2], "fine"), answers([3, bad], "broken")])
    with pytest.raises(ValueError, match=rf"item 'broken': value {re.escape(shown)} "):
        item_statistics(frame)


def test_non_numeric_value_names_item():
    frame = pd.DataFrame({"item": ["x", "x"], "panellist": [1, 2], "value": [1, "high"]})
    with pytest.raises(ValueError, match=r"item 'x': value 'high' is not a number"):
        item_statistics(frame)


def test_value_with_dont_know_is_rejected():
    frame = answers([3, 4])
    frame["dont_know"] = [False, True]
    with pytest.raises(ValueError, match="dont_know"):
        item_statistics(frame)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 2}, "scale"),
        ({"scale": 12}, "scale"),
        ({"agreement_band": (4, 6)}, "agreement_band"),
        ({"agreement_band": (2, 3), "disagreement_band": (1, 2)}, "overlap"),
        ({"quantile_method": "type8"}, "quantile_method"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        item_statistics(answers(TV1), **kwargs)


def test_missing_column_and_wrong_type():
    with pytest.raises(ValueError, match="value"):
        item_statistics(pd.DataFrame({"item": ["a"]}))
    with pytest.raises(TypeError):
        item_statistics([1, 2, 3])


def test_categorical_and_integer_item_keys():
    frame = answers(TV1)
    frame["item"] = pd.Categorical(["z"] * 7, categories=["unused", "z"])
    assert list(item_statistics(frame).index) == ["z"]
    numbered = pd.concat([answers([1, 2], 20), answers([3, 4], 3)], ignore_index=True)
    assert list(item_statistics(numbered).index) == [3, 20]


likert = st.lists(st.integers(1, 5), min_size=1, max_size=40)


@FAST
@given(likert)
def test_quantiles_and_moments_match_numpy(values):
    x = np.asarray(values, dtype=float)
    row = _row(item_statistics(answers(values)))
    assert row["median"] == np.median(x)
    q1, q3 = np.quantile(x, [0.25, 0.75], method="linear")
    assert row["q1"] == pytest.approx(q1, abs=1e-12)
    assert row["q3"] == pytest.approx(q3, abs=1e-12)
    assert row["mean"] == pytest.approx(x.mean(), abs=1e-12)
    if len(x) > 1:
        assert row["sd"] == pytest.approx(x.std(ddof=1), abs=1e-12)
        rwg = np.clip(1 - x.var(ddof=1) / 2, 0, 1)
        assert row["rwg"] == pytest.approx(rwg, abs=1e-12)
    assert row["ad_md"] == pytest.approx(np.mean(np.abs(x - np.median(x))), abs=1e-12)
    assert row["agreement"] == pytest.approx(np.mean(x >= 4), abs=1e-12)
    w6 = np.quantile(x, [0.25, 0.75], method="weibull")
    row6 = _row(item_statistics(answers(values), quantile_method="type6"))
    assert (row6["q1"], row6["q3"]) == pytest.approx(tuple(w6), abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.one_of(st.none(), st.integers(1, 7))), max_size=40
    ),
    st.randoms(use_true_random=False),
)
def test_invariant_to_row_order(rows, rnd):
    frame = pd.DataFrame(
        {
            "item": [r[0] for r in rows],
            "panellist": range(len(rows)),
            "value": [np.nan if r[1] is None else float(r[1]) for r in rows],
        }
    )
    shuffled = frame.sample(frac=1, random_state=rnd.randint(0, 10_000))
    pd.testing.assert_frame_equal(
        item_statistics(frame, scale=7), item_statistics(shuffled, scale=7)
    )


def test_choice_single():
    frame = pd.DataFrame(
        {"item": ["c"] * 6, "panellist": range(6), "choice": ["a", "b", "a", None, "a", "c"]}
    )
    row = choice_statistics(frame, options=["a", "b", "c", "d"]).loc["c"]
    assert (row["n"], row["n_missing"]) == (5, 1)
    assert row["counts"] == {"a": 3, "b": 1, "c": 1, "d": 0}
    assert row["top_share"] == pytest.approx(0.6)
    assert row["modal"] == "a"


def test_choice_multiple_uses_n_as_denominator():
    frame = pd.DataFrame(
        {"item": ["m"] * 3, "panellist": range(3), "choices": [["a", "b"], ["a"], []]}
    )
    row = choice_statistics(frame).loc["m"]
    assert (row["n"], row["n_missing"]) == (2, 1)
    assert row["shares"] == {"a": 1.0, "b": 0.5}


def test_choice_errors_and_empty():
    frame = pd.DataFrame({"item": ["c"], "panellist": [1], "choice": ["z"]})
    with pytest.raises(ValueError, match=r"item 'c': option 'z'"):
        choice_statistics(frame, options=["a"])
    dup = pd.DataFrame({"item": ["m"], "panellist": [1], "choices": [["a", "a"]]})
    with pytest.raises(ValueError, match="repeat"):
        choice_statistics(dup)
    empty = choice_statistics(pd.DataFrame({"item": [], "choice": []}))
    assert empty.empty and list(empty.columns) == [
        "n",
        "n_missing",
        "top_share",
        "modal",
        "counts",
        "shares",
    ]


def test_long_frames_in_runs_and_repeated_runs():
    rng = np.random.default_rng(3)
    keys = np.repeat([f"k{i}" for i in (5, 1, 3, 1, 2)], 60)
    frame = pd.DataFrame({"item": keys, "value": rng.integers(1, 6, len(keys)).astype(float)})
    frame.loc[rng.random(len(frame)) < 0.1, "value"] = np.nan
    expected = item_statistics(frame.sample(frac=1, random_state=4))
    pd.testing.assert_frame_equal(item_statistics(frame), expected)
    assert expected.loc["k1", "n"] + expected.loc["k1", "n_missing"] == 120
    as_category = frame.assign(item=frame["item"].astype("category"))
    pd.testing.assert_frame_equal(item_statistics(as_category), expected)
    numbered = frame.assign(item=frame["item"].str[1:].astype(int))
    assert item_statistics(numbered)["n"].tolist() == expected["n"].tolist()
