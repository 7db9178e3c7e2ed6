"""Title and description in every language of the questionnaire, line breaks kept: panellists
read them in their own language, on the answering page and in their invitation."""

from __future__ import annotations

import pytest

from app.consultations.models import Consultation, RoundStatus
from app.extensions import db
from app.panels.mailing import MailKind, compose_message
from app.panels.models import Panellist
from tests.app.factories import build_study, sign_in


@pytest.fixture
def study(app):
    return build_study(
        app, rounds=(RoundStatus.open,), panellists=[{"name": "Anna", "language": "de"}]
    )


@pytest.fixture
def client(app, study):
    client = app.test_client()
    sign_in(client, study.secretariat)
    return client


def _url(study) -> str:
    return f"/staff/consultations/{study.consultation}/texts"


def test_the_form_has_a_title_and_description_per_language(client, study):
    page = client.get(_url(study)).get_data(as_text=True)
    for name in ("title-en", "description-en", "title-de", "description-de"):
        assert f'name="{name}"' in page
    assert 'lang="de"' in page


def test_texts_are_saved_per_language_with_their_line_breaks(app, client, study):
    response = client.post(
        _url(study),
        data={
            "title-en": "Construction skills 2030",
            "description-en": "First paragraph.\r\n\r\nSecond paragraph,\r\nsame paragraph.",
            "title-de": "Kompetenzen im Bauwesen 2030",
            "description-de": "Erster Absatz.\n\nZweiter Absatz.",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        assert consultation.description == "First paragraph.\n\nSecond paragraph,\nsame paragraph."
        assert consultation.title_for("de") == "Kompetenzen im Bauwesen 2030"
        assert consultation.description_for("de") == "Erster Absatz.\n\nZweiter Absatz."
        assert consultation.title_for("fr") == "Construction skills 2030"
        anna = db.session.get(Panellist, study.panellists[0])
        message = compose_message(anna, consultation.rounds[0], "t" * 43, MailKind.invitation)
        assert "Kompetenzen im Bauwesen 2030" in message["Subject"]
        text = message.get_body(("plain",)).get_content()
        assert "Erster Absatz.\n\nZweiter Absatz." in text
        html = message.get_body(("html",)).get_content()
        assert "Erster Absatz." in html and "Construction skills 2030" not in html


def test_every_problem_is_named_at_once_and_nothing_is_saved(app, client, study):
    response = client.post(
        _url(study),
        data={"title-en": "", "description-de": "Ohne Titel", "title-de": ""},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'href="#title-en"' in html
    assert 'href="#title-de"' in html
    assert "give the title in this language too" in html
    with app.app_context():
        assert db.session.get(Consultation, study.consultation).title == "Construction skills 2030"


def test_the_panellist_page_shows_their_language_and_keeps_line_breaks(app, client, study):
    client.post(
        _url(study),
        data={
            "title-en": "Construction skills 2030",
            "description-en": "",
            "title-de": "Kompetenzen im Bauwesen 2030",
            "description-de": "Erster Absatz.\nZweite Zeile.",
        },
    )
    with app.app_context():
        from app.panels.tokens import issue_invitation

        _invitation, token = issue_invitation(db.session.get(Panellist, study.panellists[0]), "t")
        db.session.commit()
    panellist = app.test_client()
    panellist.get(f"/i?t={token}")
    page = panellist.get("/r").get_data(as_text=True)
    assert "<h1>Kompetenzen im Bauwesen 2030</h1>" in page
    assert '<p class="preserve-lines">Erster Absatz.\nZweite Zeile.</p>' in page
