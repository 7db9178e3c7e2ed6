"""The brief's content as a typed document: sections, ratings, stored form."""

from __future__ import annotations

import json

import pytest

from app.briefs.content import (
    SCHEMA_VERSION,
    Annotation,
    BriefContent,
    ContentError,
    FactKey,
    Narrative,
    OutlookSettings,
    Override,
    RatingCategory,
    RatingKind,
    Section,
    sample_content,
)


def test_every_section_is_there_in_designs_order():
    content = sample_content()
    assert [name for name, _ in content.sections()] == list(Section)
    assert [name.value for name in Section] == [
        "header",
        "key_facts",
        "trend",
        "openings",
        "occupations",
        "skill_needs",
        "contested",
        "emerging_skills",
        "triangulation",
        "implications",
        "method_sources",
    ]
    assert content.missing() == {}


def test_the_stored_form_round_trips_as_plain_json():
    content = sample_content()
    stored = json.loads(json.dumps(content.to_json(), allow_nan=False))
    assert stored["schema_version"] == SCHEMA_VERSION
    again = BriefContent.from_json(stored)
    assert again == content
    assert again.to_json() == content.to_json()


def test_a_newer_schema_is_refused():
    stored = sample_content().to_json()
    stored["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(ValueError, match="schema version"):
        BriefContent.from_json(stored)


def test_suppressed_cells_hold_only_their_group():
    stored = sample_content().to_json()
    cells = stored["contested"]["points"][0]["groups"]
    assert {"group": "workers-representatives", "suppressed": True} in cells
    assert {"group": "public-authorities", "suppressed": True} in cells


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_an_override_needs_a_written_reason(reason):
    with pytest.raises(ContentError) as info:
        Override(RatingCategory.weak, reason)
    assert info.value.field == "override.reason"


def test_an_override_is_shown_with_its_reason_beside_the_rules_category():
    content = sample_content().with_override(
        RatingKind.future_outlook, Override("weak", "The main employer announced closures.")
    )
    rating = content.ratings.future_outlook
    assert rating.category is RatingCategory.strong and rating.shown is RatingCategory.weak
    assert rating.override.reason.startswith("The main employer")
    assert content.fact(FactKey.future_outlook).category == "weak"
    again = BriefContent.from_json(content.to_json())
    assert again.ratings.future_outlook.shown is RatingCategory.weak
    cleared = content.with_override("future_outlook", None)
    assert cleared.fact(FactKey.future_outlook).category == "strong"


def test_a_stored_override_without_reason_is_refused_on_reading():
    stored = sample_content().to_json()
    stored["key_facts"]["ratings"]["future_outlook"]["override"] = {
        "category": "weak",
        "reason": "",
    }
    with pytest.raises(ContentError):
        BriefContent.from_json(stored)


def test_the_two_ratings_each_say_what_they_do_not_mean():
    ratings = sample_content().ratings
    assert ratings.current_conditions.kind is RatingKind.current_conditions
    assert ratings.future_outlook.kind is RatingKind.future_outlook
    for rating in (ratings.current_conditions, ratings.future_outlook):
        assert "not a promise of a job" in rating.disclaimer
        assert rating.rule_version


def test_an_empty_narrative_gives_the_implications_a_reason():
    content = sample_content().with_narrative(Narrative())
    assert Section.implications in content.missing()
    written = content.with_narrative(Narrative(summary="Growth ahead."))
    assert Section.implications not in written.missing()


def test_annotations_need_a_target_and_a_text():
    with pytest.raises(ContentError):
        Annotation("trend", " ")
    with pytest.raises(ContentError):
        Annotation("", "note")
    content = sample_content()
    assert content.annotations_for("employment_trend")[0].text.startswith("2020")


@pytest.mark.parametrize(
    "settings",
    [
        {"growth_strong": 1.0, "growth_weak": 1.0},
        {"openings_strong": -2.0},
        {"ads_weak": float("nan")},
        {"occupations_top": 0},
        {"outlook_version": " "},
    ],
)
def test_outlook_settings_are_checked(settings):
    with pytest.raises(ContentError):
        OutlookSettings(**settings)


def test_outlook_settings_round_trip_and_refuse_unknown_keys():
    settings = OutlookSettings(growth_strong=3.0)
    assert OutlookSettings.from_json(settings.to_json()) == settings
    with pytest.raises(ContentError):
        OutlookSettings.from_json({"growth_strog": 3.0})
