"""Assembling a brief: every section, reasons for missing data, disclosure kept, the rules."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from app.briefs.assemble import (
    assemble,
    current_category,
    outlook_category,
    triangulate_item,
)
from app.briefs.content import (
    BriefContent,
    ContentError,
    FactKey,
    OutlookSettings,
    Override,
    RatingCategory,
    RatingKind,
    Section,
)
from app.consultations.document import CellStatus
from tests.unit.briefs.fixtures import (
    TV7_HIGH,
    TV7_LOW,
    ads_series,
    brief_inputs,
    empty_inputs,
    history_series,
    projection_series,
)

SETTINGS = OutlookSettings()


@pytest.fixture(scope="module")
def content() -> BriefContent:
    return assemble(brief_inputs(), SETTINGS)


def test_every_section_is_present_and_has_data(content):
    assert [name for name, _ in content.sections()] == list(Section)
    assert content.missing() == {}
    assert content.header.rounds == (1, 2)
    assert content.header.citation == (
        "Example Skills Council (2026). Construction: skills outlook, version 1. United States."
    )
    assert [s.vintage for s in content.header.forecast_vintages] == ["2024-34", "2024", "2024"]


def test_empty_inputs_give_reasons_not_missing_sections():
    content = assemble(empty_inputs(), SETTINGS)
    assert [name for name, _ in content.sections()] == list(Section)
    missing = content.missing()
    assert set(missing) == set(Section) - {Section.header}
    assert missing[Section.occupations].message == "no projection is bound to the brief"
    for fact in content.facts():
        assert not fact.available and fact.reason is not None, fact.key
    assert content.ratings.future_outlook.category is RatingCategory.undetermined
    assert content.ratings.current_conditions.category is RatingCategory.undetermined
    # and the empty brief is stored and read back like any other
    assert BriefContent.from_json(json.loads(json.dumps(content.to_json()))) == content


def test_a_forecast_without_occupations_says_so():
    series = tuple(s for s in projection_series() if s.role.value != "occupation")
    content = assemble(brief_inputs(series=series), SETTINGS)
    assert content.occupations.reason.message == "this forecast has no occupation detail"


def test_key_facts_carry_sources_and_reliability(content):
    base = content.fact(FactKey.base_employment)
    assert (base.value, base.year, base.unit) == (1000.0, 2024, "thousand jobs")
    assert base.source.publisher == "Example Statistics Office"
    assert base.source.licence == "CC BY 4.0" and base.source.horizon_year == 2034
    assert base.reliability.caveats == ("Projections assume no recession.",)
    assert content.fact(FactKey.projected_employment).value == 1042.0
    assert content.fact(FactKey.employment_change).value == pytest.approx(42.0)
    assert content.fact(FactKey.employment_change_pct).value == pytest.approx(4.2)
    assert content.fact(FactKey.openings_total).value == 120.0
    expansion = content.fact(FactKey.openings_expansion_share).value
    replacement = content.fact(FactKey.openings_replacement_share).value
    assert expansion == pytest.approx(4.2 / 120) and replacement == pytest.approx(115.8 / 120)
    panel = content.fact(FactKey.panel_employment_change)
    assert panel.source.is_panel and panel.value == 2.0
    assert panel.reliability.n == 9 and panel.reliability.response_rate == pytest.approx(0.8)
    assert panel.reliability.interval == (0.5, 4.5)


def test_openings_split_into_expansion_and_replacement(content):
    openings = content.openings
    assert (openings.total, openings.replacement) == (120.0, 115.8)
    assert openings.expansion == pytest.approx(4.2)
    assert openings.expansion_share + openings.replacement_share == pytest.approx(1.0)


def test_occupations_largest_growing_declining(content):
    occupations = content.occupations
    assert [r.code for r in occupations.largest.rows] == ["47-2061", "47-2111", "47-2231"]
    assert [r.code for r in occupations.fastest_growing.rows] == ["47-2231", "47-2111"]
    assert [r.code for r in occupations.declining.rows] == ["47-2061"]
    # the aggregate row is not an occupation of the lists
    assert "47-0000" not in {r.code for r in occupations.largest.rows}
    assert occupations.largest.rows[0].flags == ("low_reliability",)
    assert occupations.largest.rows[1].openings == 35.0


def test_skill_needs_ranked_with_history_and_withheld_items(content):
    needs = content.skill_needs
    assert [i.key for i in needs.items] == ["teamwork", "digital"]
    digital = needs.items[1]
    assert digital.round == 2 and digital.label == "dissent" and digital.stable is True
    assert [f.round for f in digital.history] == [1, 2]
    assert digital.median_interval == (3.0, 5.0) and digital.balanced_agreement == 0.6508
    assert needs.withheld == ("few",)


def test_suppressed_groups_stay_suppressed_in_contested_points(content):
    (point,) = content.contested.points
    assert point.key == "digital" and point.round == 2
    assert point.kw_p == 0.0027
    # the extreme groups include a suppressed one: no difference, no group names
    assert point.max_median_diff is None and point.median_max_group is None
    assert [c.group for c in point.positions] == ["employers", "education-providers"]
    assert point.suppressed_groups == ("workers-representatives", "public-authorities")
    for cell in point.groups:
        if cell.status is CellStatus.suppressed:
            assert cell.n is None and cell.counts is None and cell.stats == {}
            assert cell.to_json() == {"group": cell.group, "suppressed": True}
    stored = content.to_json()["contested"]["points"][0]["groups"]
    assert {"group": "workers-representatives", "suppressed": True} in stored
    # the group positions are shown one by one, never averaged into one number
    assert "median" not in content.to_json()["contested"]["points"][0]


def test_emerging_skills_are_the_approved_themes(content):
    (skill,) = content.emerging_skills.skills
    assert skill.label == {"en": "Heat-pump installation"}
    assert skill.esco[0].uri.startswith("http://data.europa.eu/esco/skill/")
    assert skill.quotes == ("Every new building asks for heat pumps now.",)
    assert skill.median == 4.0 and skill.consensus_status == "in"


def test_triangulation_follows_method_8_on_tv7(content):
    (row,) = content.triangulation.rows
    assert row.forecast == pytest.approx(4.2)
    assert (row.n, row.median, row.q1, row.q3) == (9, 2.0, 1.0, 3.0)
    assert row.forecast_outside_panel_iqr is True and row.flagged
    assert round(row.gap, 4) == 2.2 and round(row.distance_to_iqr, 4) == 1.2
    assert round(row.range_coverage, 4) == 0.2222 and row.n_with_range == 9
    assert row.median_interval == (0.5, 4.5)
    assert row.source.vintage == "2024-34"


@pytest.mark.parametrize(
    ("f", "median", "q1", "q3", "outside", "gap", "distance", "coverage"),
    [
        (4.2, 2.0, 1.0, 3.0, True, 2.2, 1.2, 2 / 9),  # TV7
        (3.0, 2.0, 1.0, 3.0, False, 1.0, 0.0, 5 / 9),  # on Q3: inside
        (1.0, 2.0, 1.0, 3.0, False, -1.0, 0.0, 5 / 9),  # on Q1: inside
        (-0.5, 2.0, 1.0, 3.0, True, -2.5, 1.5, 2 / 9),  # below Q1
        (2.0, 2.0, 1.0, 3.0, False, 0.0, 0.0, 6 / 9),
    ],
)
def test_triangulation_vector(f, median, q1, q3, outside, gap, distance, coverage):
    ranges = list(zip(TV7_LOW, TV7_HIGH, strict=True))
    out = triangulate_item(f, median, q1, q3, 9, ranges)
    assert out["forecast_outside_panel_iqr"] is outside
    assert out["gap"] == pytest.approx(gap) and out["distance_to_iqr"] == pytest.approx(distance)
    assert out["range_coverage"] == pytest.approx(coverage) and out["n_with_range"] == 9


def test_triangulation_needs_five_answers_and_a_forecast():
    assert triangulate_item(4.2, 2.0, 1.0, 3.0, 4)["gap"] is None
    assert triangulate_item(None, 2.0, 1.0, 3.0, 9)["forecast_outside_panel_iqr"] is None
    # float noise at the boundary does not flip the flag (values compared at 10 decimals)
    assert triangulate_item(0.1 + 0.2, 0.2, 0.1, 0.3, 9)["forecast_outside_panel_iqr"] is False


def test_a_binding_without_a_forecast_value_says_why():
    series = tuple(s for s in projection_series() if s.indicator != "employment")
    content = assemble(brief_inputs(series=series), SETTINGS)
    (row,) = content.triangulation.rows
    assert row.forecast is None and row.forecast_outside_panel_iqr is None
    assert row.reason.params == {"indicator": "employment_change_pct", "year": 2034}


@pytest.mark.parametrize(
    ("growth", "openings", "expected"),
    [
        (2.0, None, "strong"),  # at the strong threshold: strong
        (1.9999, None, "moderate"),
        (6.1 - 4.1, None, "strong"),  # 1.9999999999999996 is 2 at 10 decimals
        (-2.0, None, "weak"),  # at the weak threshold: weak
        (-1.9999, None, "moderate"),
        (2.0, 0.0, "strong"),
        (2.0, -1.0, "moderate"),  # growth high but openings low
        (0.0, 1.0, "strong"),  # growth middling, openings high
        (0.0, 0.9999, "moderate"),
        (0.0, -1.0, "weak"),
        (-2.0, 1.0, "moderate"),  # growth low but openings high
        (-2.0, 0.0, "weak"),
        (None, 1.0, "undetermined"),
        (float("nan"), None, "undetermined"),
    ],
)
def test_outlook_rule_at_its_thresholds(growth, openings, expected):
    assert outlook_category(growth, openings, SETTINGS) is RatingCategory(expected)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (1.0, "strong"),
        (0.9999, "moderate"),
        (-1.0, "weak"),
        (-0.9999, "moderate"),
        (None, "undetermined"),
    ],
)
def test_current_conditions_rule_at_its_thresholds(change, expected):
    rating = current_category(change, SETTINGS.current_strong, SETTINGS.current_weak)
    assert rating is RatingCategory(expected)


def test_the_two_ratings_with_their_rules_and_the_panels_view(content):
    outlook = content.ratings.future_outlook
    # sector +4.2 % against the total's +2 %: 2.2 points; openings 12 % against 10 %: 2 points
    assert outlook.category is RatingCategory.strong
    assert outlook.rule_version == "outlook-1"
    assert outlook.primary_indicator == "relative_employment_growth"
    assert outlook.inputs["relative_growth"] == pytest.approx(2.2)
    assert outlook.inputs["relative_openings_rate"] == pytest.approx(2.0)
    # the panel's median change 2 % is the total's: moderate, flagged as disagreeing
    assert outlook.panel_view.category is RatingCategory.moderate
    assert outlook.panel_view.item_keys == ("employment-change-2034",)
    assert outlook.disagrees is True
    assert [p.category for p in outlook.published] == ["faster than average"]
    current = content.ratings.current_conditions
    assert current.category is RatingCategory.moderate
    assert current.primary_indicator == "relative_employment_change"
    assert current.source.kind == "statistics" and current.rule_version == "current-1"
    assert content.fact(FactKey.future_outlook).category == "strong"
    assert content.fact(FactKey.current_conditions).category == "moderate"


def test_current_conditions_fall_back_to_job_ads_then_undetermined():
    content = assemble(brief_inputs(series=projection_series() + ads_series()), SETTINGS)
    current = content.ratings.current_conditions
    # job ads without an all-sector total cannot be rated
    assert current.category is RatingCategory.undetermined and current.reason is not None
    content = assemble(brief_inputs(series=projection_series()), SETTINGS)
    current = content.ratings.current_conditions
    assert current.category is RatingCategory.undetermined
    assert current.primary_indicator is None


def test_job_ads_are_shown_beside_the_official_figures(content):
    kinds = [s.kind for s in content.trend.series]
    assert kinds == ["statistics", "projection", "job_ads"]
    sources = {s.source.kind: s for s in content.method_sources.sources}
    assert any("not a vacancy filled" in c for c in sources["job_ads"].kind_caveats)
    assert any("beside the official figures" in c for c in sources["job_ads"].kind_caveats)


def test_an_override_is_kept_with_its_reason_and_refused_without():
    override = Override(RatingCategory.weak, "The largest employer announced closures.")
    content = assemble(brief_inputs(overrides={RatingKind.future_outlook: override}), SETTINGS)
    outlook = content.ratings.future_outlook
    assert outlook.category is RatingCategory.strong and outlook.shown is RatingCategory.weak
    assert content.fact(FactKey.future_outlook).category == "weak"
    with pytest.raises(ContentError):
        Override(RatingCategory.weak, "  ")


def test_method_and_sources(content):
    method = content.method_sources
    assert [r.round for r in method.panel] == [1, 2]
    first = method.panel[0]
    assert first.response_rate == pytest.approx(0.8) and first.group_rate("employers") == 0.8
    assert method.plan.sha256 == "ab" * 32 and method.min_group_n == 5
    assert method.outlook == SETTINGS
    projection = method.sources[0]
    assert projection.source.publisher == "Example Statistics Office"
    assert projection.caveats == ("Projections assume no recession.",)
    assert [(c.code, c.maps_to) for c in projection.codes_used] == [
        ("230000", ("F",)),
        ("TE1000", ()),
    ]


def test_the_narrative_and_annotations_are_kept_apart(content):
    assert content.narrative.summary == "Growth ahead."
    assert content.annotations_for("employment_trend")[0].text == "2020 reflects the pandemic."


def test_assembly_is_deterministic_and_round_trips(content):
    again = assemble(brief_inputs(), SETTINGS)
    assert again == content
    first = json.dumps(content.to_json(), sort_keys=True, allow_nan=False)
    assert json.dumps(again.to_json(), sort_keys=True, allow_nan=False) == first
    assert BriefContent.from_json(json.loads(first)) == content


def test_no_nan_reaches_the_stored_form():
    series = list(history_series())
    series[0] = replace(series[0], values={2023: float("nan"), 2024: 1000.0})
    content = assemble(brief_inputs(series=projection_series() + tuple(series)), SETTINGS)
    text = json.dumps(content.to_json(), allow_nan=False)
    assert "NaN" not in text
    assert not any(
        isinstance(p.value, float) and math.isnan(p.value)
        for s in content.trend.series
        for p in s.points
    )


def test_data_of_another_country_say_so_first_among_their_caveats():
    content = assemble(brief_inputs(geography="EU", geography_label="EU"), SETTINGS)
    by_title = {s.source.title: s for s in content.method_sources.sources}
    projection = by_title["Illustrative employment projections"]
    assert projection.other_geographies == ("US",)
    # series that name no geography claim none
    assert by_title["Illustrative employment statistics"].other_geographies == ()
    first = projection.caveat_texts(lambda text: text)[0]
    assert first.startswith("These data describe US, not EU, the area of the council")
    # the council's own country: no such caveat
    same = assemble(brief_inputs(), SETTINGS).method_sources.sources[0]
    assert same.other_geographies == ()
    assert not any("These data describe" in c for c in same.caveat_texts(lambda text: text))
