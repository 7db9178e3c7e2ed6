"""Fixtures: METHOD.md §10 test vectors as answer frames."""

from __future__ import annotations

import pandas as pd
import pytest
from consensus_vectors import TV2, TV3, TV4, TV7, answers, grouped


@pytest.fixture
def tv2_answers() -> pd.DataFrame:
    """TV2 with one "cannot assess" and one blank answer."""
    frame = answers([*TV2, None, None])
    frame["dont_know"] = [False] * 10 + [True, False]
    return frame


@pytest.fixture
def tv3_answers() -> pd.DataFrame:
    return grouped(TV3)


@pytest.fixture
def tv4_rounds() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Round 1 with 13 panellists per item; panellist 12 is absent from round 2."""
    first = pd.concat([answers(r1, item) for item, (r1, _) in TV4.items()], ignore_index=True)
    second = pd.concat([answers(r2, item) for item, (_, r2) in TV4.items()], ignore_index=True)
    return first, second


@pytest.fixture
def tv7_estimates() -> pd.DataFrame:
    frame = pd.DataFrame(TV7)
    frame.insert(0, "item", "employment-change")
    frame.insert(1, "panellist", range(len(frame)))
    return frame
