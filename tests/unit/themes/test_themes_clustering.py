import dataclasses

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from sklearn.metrics import adjusted_rand_score

from app.themes import (
    ASSIGNMENT_COLUMNS,
    SELECTION_COLUMNS,
    THEME_COLUMNS,
    ThemeSuggestion,
    clustering,
    split_statements,
    suggest_themes,
)

CLEAR_GROUPS = {
    "heat": [
        "Installing heat pumps in old buildings",
        "Heat pump servicing and repair",
        "Sizing heat pumps for family houses",
        "Heat pumps combined with solar heating",
        "Commissioning of air-source heat pumps",
    ],
    "sheets": [
        "Spreadsheet formulas and pivot tables",
        "Building dashboards from spreadsheet data",
        "Spreadsheets for cost calculation",
        "Checking spreadsheet data for errors",
        "Sharing spreadsheets in the cloud",
    ],
    "forklift": [
        "Forklift driving licence for warehouse staff",
        "Safe forklift operation in narrow aisles",
        "Forklift battery charging rules",
        "Daily forklift safety checks",
        "Training new forklift drivers",
    ],
}


def _frame(groups: dict[str, list[str]]) -> tuple[pd.DataFrame, pd.Series]:
    texts = [(group, text) for group, items in groups.items() for text in items]
    frame = pd.DataFrame(
        {
            "statement_id": [f"id{i:02d}" for i in range(len(texts))],
            "text": [t for _, t in texts],
        }
    )
    truth = pd.Series([g for g, _ in texts], index=frame["statement_id"])
    return frame, truth


def _partition(result: ThemeSuggestion) -> set[frozenset[str]]:
    return {frozenset(group["statement_id"]) for _, group in result.assignments.groupby("theme_id")}


def test_recovers_clearly_separated_themes() -> None:
    frame, truth = _frame(CLEAR_GROUPS)
    result = suggest_themes(frame)
    assert result.n_themes == 3
    assigned = result.assignments.set_index("statement_id")["theme_id"]
    assert adjusted_rand_score(truth, assigned[truth.index]) == 1.0
    labels = " ".join(result.themes["label"]).casefold()
    assert "heat" in labels
    assert "spreadsheet" in labels
    assert "forklift" in labels


def test_result_structure() -> None:
    frame, _ = _frame(CLEAR_GROUPS)
    result = suggest_themes(frame)
    themes, assignments = result.themes, result.assignments

    assert list(themes.columns) == list(THEME_COLUMNS)
    assert list(assignments.columns) == list(ASSIGNMENT_COLUMNS)
    assert list(result.selection.columns) == list(SELECTION_COLUMNS)
    assert list(themes["theme_id"]) == list(range(1, result.n_themes + 1))
    assert themes["size"].sum() == len(frame)
    assert list(themes["size"]) == sorted(themes["size"], reverse=True)
    assert sorted(i for ids in themes["statement_ids"] for i in ids) == sorted(
        frame["statement_id"]
    )
    assert assignments["similarity"].between(0, 1).all()
    assert themes["cohesion"].between(0, 1).all()
    for theme in themes.itertuples():
        members = assignments[assignments["theme_id"] == theme.theme_id]
        assert tuple(members["statement_id"]) == theme.statement_ids
        assert theme.cohesion == pytest.approx(members["similarity"].mean())
        assert theme.representative_id == theme.statement_ids[0]
        assert members["similarity"].is_monotonic_decreasing
        assert theme.label
        assert len(theme.keywords) <= 3
    # The final partition competes with the one that chose the number of themes.
    chosen = result.selection.set_index("n_themes").loc[result.n_themes, "modularity"]
    assert result.modularity >= chosen - 1e-12
    assert chosen == result.selection["modularity"].max()
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.n_themes = 5  # type: ignore[misc]


def test_same_seed_same_result(labelled_statements: pd.DataFrame) -> None:
    statements = labelled_statements[["statement_id", "text"]]
    first = suggest_themes(statements, seed=7)
    second = suggest_themes(statements, seed=7)
    assert_frame_equal(first.themes, second.themes)
    assert_frame_equal(first.assignments, second.assignments)
    assert_frame_equal(first.selection, second.selection)


@pytest.mark.parametrize("n_themes", [None, 9])
def test_row_order_does_not_change_the_partition(
    labelled_statements: pd.DataFrame, n_themes: int | None
) -> None:
    statements = labelled_statements[["statement_id", "text"]]
    shuffled = statements.sample(frac=1.0, random_state=11).reset_index(drop=True)
    original = suggest_themes(statements, n_themes=n_themes)
    reordered = suggest_themes(shuffled, n_themes=n_themes)
    assert _partition(original) == _partition(reordered)
    assert_frame_equal(original.themes, reordered.themes)


def test_requested_number_of_themes(labelled_statements: pd.DataFrame) -> None:
    result = suggest_themes(labelled_statements[["statement_id", "text"]], n_themes=9)
    assert result.n_themes == 9
    assert len(result.themes) == 9
    assert list(result.selection["n_themes"]) == [9]


def test_theme_range_is_respected(labelled_statements: pd.DataFrame) -> None:
    result = suggest_themes(
        labelled_statements[["statement_id", "text"]], min_themes=4, max_themes=6
    )
    assert 4 <= result.n_themes <= 6
    assert list(result.selection["n_themes"]) == [4, 5, 6]


def test_identical_texts_share_a_theme() -> None:
    frame, _ = _frame(CLEAR_GROUPS)
    duplicates = pd.DataFrame(
        {"statement_id": ["dup1", "dup2"], "text": ["Forklift safety", "forklift   SAFETY"]}
    )
    result = suggest_themes(pd.concat([frame, duplicates], ignore_index=True))
    assigned = result.assignments.set_index("statement_id")["theme_id"]
    assert assigned["dup1"] == assigned["dup2"]


