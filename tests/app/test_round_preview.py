"""The secretariat sees a round exactly as a panellist does, in each language, before it opens,
and can reword its questions until it opens; the preview saves nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.consultations.models import Item, ItemType, Response, Round, RoundStatus
from app.extensions import db
from tests.app.factories import build_study, sign_in


def _add_items(app, round_id: int) -> None:
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        for position, (key, text) in enumerate(
            [
                ("digital", {"en": "Digital skills", "de": "Digitale Kompetenzen"}),
                ("green", {"en": "Green skills"}),
            ]
        ):
            spec = {"key": key, "type": "likert", "scale": 5, "text": text}
            db.session.add(
                Item(
                    round=round_,
                    key=key,
                    type=ItemType.likert,
                    position=position,
                    text=text,
                    spec=spec,
                )
            )
        db.session.commit()


@pytest.fixture
def study(app):
    study = build_study(app, rounds=(RoundStatus.draft,), panellists=[{"name": "Anna"}])
    _add_items(app, study.rounds[0])
    return study


@pytest.fixture
def client(app, study):
    client = app.test_client()
    sign_in(client, study.secretariat)
    return client


def _base(study) -> str:
    return f"/staff/consultations/{study.consultation}/rounds/1"


def _responses(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response))


def test_the_preview_is_the_panellist_page_in_the_chosen_language(client, study):
    page = client.get(f"{_base(study)}/preview").get_data(as_text=True)
    assert "Preview of round 1 as a panellist sees it" in page
    assert "Digital skills" in page and "Green skills" in page
    assert f'action="{_base(study)}/preview"' in page
    german = client.get(f"{_base(study)}/preview?lang=de").get_data(as_text=True)
    assert "Digitale Kompetenzen" in german
    assert '<html lang="de"' in german


def test_the_preview_checks_answers_and_saves_nothing(app, client, study):
    response = client.post(f"{_base(study)}/preview", data={"action": "submit"})
    assert response.status_code == 422
    assert "There is a problem" in response.get_data(as_text=True)
    assert _responses(app) == 0


def test_questions_can_be_reworded_per_language_until_the_round_opens(app, client, study):
    page = client.get(f"{_base(study)}/questions").get_data(as_text=True)
    assert 'name="digital-de"' in page and "Digitale Kompetenzen" in page
    response = client.post(
        f"{_base(study)}/questions",
        data={
            "digital-en": "Advanced digital skills",
            "digital-de": "Fortgeschrittene digitale Kompetenzen",
            "green-en": "Green skills",
            "green-de": "",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        item = db.session.scalars(select(Item).where(Item.key == "digital")).one()
        assert item.text["en"] == "Advanced digital skills"
        assert item.spec["text"]["de"] == "Fortgeschrittene digitale Kompetenzen"
    preview = client.get(f"{_base(study)}/preview").get_data(as_text=True)
    assert "Advanced digital skills" in preview


def test_an_empty_main_language_question_is_refused_and_named(app, client, study):
    response = client.post(
        f"{_base(study)}/questions",
        data={"digital-en": "", "digital-de": "x", "green-en": "", "green-de": ""},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'href="#q-digital-en"' in html and 'href="#q-green-en"' in html
    with app.app_context():
        item = db.session.scalars(select(Item).where(Item.key == "digital")).one()
        assert item.text["en"] == "Digital skills"


def test_an_open_round_cannot_be_reworded(make_app):
    app = make_app()
    study = build_study(app, rounds=(RoundStatus.open,))
    _add_items(app, study.rounds[0])
    client = app.test_client()
    sign_in(client, study.secretariat)
    page = client.get(f"{_base(study)}/questions").get_data(as_text=True)
    assert "its questions can no longer change" in page
    client.post(f"{_base(study)}/questions", data={"digital-en": "Changed"})
    with app.app_context():
        item = db.session.scalars(select(Item).where(Item.key == "digital")).one()
        assert item.text["en"] == "Digital skills"


def test_another_councils_secretariat_cannot_preview(app, study):
    client = app.test_client()
    sign_in(client, study.other_secretariat)
    assert client.get(f"{_base(study)}/preview").status_code == 404
    assert client.get(f"{_base(study)}/questions").status_code == 404
