from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from app.themes import (
    HIERARCHY_COLUMNS,
    MATCH_COLUMNS,
    SKILL_COLUMNS,
    THEME_MATCH_COLUMNS,
    SkillIndex,
    load_esco_hierarchy,
    load_esco_skills,
    match_esco,
    match_themes_esco,
    suggest_themes,
)

COLLECTION_HEADER = (
    "conceptType,conceptUri,skillType,reuseLevel,preferredLabel,altLabels,description,"
    "broaderConceptUri,broaderConceptPT\n"
)
SKILL = "http://data.europa.eu/esco/skill/"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _tiny_skills() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "uri": [SKILL + "teams", SKILL + "sheets", SKILL + "forklift"],
            "label": ["work in teams", "use spreadsheets software", "operate forklift"],
            "alt_labels": [
                ("teamwork", "collaborate with colleagues"),
                ("use spreadsheets", "work with Excel"),
                ("drive forklift trucks",),
            ],
            "description": [
                "Work confidently within a group, each doing their part.",
                "Use software to tabulate data, calculate and make charts.",
                "Operate a forklift truck to lift and move loads.",
            ],
        }
    )


# --- loading ---------------------------------------------------------------------------


def test_load_collection_layout(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "collection.csv",
        COLLECTION_HEADER
        + "KnowledgeSkillCompetence,u:2,skill/competence,transversal,work in teams,"
        '"teamwork | team working | work in teams",Work within a group.,'
        '"u:S1 | u:S2","collaborating | teams"\n'
        "KnowledgeSkillCompetence,u:1,knowledge,transversal,computer programming,,"
        "Writing programs.,u:S3,programming\n",
    )
    skills = load_esco_skills(path)
    assert list(skills.columns) == list(SKILL_COLUMNS)
    assert list(skills["uri"]) == ["u:1", "u:2"]
    teams = skills.iloc[1]
    assert teams["alt_labels"] == ("teamwork", "team working")
    assert teams["broader_uris"] == ("u:S1", "u:S2")
    assert teams["broader_labels"] == ("collaborating", "teams")
    assert teams["skill_type"] == "skill/competence"
    assert teams["source"] == "collection.csv"
    assert skills.iloc[0]["alt_labels"] == ()


def test_load_full_skills_layout(tmp_path: Path) -> None:
    """The full ESCO skills list: other extra columns, newline-separated labels, no broader."""
    path = _write(
        tmp_path / "skills_en.csv",
        "conceptType,conceptUri,skillType,reuseLevel,preferredLabel,altLabels,hiddenLabels,"
        "status,modifiedDate,scopeNote,definition,inScheme,description\n"
        'KnowledgeSkillCompetence,u:9,skill/competence,sector-specific,install heat pumps,"'
        "fit heat pumps\nheat pump installation\n"
        '",,released,2016-12-20,,,u:scheme,Install heat pumps in buildings.\n',
    )
    skills = load_esco_skills(path)
    assert len(skills) == 1
    row = skills.iloc[0]
    assert row["alt_labels"] == ("fit heat pumps", "heat pump installation")
    assert row["broader_uris"] == ()
    assert row["description"] == "Install heat pumps in buildings."


def test_load_keeps_first_of_repeated_skills(tmp_path: Path) -> None:
    first = _write(tmp_path / "a.csv", "conceptUri,preferredLabel\nu:1,first label\n")
    second = _write(tmp_path / "b.csv", "conceptUri,preferredLabel\nu:1,second label\nu:0,x y\n")
    skills = load_esco_skills([first, second])
    assert list(skills["uri"]) == ["u:0", "u:1"]
    assert skills.set_index("uri").loc["u:1", "label"] == "first label"


@pytest.mark.parametrize("missing", ["conceptUri", "preferredLabel"])
def test_load_rejects_missing_required_column(tmp_path: Path, missing: str) -> None:
    columns = ["conceptType", "conceptUri", "preferredLabel"]
    values = ["KnowledgeSkillCompetence", "u:1", "work in teams"]
    kept = [i for i, c in enumerate(columns) if c != missing]
    path = _write(
        tmp_path / "broken_skills.csv",
        ",".join(columns[i] for i in kept) + "\n" + ",".join(values[i] for i in kept) + "\n",
    )
    with pytest.raises(ValueError, match=missing) as error:
        load_esco_skills(path)
    assert "broken_skills.csv" in str(error.value)


