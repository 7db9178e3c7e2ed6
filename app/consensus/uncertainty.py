"""Percentile bootstrap intervals of median and agreement (METHOD §7)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

from ._frames import BandArg, factorize, likert_input, numeric_values, require_frame, shown

BOOTSTRAP_STATS = ("median", "agreement", "disagreement")
DEFAULT_B = 2000
DEFAULT_SEED = 12345
LEVELS = (0.025, 0.975)
#: Items resampled together (bounds memory to B x CHUNK x k counts).
CHUNK = 128


def _resample_cumulative(n: int, n_boot: int, seed: int) -> np.ndarray:
    """(B x n) counts #{idx <= i} per replicate, for ``rng.integers(0, n, size=(B, n))``."""
    idx = _indices(n, n_boot, seed)
    idx += np.arange(n_boot, dtype=np.int64)[:, None] * n
    hist = np.bincount(idx.reshape(-1), minlength=n_boot * n).reshape(n_boot, n)
    return np.cumsum(hist, axis=1, dtype=np.int32)


def _indices(n: int, n_boot: int, seed: int) -> np.ndarray:
    """The resampling matrix of METHOD §7: a fresh generator per item and population."""
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def _check_stats(stat: str | Sequence[str], numeric: bool) -> tuple[str, ...]:
    wanted = (stat,) if isinstance(stat, str) else tuple(stat)
    if not wanted:
        raise ValueError("stat names no statistic")
    for name in wanted:
        if name not in BOOTSTRAP_STATS:
            raise ValueError(f"stat {name!r} is not one of {', '.join(BOOTSTRAP_STATS)}")
        if numeric and name != "median":
            raise ValueError(f"stat {name!r} needs a Likert scale (scale=None allows median only)")
    return wanted


