"""Reading a brief's inputs from the database and assembling the demo consultation's brief."""

from __future__ import annotations

import json

from app.briefs.assemble import SeriesRole, assemble
from app.briefs.content import BriefContent, Section
from app.briefs.queries import Selection, brief_inputs
from app.briefs.render import render_brief
from app.consultations.models import Consultation
from app.demo.seed import DEMO_CONSULTATION
from app.extensions import db
from app.forecasts.models import ForecastDataset, ForecastValue


def _dataset() -> ForecastDataset:
    dataset = ForecastDataset(
        publisher="Example Statistics Office",
        title="Illustrative projections",
        licence="CC BY 4.0",
        vintage="2024-34",
        base_year=2024,
        horizon_year=2034,
        unit="thousand jobs",
        source_filename="example.csv",
        source_hash="0" * 64,
        profile="example",
    )
    rows = [
        ("230000", None, "employment", 2024, 1000.0, "Construction"),
        ("230000", None, "employment", 2034, 1042.0, "Construction"),
        ("230000", None, "openings", 2034, 120.0, "Construction"),
        ("TE1000", None, "employment", 2024, 100000.0, "Total"),
        ("TE1000", None, "employment", 2034, 102000.0, "Total"),
        ("230000", "47-2111", "employment", 2024, 300.0, "Electricians"),
        ("230000", "47-2111", "employment", 2034, 330.0, "Electricians"),
        ("999999", None, "employment", 2024, 5.0, "Not selected"),
    ]
    for sector, occupation, indicator, year, value, label in rows:
        dataset.values.append(
            ForecastValue(
                geography="US",
                sector_code=sector,
                occupation_code=occupation,
                indicator=indicator,
                year=year,
                value=value,
                unit="thousand jobs",
                label=label,
            )
        )
    db.session.add(dataset)
    db.session.flush()
    return dataset


def test_the_demo_consultation_with_a_forecast_makes_a_complete_brief(make_demo_app):
    app = make_demo_app()
    with app.app_context():
        consultation = db.session.scalar(
            db.select(Consultation).where(Consultation.title == DEMO_CONSULTATION)
        )
        dataset = _dataset()
        selection = Selection(
            dataset.id,
            sector_codes=("230000",),
            occupation_codes=("47-*",),
            total_code="TE1000",
        )
        inputs = brief_inputs(consultation, [selection], title="Demo brief", date="2026-11-30")
        roles = {(s.role, s.indicator, s.code) for s in inputs.series}
        assert (SeriesRole.sector, "employment", "230000") in roles
        assert (SeriesRole.total, "employment", "TE1000") in roles
        assert (SeriesRole.occupation, "employment", "47-2111") in roles
        assert not any(s.code == "999999" for s in inputs.series)
        assert [r.number for r in inputs.rounds] == [1, 2, 3]
        assert all(r.submitted > 0 for r in inputs.rounds)
        content = assemble(inputs)
        assert [name for name, _ in content.sections()] == list(Section)
        assert content.fact("base_employment").value == 1000.0
        assert content.skill_needs.items
        assert content.method_sources.panel[0].responded == inputs.rounds[0].submitted
        stored = json.loads(json.dumps(content.to_json(), allow_nan=False))
        assert BriefContent.from_json(stored) == content
        # suppressed cells of the frozen results stay as they were frozen
        frozen = consultation.rounds[-1].frozen_results()
        for need in content.skill_needs.items:
            item = next(r.results.item(need.key) for r in inputs.rounds if r.number == need.round)
            assert need.groups == item.groups
        assert frozen is not None


def test_the_brief_states_how_the_bound_codes_map_to_nace(make_demo_app):
    """The binding's crosswalk, not an assumption, says which NACE code a forecast code
    stands for; the method section lists each code used with its mapping."""
    app = make_demo_app()
    with app.app_context():
        consultation = db.session.scalar(
            db.select(Consultation).where(Consultation.title == DEMO_CONSULTATION)
        )
        dataset = _dataset()
        selection = Selection(
            dataset.id,
            sector_codes=("230000",),
            total_code="TE1000",
            mapping=(("230000", "41", "NACE Rev. 2"),),
        )
        inputs = brief_inputs(consultation, [selection], title="Demo brief", date="2026-11-30")
        code = next(c for c in inputs.sector_codes if c.code == "230000")
        assert code.maps_to == ("41",) and code.maps_to_classification == "NACE Rev. 2"
        content = assemble(inputs)
        used = [c for source in content.method_sources.sources for c in source.codes_used]
        assert any(c.code == "230000" and c.maps_to == ("41",) for c in used)


def test_esco_links_carry_the_labels_of_the_loaded_classification(make_demo_app, tmp_path):
    """The demo theme links ESCO skill S5: with the ESCO files configured, the brief has its
    preferred label in each language a file gives (the language from the file's name)."""
    header = "conceptUri,preferredLabel\n"
    uri = "http://data.europa.eu/esco/skill/S5"
    english = tmp_path / "skills_en.csv"
    english.write_text(header + f"{uri},working with computers\n", encoding="utf-8")
    german = tmp_path / "skills_de.csv"
    german.write_text(header + f"{uri},mit Computern arbeiten\n", encoding="utf-8")
    app = make_demo_app(ESCO_SKILLS_FILES=[str(english), str(german), str(tmp_path / "gone.csv")])
    with app.app_context():
        consultation = db.session.scalar(
            db.select(Consultation).where(Consultation.title == DEMO_CONSULTATION)
        )
        inputs = brief_inputs(consultation, [], title="Demo brief", date="2026-11-30")
        links = [link for theme in inputs.themes for link in theme.esco]
        assert [(link.uri, link.labels) for link in links] == [
            (uri, {"en": "working with computers", "de": "mit Computern arbeiten"})
        ]
        content = assemble(inputs)
        pages = {
            lang: render_brief(content, lang=lang, base_url="https://x.example/b/1/v1/")
            for lang in ("en", "de", "fr")
        }
    html = {lang: r["brief.html"].data.decode() for lang, r in pages.items()}
    # a skill group's code beside its label
    assert f'<a href="{uri}">working with computers (S5)</a>' in html["en"]
    assert f'<a href="{uri}">mit Computern arbeiten (S5)</a>' in html["de"]
    # no French file: the consultation's default language, marked as such
    assert f'<a href="{uri}" lang="en">working with computers (S5)</a>' in html["fr"]
    document = json.loads(pages["de"]["brief.json"].data)
    assert document["themes"][0]["esco"] == [{"uri": uri, "label": "mit Computern arbeiten"}]
