"""Estimates and triangulation with the forecast (METHOD §2, §8): TV7 and edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from consensus_vectors import answers
from hypothesis import given, settings
from hypothesis import strategies as st

from app.consensus import estimate_statistics, triangulate
from app.consensus.estimates import ESTIMATE_COLUMNS, TRIANGULATION_COLUMNS

FAST = settings(max_examples=40, deadline=None)


def test_tv7_statistics(tv7_estimates):
    row = estimate_statistics(tv7_estimates).loc["employment-change"]
    assert (row["n"], row["n_missing"], row["n_with_range"]) == (9, 0, 9)
    assert (row["median"], row["q1"], row["q3"], row["iqr"]) == (2.0, 1.0, 3.0, 2.0)
    assert round(row["mean"], 4) == 2.0556 and round(row["sd"], 4) == 2.3109
    assert (row["low_median"], row["high_median"], row["confidence_median"]) == (0.0, 3.0, 55.0)
    assert np.isnan(row["cv"])


def test_tv7_triangulation(tv7_estimates):
    row = triangulate(tv7_estimates, 4.2).loc["employment-change"]
    assert bool(row["forecast_outside_panel_iqr"])
    assert round(row["gap"], 4) == 2.2
    assert round(row["distance_to_iqr"], 4) == 1.2
    assert round(row["range_coverage"], 4) == 0.2222
    assert (row["median_ci_low"], row["median_ci_high"]) == (0.5, 4.5)
    assert row["balanced_median"] == 2.0
    assert list(triangulate(tv7_estimates, 4.2).columns) == list(TRIANGULATION_COLUMNS)


@pytest.mark.parametrize(
    ("forecast", "outside", "gap", "distance"),
    [(1.0, False, -1.0, 0.0), (3.0, False, 1.0, 0.0), (0.5, True, -1.5, 0.5), (2.5, False, 0.5, 0)],
)
def test_iqr_boundary_counts_as_inside(tv7_estimates, forecast, outside, gap, distance):
    row = triangulate(tv7_estimates, forecast).loc["employment-change"]
    assert bool(row["forecast_outside_panel_iqr"]) is outside
    assert row["gap"] == pytest.approx(gap)
    assert row["distance_to_iqr"] == pytest.approx(distance)


def test_ratio_scale_cv(tv7_estimates):
    row = estimate_statistics(tv7_estimates, ratio_scale={"employment-change": True})
    assert row.loc["employment-change", "cv"] == pytest.approx(2.310904 / 2.055556, rel=1e-6)


def test_small_panel_and_missing_forecast():
    frame = answers([1.0, 2.0, 3.0], "small")
    row = triangulate(frame, {"other": 1.0}).loc["small"]
    assert np.isnan(row["forecast"]) and pd.isna(row["forecast_outside_panel_iqr"])
    row = triangulate(frame, 10.0).loc["small"]
    assert pd.isna(row["forecast_outside_panel_iqr"]) and np.isnan(row["gap"])
    assert row["median"] == 2.0


def test_forecast_series_and_missing_values():
    frame = pd.concat([answers([1.0, 2.0, None, 4.0, 5.0, 6.0], "a"), answers([3.0] * 5, "b")])
    result = triangulate(frame, pd.Series({"a": 4.0, "b": 3.0}))
    assert result.loc["a", "n"] == 5
    assert not bool(result.loc["a", "forecast_outside_panel_iqr"])
    assert result.loc["b", "gap"] == 0.0
    assert np.isnan(result.loc["a", "range_coverage"])
    assert estimate_statistics(frame).loc["a", "n_missing"] == 1


def test_balanced_median_with_groups(tv7_estimates):
    frame = tv7_estimates.assign(group=["employers"] * 5 + ["education-providers"] * 4)
    row = triangulate(frame, 4.2, min_group_n=3).loc["employment-change"]
    assert row["balanced_median"] == pytest.approx(2.0)
    lopsided = frame.assign(
        value=[-2.0, 0.5, 1.0, 1.5, 2.0, 5.0, 5.5, 6.0, 7.0], low=np.nan, high=np.nan
    )
    row = triangulate(lopsided, 4.2, min_group_n=3).loc["employment-change"]
    assert row["balanced_median"] == pytest.approx(3.5)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"low": [5, -1, 0, 0, 1, 0, 2, 3, 4]}, r"low 5 above value -2"),
        ({"high": [-3, 2, 2, 3, 3, 4, 4, 6, 8]}, r"high -3 below value -2"),
        ({"high": [np.nan, 2, 2, 3, 3, 4, 4, 6, 8]}, r"low -4 and high nan: give both or neither"),
        ({"confidence": [101, 50, 70, 40, 80, 55, 65, 50, 30]}, r"confidence 101 "),
        ({"confidence": [60.5, 50, 70, 40, 80, 55, 65, 50, 30]}, r"confidence 60.5 "),
        ({"value": [np.inf, 0.5, 1.0, 1.5, 2.0, 2.0, 3.0, 4.5, 6.0]}, r"value inf is not finite"),
        (
            {"value": [np.nan, 0.5, 1.0, 1.5, 2.0, 2.0, 3.0, 4.5, 6.0]},
            r"range or confidence without a value",
        ),
    ],
)
def test_invalid_estimates_name_item_and_value(tv7_estimates, change, message):
    frame = tv7_estimates.assign(**change)
    with pytest.raises(ValueError, match=r"item 'employment-change': " + message):
        estimate_statistics(frame)


def test_bounds(tv7_estimates):
    with pytest.raises(ValueError, match=r"item 'employment-change': low -4 outside -3..10"):
        estimate_statistics(tv7_estimates, bounds={"employment-change": (-3, 10)})
    assert (
        estimate_statistics(tv7_estimates, bounds={"other": (0, 1)}).loc["employment-change", "n"]
        == 9
    )


def test_empty_and_input_untouched(tv7_estimates):
    empty = estimate_statistics(pd.DataFrame({"item": [], "value": []}))
    assert empty.empty and list(empty.columns) == list(ESTIMATE_COLUMNS)
    assert triangulate(pd.DataFrame({"item": [], "value": []}), 1.0).empty
    before = tv7_estimates.copy()
    triangulate(tv7_estimates, 4.2)
    pd.testing.assert_frame_equal(tv7_estimates, before)
    with pytest.raises(ValueError, match="forecast"):
        triangulate(tv7_estimates, "high")


@FAST
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=40))
def test_quantiles_match_numpy(values):
    x = np.asarray(values)
    row = estimate_statistics(answers(values)).loc["q"]
    q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75], method="linear")
    assert (row["q1"], row["median"], row["q3"]) == (q1, med, q3)
    assert row["mean"] == pytest.approx(x.mean(), rel=1e-9, abs=1e-6)
    if len(x) > 1:
        assert row["sd"] == pytest.approx(x.std(ddof=1), rel=1e-7, abs=1e-6)
