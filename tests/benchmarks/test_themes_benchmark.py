"""Speed of theme suggestion on a consultation-sized set of statements.

Run with: .venv/bin/pytest -m benchmark tests/benchmarks/test_themes_benchmark.py -s

The baseline, measured in the same run on the same texts, is fitting the character n-gram
TF-IDF vectoriser alone: the floor any method built on these features pays. Target: a few
hundred statements clustered (number of themes chosen automatically) in well under 1 s.
"""

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from app.themes import SkillIndex, load_esco_skills, match_esco, split_statements, suggest_themes
from tests.benchmarks.report import record, traced_peak_mib

ROOT = Path(__file__).resolve().parents[2]
STATEMENTS_CSV = ROOT / "tests" / "data" / "themes" / "skill_statements.csv"
CLASSIFICATIONS = ROOT.parent / "shared" / "data" / "classifications"
N_STATEMENTS = 480
REPEATS = 5


def _statements() -> pd.DataFrame:
    """The 270 labelled statements plus answers combining two statements of one theme."""
    raw = pd.read_csv(STATEMENTS_CSV, dtype=str, keep_default_na=False)
    texts = list(raw["statement"])
    rng = np.random.default_rng(0)
    seen = set(texts)
    by_theme = {theme: list(group["statement"]) for theme, group in raw.groupby("theme")}
    themes = sorted(by_theme)
    while len(texts) < N_STATEMENTS:
        pool = by_theme[themes[int(rng.integers(len(themes)))]]
        first, second = rng.choice(len(pool), size=2, replace=False)
        combined = f"{pool[first].rstrip('.')}, and {pool[second][0].lower()}{pool[second][1:]}"
        if combined not in seen:
            seen.add(combined)
            texts.append(combined)
    return pd.DataFrame({"statement_id": [f"b{i:04d}" for i in range(len(texts))], "text": texts})


def _timed(function: Callable[[], object]) -> tuple[float, float]:
    """Median and best wall time over REPEATS runs, after one warm-up run."""
    function()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


@pytest.mark.benchmark
def test_suggest_themes_speed() -> None:
    statements = _statements()
    texts = list(statements["text"])
    assert len(statements) == N_STATEMENTS

    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    baseline, baseline_best = _timed(lambda: vectoriser.fit_transform(texts))
    automatic, automatic_best = _timed(lambda: suggest_themes(statements))
    fixed, fixed_best = _timed(lambda: suggest_themes(statements, n_themes=12))
    result = suggest_themes(statements)

    answers = pd.DataFrame(
        {
            "response": np.arange(len(texts)) // 3,
            "item": "q_future_skills",
            "text": [f"- {t}\n- {texts[-1 - i]}" for i, t in enumerate(texts)],
        }
    )
    splitting, _ = _timed(lambda: split_statements(answers))

    print(f"\nstatements: {len(statements)}; themes chosen: {result.n_themes}")
    print(f"baseline  TF-IDF char_wb 3-5 fit     median {baseline * 1e3:7.1f} ms")
    print(
        f"suggest_themes (automatic number)   median {automatic * 1e3:7.1f} ms"
        f"  best {automatic_best * 1e3:7.1f} ms  ratio {automatic / baseline:5.1f}x"
    )
    print(
        f"suggest_themes (n_themes=12)        median {fixed * 1e3:7.1f} ms"
        f"  best {fixed_best * 1e3:7.1f} ms  ratio {fixed / baseline:5.1f}x"
    )
    print(f"split_statements ({len(answers)} answers)     median {splitting * 1e3:7.1f} ms")
    traced = traced_peak_mib(lambda: suggest_themes(statements))
    print(f"suggest_themes traced peak          {traced:7.1f} MiB")
    for name, seconds in (("automatic number", automatic), ("n_themes=12", fixed)):
        record(
            f"suggest_themes, {N_STATEMENTS} statements, {name}",
            seconds * 1e3,
            baseline * 1e3,
            "ms",
            "< 1000 ms",
            traced,
            met=seconds < 1.0,
        )

    if CLASSIFICATIONS.is_dir():
        skills = load_esco_skills(
            [
                CLASSIFICATIONS / "esco_v1.0_transversalSkillsCollection_en.csv",
                CLASSIFICATIONS / "esco_v1.0_ictSkillsCollection_en.csv",
            ]
        )
        build, _ = _timed(lambda: SkillIndex(skills))
        index = SkillIndex(skills)
        matching, _ = _timed(lambda: match_esco(statements, index))
        print(f"SkillIndex build ({len(skills)} skills)       median {build * 1e3:7.1f} ms")
        print(f"match_esco ({len(statements)} statements)      median {matching * 1e3:7.1f} ms")

    assert automatic < 1.0
    assert fixed < 1.0
