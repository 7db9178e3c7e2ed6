"""Possible statistics, to tell whether a rule can ever hold (METHOD §3; pure numpy/pandas).

A rule such as ``agreement >= 70`` is well formed but no set of answers meets it. To refuse it
when a plan is saved, :func:`likert_samples` lists the statistics of many possible answer
distributions of a scale: every distribution of up to a few dozen answers (all count vectors),
and a fixed-seed sample of distributions of 101 answers, from nearly unanimous to spread out.
``n`` is also read as very large, since a rule may ask for more answers than any sample has.
The frames are cached: they depend only on the scale and its bands.
"""

from __future__ import annotations

import math
from functools import lru_cache
from itertools import combinations_with_replacement

import numpy as np
import pandas as pd

from ._counts import likert_from_counts
from ._frames import default_bands

#: Count vectors enumerated per scale: all distributions of 1..N answers, N as large as this
#: budget allows (k = 5: up to 12 answers; k = 7: up to 8).
ENUMERATION_BUDGET = 6000
#: Sampled distributions of ``SAMPLE_N`` answers per concentration, with a fixed seed.
SAMPLES = 1500
SAMPLE_N = 101
CONCENTRATIONS = (0.05, 0.3, 1.0, 5.0)
SEED = 20_240_613
#: ``n`` as a rule may read it beyond the samples' own counts.
LARGE_N = 1_000_000

#: The range each statistic can take on a k-point scale: (low, high), None = unbounded.
#: ``"k"`` stands for the number of scale points, ``"k-1"`` for one less.
RANGES: dict[str, tuple[float | str, float | str | None]] = {
    "agreement": (0.0, 1.0),
    "disagreement": (0.0, 1.0),
    "middle": (0.0, 1.0),
    "top1": (0.0, 1.0),
    "top_share": (0.0, 1.0),
    "net_change": (0.0, 1.0),
    "wilcoxon_p": (0.0, 1.0),
    "rwg": (0.0, 1.0),
    "w": (0.0, 1.0),
    "median": (1.0, "k"),
    "q1": (1.0, "k"),
    "q3": (1.0, "k"),
    "mean": (1.0, "k"),
    "iqr": (0.0, "k-1"),
    "ad_md": (0.0, "k-1"),
    "sd": (0.0, None),
    "cv": (0.0, None),
    "cv_change": (0.0, None),
    "n": (1.0, None),
    "n_paired": (0.0, None),
    "k": (3.0, 11.0),
}
#: Statistics that are shares or indices from 0 to 1.
SHARES = frozenset(name for name, (low, high) in RANGES.items() if (low, high) == (0.0, 1.0))


def statistic_range(name: str, k: int) -> tuple[float, float]:
    """(low, high) of a statistic on a k-point scale; ``inf`` where unbounded."""
    low, high = RANGES[name]

    def value(v: float | str | None) -> float:
        if v is None:
            return math.inf
        if v == "k":
            return float(k)
        if v == "k-1":
            return float(k - 1)
        return float(v)

    return value(low), value(high)


def _enumerated(k: int) -> np.ndarray:
    """All count vectors (rows, k columns) of 1..N answers within the budget."""
    rows: list[np.ndarray] = []
    total, n = 0, 1
    while True:
        size = math.comb(n + k - 1, k - 1)
        if total + size > ENUMERATION_BUDGET and n > 2:
            break
        combos = np.array(list(combinations_with_replacement(range(k), n)), dtype=np.int64)
        offsets = np.arange(len(combos))[:, None] * k
        flat = np.bincount((combos + offsets).ravel(), minlength=len(combos) * k)
        rows.append(flat.reshape(len(combos), k))
        total += size
        n += 1
    return np.concatenate(rows)


def _sampled(k: int) -> np.ndarray:
    rng = np.random.default_rng(SEED + k)
    parts = []
    for alpha in CONCENTRATIONS:
        shares = rng.dirichlet(np.full(k, alpha), size=SAMPLES)
        parts.append(rng.multinomial(SAMPLE_N, shares))
    return np.concatenate(parts).astype(np.int64)


@lru_cache(maxsize=32)
def likert_samples(
    k: int,
    agreement_band: tuple[int, int] | None = None,
    disagreement_band: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """Statistics (the rule names of a rating item, with ``n`` and ``k``) of many possible
    answer distributions on a k-point scale; the default bands where none is given. Each
    distribution appears twice: with its own ``n`` and with ``n`` = :data:`LARGE_N`."""
    agree, disagree = default_bands(k)
    bands = np.array([*(agreement_band or agree), *(disagreement_band or disagree)])
    counts = np.concatenate([_enumerated(k), _sampled(k)])
    rows = len(counts)
    ks = np.full(rows, k, dtype=np.int64)
    stats = likert_from_counts(counts, ks, np.tile(bands, (rows, 1)))
    frame = pd.DataFrame(stats)
    frame["n"] = counts.sum(axis=1).astype(float)
    frame["k"] = float(k)
    large = frame.assign(n=float(LARGE_N))
    return pd.concat([frame, large], ignore_index=True)


#: Values tried for the statistics of other kinds of rule, each independently.
_GRID = {
    "n_paired": (0, 1, 2, 3, 5, 10, 30, 100, LARGE_N),
    "cv_change": (0, 0.01, 0.05, 0.1, 0.149, 0.15, 0.2, 0.3, 0.5, 1, 2, 10, math.inf),
    "n": (1, 2, 3, 5, 10, 30, 100, LARGE_N),
}
_SHARE_GRID = tuple(np.round(np.linspace(0, 1, 21), 10)) + (0.01, 0.049, 0.051, 0.149, 0.151, 0.99)


def grid_samples(names: frozenset[str]) -> pd.DataFrame:
    """Every combination of typical values of ``names`` (ranking, choice and stability rules,
    whose statistics are treated as independent of each other)."""
    columns = sorted(names)
    if not columns:
        return pd.DataFrame(index=pd.RangeIndex(1))
    axes = [np.asarray(_GRID.get(name, _SHARE_GRID), dtype=float) for name in columns]
    mesh = np.meshgrid(*axes, indexing="ij")
    return pd.DataFrame({name: m.ravel() for name, m in zip(columns, mesh, strict=True)})
