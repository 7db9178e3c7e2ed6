"""Likert statistics computed from category counts, vectorised over cells (items or item x group).

Every Likert statistic of METHOD §2 is a function of the counts per category, so one bincount over
the answers replaces a sort per item.
"""

from __future__ import annotations

import numpy as np

QUANTILE_METHODS = ("type7", "type6")

#: Columns produced by :func:`likert_from_counts`, in output order.
STAT_COLUMNS = (
    "median",
    "q1",
    "q3",
    "iqr",
    "mean",
    "sd",
    "cv",
    "agreement",
    "disagreement",
    "middle",
    "top1",
    "rwg",
    "ad_md",
)


def counts_matrix(
    cells: np.ndarray, values: np.ndarray, valid: np.ndarray, n_cells: int, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Counts (n_cells x width) of integer ``values`` 1..width per cell code, and missing rows.

    One bincount: invalid rows fall in an extra category 0 per cell.
    """
    shifted = np.where(valid, values, 0.0).astype(np.int64)
    flat = np.bincount(cells * (width + 1) + shifted, minlength=n_cells * (width + 1))
    table = flat.reshape(n_cells, width + 1)
    return table[:, 1:], table[:, 0]


def order_statistic(cum: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Value (1-based category) at 0-based sorted ``position`` per row, from cumulative counts."""
    return 1 + (cum <= position[:, None]).sum(axis=1)


def lerp(low: np.ndarray, high: np.ndarray, t: np.ndarray) -> np.ndarray:
    """numpy's linear interpolation (as in ``np.quantile``), bit for bit."""
    diff = high - low
    out = low + diff * t
    upper = t >= 0.5
    out[upper] = (high - diff * (1 - t))[upper]
    return out


def quantile_from_counts(cum: np.ndarray, n: np.ndarray, p: float, method: str) -> np.ndarray:
    """Hyndman-Fan type 7 (or 6) quantile per row; NaN where n == 0."""
    nf = n.astype(float)
    if method == "type7":
        h = (nf - 1) * p
    elif method == "type6":
        h = np.clip((nf + 1) * p - 1, 0, np.maximum(nf - 1, 0))
    else:
        raise ValueError(f"quantile_method {method!r} is not one of {', '.join(QUANTILE_METHODS)}")
    h = np.where(n > 0, h, 0.0)
    low = np.floor(h)
    top = np.maximum(nf - 1, 0)
    x_low = order_statistic(cum, low).astype(float)
    x_high = order_statistic(cum, np.minimum(low + 1, top)).astype(float)
    out = lerp(x_low, x_high, h - low)
    out[n == 0] = np.nan
    return out


def _ratio(num: np.ndarray, den: np.ndarray, ok: np.ndarray) -> np.ndarray:
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=ok)
    return out


def band_count(cum0: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Answers with a value in [low, high] per row; ``cum0`` has a leading zero column."""
    rows = np.arange(cum0.shape[0])
    return cum0[rows, high] - cum0[rows, low - 1]


def middle_band(bands: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The categories strictly between the disagree and the agree band, per row of ``bands``.

    Returns (low, high, exists): the middle runs from the band below's high end + 1 to the band
    above's low end - 1; ``exists`` is False where the bands leave no category between them
    (k = 4 with the default bands), and low/high are then clipped to a valid (empty) range.
    """
    low = np.minimum(bands[:, 1], bands[:, 3]) + 1
    high = np.maximum(bands[:, 0], bands[:, 2]) - 1
    exists = low <= high
    return np.where(exists, low, 1), np.where(exists, high, 0), exists


def likert_from_counts(
    counts: np.ndarray, ks: np.ndarray, bands: np.ndarray, method: str = "type7"
) -> dict[str, np.ndarray]:
    """METHOD §2 statistics per row of ``counts`` (cells x width, categories 1..width).

    ``ks`` gives k per row and ``bands`` (rows x 4) the agree and disagree bands. ``middle`` is
    the share of answers strictly between the two bands (see :func:`middle_band`). Undefined
    values are NaN: everything when n = 0; sd, cv and rwg when n < 2; ``middle`` where the bands
    leave no category between them.
    """
    rows, width = counts.shape
    n = counts.sum(axis=1)
    cum = np.cumsum(counts, axis=1)
    cum0 = np.concatenate([np.zeros((rows, 1), dtype=cum.dtype), cum], axis=1)
    categories = np.arange(1, width + 1, dtype=float)
    has = n > 0
    pairs = n > 1
    nf = n.astype(float)
    median = quantile_from_counts(cum, n, 0.5, method)
    q1 = quantile_from_counts(cum, n, 0.25, method)
    q3 = quantile_from_counts(cum, n, 0.75, method)
    mean = _ratio(counts @ categories, nf, has)
    centred = categories[None, :] - np.where(has, mean, 0.0)[:, None]
    ss = (counts * centred**2).sum(axis=1)
    sd = np.sqrt(_ratio(ss, nf - 1, pairs))
    cv = _ratio(sd, mean, pairs & (np.nan_to_num(mean) > 0))
    sigma_eu = (ks.astype(float) ** 2 - 1) / 12
    rwg = np.where(pairs, np.clip(1 - sd**2 / sigma_eu, 0, 1), np.nan)
    deviation = np.abs(categories[None, :] - np.where(has, median, 0.0)[:, None])
    ad_md = _ratio((counts * deviation).sum(axis=1), nf, has)
    agreement = _ratio(band_count(cum0, bands[:, 0], bands[:, 1]).astype(float), nf, has)
    disagreement = _ratio(band_count(cum0, bands[:, 2], bands[:, 3]).astype(float), nf, has)
    mid_low, mid_high, mid_exists = middle_band(bands)
    middle = _ratio(band_count(cum0, mid_low, mid_high).astype(float), nf, has & mid_exists)
    top1 = _ratio(counts[np.arange(rows), ks - 1].astype(float), nf, has)
    return {
        "median": median,
        "q1": q1,
        "q3": q3,
        "iqr": q3 - q1,
        "mean": mean,
        "sd": sd,
        "cv": cv,
        "agreement": agreement,
        "disagreement": disagreement,
        "middle": middle,
        "top1": top1,
        "rwg": rwg,
        "ad_md": ad_md,
    }


def count_tuples(counts: np.ndarray, ks: np.ndarray) -> list[tuple[int, ...]]:
    """Counts per row as tuples of length k (categories 1..k)."""
    return [tuple(row[:k]) for row, k in zip(counts.tolist(), ks.tolist(), strict=True)]
