"""Questionnaire dataclasses: round trips, content hash, immutability, language fallback."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest
import yaml

from app.questionnaires.loader import load_questionnaire, load_questionnaire_text
from app.questionnaires.spec import (
    ChoiceItem,
    Codes,
    EstimateItem,
    ForecastBinding,
    Item,
    LikertItem,
    Localized,
    Option,
    Questionnaire,
    RankingItem,
    Rationale,
    TextItem,
    default_bands,
)

ROOT = Path(__file__).resolve().parents[3]
SURVEYS = sorted((ROOT / "surveys").glob("*.yaml"))
FUTURE = ROOT / "surveys" / "future-skill-needs.yaml"
FOLLOW_UP = ROOT / "surveys" / "follow-up-round.yaml"


def en_de(en: str, de: str) -> Localized[str]:
    return Localized({"en": en, "de": de}, "en")


def built_questionnaire() -> Questionnaire:
    options = (Option("a", en_de("A", "A")), Option("b", en_de("B", "B")))
    return Questionnaire(
        key="built",
        version="2025.1",
        title=en_de("Built", "Gebaut"),
        languages=("en", "de"),
        default_language="en",
        items=(
            LikertItem(
                key="l",
                text=en_de("L?", "L?"),
                scale=3,
                labels=Localized({"en": ["x", "y", "z"], "de": ["x", "y", "z"]}, "en"),
                agreement_band=(3, 3),
                disagreement_band=(1, 1),
                codes=Codes(esco=("http://data.europa.eu/esco/skill/S5",), isco=("25",)),
            ),
            EstimateItem(
                key="e",
                text=en_de("E?", "E?"),
                unit="EUR",
                min=0,
                ratio_scale=True,
                forecast=ForecastBinding("wage_growth_pct", 2030, sector_code="C", geography="AT"),
            ),
            RankingItem(key="r", text=en_de("R?", "R?"), options=options),
            ChoiceItem(key="c", text=en_de("C?", "C?"), options=options, multiple=True),
            TextItem(
                key="t",
                text=en_de("T?", "T?"),
                help=en_de("Help", "Hilfe"),
                rationale=Rationale.required,
                max_length=500,
            ),
        ),
    )


# --- round trips ------------------------------------------------------------------------


@pytest.mark.parametrize("path", SURVEYS, ids=lambda p: p.name)
def test_to_dict_from_dict_round_trips_through_json(path):
    spec = load_questionnaire(path)
    data = json.loads(json.dumps(spec.to_dict()))
    assert Questionnaire.from_dict(data) == spec
    assert data["content_hash"] == spec.content_hash and data["source"] == path.name


@pytest.mark.parametrize("path", SURVEYS, ids=lambda p: p.name)
def test_to_dict_is_a_questionnaire_file_again(path):
    spec = load_questionnaire(path)
    text = yaml.safe_dump(spec.to_dict(meta=False), allow_unicode=True, sort_keys=False)
    again = load_questionnaire_text(text, path.name)
    assert dataclasses.replace(again, content_hash=spec.content_hash) == spec


def test_built_questionnaire_round_trips_and_is_hashable():
    spec = built_questionnaire()
    again = Questionnaire.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec
    assert hash(again) == hash(spec)
    checked = load_questionnaire_text(yaml.safe_dump(spec.to_dict(meta=False)), "built")
    assert dataclasses.replace(checked, content_hash="", source="") == spec


@pytest.mark.parametrize("item", built_questionnaire().items, ids=lambda i: i.type)
def test_item_round_trips_alone(item):
    data = json.loads(json.dumps(item.to_dict()))
    assert data["type"] == item.type
    assert Item.from_dict(data, "en") == item
    assert type(item).from_dict(data, "en") == item
    # A stored item without its questionnaire falls back to its first language.
    assert Item.from_dict(data).default_language == "en"


def test_from_dict_refuses_the_wrong_item_class():
    data = built_questionnaire().item("t").to_dict()
    with pytest.raises(ValueError, match="cannot read an item of type 'text'"):
        LikertItem.from_dict(data)
    with pytest.raises(KeyError):
        Item.from_dict({**data, "type": "slider"})


# --- content hash -----------------------------------------------------------------------


@pytest.mark.parametrize("path", SURVEYS, ids=lambda p: p.name)
def test_content_hash_is_sha256_of_the_file_bytes(path):
    spec = load_questionnaire(path)
    assert spec.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert load_questionnaire(path).content_hash == spec.content_hash
    text = path.read_text("utf-8")
    assert load_questionnaire_text(text, path.name).content_hash == spec.content_hash


def test_content_hash_changes_with_any_byte_even_a_comment(tmp_path):
    original = FOLLOW_UP.read_bytes()
    copy = tmp_path / FOLLOW_UP.name
    copy.write_bytes(original + b"# reviewed\n")
    before, after = load_questionnaire(FOLLOW_UP), load_questionnaire(copy)
    assert after.content_hash != before.content_hash
    assert dataclasses.replace(after, content_hash=before.content_hash) == before


def test_content_hash_of_a_known_text():
    text = FOLLOW_UP.read_text("utf-8")
    expected = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert load_questionnaire_text(text, "follow-up-round.yaml").content_hash == expected


# --- immutability -----------------------------------------------------------------------


def test_questionnaire_and_items_are_immutable():
    spec = load_questionnaire(FUTURE)
    item = spec.item("digital-data-skills")
    assert isinstance(item, LikertItem)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.key = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.scale = 7  # type: ignore[misc]
    with pytest.raises(TypeError):
        item.text["en"] = "changed"  # type: ignore[index]
    with pytest.raises(AttributeError):
        item.text._values = {}  # type: ignore[misc]
    assert isinstance(spec.items, tuple) and isinstance(spec.languages, tuple)
    assert isinstance(item.labels_for("en"), tuple)
    assert isinstance(item.codes.esco, tuple)
    ranking = spec.item("training-priorities")
    assert isinstance(ranking, RankingItem) and isinstance(ranking.options, tuple)


def test_lists_given_to_the_constructors_are_frozen():
    likert = LikertItem(key="x", text=en_de("X", "X"), agreement_band=[4, 5])  # type: ignore[arg-type]
    assert likert.agreement_band == (4, 5)
    codes = Codes(isco=["25"])  # type: ignore[arg-type]
    assert codes.isco == ("25",)
    labels = Localized({"en": ["a", "b", "c"]}, "en")
    assert labels["en"] == ("a", "b", "c")


# --- language fallback and helpers ------------------------------------------------------


def test_text_falls_back_to_the_default_language():
    spec = load_questionnaire(FOLLOW_UP)
    item = spec.item("summary-reflects-views")
    assert isinstance(item, LikertItem)
    assert item.text_for("de").startswith("Die Zusammenfassung")
    assert item.text_for("fr") == item.text["en"]  # no French in this file
    assert item.text_for(None) == item.text["en"]
    assert item.help_for("fr") == item.help_for("en")
    assert item.labels_for("fr") == item.labels_for("en")
    assert item.labels_for("de")[0] == "Stimme überhaupt nicht zu"
    assert spec.title_for("de") == "Künftiger Qualifikationsbedarf: Folgerunde"
    assert spec.description_for("sv") == spec.description["en"]
    assert spec.item("round-comments").help_for("de") is None


def test_fallback_uses_any_language_when_the_default_is_missing():
    text = Localized({"de": "Nur Deutsch"}, "en")
    assert text.get_for("fr") == "Nur Deutsch"
    assert Localized({}, "en").get_for("en") is None


def test_option_lookup_and_text():
    spec = load_questionnaire(FUTURE)
    choice = spec.item("meeting-skill-needs")
    assert isinstance(choice, ChoiceItem)
    assert choice.option("upskilling").text_for("de") == "Weiterbildung der eigenen Beschäftigten"
    assert (choice.multiple, choice.min_selections, choice.max_selections) == (True, 1, 2)
    with pytest.raises(KeyError):
        choice.option("nothing")
    with pytest.raises(KeyError):
        spec.item("nothing")


def test_option_items_resolve_their_defaults():
    options = (Option("a", en_de("A", "A")), Option("b", en_de("B", "B")))
    single = ChoiceItem(key="s", text=en_de("S", "S"), options=options)
    assert (single.min_selections, single.max_selections) == (1, 1)
    assert "min_selections" not in single.to_dict()
    multiple = ChoiceItem(key="m", text=en_de("M", "M"), options=options, multiple=True)
    assert (multiple.min_selections, multiple.max_selections) == (1, 2)
    assert RankingItem(key="r", text=en_de("R", "R"), options=options).top_m == 2


@pytest.mark.parametrize(
    ("scale", "agree", "disagree"),
    [
        (3, (2, 3), (1, 2)),  # overlap: 3-point items must set their bands
        (4, (3, 4), (1, 2)),
        (5, (4, 5), (1, 2)),
        (7, (5, 7), (1, 3)),
        (9, (6, 9), (1, 4)),
        (10, (7, 10), (1, 4)),
        (11, (7, 11), (1, 5)),
    ],
)
def test_default_bands_follow_the_method(scale, agree, disagree):
    assert default_bands(scale) == (agree, disagree)
    item = LikertItem(key="x", text=en_de("X", "X"), scale=scale)
    assert (item.effective_agreement_band, item.effective_disagreement_band) == (agree, disagree)


def test_estimate_defaults_and_forecast_binding():
    spec = load_questionnaire(FUTURE)
    estimate = spec.item("employment-change-2033")
    assert isinstance(estimate, EstimateItem)
    assert (estimate.min, estimate.max, estimate.ratio_scale) == (-100, 200, False)
    assert estimate.forecast == ForecastBinding("employment_change_pct", 2033)
    assert estimate.forecast.show_to_panel is False
    assert estimate.to_dict()["forecast"] == {
        "indicator": "employment_change_pct",
        "year": 2033,
        "show_to_panel": False,
    }


def test_item_without_codes_has_empty_codes():
    spec = load_questionnaire(FUTURE)
    item = spec.item("skills-needed-most")
    assert not item.codes
    assert "codes" not in item.to_dict()
    assert item.rationale is Rationale.none
