"""Numeric estimates and triangulation with the statistical forecast (METHOD §2, §8)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np
import pandas as pd

from ._counts import lerp
from ._frames import codes_in_order, factorize, numeric_values, require_frame, rounded, shown
from .groups import GROUPS, _check_groups, _check_min_group_n, balanced_weights, weighted_quantile
from .uncertainty import DEFAULT_B, DEFAULT_SEED, bootstrap_intervals

#: Columns of :func:`estimate_statistics`, in order (index: ``item``).
ESTIMATE_COLUMNS = (
    "n",
    "n_missing",
    "median",
    "q1",
    "q3",
    "iqr",
    "mean",
    "sd",
    "cv",
    "low_median",
    "high_median",
    "confidence_median",
    "n_with_range",
)
#: Columns of :func:`triangulate`, in order (index: ``item``).
TRIANGULATION_COLUMNS = (
    "n",
    "median",
    "q1",
    "q3",
    "iqr",
    "forecast",
    "forecast_outside_panel_iqr",
    "gap",
    "distance_to_iqr",
    "n_with_range",
    "range_coverage",
    "median_ci_low",
    "median_ci_high",
    "balanced_median",
)

Bounds = Mapping[Hashable, tuple[float, float]] | None


def sorted_quantiles(
    codes: np.ndarray, values: np.ndarray, n_items: int, probabilities: tuple[float, ...]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """n and type 7 quantiles per item code of ``values`` (NaN dropped), vectorised."""
    keep = ~np.isnan(values)
    codes, values = codes[keep], values[keep]
    n = np.bincount(codes, minlength=n_items)
    ordered = values[np.lexsort((values, codes))]
    starts = np.concatenate([[0], np.cumsum(n)[:-1]]) if n_items else np.zeros(0, np.int64)
    results = []
    has = n > 0
    for p in probabilities:
        h = np.where(has, (n - 1) * p, 0.0)
        low = np.floor(h)
        at_low = np.where(has, starts + low.astype(np.int64), 0)
        at_high = np.where(
            has, starts + np.minimum(low + 1, np.maximum(n - 1, 0)).astype(np.int64), 0
        )
        q = lerp(ordered[at_low], ordered[at_high], h - low) if len(ordered) else np.zeros(n_items)
        results.append(np.where(has, q, np.nan))
    return n, results


def _optional(frame: pd.DataFrame, column: str, codes, items) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    values = numeric_values(frame, column, codes, items)
    if np.isinf(values).any():
        row = int(np.argmax(np.isinf(values)))
        raise ValueError(
            f"item {items[codes[row]]!r}: {column} {shown(frame[column].iloc[row])} is not finite"
        )
    return values


def _validate_estimates(estimates: pd.DataFrame, bounds: Bounds):
    require_frame(estimates, ("item", "value"), "estimates")
    codes, items = factorize(estimates["item"])
    value = _optional(estimates, "value", codes, items)
    low = _optional(estimates, "low", codes, items)
    high = _optional(estimates, "high", codes, items)
    confidence = _optional(estimates, "confidence", codes, items)

    def fail(mask: np.ndarray, message) -> None:
        if mask.any():
            row = int(np.argmax(mask))
            raise ValueError(f"item {items[codes[row]]!r}: {message(row)}")

    def cell(column: str, row: int) -> str:
        return shown(estimates[column].iloc[row]) if column in estimates.columns else "nan"

    has_value = ~np.isnan(value)
    fail(
        np.isnan(low) != np.isnan(high),
        lambda r: f"low {cell('low', r)} and high {cell('high', r)}: give both or neither",
    )
    fail(
        ~has_value & (~np.isnan(low) | ~np.isnan(confidence)),
        lambda r: "range or confidence without a value",
    )
    with np.errstate(invalid="ignore"):
        fail(low > value, lambda r: f"low {cell('low', r)} above value {cell('value', r)}")
        fail(high < value, lambda r: f"high {cell('high', r)} below value {cell('value', r)}")
        bad_conf = ~np.isnan(confidence) & (
            (confidence < 0) | (confidence > 100) | (confidence != np.floor(confidence))
        )
    fail(bad_conf, lambda r: f"confidence {cell('confidence', r)} is not an integer 0..100")
    if bounds is not None and len(items):
        limits = [bounds.get(item, (-np.inf, np.inf)) for item in items]
        lo_b = np.array([lim[0] for lim in limits], dtype=float)[codes]
        hi_b = np.array([lim[1] for lim in limits], dtype=float)[codes]
        for name, column in (("value", value), ("low", low), ("high", high)):
            with np.errstate(invalid="ignore"):
                out = (column < lo_b) | (column > hi_b)
            fail(
                out,
                lambda r, name=name: f"{name} {cell(name, r)} outside {lo_b[r]:g}..{hi_b[r]:g}",
            )
    return codes, items, value, low, high, confidence


def _ratio_flags(ratio_scale: bool | Mapping[Hashable, bool], items: pd.Index) -> np.ndarray:
    if isinstance(ratio_scale, Mapping):
        return np.array([bool(ratio_scale.get(item, False)) for item in items], dtype=bool)
    return np.full(len(items), bool(ratio_scale))


def estimate_statistics(
    estimates: pd.DataFrame,
    *,
    ratio_scale: bool | Mapping[Hashable, bool] = False,
    bounds: Bounds = None,
) -> pd.DataFrame:
    """Statistics of numeric estimate items (METHOD §2).

    Args:
        estimates: rows ``item, value`` with optional ``low``, ``high`` (both or neither) and
            ``confidence`` (integer 0..100). A NaN ``value`` is a missing answer: dropped from
            n, counted in ``n_missing``.
        ratio_scale: True (or a mapping item -> bool) where the unit has a true zero, so the
            CV is meaningful; otherwise ``cv`` is NaN.
        bounds: optional mapping item -> (min, max) that value, low and high must respect.

    Returns:
        DataFrame indexed by ``item`` (sorted) with columns ``n, n_missing, median, q1, q3, iqr,
        mean, sd`` (ddof 1), ``cv`` (NaN unless ratio scale, n >= 2 and mean > 0),
        ``low_median, high_median, confidence_median`` (medians over the answers giving them)
        and ``n_with_range``. Quantiles are type 7.

    Raises:
        ValueError: low > value, high < value, only one of low/high, a range or confidence
            without a value, confidence outside 0..100, a value outside ``bounds`` or not finite
            (messages name item and value).
        TypeError: ``estimates`` is not a DataFrame.
    """
    codes, items, value, low, high, confidence = _validate_estimates(estimates, bounds)
    n_items = len(items)
    n, (median, q1, q3) = sorted_quantiles(codes, value, n_items, (0.5, 0.25, 0.75))
    _, (low_median,) = sorted_quantiles(codes, low, n_items, (0.5,))
    _, (high_median,) = sorted_quantiles(codes, high, n_items, (0.5,))
    _, (confidence_median,) = sorted_quantiles(codes, confidence, n_items, (0.5,))
    valid = ~np.isnan(value)
    total = np.bincount(codes, minlength=n_items)
    nf = n.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(codes[valid], weights=value[valid], minlength=n_items) / nf
        centred = value[valid] - mean[codes[valid]]
        ss = np.bincount(codes[valid], weights=centred**2, minlength=n_items)
        sd = np.where(n > 1, np.sqrt(ss / (nf - 1)), np.nan)
        cv = np.where(_ratio_flags(ratio_scale, items) & (n > 1) & (mean > 0), sd / mean, np.nan)
    n_with_range = np.bincount(codes[~np.isnan(low)], minlength=n_items)
    return pd.DataFrame(
        {
            "n": n.astype(np.int64),
            "n_missing": (total - n).astype(np.int64),
            "median": median,
            "q1": q1,
            "q3": q3,
            "iqr": q3 - q1,
            "mean": np.where(n > 0, mean, np.nan),
            "sd": sd,
            "cv": cv,
            "low_median": low_median,
            "high_median": high_median,
            "confidence_median": confidence_median,
            "n_with_range": n_with_range.astype(np.int64),
        },
        index=items.rename("item"),
    )


def _forecast_per_item(forecast, items: pd.Index) -> np.ndarray:
    if isinstance(forecast, pd.Series | Mapping):
        lookup = dict(forecast.items())
        values = [lookup.get(item, np.nan) for item in items]
    else:
        values = [forecast] * len(items)
    try:
        out = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"forecast {forecast!r} is not a number") from None
    if np.isinf(out).any():
        raise ValueError(f"item {items[int(np.argmax(np.isinf(out)))]!r}: forecast is not finite")
    return out


def triangulate(
    estimates: pd.DataFrame,
    forecast: float | Mapping[Hashable, float] | pd.Series,
    *,
    min_n: int = 5,
    n_boot: int = DEFAULT_B,
    seed: int = DEFAULT_SEED,
    min_group_n: int = 5,
    groups: tuple[str, ...] = GROUPS,
    bounds: Bounds = None,
) -> pd.DataFrame:
    """Compare each estimate item's panel with the statistical forecast f (METHOD §8).

    Args:
        estimates: as for :func:`estimate_statistics`; an optional ``group`` column gives the
            balanced median (METHOD §6), otherwise it equals the median.
        forecast: f for every item, or a mapping / Series item -> f (items without one get NaN).
        min_n: comparisons need n >= min_n (METHOD: 5); below it they are null.
        n_boot, seed: bootstrap of the median (METHOD §7).
        min_group_n, groups: disclosure control for the balanced median.
        bounds: as for :func:`estimate_statistics`.

    Returns:
        DataFrame indexed by ``item`` (sorted) with columns ``n, median, q1, q3, iqr, forecast,
        forecast_outside_panel_iqr`` (nullable boolean: f < q1 or f > q3, boundary = inside),
        ``gap`` (f - median, signed, in the item's unit), ``distance_to_iqr`` (max(q1 - f,
        f - q3, 0)), ``n_with_range``, ``range_coverage`` (share of the panellists giving a range
        whose [low, high] contains f), ``median_ci_low, median_ci_high`` and
        ``balanced_median``. Comparisons are null where n < min_n or f is NaN.

    Raises:
        ValueError: as :func:`estimate_statistics`; a forecast that is not a finite number.
        TypeError: ``estimates`` is not a DataFrame.
    """
    _check_min_group_n(min_group_n)
    groups = _check_groups(groups)
    stats = estimate_statistics(estimates, bounds=bounds)
    codes, items, value, low, high, _ = _validate_estimates(estimates, bounds)
    f = _forecast_per_item(forecast, items)
    usable = (stats["n"].to_numpy() >= min_n) & ~np.isnan(f)
    q1, q3, median = (stats[c].to_numpy() for c in ("q1", "q3", "median"))
    f_r, q1_r, q3_r = rounded(f), rounded(q1), rounded(q3)
    outside = pd.array((f_r < q1_r) | (f_r > q3_r), dtype="boolean")
    outside[~usable] = pd.NA
    has_range = ~np.isnan(low)
    with np.errstate(invalid="ignore"):
        covers = has_range & (rounded(low) <= f_r[codes]) & (rounded(high) >= f_r[codes])
    n_range = np.bincount(codes[has_range], minlength=len(items))
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = np.bincount(codes[covers], minlength=len(items)) / n_range
    intervals = bootstrap_intervals(
        estimates[["item", "value"]], "median", n_boot, seed, scale=None, min_n=min_n
    )
    return pd.DataFrame(
        {
            "n": stats["n"],
            "median": median,
            "q1": q1,
            "q3": q3,
            "iqr": stats["iqr"].to_numpy(),
            "forecast": f,
            "forecast_outside_panel_iqr": outside,
            "gap": np.where(usable, f - median, np.nan),
            "distance_to_iqr": np.where(usable, np.maximum.reduce([q1 - f, f - q3, 0 * f]), np.nan),
            "n_with_range": n_range.astype(np.int64),
            "range_coverage": np.where(usable & (n_range > 0), coverage, np.nan),
            "median_ci_low": intervals["median_ci_low"].to_numpy(),
            "median_ci_high": intervals["median_ci_high"].to_numpy(),
            "balanced_median": _balanced_median(
                estimates, codes, items, value, min_group_n, groups
            ),
        },
        index=items.rename("item"),
    )


def _balanced_median(estimates, codes, items, value, min_group_n, groups) -> np.ndarray:
    valid = ~np.isnan(value)
    group_codes = codes_in_order(estimates["group"], groups) if "group" in estimates else None
    weights, _ = balanced_weights(codes, group_codes, valid, len(items), len(groups), min_group_n)
    out = np.full(len(items), np.nan)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(items) + 1))
    for i in range(len(items)):
        rows = order[bounds[i] : bounds[i + 1]]
        rows = rows[valid[rows]]
        if len(rows):
            out[i] = weighted_quantile(value[rows], weights[rows], 0.5)
    return out
