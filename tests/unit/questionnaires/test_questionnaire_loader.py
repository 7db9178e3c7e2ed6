"""The questionnaire loader: shipped files pass, broken files are named by file, line, key."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.questionnaires.loader import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    MAX_PROBLEMS,
    Problem,
    QuestionnaireError,
    check_files,
    load_questionnaire,
    load_questionnaire_text,
    schema,
)
from app.questionnaires.spec import (
    ITEM_TYPES,
    ChoiceItem,
    EstimateItem,
    LikertItem,
    RankingItem,
    TextItem,
)

ROOT = Path(__file__).resolve().parents[3]
SURVEYS = sorted((ROOT / "surveys").glob("*.yaml"))
BROKEN = ROOT / "tests" / "data" / "surveys" / "broken"

MINIMAL = """\
format_version: 1
key: minimal
version: 1
title:
  en: Minimal
  de: Minimal
languages: [en, de]
default_language: en
items:
"""


def likert(extra: str = "", key: str = "digital-skills") -> str:
    return (
        f"  - key: {key}\n"
        "    type: likert\n"
        "    text:\n"
        "      en: How important?\n"
        "      de: Wie wichtig?\n"
        f"{extra}"
    )


def problems_of(text: str, source: str = "test.yaml") -> list[Problem]:
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire_text(text, source)
    return info.value.problems


# --- shipped files ----------------------------------------------------------------------


def test_at_least_two_questionnaires_are_shipped():
    names = {path.name for path in SURVEYS}
    assert {"future-skill-needs.yaml", "follow-up-round.yaml"} <= names


@pytest.mark.parametrize("path", SURVEYS, ids=lambda p: p.name)
def test_shipped_file_passes_the_check(path):
    assert check_files([path]) == []
    spec = load_questionnaire(path)
    assert spec.key == path.stem
    assert spec.source == path.name
    assert len(spec.languages) >= 2 and "en" in spec.languages
    for item in spec.items:
        for lang in spec.languages:
            assert item.text[lang].strip()


@pytest.mark.parametrize("path", SURVEYS, ids=lambda p: p.name)
def test_shipped_file_as_data_matches_the_published_schema(path):
    data = load_questionnaire(path).to_dict(meta=False)
    jsonschema.Draft202012Validator(schema()).validate(data)


def test_future_skill_needs_uses_every_item_type():
    spec = load_questionnaire(ROOT / "surveys" / "future-skill-needs.yaml")
    assert {item.type for item in spec.items} == set(ITEM_TYPES)
    assert {"en", "de", "fr"} <= set(spec.languages)

    estimate = spec.item("employment-change-2033")
    assert isinstance(estimate, EstimateItem)
    assert estimate.unit == "%" and estimate.range and estimate.confidence
    assert estimate.forecast is not None
    assert (estimate.forecast.indicator, estimate.forecast.year) == ("employment_change_pct", 2033)

    ranking = spec.item("training-priorities")
    assert isinstance(ranking, RankingItem) and ranking.top_m == 3

    choice = spec.item("meeting-skill-needs")
    assert isinstance(choice, ChoiceItem)
    assert {"upskilling", "hiring", "apprenticeships"} <= set(choice.option_keys)

    texts = [item for item in spec.items if isinstance(item, TextItem)]
    assert any("need most by 2030" in item.text["en"] for item in texts)

    digital = spec.item("digital-data-skills")
    assert isinstance(digital, LikertItem) and digital.dont_know
    assert "http://data.europa.eu/esco/skill/S5" in digital.codes.esco
    # Labels shared through a YAML alias reach every item.
    assert spec.item("regulatory-compliance").labels == digital.labels


def test_follow_up_round_reuses_round_one_keys_for_its_ratings():
    first = load_questionnaire(ROOT / "surveys" / "future-skill-needs.yaml")
    follow = load_questionnaire(ROOT / "surveys" / "follow-up-round.yaml")
    assert set(follow.languages) == {"en", "de"}
    ratings = [item for item in follow.items if isinstance(item, LikertItem)]
    assert len(ratings) >= 3
    carried = [item for item in ratings if item.key in first.item_keys]
    assert len(carried) >= 3
    for item in carried:
        assert item.text == {k: first.item(item.key).text[k] for k in ("en", "de")}
    assert any(isinstance(item, TextItem) for item in follow.items)


# --- broken files -----------------------------------------------------------------------

# file name -> (line, part of the key, part of the message)
BROKEN_CASES = {
    "unknown-top-key": (4, "author", "unknown key 'author'"),
    "unknown-item-key": (15, "items[digital-skills].scael", "did you mean 'scale'"),
    "duplicate-item-key": (15, "items[1].key", "already used by the item on line 10"),
    "missing-language": (12, "items[digital-skills].text.de", "no text in 'de'"),
    "labels-count": (18, "items[digital-skills].labels.de", "4 labels for a scale of 5"),
    "scale-out-of-range": (15, "items[digital-skills].scale", "at most 11"),
    "bad-type": (15, "items[digital-skills].scale", "must be a whole number"),
    "unknown-item-type": (11, "items[digital-skills].type", "must be one of likert"),
    "top-m-too-large": (22, "items[priorities].top_m", "more than the 3 options"),
    "min-greater-than-max": (16, "items[employment-change].min", "less than max"),
    "duplicate-yaml-key": (17, "items[digital-skills].scale", "duplicate key (first on line 15)"),
    "yaml-syntax-error": (8, "", "YAML syntax error"),
    "overlapping-bands": (17, "items[digital-skills].disagreement_band", "overlap"),
    "format-version-wrong": (1, "format_version", "must be 1"),
    "key-mismatch": (2, "key", "must match the file name"),
    "default-language-undeclared": (8, "default_language", "'fr' is not one of the languages"),
    "undeclared-language": (7, "title.fr", "not listed in languages"),
    "missing-item-text": (10, "items[digital-skills]", "required key 'text' is missing"),
    "band-outside-scale": (16, "items[digital-skills].agreement_band", "inside 1..5"),
    "selections-inconsistent": (16, "items[meeting-needs].min_selections", "exceeds"),
    "duplicate-option-key": (18, "items[meeting-needs].options[1].key", "already used on line 16"),
    "bad-esco-uri": (16, "items[digital-skills].codes.esco[0]", "ESCO skill URI"),
    "unquoted-isco-code": (16, "items[digital-skills].codes.isco[0]", "quote it"),
    "bad-item-key": (10, "items[Digital_Skills].key", "lowercase letters"),
    "empty": (1, "", "empty"),
}


def test_every_broken_file_has_an_expectation():
    assert {path.stem for path in BROKEN.glob("*.yaml")} == set(BROKEN_CASES)


@pytest.mark.parametrize(
    ("name", "line", "key", "message"),
    [(name, *case) for name, case in sorted(BROKEN_CASES.items())],
)
def test_broken_file_is_reported_with_file_line_and_key(name, line, key, message):
    path = BROKEN / f"{name}.yaml"
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(path)
    problems = info.value.problems
    assert len(problems) == 1, problems
    (problem,) = problems
    assert problem.file == str(path)
    assert problem.line == line
    assert key in (problem.key or "")
    if key:
        assert (problem.key or "") == key
    assert message in problem.message
    prefix = f"{path}:{line}: {key}: " if key else f"{path}:{line}: "
    assert str(problem).startswith(prefix)
    assert str(problem) in str(info.value)


def test_check_files_reports_file_by_file_in_order():
    paths = [
        BROKEN / "unknown-item-key.yaml",
        ROOT / "surveys" / "follow-up-round.yaml",
        BROKEN / "duplicate-item-key.yaml",
    ]
    problems = check_files(paths)
    assert [(Path(p.file).name, p.line) for p in problems] == [
        ("unknown-item-key.yaml", 15),
        ("duplicate-item-key.yaml", 15),
    ]


def test_missing_file_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "nowhere.yaml"
    (problem,) = check_files([path])
    assert problem.file == str(path) and problem.line == 1
    assert "cannot read file" in problem.message


def test_non_utf8_file_names_the_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MINIMAL.encode() + "  # Qualifikationsbedarf für\n".encode("latin-1"))
    (problem,) = check_files([path])
    assert problem.line == 10
    assert "UTF-8" in problem.message


# --- hostile files: problems, never a crash or a hang ----------------------------------

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip([None, *"abcdefgh"], "abcdefghi", strict=True)
)


def _only_problem(text: str, source: str = "hostile.yaml") -> Problem:
    started = time.monotonic()
    problems = problems_of(text, source)
    assert time.monotonic() - started < 5
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[" * 10_000 + "]" * 10_000, 1),  # nested lists
        ("{a: " * 10_000 + "1" + "}" * 10_000, 1),  # nested flow mappings
        ("".join(" " * i + "a:\n" for i in range(1_000)) + " " * 1_000 + "b\n", 51),
        ("".join(" " * i + "-\n" for i in range(1_000)), 51),  # nested block lists
        (MINIMAL + "  - key: x\n    text: " + "[" * 200 + "]" * 200 + "\n", 11),
    ],
    ids=["flow-lists", "flow-mappings", "block-mappings", "block-lists", "inside-an-item"],
)
def test_deep_nesting_is_a_located_problem(text, line):
    problem = _only_problem(text)
    assert problem.line == line
    assert f"nesting deeper than {MAX_DEPTH} levels" in problem.message


def test_deep_nesting_through_aliases_is_a_problem():
    half = "[" * 40 + "x" + "]" * 40
    text = f"a: &a {half}\nb: " + "[" * 40 + "*a" + "]" * 40 + "\n"
    assert "nesting deeper than" in _only_problem(text).message


def test_an_alias_bomb_is_refused_quickly():
    problem = _only_problem(BOMB)
    assert f"more than {MAX_NODES} values" in problem.message and "alias" in problem.message


def test_many_uses_of_one_alias_are_refused():
    text = "a: &a x\nb: [" + ", ".join(["*a"] * 100_000) + "]\n"
    assert f"more than {MAX_NODES} values" in _only_problem(text).message


def test_aliases_of_a_real_questionnaire_are_fine():
    assert "*importance" in (ROOT / "surveys" / "follow-up-round.yaml").read_text("utf-8")
    assert check_files([ROOT / "surveys" / "follow-up-round.yaml"]) == []


@pytest.mark.parametrize(
    ("text", "line", "codepoint"),
    [("key: a\x00b\n", 1, "U+0000"), (MINIMAL + "\x1b[31m\n", 10, "U+001B")],
)
def test_a_control_character_in_the_text_is_a_located_problem(text, line, codepoint):
    problem = _only_problem(text)
    assert problem.line == line and codepoint in problem.message


def test_a_binary_file_is_a_problem(tmp_path):
    path = tmp_path / "picture.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (problem,) = check_files([path])
    assert problem.file == str(path) and "UTF-8" in problem.message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_file_is_a_problem(tmp_path, text):
    path = tmp_path / "empty.yaml"
    path.write_text(text, encoding="utf-8")
    (problem,) = check_files([path])
    assert problem.line == 1 and "empty" in problem.message


def test_a_huge_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:
        fh.truncate(4 * 1024**3)  # sparse: 4 GiB that take no disk space
    started = time.monotonic()
    (problem,) = check_files([path])
    assert time.monotonic() - started < 1
    assert "larger than 1024 KiB" in problem.message


def test_huge_text_is_refused():
    problem = _only_problem("a: " + "x" * MAX_FILE_BYTES)
    assert "larger than" in problem.message


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_something_that_is_not_a_regular_file_is_refused_without_blocking(tmp_path, kind):
    path = tmp_path / "odd.yaml"
    if kind == "directory":
        path.mkdir()
    else:
        os.mkfifo(path)  # reading it would wait for a writer for ever
    (problem,) = check_files([path])
    assert "not a regular file" in problem.message


def test_very_many_problems_are_listed_up_to_a_limit():
    text = "".join(f"unknown{i}: 1\n" for i in range(3_000))
    problems = problems_of(text)
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1].message.startswith("... and ") and "more problems" in problems[-1].message


# --- many problems at once --------------------------------------------------------------


def test_all_problems_are_collected_and_sorted_by_line():
    text = (
        MINIMAL
        + likert("    scale: 5\n    labels:\n      en: [a, b, c]\n      de: [a, b, c, d, e]\n")
        + likert("    colour: red\n", key="digital-skills")
        + "  - key: est\n    type: estimate\n    text: {en: Estimate, de: Schätzung}\n"
        "    unit: '%'\n    min: 9\n    max: 1\n"
    )
    problems = problems_of(text)
    assert [(p.line, (p.key or "")) for p in problems] == [
        (17, "items[0].labels.en"),
        (19, "items[1].key"),
        (24, "items[1].colour"),
        (29, "items[est].min"),
    ]
    assert problems == sorted(problems, key=lambda p: p.line)
    assert all(p.file == "test.yaml" for p in problems)


def test_problem_formats_as_file_line_key_message():
    problem = Problem(
        "must be at most 11, not 12", field="items[a].scale", file="surveys/x.yaml", line=7
    )
    assert str(problem) == "surveys/x.yaml:7: items[a].scale: must be at most 11, not 12"
    assert str(Problem("YAML syntax error: boom", file="x.yaml", line=3)) == (
        "x.yaml:3: YAML syntax error: boom"
    )


@pytest.mark.parametrize(
    ("extra", "line", "key", "message"),
    [
        # A 3-point scale has overlapping default bands (b = ceil(1.2) = 2).
        ("    scale: 3\n", 15, "items[digital-skills].scale", "(default for a scale of 3)"),
        ("    scale: 3\n    agreement_band: [2, 3]\n", 16, ".agreement_band", "[1, 2]"),
        ("    agreement_band: [5, 4]\n", 15, ".agreement_band", "low <= high"),
        ("    agreement_band: [4]\n", 15, ".agreement_band", "at least 2"),
        ("    rationale: sometimes\n", 15, ".rationale", "none, optional, required"),
        ("    help: Some help\n", 15, ".help", "must be a mapping"),
        ("    labels: {en: [a, b, c, d, e]}\n", 15, ".labels.de", "no labels in 'de'"),
        ("    codes: {nace: [C10]}\n", 15, ".codes.nace[0]", "NACE"),
        ("    codes: {skills: [x]}\n", 15, ".codes.skills", "unknown key 'skills'"),
        ("    options: []\n", 15, ".options", "unknown key 'options' for a likert item"),
    ],
)
def test_likert_rules(extra, line, key, message):
    problems = problems_of(MINIMAL + likert(extra))
    assert len(problems) == 1, problems
    assert (problems[0].line, message in problems[0].message) == (line, True), problems
    assert problems[0].key.endswith(key)


def test_three_point_scale_with_both_bands_is_fine():
    extra = "    scale: 3\n    agreement_band: [3, 3]\n    disagreement_band: [1, 1]\n"
    item = load_questionnaire_text(MINIMAL + likert(extra)).items[0]
    assert isinstance(item, LikertItem)
    assert (item.effective_agreement_band, item.effective_disagreement_band) == ((3, 3), (1, 1))


@pytest.mark.parametrize(
    ("body", "line", "key", "message"),
    [
        ("    unit: '%'\n    ratio_scale: true\n    min: -5\n", 14, ".ratio_scale", "true zero"),
        ("    min: 1\n", 10, "items[e]", "required key 'unit'"),
        ("    unit: '%'\n    forecast: {year: 2033}\n", 14, ".forecast", "'indicator'"),
        ("    unit: '%'\n    forecast: {indicator: Jobs, year: 2033}\n", 14, ".indicator", "not"),
        ("    unit: '%'\n    min: ten\n", 14, "items[e].min", "must be a number"),
        ("    unit: '%'\n    max: .inf\n", 14, "items[e].max", "finite"),
    ],
)
def test_estimate_rules(body, line, key, message):
    text = MINIMAL + "  - key: e\n    type: estimate\n    text: {en: E, de: E}\n" + body
    problems = problems_of(text)
    assert len(problems) == 1, problems
    assert problems[0].line == line
    assert key in problems[0].key and message in problems[0].message


OPTIONS = (
    "    options:\n"
    "      - {key: a, text: {en: A, de: A}}\n"
    "      - {key: b, text: {en: B, de: B}}\n"
    "      - {key: c, text: {en: C}}\n"
)


@pytest.mark.parametrize(
    ("head", "line", "key", "message"),
    [
        ("type: choice\n    max_selections: 2\n", 13, ".max_selections", "needs multiple: true"),
        ("type: choice\n    multiple: true\n    max_selections: 4\n", 14, ".max_selec", "the 3"),
        ("type: ranking\n    top_m: 0\n", 13, ".top_m", "at least 1"),
        ("type: ranking\n    multiple: true\n", 13, ".multiple", "for a ranking item"),
    ],
)
def test_option_item_rules(head, line, key, message):
    text = MINIMAL + "  - key: o\n    text: {en: O, de: O}\n    " + head + OPTIONS
    problems = problems_of(text)
    # The third option lacks German in every case.
    assert [(p.key or "") for p in problems if (p.key or "").endswith("options[c].text.de")]
    (problem,) = [p for p in problems if not (p.key or "").endswith("options[c].text.de")]
    assert problem.line == line
    assert key in (problem.key or "") and message in problem.message


@pytest.mark.parametrize(
    ("text", "line", "key", "message"),
    [
        ("- just a list\n", 1, "", "must be a mapping of keys"),
        (MINIMAL.replace("\nversion: 1", "\nversion: 1.5"), 3, "version", "whole number or text"),
        (MINIMAL.replace("[en, de]", "[en, en]"), 7, "languages", "same value twice"),
        (MINIMAL.replace("[en, de]", "[English]"), 7, "languages[0]", "language code"),
        (MINIMAL.replace("de: Minimal", "German: Minimal"), 6, "title.German", "ISO 639"),
        (MINIMAL + "  - 42\n", 10, "items[0]", "must be a mapping of keys, not a number (42)"),
        (MINIMAL, 9, "items", "must be a list"),
        (MINIMAL.replace("  de: Minimal\n", "  no: Minimal\n") + likert(), 6, "title.no", "quote"),
        (
            MINIMAL.replace("title:\n  en: Minimal\n  de: Minimal\n", "") + likert(),
            1,
            "",
            "'title'",
        ),
        ("a: &x [*x]\n", 1, "a[0]", "refers to itself"),
    ],
)
def test_document_rules(text, line, key, message):
    problems = problems_of(text)
    assert any(
        p.line == line and (p.key or "").startswith(key) and message in p.message for p in problems
    ), problems


def test_text_max_length_bounds():
    problems = problems_of(
        MINIMAL + "  - key: t\n    type: text\n    text: {en: T, de: T}\n    max_length: 0\n"
    )
    assert [(p.line, (p.key or "")) for p in problems] == [(13, "items[t].max_length")]


@settings(max_examples=40, deadline=None)
@given(scale=st.integers(3, 11), delta=st.sampled_from([-1, 0, 1]))
def test_labels_must_match_the_scale(scale, delta):
    count = scale + delta
    labels = ", ".join(f"p{i}" for i in range(count))
    bands = "    agreement_band: [3, 3]\n    disagreement_band: [1, 1]\n" if scale == 3 else ""
    extra = f"    scale: {scale}\n{bands}    labels:\n      en: [{labels}]\n      de: [{labels}]\n"
    text = MINIMAL + likert(extra)
    if delta == 0:
        item = load_questionnaire_text(text).items[0]
        assert isinstance(item, LikertItem) and len(item.labels_for("de")) == scale
    else:
        problems = problems_of(text)
        assert [(p.key or "") for p in problems] == [
            "items[digital-skills].labels.en",
            "items[digital-skills].labels.de",
        ]


# --- the published schema ---------------------------------------------------------------


def _subschemas(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _subschemas(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _subschemas(value, (*path, i))


def test_schema_is_valid_draft_2020_12_for_format_version_1():
    document = schema()
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["properties"]["format_version"]["const"] == 1


def test_schema_rejects_unknown_keys_and_describes_every_property():
    for path, node in _subschemas(schema()):
        if "if" in path:
            continue  # the type dispatch conditions
        if "properties" in node and path != ("$defs", "item"):
            assert node.get("additionalProperties") is False, path
        for name, prop in node.get("properties", {}).items():
            assert prop.get("description"), (*path, name)


def test_schema_file_is_the_served_schema():
    path = ROOT / "app" / "questionnaires" / "questionnaire.schema.json"
    assert json.loads(path.read_text("utf-8")) == schema()
