"""Ranking items: Kendall's W with ties and partial top-t rankings, mean rank, Borda (METHOD §2)."""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from ._frames import require_frame, shown

#: Columns of :attr:`KendallResult.options`, in order (index: ``option``).
OPTION_COLUMNS = ("rank_sum", "mean_rank", "borda", "share_first")


@dataclass(frozen=True)
class KendallResult:
    """Concordance of one ranking item."""

    #: m, panellists with a valid ranking.
    m: int
    #: N, options ranked.
    n_options: int
    #: Kendall's W with tie correction (NaN if m < 2 or N < 2).
    w: float
    #: W without tie correction, 12 S / (m^2 (N^3 - N)).
    w_uncorrected: float
    #: S, the sum of squared deviations of the rank sums from m (N + 1) / 2.
    s: float
    #: Sum over panellists of (t^3 - t) over their tie blocks (the unlisted options).
    ties: float
    #: Friedman chi-square m (N - 1) W.
    chi2: float
    #: Degrees of freedom N - 1.
    df: int
    #: Upper-tail chi-square p (approximate; rough for N <= 7).
    p: float
    #: Per option (index ``option``): ``rank_sum, mean_rank, borda, share_first``.
    options: pd.DataFrame

    def statistics(self) -> dict[str, float]:
        """The names a ranking rule may use: ``n`` (= m) and ``w``."""
        return {"n": self.m, "w": self.w}


def _option_order(rankings: pd.DataFrame, options: Sequence[Hashable] | None) -> list[Hashable]:
    seen = rankings["option"].dropna().unique().tolist()
    if options is None:
        try:
            return sorted(seen)
        except TypeError:
            return seen
    order = list(options)
    if len(set(order)) != len(order):
        raise ValueError("options repeat a key")
    known = set(order)
    unknown = [o for o in seen if o not in known]
    if unknown:
        raise ValueError(f"option {unknown[0]!r} is not one of the item's options")
    return order


def kendall_w(rankings: pd.DataFrame, options: Sequence[Hashable] | None = None) -> KendallResult:
    """Kendall's W and option scores of one ranking item (METHOD §2).

    Each panellist's listed options carry ranks 1..t (1 = best); options they did not list share
    the mean free position (t + 1 + N) / 2, which forms a tie block entering the tie correction
    W = 12 S / (m^2 (N^3 - N) - m sum T). chi2 = m (N - 1) W (= Friedman's statistic),
    df = N - 1, p = chi2 upper tail. borda = sum (N - r); share_first = share ranked first.

    Args:
        rankings: rows ``panellist, option, rank`` for the listed options only (rank NaN rows
            are treated as unlisted); a panellist with no listed option gave no valid ranking.
        options: all N option keys in display order; by default the sorted keys seen.

    Returns:
        :class:`KendallResult`; its ``options`` frame lists every option (index ``option``, in
        ``options`` order) with ``rank_sum, mean_rank, borda, share_first`` (NaN if m = 0).

    Raises:
        ValueError: missing columns, an unknown option, a panellist listing an option twice, or
            ranks that are not the integers 1..t (naming panellist and rank).
        TypeError: ``rankings`` is not a DataFrame.
    """
    require_frame(rankings, ("panellist", "option", "rank"), "rankings")
    listed = rankings[rankings["rank"].notna()]
    order = _option_order(listed, options)
    n_options = len(order)
    ranks_raw = pd.to_numeric(listed["rank"], errors="coerce").to_numpy(dtype=float)
    if np.isnan(ranks_raw).any():
        row = int(np.argmax(np.isnan(ranks_raw)))
        raise ValueError(f"rank {shown(listed['rank'].iloc[row])} is not a number")
    if listed["option"].isna().any():
        raise ValueError("an option key is missing")
    panellists = pd.Index(pd.unique(listed["panellist"].to_numpy(dtype=object)))
    with contextlib.suppress(TypeError):
        panellists = panellists.sort_values()
    m = len(panellists)
    col = pd.Index(order).get_indexer(listed["option"].to_numpy(dtype=object))
    row = panellists.get_indexer(listed["panellist"].to_numpy(dtype=object))
    matrix = np.full((m, n_options), np.nan)
    flat = row * n_options + col
    if len(np.unique(flat)) != len(flat):
        dup = pd.Series(flat).duplicated().to_numpy()
        i = int(np.argmax(dup))
        raise ValueError(
            f"panellist {shown(listed['panellist'].iloc[i])} lists option "
            f"{shown(listed['option'].iloc[i])} twice"
        )
    matrix[row, col] = ranks_raw
    listed_count = (~np.isnan(matrix)).sum(axis=1)
    for r in range(m):
        given = np.sort(matrix[r][~np.isnan(matrix[r])])
        if not np.array_equal(given, np.arange(1, listed_count[r] + 1)):
            raise ValueError(
                f"panellist {shown(panellists[r])}: ranks {given.tolist()} "
                f"are not 1..{listed_count[r]}"
            )
    free = (listed_count + 1 + n_options) / 2.0
    matrix = np.where(np.isnan(matrix), free[:, None], matrix)
    block = (n_options - listed_count).astype(float)
    ties = float((block**3 - block).sum())
    rank_sums = matrix.sum(axis=0)
    s = float(((rank_sums - m * (n_options + 1) / 2.0) ** 2).sum())
    denominator = m**2 * (n_options**3 - n_options) - m * ties
    if m >= 2 and n_options >= 2 and denominator > 0:
        w = 12 * s / denominator
        w_uncorrected = 12 * s / (m**2 * (n_options**3 - n_options))
        chi2 = m * (n_options - 1) * w
        p = float(sps.chi2.sf(chi2, n_options - 1))
    else:
        w = w_uncorrected = chi2 = p = float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        frame = pd.DataFrame(
            {
                "rank_sum": rank_sums if m else np.full(n_options, np.nan),
                "mean_rank": rank_sums / m if m else np.full(n_options, np.nan),
                "borda": (n_options - matrix).sum(axis=0) if m else np.full(n_options, np.nan),
                "share_first": (matrix == 1).sum(axis=0) / m if m else np.full(n_options, np.nan),
            },
            index=pd.Index(order, name="option", dtype=object),
        )
    return KendallResult(
        m=m,
        n_options=n_options,
        w=float(w),
        w_uncorrected=float(w_uncorrected),
        s=s if m else float("nan"),
        ties=ties,
        chi2=float(chi2),
        df=max(n_options - 1, 0),
        p=p,
        options=frame,
    )
