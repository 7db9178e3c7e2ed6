"""Clustering quality on the labelled multilingual set (tests/data/themes/skill_statements.csv).

270 skill-need statements as council members write them, 9 themes, English (117), German
(108) and French (45). The adjusted Rand index (ARI) compares suggested themes with the
hand labels: 1 is perfect agreement, 0 what random partitions score.

Character n-grams link statements through shared words, stems and compounds, not through
meaning: "Brandschutz im Lager" and "Ergonomie am Arbeitsplatz" (both health and safety)
share nothing, and translations of one idea ("Wärmepumpen" / "heat pumps" / "pompes à
chaleur") do not meet. Suggested themes are therefore largely monolingual, and a theme with
varied vocabulary splits into sub-themes. The figures below measure this honestly: overall,
per language within the joint clustering, and per language clustered alone. Floors are the
measured values minus a margin for numerical differences between platforms.
"""

import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score

from app.themes import ThemeSuggestion, suggest_themes

LANGUAGES = ("en", "de", "fr")


def _ari(result: ThemeSuggestion, labelled: pd.DataFrame) -> float:
    merged = result.assignments.merge(labelled, on="statement_id")
    return adjusted_rand_score(merged["theme"], merged["theme_id"])


@pytest.fixture(scope="module")
def joint(labelled_statements: pd.DataFrame) -> ThemeSuggestion:
    return suggest_themes(labelled_statements[["statement_id", "text"]], seed=0)


def test_data_set_shape(labelled_statements: pd.DataFrame) -> None:
    counts = labelled_statements.groupby("language").size()
    assert len(labelled_statements) >= 150
    assert labelled_statements["theme"].nunique() >= 8
    assert set(counts.index) == set(LANGUAGES)
    assert not labelled_statements["text"].duplicated().any()


def test_overall_ari(joint: ThemeSuggestion, labelled_statements: pd.DataFrame) -> None:
    score = _ari(joint, labelled_statements)
    print(f"\nthemes: {joint.n_themes}, modularity {joint.modularity:.3f}, ARI overall {score:.3f}")
    assert score >= 0.20  # measured 0.264


def test_ari_per_language_in_joint_clustering(
    joint: ThemeSuggestion, labelled_statements: pd.DataFrame
) -> None:
    merged = joint.assignments.merge(labelled_statements, on="statement_id")
    scores = {
        language: adjusted_rand_score(group["theme"], group["theme_id"])
        for language, group in merged.groupby("language")
    }
    purity = (
        merged.groupby("theme_id")["language"]
        .agg(lambda s: s.value_counts(normalize=True).iloc[0])
        .mean()
    )
    print(
        "\nARI per language, joint clustering: "
        + ", ".join(f"{k} {v:.3f}" for k, v in sorted(scores.items()))
        + f"; mean share of a theme's main language {purity:.2f}"
    )
    assert scores["en"] >= 0.24  # measured 0.312
    assert scores["de"] >= 0.27  # measured 0.345
    # French (45 statements) is outnumbered: its statements join English or German themes
    # through cognates or form small themes of their own, so its ARI in the joint
    # clustering stays near 0 (measured 0.065) and has no floor here; see the next test.


@pytest.mark.parametrize(("language", "floor"), [("en", 0.23), ("de", 0.27), ("fr", 0.20)])
def test_ari_per_language_clustered_alone(
    labelled_statements: pd.DataFrame, language: str, floor: float
) -> None:
    subset = labelled_statements[labelled_statements["language"] == language]
    result = suggest_themes(subset[["statement_id", "text"]], seed=0)
    score = _ari(result, subset)
    print(
        f"\nARI {language} alone ({len(subset)} statements, {result.n_themes} themes): {score:.3f}"
    )
    # measured: en 0.297, de 0.340, fr 0.292
    assert score >= floor


def test_requested_number_of_themes_quality(labelled_statements: pd.DataFrame) -> None:
    result = suggest_themes(labelled_statements[["statement_id", "text"]], n_themes=9)
    score = _ari(result, labelled_statements)
    print(f"\nARI with n_themes=9: {score:.3f}")
    assert score >= 0.20  # measured 0.268


@pytest.mark.parametrize("seed", [1, 2])
def test_quality_does_not_hinge_on_the_seed(labelled_statements: pd.DataFrame, seed: int) -> None:
    result = suggest_themes(labelled_statements[["statement_id", "text"]], seed=seed)
    assert _ari(result, labelled_statements) >= 0.20  # measured 0.264 for seeds 0-5


def test_beats_k_means_on_raw_tfidf(
    joint: ThemeSuggestion, labelled_statements: pd.DataFrame
) -> None:
    vectors = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True
    ).fit_transform(labelled_statements["text"])
    labels = KMeans(n_clusters=9, n_init=10, random_state=0).fit(vectors).labels_
    baseline = adjusted_rand_score(labelled_statements["theme"], labels)
    score = _ari(joint, labelled_statements)
    print(f"\nARI k-means on raw TF-IDF (k=9): {baseline:.3f}, suggest_themes: {score:.3f}")
    assert score >= baseline + 0.1  # measured 0.037 vs 0.264
