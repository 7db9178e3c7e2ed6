from pathlib import Path

import pandas as pd
import pytest

from app.themes import SkillIndex, load_esco_skills

ROOT = Path(__file__).resolve().parents[3]
STATEMENTS_CSV = ROOT / "tests" / "data" / "themes" / "skill_statements.csv"
CLASSIFICATIONS = ROOT.parent / "shared" / "data" / "classifications"
TRANSVERSAL = CLASSIFICATIONS / "esco_v1.0_transversalSkillsCollection_en.csv"
ICT = CLASSIFICATIONS / "esco_v1.0_ictSkillsCollection_en.csv"
HIERARCHY = CLASSIFICATIONS / "esco_v1.0_skillsHierarchy_en.csv"


@pytest.fixture(scope="session")
def labelled_statements() -> pd.DataFrame:
    """The multilingual test set: statement_id, text, language, theme (270 rows)."""
    raw = pd.read_csv(STATEMENTS_CSV, dtype=str, keep_default_na=False)
    return pd.DataFrame(
        {
            "statement_id": [f"s{i:03d}" for i in range(len(raw))],
            "text": raw["statement"],
            "language": raw["language"],
            "theme": raw["theme"],
        }
    )


@pytest.fixture(scope="session")
def classifications() -> Path:
    """The shared ESCO files; tests using them skip in a clone without ../shared."""
    if not all(p.is_file() for p in (TRANSVERSAL, ICT, HIERARCHY)):
        pytest.skip(
            f"ESCO reference data not found in {CLASSIFICATIONS} "
            "(../shared/data/classifications is outside the repository; CI provides it)"
        )
    return CLASSIFICATIONS


@pytest.fixture(scope="session")
def esco_skills(classifications: Path) -> pd.DataFrame:
    return load_esco_skills([TRANSVERSAL, ICT])


@pytest.fixture(scope="session")
def esco_index(esco_skills: pd.DataFrame) -> SkillIndex:
    return SkillIndex(esco_skills)