def test_load_rejects_empty_uri(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.csv", "conceptUri,preferredLabel\nu:1,a b\n,c d\n")
    with pytest.raises(ValueError, match="data row 2 has an empty conceptUri"):
        load_esco_skills(path)


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_esco_skills(tmp_path / "absent.csv")


def test_load_no_paths_gives_empty_frame() -> None:
    skills = load_esco_skills([])
    assert skills.empty and list(skills.columns) == list(SKILL_COLUMNS)


def test_load_hierarchy_layout(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "hierarchy.csv",
        "Level 0 URI,Level 0 preferred term,Level 1 URI,Level 1 preferred term,"
        "Level 2 URI,Level 2 preferred term,Level 3 URI,Level 3 preferred term,"
        "Description,Scope note\n"
        "u:S,skills,,,,,,,,\n"
        "u:S,skills,u:S1,communication,,,,,Talking.,\n"
        "u:S,skills,u:S1,communication,u:S1.0,collaborating,,,Working together.,Excludes x\n"
        "u:S,skills,u:S1,communication,u:S1.0,collaborating,u:S1.0.0,teams,In teams.,\n"
        "u:S,skills,u:S1,communication,,,,,Repeated.,\n",
    )
    hierarchy = load_esco_hierarchy(path)
    assert list(hierarchy.columns) == list(HIERARCHY_COLUMNS)
    assert list(hierarchy["uri"]) == ["u:S", "u:S1", "u:S1.0", "u:S1.0.0"]
    assert list(hierarchy["level"]) == [0, 1, 2, 3]
    assert list(hierarchy["parent_uri"]) == [None, "u:S", "u:S1", "u:S1.0"]
    assert hierarchy.iloc[1]["description"] == "Talking."
    assert hierarchy.iloc[2]["scope_note"] == "Excludes x"


def test_load_hierarchy_rejects_missing_level_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "h.csv", "Level 0 preferred term\nskills\n")
    with pytest.raises(ValueError, match="Level 0 URI") as error:
        load_esco_hierarchy(path)
    assert "h.csv" in str(error.value)


def test_load_real_collections(classifications: Path, esco_skills: pd.DataFrame) -> None:
    transversal = load_esco_skills(classifications / "esco_v1.0_transversalSkillsCollection_en.csv")
    ict = load_esco_skills(classifications / "esco_v1.0_ictSkillsCollection_en.csv")
    assert len(transversal) == 107
    assert len(ict) == 21
    # The digital collection repeats skills of the transversal one; each is kept once.
    assert len(esco_skills) == len(set(transversal["uri"]) | set(ict["uri"]))
    assert esco_skills["uri"].is_unique
    assert esco_skills["uri"].is_monotonic_increasing
    teams = esco_skills[esco_skills["label"] == "work in teams"].iloc[0]
    assert "work in groups" in teams["alt_labels"]
    assert all(isinstance(a, tuple) for a in esco_skills["alt_labels"])


def test_load_real_hierarchy(classifications: Path) -> None:
    hierarchy = load_esco_hierarchy(classifications / "esco_v1.0_skillsHierarchy_en.csv")
    assert hierarchy["uri"].is_unique
    assert set(hierarchy["level"]) == {0, 1, 2, 3}
    s1 = hierarchy.set_index("uri").loc[SKILL + "S1"]
    assert s1["label"] == "communication, collaboration and creativity"
    assert s1["parent_uri"] == SKILL + "S"
    known = set(hierarchy["uri"])
    assert hierarchy["parent_uri"].dropna().isin(known).all()


# --- matching --------------------------------------------------------------------------


def test_match_ranks_by_label_and_reports_matched_label() -> None:
    result = match_esco(["Teamwork and collaboration with colleagues"], _tiny_skills())
    assert list(result.columns) == list(MATCH_COLUMNS)
    top = result.iloc[0]
    assert top["uri"] == SKILL + "teams"
    assert top["rank"] == 1
    assert top["matched_label"] in {"teamwork", "collaborate with colleagues"}
    assert result["score"].is_monotonic_decreasing
    assert result["score"].between(0, 1).all()


@pytest.mark.parametrize(
    ("texts", "ids"),
    [
        ("Excel spreadsheets", [0]),
        (["Excel spreadsheets", "forklift trucks"], [0, 1]),
        (pd.Series(["Excel spreadsheets", "forklift trucks"], index=["a", "b"]), ["a", "b"]),
        (
            pd.DataFrame({"statement_id": ["x:1", "x:2"], "text": ["Excel", "forklift trucks"]}),
            ["x:1", "x:2"],
        ),
    ],
)
def test_match_input_forms(texts: object, ids: list[object]) -> None:
    result = match_esco(texts, _tiny_skills(), top_k=1)  # type: ignore[arg-type]
    assert list(result["text_id"]) == ids
    assert list(result["rank"]) == [1] * len(ids)


def test_match_top_k_and_min_score() -> None:
    skills = _tiny_skills()
    assert len(match_esco("work with Excel", skills, top_k=2, min_score=0.0)) == 2
    strict = match_esco("work with Excel", skills, top_k=3, min_score=0.5)
    assert (strict["score"] >= 0.5).all()
    assert list(strict["uri"]) == [SKILL + "sheets"]


def test_match_text_without_candidates_has_no_rows() -> None:
    result = match_esco(["Excel", "zzzz qqqq"], _tiny_skills(), min_score=0.2)
    assert 1 not in set(result["text_id"])


def test_match_index_equals_frame() -> None:
    skills = _tiny_skills()
    index = SkillIndex(skills)
    texts = ["team spirit", "pivot tables in Excel", "forklift licence"]
    assert_frame_equal(match_esco(texts, index), match_esco(texts, skills))
    assert len(index) == 3
    assert index.uris == tuple(skills["uri"])
    assert index.labels == tuple(skills["label"])
    scores = index.scores(texts)
    assert scores.shape == (3, 3)
    assert np.all((scores >= 0) & (scores <= 1))


