"""Worked test vectors of METHOD.md §10 and small frame builders for the engine tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

TV1 = [4, 5, 4, 3, 5, 4, 2]
TV2 = [1, 2, 2, 1, 2, 3, 2, 1, 2, 4]
TV3 = {
    "employers": [5, 5, 4, 5, 4, 5, 4, 5],
    "workers-representatives": [3, 2, 3, 4, 3, 2],
    "education-providers": [4, 4, 3, 5, 4, 4, 3],
    "public-authorities": [5, 4, 5],
}
TV4 = {
    "A": ([2, 3, 3, 4, 4, 5, 1, 3, 4, 2, 5, 3, 4], [3, 3, 4, 4, 4, 5, 2, 3, 4, 3, 4, 4]),
    "B": ([4, 4, 5, 3, 4, 4, 5, 2, 4, 3, 4, 5, 1], [4, 4, 5, 3, 4, 4, 5, 3, 4, 3, 4, 5]),
}
TV6_GROUPS = {
    "employers": [4, 4, 4, 4, 5],
    "workers-representatives": [2, 2, 3, 3, 3, 3, 2],
}
TV7 = {
    "value": [-2.0, 0.5, 1.0, 1.5, 2.0, 2.0, 3.0, 4.5, 6.0],
    "low": [-4, -1, 0, 0, 1, 0, 2, 3, 4],
    "high": [0, 2, 2, 3, 3, 4, 4, 6, 8],
    "confidence": [60, 50, 70, 40, 80, 55, 65, 50, 30],
}
TV8 = [7, 8, 9, 7, 6, 8, 9, 7, 3, 8, 7, 9]


def answers(values, item="q", start=0) -> pd.DataFrame:
    """One item's answers, panellists numbered from ``start``."""
    return pd.DataFrame(
        {
            "item": [item] * len(values),
            "panellist": list(range(start, start + len(values))),
            "value": [np.nan if v is None else v for v in values],
        }
    )


def grouped(groups: dict[str, list[int]], item="q") -> pd.DataFrame:
    """One item's answers with a ``group`` column."""
    rows = [(g, v) for g, values in groups.items() for v in values]
    return pd.DataFrame(
        {
            "item": [item] * len(rows),
            "panellist": list(range(len(rows))),
            "group": [g for g, _ in rows],
            "value": [float(v) for _, v in rows],
        }
    )
