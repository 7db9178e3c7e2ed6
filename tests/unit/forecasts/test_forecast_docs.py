"""The worked example of docs/forecast-profiles.md reads as the page says."""

from __future__ import annotations

import re
from pathlib import Path

from app.forecasts.parse import summarise
from app.forecasts.profile import ProfileError, load_profile, load_profile_text

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "forecast-profiles.md"


def _example() -> tuple[str, str, str]:
    """The example's CSV file, profile and the page text after them."""
    text = DOC.read_text(encoding="utf-8")
    example = text.split("## Worked example", 1)[1]
    csv_text = re.search(r"```csv\n(.*?)```", example, re.S).group(1)
    yaml_text = re.search(r"```yaml\n(.*?)```", example, re.S).group(1)
    return csv_text, yaml_text, example


def test_the_worked_example_reads_as_documented(tmp_path):
    csv_text, yaml_text, page = _example()
    path = tmp_path / "elmo-skills-outlook-2025.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    profile = load_profile(path)
    summary, problems = summarise(csv_text.encode("utf-8"), "skills-outlook-2025.csv", profile)
    assert problems == []
    assert summary.rows == 40
    assert summary.counts == {
        "employment": {2024: 5, 2027: 5, 2030: 5, 2035: 5},
        "outlook": {2035: 5},
        "openings": {2027: 5, 2030: 5, 2035: 5},
    }
    first = summary.first
    assert [(r.occupation_code, r.indicator, r.year, r.value) for r in first[:4]] == [
        ("22", "employment", 2024, 1204.5),
        ("22", "employment", 2027, 1251.0),
        ("22", "employment", 2030, 1298.2),
        ("22", "employment", 2035, 1360.9),
    ]
    outlook = first[4]
    assert (outlook.indicator, outlook.category, outlook.unit, outlook.level.value) == (
        "outlook",
        "shortage",
        None,
        "aggregate",
    )
    assert "| XX | 22 | outlook | 2035 | | | shortage | aggregate |" in page


def test_the_documented_problems_are_the_ones_printed():
    csv_text, yaml_text, page = _example()
    broken = csv_text.replace(",334.0,Balance", ",334.0,Balanced").replace('"1,251.0"', '"1.251,0"')
    profile = load_profile_text(yaml_text)
    _summary, problems = summarise(broken.encode("utf-8"), "x.csv", profile)
    for problem in problems:
        assert str(problem) in page
    assert len(problems) == 2


def test_the_documented_profile_check_output(tmp_path):
    _csv, yaml_text, page = _example()
    bad = yaml_text.replace("  geography: XX", "  geograpy: XX").replace(
        "  base_year: 2024", '  base_year: "2024"'
    )
    try:
        load_profile_text(bad, source="elmo-skills-outlook-2025.yaml")
    except ProfileError as exc:
        lines = [str(p) for p in exc.problems]
    assert len(lines) == 3
    for line in lines:
        assert line in page
