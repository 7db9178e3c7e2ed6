import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from app.themes import STATEMENT_COLUMNS, split_statements, split_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # sentences
        (
            "We need Excel skills. Also SQL! What about Python? Yes, Python.",
            ["We need Excel skills.", "Also SQL!", "What about Python?", "Yes, Python."],
        ),
        # bulleted and numbered lists; the lead-in before a list is dropped
        (
            "Skills needed:\n- Excel\n- SQL queries\n• cloud tools\n* ERP\n1. data literacy\n"
            "2) automation basics\na) heat pumps",
            [
                "Excel",
                "SQL queries",
                "cloud tools",
                "ERP",
                "data literacy",
                "automation basics",
                "heat pumps",
            ],
        ),
        # inline numbering counting up from 1
        (
            "Needs: 1) data literacy 2) automation basics 3) English",
            ["data literacy", "automation basics", "English"],
        ),
        ("Kenntnisse in:\n* Hydraulik\n* Pneumatik", ["Hydraulik", "Pneumatik"]),
        ("Excel • SQL • Power BI", ["Excel", "SQL", "Power BI"]),
        # semicolons
        (
            "Data analysis; cloud computing;robotics",
            ["Data analysis", "cloud computing", "robotics"],
        ),
        # abbreviations do not end sentences
        (
            "Tools e.g. Excel and Power BI are used. Next sentence here.",
            ["Tools e.g. Excel and Power BI are used.", "Next sentence here."],
        ),
        (
            "Office tools, i.e. Word and Excel, vs. specialised software.",
            ["Office tools, i.e. Word and Excel, vs. specialised software."],
        ),
        (
            "Digitale Kompetenzen, z. B. Excel. Außerdem SPS im 3. Lehrjahr.",
            ["Digitale Kompetenzen, z. B. Excel.", "Außerdem SPS im 3. Lehrjahr."],
        ),
        (
            "Sprachen bzw. Englisch, vgl. Nr. 4 der Liste.",
            ["Sprachen bzw. Englisch, vgl. Nr. 4 der Liste."],
        ),
        (
            "Compétences numériques, p. ex. tableurs. Ensuite la sécurité.",
            ["Compétences numériques, p. ex. tableurs.", "Ensuite la sécurité."],
        ),
        # a full stop before a lower-case word is not a sentence end
        ("Approx. ten people. more later", ["Approx. ten people. more later"]),
        # decimals, versions, URLs and years
        (
            "ISO 9001 version 3.5 on www.example.org. By 2030. We will need more.",
            ["ISO 9001 version 3.5 on www.example.org.", "By 2030.", "We will need more."],
        ),
        # quotes stay with their sentence
        ('He said "use Excel." Then he left.', ['He said "use Excel."', "Then he left."]),
        # whitespace is normalised
        ("  Data\u00a0 literacy \t skills  ", ["Data literacy skills"]),
        # empties, near-empties and placeholders
        ("", []),
        ("   \n\n  ", []),
        ("- ;\n;;", []),
        ("n/a", []),
        ("None.", []),
        ("Keine", []),
        ("ok", []),
        ("Excel; -; n/a; SQL", ["Excel", "SQL"]),
        # a colon at the very end is kept (nothing follows it)
        ("We will need:", ["We will need:"]),
    ],
)
def test_split_text(text: str, expected: list[str]) -> None:
    assert split_text(text) == expected


def test_split_text_min_chars() -> None:
    assert split_text("AI; ML; robotics", min_chars=2) == ["AI", "ML", "robotics"]
    assert split_text("AI; ML; robotics") == ["robotics"]


def test_split_text_rejects_non_string() -> None:
    with pytest.raises(ValueError, match="must be a string"):
        split_text(3)  # type: ignore[arg-type]


def _answers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "response": [2, 1, 1, 3],
            "item": ["q_skills", "q_skills", "q_training", "q_skills"],
            "text": [
                "Heat pumps; solar PV",
                "- Excel\n- SQL",
                None,
                "Datenkompetenz. Robotik.",
            ],
            "language": ["en", "en", "en", "de"],
        }
    )


def test_split_statements_frame() -> None:
    result = split_statements(_answers())
    expected = pd.DataFrame(
        {
            "statement_id": ["1:q_skills:1", "1:q_skills:2", "2:q_skills:1", "2:q_skills:2"]
            + ["3:q_skills:1", "3:q_skills:2"],
            "response": [1, 1, 2, 2, 3, 3],
            "item": ["q_skills"] * 6,
            "text": ["Excel", "SQL", "Heat pumps", "solar PV", "Datenkompetenz.", "Robotik."],
            "language": ["en", "en", "en", "en", "de", "de"],
        }
    )
    assert_frame_equal(result, expected)


def test_split_statements_without_language_column() -> None:
    answers = _answers().drop(columns="language")
    result = split_statements(answers)
    assert list(result.columns) == list(STATEMENT_COLUMNS)
    assert result["language"].isna().all()


def test_split_statements_missing_language_value_becomes_none() -> None:
    answers = _answers().assign(language=["en", np.nan, "en", None])
    result = split_statements(answers)
    assert result.set_index("statement_id").loc["1:q_skills:1", "language"] is None


def test_split_statements_independent_of_row_order() -> None:
    answers = _answers()
    shuffled = answers.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert_frame_equal(split_statements(shuffled), split_statements(answers))


def test_split_statements_repeated_answer_rows_continue_numbering() -> None:
    answers = pd.DataFrame({"response": [1, 1], "item": ["q", "q"], "text": ["Excel", "SQL"]})
    assert list(split_statements(answers)["statement_id"]) == ["1:q:1", "1:q:2"]


def test_split_statements_mixed_id_types_sort_by_text_form() -> None:
    answers = pd.DataFrame({"response": [2, "a", 1], "item": ["q", "q", "q"], "text": ["B"] * 3})
    answers["text"] = ["Two here", "Letter here", "One here"]
    result = split_statements(answers)
    assert list(result["text"]) == ["One here", "Two here", "Letter here"]


def test_split_statements_does_not_mutate_input() -> None:
    answers = _answers()
    before = answers.copy()
    split_statements(answers)
    assert_frame_equal(answers, before)


@pytest.mark.parametrize(
    "answers",
    [
        pd.DataFrame({"response": [], "item": [], "text": []}),
        pd.DataFrame({"response": [1], "item": ["q"], "text": ["  n/a "]}),
        pd.DataFrame({"response": [1], "item": ["q"], "text": [None]}),
    ],
)
def test_split_statements_empty_result_keeps_columns(answers: pd.DataFrame) -> None:
    result = split_statements(answers)
    assert result.empty
    assert list(result.columns) == list(STATEMENT_COLUMNS)


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([{"response": 1, "item": "q", "text": "x"}], "must be a pandas DataFrame"),
        (pd.DataFrame({"response": [1], "text": ["Excel"]}), "item"),
        (pd.DataFrame({"response": [1], "item": ["q"]}), "text"),
        (pd.DataFrame({"response": [7], "item": ["q"], "text": [42]}), "response 7"),
    ],
)
def test_split_statements_rejects_bad_input(answers: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        split_statements(answers)  # type: ignore[arg-type]


def test_split_statements_rejects_negative_min_chars() -> None:
    with pytest.raises(ValueError, match="min_chars"):
        split_statements(_answers(), min_chars=-1)