def test_single_statement_is_one_theme() -> None:
    result = suggest_themes(pd.DataFrame({"statement_id": [1], "text": ["Heat pumps"]}))
    assert result.n_themes == 1
    theme = result.themes.iloc[0]
    assert theme["size"] == 1
    assert theme["cohesion"] == pytest.approx(1.0)
    assert theme["statement_ids"] == (1,)
    assert theme["label"] == "Heat pumps"


def test_all_identical_statements_are_one_theme() -> None:
    frame = pd.DataFrame({"statement_id": [1, 2, 3], "text": ["Excel skills"] * 3})
    result = suggest_themes(frame)
    assert result.n_themes == 1
    assert result.themes.iloc[0]["size"] == 3


def test_statements_without_shared_vocabulary() -> None:
    frame = pd.DataFrame(
        {"statement_id": ["a", "b", "c"], "text": ["Hydraulik", "spreadsheets", "forklift"]}
    )
    result = suggest_themes(frame)
    assert 1 <= result.n_themes <= 3
    assert result.themes["size"].sum() == 3


def test_empty_input_gives_empty_frames() -> None:
    result = suggest_themes(pd.DataFrame({"statement_id": [], "text": []}))
    assert result.n_themes == 0
    assert result.themes.empty and list(result.themes.columns) == list(THEME_COLUMNS)
    assert result.assignments.empty
    assert list(result.assignments.columns) == list(ASSIGNMENT_COLUMNS)
    assert list(result.selection.columns) == list(SELECTION_COLUMNS)


def test_input_is_not_mutated(labelled_statements: pd.DataFrame) -> None:
    statements = labelled_statements.copy()
    before = statements.copy()
    suggest_themes(statements)
    assert_frame_equal(statements, before)


def test_extra_columns_are_ignored(labelled_statements: pd.DataFrame) -> None:
    plain = suggest_themes(labelled_statements[["statement_id", "text"]])
    extra = suggest_themes(labelled_statements)
    assert _partition(plain) == _partition(extra)


@pytest.mark.parametrize(
    ("statements", "kwargs", "message"),
    [
        ([{"statement_id": 1, "text": "x"}], {}, "must be a pandas DataFrame"),
        (pd.DataFrame({"statement_id": [1]}), {}, "text"),
        (pd.DataFrame({"text": ["Excel"]}), {}, "statement_id"),
        (pd.DataFrame({"statement_id": [1, 1], "text": ["a b c", "d e f"]}), {}, "unique"),
        (pd.DataFrame({"statement_id": [1, 2], "text": ["Excel", np.nan]}), {}, "statement 2"),
        (pd.DataFrame({"statement_id": [1, 2], "text": ["Excel", "  "]}), {}, "blank"),
        (pd.DataFrame({"statement_id": [1, 2], "text": ["Excel", "SQL"]}), {"n_themes": 3}, "3"),
        (pd.DataFrame({"statement_id": [1], "text": ["Excel"]}), {"n_themes": 0}, "n_themes"),
        (pd.DataFrame({"statement_id": [1], "text": ["Excel"]}), {"n_themes": 1.5}, "n_themes"),
        (
            pd.DataFrame({"statement_id": [1], "text": ["Excel"]}),
            {"min_themes": 5, "max_themes": 3},
            "max_themes",
        ),
        (pd.DataFrame({"statement_id": [1], "text": ["Excel"]}), {"n_neighbors": 0}, "n_neig"),
        (
            pd.DataFrame({"statement_id": [1], "text": ["Excel"]}),
            {"ngram_range": (5, 3)},
            "ngram_range",
        ),
    ],
)
def test_rejects_bad_input(statements: object, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        suggest_themes(statements, **kwargs)  # type: ignore[arg-type]


def test_sparse_and_dense_eigensolvers_agree(
    labelled_statements: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements = labelled_statements[["statement_id", "text"]]
    sparse = suggest_themes(statements)
    monkeypatch.setattr(clustering, "DENSE_LIMIT", 10_000)
    dense = suggest_themes(statements)
    assert _partition(sparse) == _partition(dense)


def test_seed_only_moves_the_eigensolver_start(labelled_statements: pd.DataFrame) -> None:
    statements = labelled_statements[["statement_id", "text"]]
    assert _partition(suggest_themes(statements, seed=0)) == _partition(
        suggest_themes(statements, seed=3)
    )


def test_as_many_themes_as_distinct_statements() -> None:
    frame = pd.DataFrame(
        {"statement_id": ["a", "b", "c"], "text": ["Heat pumps", "Excel sheets", "Forklifts"]}
    )
    result = suggest_themes(frame, n_themes=3)
    assert result.n_themes == 3
    assert list(result.themes["size"]) == [1, 1, 1]


def test_pipeline_from_answers() -> None:
    answers = pd.DataFrame(
        {
            "response": [1, 2, 3],
            "item": ["q_needs"] * 3,
            "text": [
                "- Heat pump installation\n- Excel spreadsheets for costing",
                "Heat pump servicing; spreadsheet formulas and pivot tables.",
                "Sizing heat pumps. Checking spreadsheet data for errors.",
            ],
        }
    )
    statements = split_statements(answers)
    result = suggest_themes(statements)
    assert set(result.assignments["statement_id"]) == set(statements["statement_id"])
    assert result.n_themes == 2
    labels = sorted(label.casefold() for label in result.themes["label"])
    assert any("heat" in label for label in labels)
    assert any("spreadsheet" in label for label in labels)
