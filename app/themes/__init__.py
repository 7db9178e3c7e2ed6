"""Qualitative analysis of free-text answers: statements, suggested themes, ESCO skills.

Pure functions over pandas frames (no Flask, no database, no I/O except the ESCO loaders,
which read the files they are given):

- :func:`split_statements` splits answers into single statements;
- :func:`suggest_themes` clusters statements into suggested themes with labels;
- :func:`load_esco_skills`, :func:`load_esco_hierarchy` read ESCO CSV files;
- :class:`SkillIndex`, :func:`match_esco`, :func:`match_themes_esco` rank ESCO skills for
  statements and themes.
"""

from app.themes.clustering import (
    ASSIGNMENT_COLUMNS,
    SELECTION_COLUMNS,
    THEME_COLUMNS,
    ThemeSuggestion,
    suggest_themes,
)
from app.themes.esco import (
    HIERARCHY_COLUMNS,
    MATCH_COLUMNS,
    SKILL_COLUMNS,
    THEME_MATCH_COLUMNS,
    SkillIndex,
    load_esco_hierarchy,
    load_esco_skills,
    match_esco,
    match_themes_esco,
)
from app.themes.statements import STATEMENT_COLUMNS, split_statements, split_text

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "HIERARCHY_COLUMNS",
    "MATCH_COLUMNS",
    "SELECTION_COLUMNS",
    "SKILL_COLUMNS",
    "STATEMENT_COLUMNS",
    "THEME_COLUMNS",
    "THEME_MATCH_COLUMNS",
    "SkillIndex",
    "ThemeSuggestion",
    "load_esco_hierarchy",
    "load_esco_skills",
    "match_esco",
    "match_themes_esco",
    "split_statements",
    "split_text",
    "suggest_themes",
]