def test_match_does_not_mutate_skills() -> None:
    skills = _tiny_skills()
    before = skills.copy()
    match_esco("teamwork", skills)
    assert_frame_equal(skills, before)


@pytest.mark.parametrize("texts", [[], pd.Series([], dtype=object)])
def test_match_empty_input(texts: object) -> None:
    result = match_esco(texts, _tiny_skills())  # type: ignore[arg-type]
    assert result.empty and list(result.columns) == list(MATCH_COLUMNS)


def test_match_empty_skills() -> None:
    empty = _tiny_skills().iloc[0:0]
    result = match_esco("teamwork", empty)
    assert result.empty and list(result.columns) == list(MATCH_COLUMNS)


@pytest.mark.parametrize(
    ("texts", "skills", "kwargs", "message"),
    [
        (["ok", 3], _tiny_skills(), {}, "text 1 must be a string"),
        (pd.DataFrame({"text": ["a"]}), _tiny_skills(), {}, "statement_id"),
        ("x", _tiny_skills(), {"top_k": 0}, "top_k"),
        ("x", _tiny_skills(), {"min_score": 1.5}, "min_score"),
        ("x", _tiny_skills().drop(columns="uri"), {}, "uri"),
        ("x", pd.concat([_tiny_skills(), _tiny_skills()]), {}, "duplicate uri"),
        ("x", _tiny_skills().assign(label=["a", "", "c"]), {}, "empty label"),
        ("x", [{"uri": "u", "label": "l"}], {}, "DataFrame"),
    ],
)
def test_match_rejects_bad_input(texts: object, skills: object, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        match_esco(texts, skills, **kwargs)  # type: ignore[arg-type]


def test_skill_index_rejects_zero_weights() -> None:
    with pytest.raises(ValueError, match="weight"):
        SkillIndex(_tiny_skills(), label_weight=0, description_weight=0)


@pytest.mark.parametrize(
    "text",
    ["spreadsheets and data analysis", "Staff need to analyse data in spreadsheets."],
)
def test_spreadsheet_statement_matches_digital_skill(
    classifications: Path, esco_index: SkillIndex, text: str
) -> None:
    ict = load_esco_skills(classifications / "esco_v1.0_ictSkillsCollection_en.csv")
    digital = match_esco(text, ict, min_score=0.0)
    assert {
        "evaluate data, information and digital content",
        "manage data, information and digital content",
    } & set(digital["label"])
    assert "use spreadsheets software" in set(match_esco(text, esco_index)["label"])


@pytest.mark.parametrize(
    "text",
    [
        "teamwork",
        "Our people must be able to work well in teams.",
        "Good teamwork on the shop floor.",
    ],
)
def test_teamwork_statement_matches_transversal_teamwork(esco_index: SkillIndex, text: str) -> None:
    result = match_esco(text, esco_index, top_k=3)
    assert "work in teams" in set(result["label"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Team leaders need training in leading people and motivating staff.", "lead others"),
        ("Programming skills in Python and SQL.", "computer programming"),
        ("Coping with stress and time pressure.", "cope with pressure"),
        ("Adapting to rapid technological change.", "adapt to change"),
    ],
)
def test_more_statements_match_expected_skill(
    esco_index: SkillIndex, text: str, expected: str
) -> None:
    assert expected in set(match_esco(text, esco_index)["label"])


def test_statements_match_skill_groups(classifications: Path) -> None:
    hierarchy = load_esco_hierarchy(classifications / "esco_v1.0_skillsHierarchy_en.csv")
    result = match_esco("teamwork", hierarchy, top_k=3)
    assert "working in teams" in set(result["label"])


def test_match_themes(esco_index: SkillIndex) -> None:
    statements = pd.DataFrame(
        {
            "statement_id": list(range(8)),
            "text": [
                "Teamwork in mixed teams",
                "Working in teams across shifts",
                "Team spirit and teamwork",
                "Teams that support each other",
                "Spreadsheet skills for the office",
                "Spreadsheets for cost calculations",
                "Using spreadsheets to analyse sales",
                "Spreadsheet formulas and charts",
            ],
        }
    )
    suggestion = suggest_themes(statements, n_themes=2)
    result = match_themes_esco(suggestion, esco_index, top_k=3)
    assert list(result.columns) == list(THEME_MATCH_COLUMNS)
    by_theme = result.groupby("theme_id")["label"].agg(set)
    tops = set().union(*by_theme)
    assert "work in teams" in tops
    assert "use spreadsheets software" in tops
    assert set(result["theme_id"]) <= set(suggestion.themes["theme_id"])


def test_match_themes_empty() -> None:
    suggestion = suggest_themes(pd.DataFrame({"statement_id": [], "text": []}))
    result = match_themes_esco(suggestion, _tiny_skills())
    assert result.empty and list(result.columns) == list(THEME_MATCH_COLUMNS)
