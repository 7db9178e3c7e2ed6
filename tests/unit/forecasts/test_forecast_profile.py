"""Import profiles: checked against the published schema and the rules, every problem named
by file, line and key."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from app.forecasts.profile import (
    ProfileError,
    check_profile_files,
    list_profiles,
    load_profile,
    load_profile_text,
    profile_from,
    schema,
    schema_text,
    shipped_profile,
)
from app.forecasts.table import DatasetKind, Status
from tests.unit.forecasts.helpers import profile_text

ROOT = Path(__file__).resolve().parents[3]
TABLE = """
geography: XX
dimension: sector
rows: {label: Sector, code: Code}
values:
  - {header: "2030", indicator: employment, year: 2030}
"""


def problems_of(text: str) -> list[tuple[int, str | None, str]]:
    with pytest.raises(ProfileError) as caught:
        load_profile_text(text, source="p.yaml")
    return [(p.line, p.field, p.message) for p in caught.value.problems]


def test_a_minimal_profile_loads_with_its_defaults():
    profile = load_profile_text(profile_text(TABLE))
    assert profile.name == "test-profile" and profile.format_version == 1
    assert profile.provenance.kind is DatasetKind.projection
    assert profile.provenance.unit == "thousand persons"
    assert profile.file.encoding == "utf-8" and profile.file.delimiter == ","
    layout = profile.layout
    assert layout.header_row == 1 and layout.header_rows == 1 and layout.footnotes
    assert "–" in layout.missing and "N/A" in layout.missing
    (block,) = layout.blocks
    assert block.geography == "XX" and block.dimension == "sector" and block.scale == 1.0
    assert block.values[0].header == "2030" and block.values[0].year == 2030
    assert profile.text == profile_text(TABLE) and len(profile.content_hash) == 64


def test_unknown_key_names_line_and_key_with_a_suggestion():
    text = profile_text(TABLE + "geografy: YY\n")
    (problem,) = problems_of(text)
    line = text.splitlines().index("  geografy: YY") + 1
    assert problem == (line, "table.geografy", "unknown key 'geografy'; did you mean 'geography'?")


def test_wrong_type_names_line_and_key():
    text = profile_text(TABLE).replace("base_year: 2024", "base_year: twenty")
    (problem,) = problems_of(text)
    line = text.splitlines().index("  base_year: twenty") + 1
    assert problem[:2] == (line, "provenance.base_year")
    assert problem[2] == "must be a whole number, not text ('twenty')"


def test_missing_required_key_names_the_key_at_its_parent():
    text = profile_text(TABLE).replace("  licence: CC BY 4.0\n", "")
    (problem,) = problems_of(text)
    assert problem == (
        text.splitlines().index("provenance:") + 1,
        "provenance.licence",
        "required key 'licence' is missing",
    )


def test_every_problem_at_once_sorted_by_line():
    text = profile_text(
        """
        geography: XX
        dimension: planet
        rows: {label: Sector, code: Code}
        values:
          - {header: "2030", indicator: Employment, year: 2030}
          - {header: "2031", match: "(", indicator: employment}
        """
    )
    problems = problems_of(text.replace('vintage: "2025"', "vintage: [1]"))
    fields = [p[1] for p in problems]
    assert "provenance.vintage" in fields
    assert "table.dimension" in fields
    assert "table.values[2030].indicator" in fields  # named by its header
    assert [p[0] for p in problems] == sorted(p[0] for p in problems)


@pytest.mark.parametrize(
    ("table", "field", "message"),
    [
        (
            TABLE.replace('"2030", indicator', '"2030", match: "(", indicator'),
            "table.values[2030]",
            "name the column by exactly one of header, letter or match (not header and match)",
        ),
        (
            TABLE.replace("year: 2030", "unit: persons"),
            "table.values[2030]",
            "required key 'year' is missing (or a match with a group named year)",
        ),
        (
            TABLE + 'end: ["[unclosed"]\n',
            "table.end[0]",
            "not a valid regular expression: unterminated character set at position 0",
        ),
        (
            TABLE + "long: {indicator: I, year: Y, value: V}\n",
            "table.long",
            "give values (wide layout) or long (long layout), not both",
        ),
        (
            TABLE.replace("dimension: sector\n", ""),
            "table",
            "required key 'dimension' is missing (sector or occupation: what the row codes are)",
        ),
        (
            TABLE.replace("code: Code}", "code: Code, level: {by: code}}"),
            "table.rows.level",
            "required key 'aggregate' (a pattern of aggregate codes) is missing",
        ),
        (
            TABLE + "  - {header: Outlook, indicator: outlook, year: 2030, type: category}\n",
            "table.values[Outlook]",
            "required key 'categories' is missing (the values a category may take)",
        ),
        (
            TABLE + 'decimal: ","\nthousands: ","\n',
            "table.thousands",
            "the thousands separator cannot be the decimal mark (',')",
        ),
    ],
)
def test_rules_a_schema_cannot_express(table, field, message):
    problems = problems_of(profile_text(table))
    assert (field, message) in [(p[1], p[2]) for p in problems]


def test_yaml_syntax_error_and_duplicate_key():
    (problem,) = problems_of("format_version: 1\nname: [x\n")
    assert problem[0] >= 2 and problem[1] is None and problem[2].startswith("YAML syntax error")
    text = profile_text(TABLE).replace("title: Test profile", "title: A\ntitle: B")
    assert any(
        "duplicate key (first on line 3)" in p[2] and p[1] == "title" for p in problems_of(text)
    )


def test_format_version_and_empty_file():
    text = profile_text(TABLE).replace("format_version: 1", "format_version: 2")
    (problem,) = problems_of(text)
    assert problem[1] == "format_version" and "the only profile format" in problem[2]
    assert problems_of("") == [(1, None, "the file is empty")]


def test_file_name_must_match_the_name(tmp_path):
    path = tmp_path / "other-name.yaml"
    path.write_text(profile_text(TABLE), encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    (problem,) = caught.value.problems
    assert problem.file == str(path) and problem.field == "name"
    assert "must match the file name (other-name.yaml)" in problem.message
    good = tmp_path / "test-profile.yaml"
    good.write_text(profile_text(TABLE), encoding="utf-8")
    assert load_profile(good).name == "test-profile"
    assert check_profile_files([good, path]) == caught.value.problems


def test_profile_from_a_shipped_name_or_a_path(tmp_path):
    assert (
        profile_from("bls-ep-2024-34-table-1-10-csv").source
        == "shipped:bls-ep-2024-34-table-1-10-csv"
    )
    with pytest.raises(ProfileError) as caught:
        profile_from("no-such-profile")
    assert "no shipped profile of that name" in caught.value.problems[0].message


def test_flags_and_sections_and_blocks_are_built():
    profile = load_profile_text(
        profile_text(
            """
            geography: XX
            dimension: sector
            flags: {p: provisional}
            sections: [{match: "^Employment", indicator: employment, scale: thousands}]
            rows: {label: Sector}
            blocks:
              - columns: "A:C"
                values: [{match: "^(?P<year>\\\\d{4})$"}]
              - columns: "D:F"
                rows: {label: {letter: D}}
                values: [{match: "^(?P<year>\\\\d{4})$", indicator: openings}]
            """
        )
    )
    layout = profile.layout
    assert layout.flags == (("p", Status.provisional),)
    assert layout.sections[0].scale == 1000.0
    first, second = layout.blocks
    assert (first.first_column, first.last_column, second.first_column) == (1, 3, 4)
    assert first.rows.label.header == "Sector" and second.rows.label.index == 4
    assert first.geography == second.geography == "XX"


def test_published_schema_is_valid_and_every_shipped_profile_passes():
    jsonschema.Draft202012Validator.check_schema(schema())
    assert json.loads(schema_text()) == schema()
    infos = list_profiles()
    assert len(infos) == 8
    for info in infos:
        profile = shipped_profile(info.name)
        assert profile.title == info.title and profile.description
        assert "horizon year" in profile.description or "last year" in profile.description
    files = sorted((ROOT / "app" / "forecasts" / "profiles").glob("*.yaml"))
    assert check_profile_files(files) == []
