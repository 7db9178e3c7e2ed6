"""Stakeholder groups: disclosure control, divergence and balanced aggregation (METHOD §5, §6)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from ._counts import (
    STAT_COLUMNS,
    band_count,
    count_tuples,
    counts_matrix,
    likert_from_counts,
)
from ._frames import BandArg, codes_in_order, likert_input, rounded
from .items import ITEM_COLUMNS, _check_method

#: Stakeholder groups in METHOD order (the order breaks ties in complementary suppression).
GROUPS = (
    "employers",
    "workers-representatives",
    "education-providers",
    "public-authorities",
    "other-experts",
)
#: Smallest ``min_group_n`` a plan may use.
MIN_GROUP_N_FLOOR = 3
#: Tolerance of the weighted quantile's cumulative weights (METHOD §6).
EPSILON = 1e-9

PUBLISHED, PRIMARY, COMPLEMENTARY, NO_ANSWERS = (
    "published",
    "primary",
    "complementary",
    "no answers",
)
_STATES = np.array([NO_ANSWERS, PUBLISHED, PRIMARY, COMPLEMENTARY], dtype=object)

#: Columns of :attr:`GroupBreakdown.cells`, in order.
CELL_COLUMNS = ("item", "group", "status", "suppressed", *ITEM_COLUMNS)
#: Columns of :attr:`GroupBreakdown.divergence`, in order (index: ``item``).
DIVERGENCE_COLUMNS = (
    "n",
    "total_published",
    "groups_compared",
    "kw_h",
    "kw_p",
    "max_median_diff",
    "median_max_group",
    "median_min_group",
    "contested",
)
#: Columns of :func:`balanced_statistics`, in order (index: ``item``).
BALANCED_COLUMNS = (
    "n",
    "n_groups",
    "median",
    "balanced_median",
    "agreement",
    "balanced_agreement",
    "disagreement",
    "balanced_disagreement",
)


def _check_min_group_n(min_group_n: int) -> None:
    if (
        isinstance(min_group_n, bool)
        or not isinstance(min_group_n, int | np.integer)
        or min_group_n < MIN_GROUP_N_FLOOR
    ):
        raise ValueError(f"min_group_n {min_group_n!r} must be an integer >= {MIN_GROUP_N_FLOOR}")


def _check_groups(groups: tuple[str, ...]) -> tuple[str, ...]:
    groups = tuple(groups)
    if not groups or len(set(groups)) != len(groups):
        raise ValueError("groups must be a non-empty sequence of distinct names")
    return groups


def _suppression_states(n: np.ndarray, min_group_n: int) -> np.ndarray:
    """States per cell (rows x groups): 0 no answers, 1 published, 2 primary, 3 complementary.

    Primary: 1 <= n_g < min_group_n. Complementary: while the suppressed set S is non-empty and
    (|S| < 2 or sum_S n_g < min_group_n), add the published group with the smallest n_g
    (ties: first in group order). Suppressed groups can then only be recovered jointly.
    """
    states = np.where(n == 0, 0, np.where(n < min_group_n, 2, 1)).astype(np.int8)
    for row in np.flatnonzero((states == 2).any(axis=1)):
        sizes, state = n[row], states[row]
        while True:
            suppressed = state >= 2
            if suppressed.sum() >= 2 and sizes[suppressed].sum() >= min_group_n:
                break
            candidates = np.flatnonzero(state == 1)
            if not len(candidates):
                break
            state[candidates[np.argmin(sizes[candidates])]] = 3
    return states


def disclosure_control(
    group_n: Mapping[str, int], min_group_n: int = 5, groups: tuple[str, ...] = GROUPS
) -> dict[str, str]:
    """Publication state of each group of one cell set (METHOD §5, rules 1-4).

    Args:
        group_n: valid answers per group (absent groups count 0).
        min_group_n: smallest publishable group (>= 3).
        groups: group order; ties in complementary suppression go to the first.

    Returns:
        dict group -> ``published``, ``primary`` (suppressed, 1 <= n < min_group_n),
        ``complementary`` (suppressed so that no suppressed group can be recovered singly by
        subtraction) or ``no answers`` (n = 0), in group order.

    Raises:
        ValueError: ``min_group_n`` < 3, an unknown group, or a negative or non-integer count.
    """
    _check_min_group_n(min_group_n)
    groups = _check_groups(groups)
    unknown = [g for g in group_n if g not in groups]
    if unknown:
        raise ValueError(f"group {unknown[0]!r} is not one of {', '.join(groups)}")
    sizes = []
    for group in groups:
        value = group_n.get(group, 0)
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(f"group {group!r}: count {value!r} is not a non-negative integer")
        sizes.append(int(value))
    states = _suppression_states(np.asarray([sizes], dtype=np.int64), min_group_n)[0]
    return {group: str(_STATES[s]) for group, s in zip(groups, states, strict=True)}


@dataclass(frozen=True)
class GroupBreakdown:
    """Result of :func:`group_breakdown`: cells per (item, group) and divergence per item."""

    #: One row per item and group (items sorted, groups in order); see :data:`CELL_COLUMNS`.
    cells: pd.DataFrame
    #: One row per item; see :data:`DIVERGENCE_COLUMNS`.
    divergence: pd.DataFrame


def _kruskal_from_counts(counts: np.ndarray, compare: np.ndarray) -> tuple[np.ndarray, ...]:
    """Kruskal-Wallis H (tie-corrected) and p per item; counts is items x groups x categories."""
    counts = counts * compare[:, :, None]
    n_g = counts.sum(axis=2).astype(float)
    totals = counts.sum(axis=1)
    big_n = totals.sum(axis=1).astype(float)
    midranks = np.cumsum(totals, axis=1) - (totals - 1) / 2.0
    rank_sums = (counts * midranks[:, None, :]).sum(axis=2)
    k_groups = compare.sum(axis=1)
    ok = k_groups >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_term = np.where(n_g > 0, rank_sums**2 / np.where(n_g > 0, n_g, 1), 0).sum(axis=1)
        h = 12.0 / (big_n * (big_n + 1)) * mean_term - 3 * (big_n + 1)
        ties = 1 - (totals.astype(float) ** 3 - totals).sum(axis=1) / (big_n**3 - big_n)
        h = np.where(ties > 0, h / np.where(ties > 0, ties, 1), 0.0)
    h = np.where(ok, np.maximum(h, 0.0), np.nan)
    p = np.full(len(h), np.nan)
    if ok.any():
        p[ok] = np.where(h[ok] > 0, sps.chi2.sf(h[ok], k_groups[ok] - 1), 1.0)
    return h, p, k_groups


def group_breakdown(
    answers: pd.DataFrame,
    min_group_n: int = 5,
    *,
    scale: int | Mapping[Hashable, int] = 5,
    agreement_band: BandArg = None,
    disagreement_band: BandArg = None,
    groups: tuple[str, ...] = GROUPS,
    contested_alpha: float = 0.05,
    contested_median_diff: float = 2.0,
    quantile_method: str = "type7",
) -> GroupBreakdown:
    """Per item and stakeholder group statistics under disclosure control (METHOD §5).

    Args:
        answers: Likert answers with ``item``, ``value`` and ``group`` (one of ``groups``); NaN
            values are missing answers (dropped from n, counted in ``n_missing``).
        min_group_n: smallest publishable group (>= 3).
        scale, agreement_band, disagreement_band, quantile_method: as in
            :func:`item_statistics`.
        groups: the group names in order.
        contested_alpha: Kruskal-Wallis p below this marks an item contested.
        contested_median_diff: a max median difference at least this marks it contested.

    Returns:
        :class:`GroupBreakdown` with

        ``cells``: columns ``item, group, status, suppressed`` and the :func:`item_statistics`
        columns. ``status`` is ``published``, ``suppressed`` or ``no answers`` (n = 0). A
        suppressed row carries only item, group, status and ``suppressed`` = True: n is
        ``<NA>``, statistics NaN, counts None. Primary suppression (1 <= n < min_group_n) is
        completed by complementary suppression so that no suppressed group's counts can be
        derived from the total and the published groups.

        ``divergence`` (index item): ``n`` (panel total; ``<NA>`` unless n >= min_group_n),
        ``total_published``, ``groups_compared`` (groups with n >= min_group_n, published or
        not), ``kw_h`` and ``kw_p`` (Kruskal-Wallis with tie correction; all values identical
        gives 0 and 1; NaN with fewer than two groups compared), ``max_median_diff`` and the two
        extreme groups ``median_max_group``/``median_min_group`` (withheld, NaN/None, unless both
        extreme groups are published), ``contested`` (``<NA>`` with fewer than two groups
        compared; computed on the true difference even when the difference is withheld).

    Raises:
        ValueError: as :func:`item_statistics`; a group outside ``groups`` or missing;
            ``min_group_n`` < 3; bad thresholds.
        TypeError: ``answers`` is not a DataFrame.
    """
    _check_min_group_n(min_group_n)
    _check_method(quantile_method)
    groups = _check_groups(groups)
    if not 0 < contested_alpha < 1:
        raise ValueError(f"contested_alpha {contested_alpha!r} must lie in (0, 1)")
    if not contested_median_diff > 0:
        raise ValueError(f"contested_median_diff {contested_median_diff!r} must be positive")
    data = likert_input(answers, scale, agreement_band, disagreement_band, extra_columns=("group",))
    group_codes = codes_in_order(answers["group"], groups)
    n_items, n_groups = len(data.items), len(groups)
    width = int(data.ks.max()) if n_items else 1
    cells = data.codes * n_groups + group_codes
    n_cells = n_items * n_groups
    counts, n_missing = counts_matrix(cells, data.values, data.valid, n_cells, width)
    n_dk = np.bincount(cells[data.dont_know], minlength=n_cells)
    ks = np.repeat(data.ks, n_groups)
    bands = np.repeat(data.bands, n_groups, axis=0)
    stats = likert_from_counts(counts, ks, bands, quantile_method)
    n = counts.sum(axis=1)
    states = _suppression_states(n.reshape(n_items, n_groups), min_group_n).reshape(-1)
    suppressed = states >= 2
    cell_frame = _cell_frame(data.items, groups, states, stats, n, n_missing, n_dk, ks, counts)

    compare = (n >= min_group_n).reshape(n_items, n_groups)
    h, p, k_groups = _kruskal_from_counts(counts.reshape(n_items, n_groups, width), compare)
    medians = np.where(compare, stats["median"].reshape(n_items, n_groups), np.nan)
    top = np.argmax(np.where(compare, medians, -np.inf), axis=1)
    bottom = np.argmin(np.where(compare, medians, np.inf), axis=1)
    rows = np.arange(n_items)
    ok = k_groups >= 2
    diff = np.where(ok, medians[rows, top] - medians[rows, bottom], np.nan)
    sup = suppressed.reshape(n_items, n_groups)
    shown = ok & ~sup[rows, top] & ~sup[rows, bottom]
    contested = (rounded(p) < round(contested_alpha, 10)) | (
        rounded(diff) >= round(contested_median_diff, 10)
    )
    total = n.reshape(n_items, n_groups).sum(axis=1)
    total_published = total >= min_group_n
    index = data.items.rename("item")
    group_names = np.asarray(groups, dtype=object)
    total_n = pd.array(total.astype(np.int64), dtype="Int64")
    total_n[~total_published] = pd.NA
    divergence = pd.DataFrame(
        {
            "n": total_n,
            "total_published": total_published,
            "groups_compared": k_groups.astype(np.int64),
            "kw_h": h,
            "kw_p": p,
            "max_median_diff": np.where(shown, diff, np.nan),
        },
        index=index,
    )
    divergence["median_max_group"] = pd.Series(
        np.where(shown, group_names[top], None), index=index, dtype=object
    )
    divergence["median_min_group"] = pd.Series(
        np.where(shown, group_names[bottom], None), index=index, dtype=object
    )
    flag = pd.array(contested, dtype="boolean")
    flag[~ok] = pd.NA
    divergence["contested"] = flag
    return GroupBreakdown(cell_frame, divergence)


def _cell_frame(items, groups, states, stats, n, n_missing, n_dk, ks, counts) -> pd.DataFrame:
    n_groups = len(groups)
    suppressed = states >= 2
    status = np.where(suppressed, "suppressed", np.where(states == 0, NO_ANSWERS, PUBLISHED))
    data: dict[str, object] = {
        "item": pd.Series(np.repeat(np.asarray(items, dtype=object), n_groups), dtype=object),
        "group": pd.Series(np.tile(np.asarray(groups, dtype=object), len(items)), dtype=object),
        "status": pd.Series(status, dtype=object),
        "suppressed": suppressed,
    }
    for name, values in (("n", n), ("n_missing", n_missing), ("n_dk", n_dk)):
        column = pd.array(values.astype(np.int64), dtype="Int64")
        column[suppressed] = pd.NA
        data[name] = column
    for name in STAT_COLUMNS:
        data[name] = np.where(suppressed, np.nan, stats[name])
    data["k"] = ks.astype(np.int64)
    tuples = count_tuples(counts, ks)
    data["counts"] = pd.Series(
        [None if s else t for s, t in zip(suppressed.tolist(), tuples, strict=True)], dtype=object
    )
    return pd.DataFrame(data)


def weighted_quantile(values, weights, p: float, epsilon: float = EPSILON) -> float:
    """Weighted Hyndman-Fan type 2 quantile Q_w(p) (METHOD §6).

    With distinct values v_1 < ... < v_K and normalised cumulative weights C_j, j* is the first j
    with C_j >= p - epsilon; the result is (v_j* + v_j*+1) / 2 if C_j* equals p within epsilon
    and j* < K, else v_j*. Equal weights give the ordinary median at p = 0.5.

    Args:
        values: numbers; NaN values are dropped with their weights.
        weights: non-negative weights, same length.
        p: probability in [0, 1].

    Returns:
        The quantile, or NaN when no value has positive weight.

    Raises:
        ValueError: lengths differ, a weight is negative or not finite, or p is outside [0, 1].
    """
    x = np.asarray(values, dtype=float).reshape(-1)
    w = np.asarray(weights, dtype=float).reshape(-1)
    if x.shape != w.shape:
        raise ValueError(f"values ({x.size}) and weights ({w.size}) differ in length")
    if not 0 <= p <= 1:
        raise ValueError(f"p {p!r} outside [0, 1]")
    keep = ~np.isnan(x)
    x, w = x[keep], w[keep]
    if (w < 0).any() or not np.isfinite(w).all():
        raise ValueError("weights must be finite and non-negative")
    x, w = x[w > 0], w[w > 0]
    if not x.size:
        return float("nan")
    distinct, inverse = np.unique(x, return_inverse=True)
    cum = np.cumsum(np.bincount(inverse, weights=w))
    cum = cum / cum[-1]
    j = int(np.argmax(cum >= p - epsilon))
    if abs(cum[j] - p) <= epsilon and j < distinct.size - 1:
        return float((distinct[j] + distinct[j + 1]) / 2)
    return float(distinct[j])


def _weighted_quantile_grid(weights: np.ndarray, p: float) -> np.ndarray:
    """:func:`weighted_quantile` per row of a (rows x categories 1..K) weight matrix."""
    rows, width = weights.shape
    present = weights > 0
    total = weights.sum(axis=1)
    cum = np.cumsum(weights, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cum = cum / cum[:, -1:]
    hit = present & (cum >= p - EPSILON)
    j = np.argmax(hit, axis=1)
    slots = np.where(present, np.arange(width), width)
    following = np.minimum.accumulate(slots[:, ::-1], axis=1)[:, ::-1]
    following = np.concatenate([following[:, 1:], np.full((rows, 1), width)], axis=1)
    nxt = following[np.arange(rows), j]
    tie = (np.abs(cum[np.arange(rows), j] - p) <= EPSILON) & (nxt < width)
    value = np.where(tie, (j + 1 + nxt + 1) / 2.0, j + 1.0)
    return np.where(total > 0, value, np.nan)


def balanced_weights(
    item_codes: np.ndarray,
    group_codes: np.ndarray | None,
    valid: np.ndarray,
    n_items: int,
    n_groups: int,
    min_group_n: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Member weights w_i (NaN for invalid rows) and G per item (METHOD §6).

    Strata: every published group alone, all suppressed groups pooled; stratum weight
    W_s = (groups in s) / G with G the groups holding at least one valid answer, shared equally
    by the stratum's members. Each item's weights sum to 1.
    """
    if group_codes is None:
        group_codes = np.zeros(len(item_codes), dtype=np.int64)
        n_groups = 1
    cells = item_codes * n_groups + group_codes
    n = np.bincount(cells[valid], minlength=n_items * n_groups).reshape(n_items, n_groups)
    states = _suppression_states(n, min_group_n) if n_groups > 1 else (n > 0).astype(np.int8)
    g_count = (n > 0).sum(axis=1)
    suppressed = states >= 2
    pooled_groups = suppressed.sum(axis=1)
    pooled_n = np.where(suppressed, n, 0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        own = (1.0 / g_count[:, None]) / n
        pooled = (pooled_groups / g_count / pooled_n)[:, None]
    cell_weight = np.where(suppressed, pooled, own)
    cell_weight = np.where(n > 0, cell_weight, np.nan).reshape(-1)
    weights = np.where(valid, cell_weight[cells], np.nan)
    return weights, g_count


def balanced_statistics(
    answers: pd.DataFrame,
    min_group_n: int = 5,
    *,
    scale: int | Mapping[Hashable, int] = 5,
    agreement_band: BandArg = None,
    disagreement_band: BandArg = None,
    groups: tuple[str, ...] = GROUPS,
) -> pd.DataFrame:
    """Balanced (equal weight per stakeholder group) median and shares beside unweighted ones.

    METHOD §6: each published group is a stratum, suppressed groups are pooled into one; the
    stratum weight is (groups in it) / G (G = groups with at least one valid answer), shared
    equally by its members; so without suppression every group weighs 1/G whatever its size.
    The median is the weighted type 2 quantile (:func:`weighted_quantile`); no balanced
    quartiles are given. G = 1 (or no ``group`` column) gives balanced = unweighted.

    Args:
        answers: Likert answers with ``item``, ``value`` and optionally ``group``; NaN values
            are missing answers and carry no weight.
        min_group_n, groups: as in :func:`group_breakdown`.
        scale, agreement_band, disagreement_band: as in :func:`item_statistics`.

    Returns:
        DataFrame indexed by ``item`` (sorted) with columns ``n, n_groups, median,
        balanced_median, agreement, balanced_agreement, disagreement, balanced_disagreement``
        (NaN where n = 0).

    Raises:
        ValueError: as :func:`group_breakdown`.
        TypeError: ``answers`` is not a DataFrame.
    """
    _check_min_group_n(min_group_n)
    groups = _check_groups(groups)
    data = likert_input(answers, scale, agreement_band, disagreement_band)
    group_codes = codes_in_order(answers["group"], groups) if "group" in answers else None
    n_items = len(data.items)
    width = int(data.ks.max()) if n_items else 1
    weights, g_count = balanced_weights(
        data.codes, group_codes, data.valid, n_items, len(groups), min_group_n
    )
    valid = data.valid
    flat = data.codes[valid] * width + (data.values[valid].astype(np.int64) - 1)
    counts = np.bincount(flat, minlength=n_items * width).reshape(n_items, width)
    mass = np.bincount(flat, weights=weights[valid], minlength=n_items * width).reshape(
        n_items, width
    )
    plain = likert_from_counts(counts, data.ks, data.bands)
    zero = np.zeros((n_items, 1))
    mass0 = np.concatenate([zero, np.cumsum(mass, axis=1)], axis=1)
    has = counts.sum(axis=1) > 0
    bands = data.bands
    return pd.DataFrame(
        {
            "n": counts.sum(axis=1).astype(np.int64),
            "n_groups": g_count.astype(np.int64),
            "median": plain["median"],
            "balanced_median": _weighted_quantile_grid(mass, 0.5),
            "agreement": plain["agreement"],
            "balanced_agreement": np.where(
                has, band_count(mass0, bands[:, 0], bands[:, 1]), np.nan
            ),
            "disagreement": plain["disagreement"],
            "balanced_disagreement": np.where(
                has, band_count(mass0, bands[:, 2], bands[:, 3]), np.nan
            ),
        },
        index=data.items.rename("item"),
    )