def bootstrap_intervals(
    answers: pd.DataFrame,
    stat: str | Sequence[str] = BOOTSTRAP_STATS,
    n_boot: int = DEFAULT_B,
    seed: int = DEFAULT_SEED,
    *,
    scale: int | Mapping[Hashable, int] | None = 5,
    agreement_band: BandArg = None,
    disagreement_band: BandArg = None,
    min_n: int = 5,
) -> pd.DataFrame:
    """95% percentile bootstrap intervals per item (METHOD §7).

    For each item with n >= ``min_n`` valid answers: sort x ascending, draw
    ``idx = default_rng(seed).integers(0, n, size=(n_boot, n))`` with a fresh generator (so the
    result depends only on the counts, and items of equal n share one index matrix), take the
    median and the band shares of every replicate row and the ``np.quantile(...,
    [0.025, 0.975], method="linear")`` of the replicates. No Python loop runs over replicates;
    Likert items are resampled through category counts.

    Args:
        answers: ``item``, ``value`` rows; NaN values are missing and dropped.
        stat: ``"median"``, ``"agreement"``, ``"disagreement"`` or a sequence of them.
        n_boot: B, replicates (>= 1).
        seed: the plan's seed (>= 0).
        scale: k (or mapping) for Likert items; None for numeric estimates (median only).
        agreement_band, disagreement_band: as in :func:`item_statistics`.
        min_n: items with fewer valid answers get NaN intervals.

    Returns:
        DataFrame indexed by ``item`` (sorted) with ``n`` and, per requested statistic s,
        ``{s}_ci_low`` and ``{s}_ci_high``.

    Raises:
        ValueError: bad values (naming item and value), unknown stat, n_boot < 1, seed < 0.
        TypeError: ``answers`` is not a DataFrame.
    """
    numeric = scale is None
    wanted = _check_stats(stat, numeric)
    for name, value, low in (("n_boot", n_boot, 1), ("seed", seed, 0), ("min_n", min_n, 1)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ValueError(f"{name} {value!r} must be an integer >= {low}")
    if numeric:
        require_frame(answers, ("item", "value"))
        codes, items = factorize(answers["item"])
        values = numeric_values(answers, "value", codes, items)
        if np.isinf(values).any():
            row = int(np.argmax(np.isinf(values)))
            raise ValueError(
                f"item {items[codes[row]]!r}: value {shown(values[row])} is not finite"
            )
        bands = np.zeros((len(items), 4), dtype=np.int64)
    else:
        data = likert_input(answers, scale, agreement_band, disagreement_band)
        codes, items, values, bands = data.codes, data.items, data.values, data.bands
    valid = ~np.isnan(values)
    n_items = len(items)
    n = np.bincount(codes[valid], minlength=n_items)
    out = {f"{s}_{end}": np.full(n_items, np.nan) for s in wanted for end in ("ci_low", "ci_high")}
    eligible = np.flatnonzero(n >= min_n)
    if len(eligible):
        order = np.lexsort((values[valid], codes[valid]))
        sorted_values = values[valid][order]
        starts = np.concatenate([[0], np.cumsum(n)])
        for size in np.unique(n[eligible]):
            same_n = eligible[n[eligible] == size]
            shared = (_indices if numeric else _resample_cumulative)(int(size), n_boot, seed)
            for first in range(0, len(same_n), CHUNK):
                group = same_n[first : first + CHUNK]
                if numeric:
                    replicates = _numeric_replicates(sorted_values, starts, group, shared)
                else:
                    replicates = _likert_replicates(
                        sorted_values, starts, group, shared, bands, wanted
                    )
                for s, reps in replicates.items():
                    low, high = np.quantile(reps, LEVELS, axis=0, method="linear")
                    out[f"{s}_ci_low"][group] = low
                    out[f"{s}_ci_high"][group] = high
    frame = pd.DataFrame({"n": n.astype(np.int64)}, index=items.rename("item"))
    for name, column in out.items():
        frame[name] = column
    return frame


def _numeric_replicates(sorted_values, starts, group, idx):
    """Replicate medians (B x items) of numeric items sharing n."""
    n_boot, size = idx.shape
    medians = np.empty((n_boot, len(group)))
    for j, item in enumerate(group):
        x = sorted_values[starts[item] : starts[item] + size]
        medians[:, j] = np.median(x[idx], axis=1)
    return {"median": medians}


def _likert_replicates(sorted_values, starts, group, cum_idx, bands, wanted):
    """Replicate statistics (B x items) of Likert items sharing n, from category counts.

    As x is sorted, the replicate count of values <= c is #{idx < answers <= c}, read from the
    cumulative index histogram ``cum_idx`` (B x n) shared by all items of this n.
    """
    size = cum_idx.shape[1]
    width = int(np.nanmax(sorted_values)) if len(sorted_values) else 1
    # cum[j, c] = answers of item j with value <= c + 1 (c = 0..width-1)
    x = np.stack([sorted_values[starts[i] : starts[i] + size] for i in group]).astype(np.int64)
    below = np.stack([(x <= c).sum(axis=1) for c in range(1, width + 1)], axis=1)
    # replicate counts of values <= c: #{idx < below} = cum_idx[:, below - 1] (0 if below = 0)
    gathered = np.where(below[None] > 0, cum_idx[:, np.maximum(below - 1, 0)], 0)
    result = {}
    if "median" in wanted:
        low_pos, high_pos = (size - 1) // 2, size // 2
        low = 1 + (gathered <= low_pos).sum(axis=2)
        high = 1 + (gathered <= high_pos).sum(axis=2)
        result["median"] = (low + high) / 2.0
    padded = np.concatenate([np.zeros(gathered.shape[:2] + (1,), gathered.dtype), gathered], 2)
    for name, lo_col, hi_col in (("agreement", 0, 1), ("disagreement", 2, 3)):
        if name in wanted:
            lo, hi = bands[group, lo_col], bands[group, hi_col]
            hi = np.minimum(hi, width)
            lo_c = np.minimum(lo - 1, width)
            cols = np.arange(len(group))
            inside = padded[:, cols, hi] - padded[:, cols, lo_c]
            result[name] = inside / size
    return result
