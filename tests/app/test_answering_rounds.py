"""A panellist's two rounds, as the walk-through found them: theme items, answers carried into
round 2, the language switcher, every problem at once, the confirmation page, phones' keypads,
dates in the panellist's language and round 2's own wording."""

from __future__ import annotations

import re
from types import SimpleNamespace

from sqlalchemy import select

from app.consultations import services
from app.consultations.models import Consultation, Response, ResponseStatus, Round
from app.curation.models import Theme
from app.database import utcnow
from app.extensions import db
from app.panels.mailing import MailKind, compose_message
from app.panels.models import Panellist
from tests.app import test_answering as _answering
from tests.app.test_answering import (
    CHOICE,
    EST,
    GREEN,
    RANK,
    _round_one_closed,
    _sec,
    count,
    enter,
    field,
    full_answers,
    item_html,
    open_round,
    page,
    posted,
    read_form,
    stored,
)

#: The fixture of the answering tests: an app with a consultation of 20 panellists.
study = _answering.study

THEME_LABEL = {"en": "Drone surveying", "de": "Vermessung mit Drohnen", "fr": "Relevés par drone"}


def _round_two(app, ids, *, theme: bool = False) -> int:
    """Round 1 answered by the 20 and released (with an approved theme), round 2 open."""
    r1 = _round_one_closed(app, ids)
    with app.app_context():
        round_ = db.session.get(Round, r1)
        if theme:
            db.session.add(
                Theme(
                    consultation_id=round_.consultation_id,
                    round_id=r1,
                    label=dict(THEME_LABEL),
                    approved=True,
                )
            )
            db.session.flush()
        services.release_round(round_, by=_sec(ids), as_of=utcnow())
        services.prepare_next_round(round_.consultation, by=_sec(ids))
        db.session.commit()
    return open_round(app, ids, number=2)


def _theme_key(app, round_id) -> str:
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        return next(i.key for i in round_.items if i.key.startswith("theme-"))


# ----------------------------------------------------------------------------- 1. theme items


def test_a_theme_item_is_asked_like_every_rating_item_in_each_language(study):
    app, ids = study()
    r2 = _round_two(app, ids, theme=True)
    key = _theme_key(app, r2)
    client = enter(app, ids, index=1)  # German-speaking
    german = item_html(page(client), key)
    assert "Vermessung mit Drohnen" in german
    # the questionnaire's own scale labels, and "cannot assess"
    assert german.count('type="radio"') == 6
    assert "4 – Sehr wichtig" in german and "5 – Unverzichtbar" in german
    assert "Kann ich nicht beurteilen" in german
    english = item_html(client.get("/r?lang=en").get_data(as_text=True), key)
    assert "How important will this be in your sector: Drone surveying?" in english
    assert "1 – Not important" in english and "Cannot assess" in english
    assert "This question comes from what panel members wrote in round 1." in english
    # "cannot assess" is an answer the service accepts for it
    data = posted(page(client), **{f"q_{key}": "dk", "action": "draft"})
    assert client.post("/r", data=data).status_code == 303
    assert stored_round(app, ids, 2, index=1)[1][key].dont_know


# ----------------------------------------------------------------------------- 2. carried answers


def test_round_two_fills_in_the_panellists_round_one_answers_but_not_the_reasons(study):
    app, ids = study()
    _round_two(app, ids)
    with app.app_context():
        before = count(Response)
    client = enter(app, ids, index=4)  # round 1: GREEN 5, estimate 4 (3 to 5), reason-04
    html = page(client)
    assert field(html, f"q_{GREEN}") == ["5"]
    assert field(html, f"q_{EST}") == ["4"]
    assert field(html, f"q_{EST}_low") == ["3"] and field(html, f"q_{EST}_high") == ["5"]
    assert [field(html, f"q_{RANK}_{n}")[0] for n in (1, 2, 3)] == [
        "digital-data",
        "green-transition",
        "automation-maintenance",
    ]
    assert field(html, f"q_{CHOICE}") == ["upskilling"]
    assert field(html, f"q_{GREEN}_rationale") == [""]  # the reason is shown, not copied
    assert "Your reason:</strong> reason-04" in item_html(html, GREEN)
    assert "Your answers from round 1 are filled in below." in html
    with app.app_context():
        assert count(Response) == before  # showing them stores nothing

    # confirming as they are submits them as round 2's answers
    response = client.post("/r", data=posted(html, action="submit"))
    assert response.status_code == 303
    saved, answers = stored_round(app, ids, 2, index=4)
    assert saved.status is ResponseStatus.submitted
    assert answers[GREEN].value == 5 and answers[GREEN].rationale is None
    assert answers[EST].low == 3 and answers[RANK].ranking[0] == "digital-data"

    # once round 2 has a draft or submission, that is what the page shows
    changed = posted(page(client), **{f"q_{GREEN}": "2", "action": "submit"})
    assert client.post("/r", data=changed).status_code == 303
    html = page(client)
    assert field(html, f"q_{GREEN}") == ["2"]
    assert "are filled in below" not in html


def test_switching_the_language_of_a_filled_in_round_two_page_saves_nothing(study):
    """The filled-in answers are not the panellist's until confirmed: a language switch on
    an untouched round-2 page saves no draft; after a change it does."""
    app, ids = study()
    _round_two(app, ids)
    with app.app_context():
        before = count(Response)
    client = enter(app, ids, index=4)
    response = client.post("/r", data=posted(page(client), switch_lang="de"))
    assert response.status_code == 303
    html = page(client)
    assert '<html lang="de">' in html
    assert field(html, f"q_{GREEN}") == ["5"]  # still filled in, still to confirm
    with app.app_context():
        assert count(Response) == before
    changed = posted(html, switch_lang="fr", **{f"q_{GREEN}": "2"})
    assert client.post("/r", data=changed).status_code == 303
    with app.app_context():
        assert count(Response) == before + 1
    saved, _answers = stored_round(app, ids, 2, index=4)
    assert saved.status is ResponseStatus.draft


def stored_round(app, ids, number, index):
    from app.consultations.responses import own_response

    with app.app_context():
        person = db.session.get(Panellist, ids["panel"][index])
        consultation = db.session.get(Consultation, ids["consultation"])
        round_ = next(r for r in consultation.rounds if r.number == number)
        response = own_response(round_, person)
        answers = {a.item.key: a for a in response.answers}
        db.session.expunge_all()
        return response, answers


# ----------------------------------------------------------------------------- 3. language switch


def test_switching_the_language_keeps_what_was_typed_without_javascript(study):
    app, ids = study()
    open_round(app, ids)
    client = enter(app, ids, index=1)
    html = page(client)
    assert '<html lang="de">' in html
    # the switcher is a set of buttons of the answering form
    for code in ("en", "de", "fr"):
        assert re.search(
            rf'<button type="submit" form="answer-form" name="switch_lang" value="{code}"', html
        )
    assert 'id="answer-form"' in html
    typed = {
        "q_digital-data-skills": "5",
        f"q_{EST}": "7,5",
        "q_further-comments": "Später mehr.",
        "q_digital-data-skills_rationale": "Tablets überall.",
    }
    response = client.post("/r", data=posted(html, switch_lang="fr", **typed))
    assert response.status_code == 303
    french = page(client)
    assert '<html lang="fr">' in french and "quelle importance auront" in french
    assert field(french, "q_digital-data-skills") == ["5"]
    assert field(french, f"q_{EST}") == ["7.5"]
    assert field(french, "q_further-comments") == ["Später mehr."]
    assert field(french, "q_digital-data-skills_rationale") == ["Tablets überall."]
    saved, _answers = stored(app, ids, index=1)
    assert saved.status is ResponseStatus.draft

    # a value the form refuses comes back in the new language, beside its field
    bad = posted(french, switch_lang="de", **{f"q_{EST}_confidence": "viel"})
    refused = client.post("/r", data=bad)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert '<html lang="de">' in body and field(body, f"q_{EST}_confidence") == ["viel"]
    assert 'id="q_employment-change-2033_confidence-error"' in body


def test_switching_the_language_of_submitted_answers_saves_nothing_and_keeps_the_changes(study):
    app, ids = study()
    open_round(app, ids)
    client = enter(app, ids, index=1)
    assert client.post("/r", data=posted(page(client), **full_answers(action="submit"))).status_code
    html = page(client)
    response = client.post("/r", data=posted(html, switch_lang="fr", **{f"q_{GREEN}": "1"}))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert '<html lang="fr">' in body and field(body, f"q_{GREEN}") == ["1"]
    assert stored(app, ids, index=1)[1][GREEN].value == 4


def test_switching_the_language_of_an_untouched_page_starts_nothing(study):
    app, ids = study()
    open_round(app, ids)
    client = enter(app, ids)
    response = client.post("/r", data=posted(page(client), switch_lang="de"))
    assert response.status_code == 303
    assert '<html lang="de">' in page(client)
    with app.app_context():
        assert count(Response) == 0


# ----------------------------------------------------------------------------- 4. all problems


def test_one_submit_reports_missing_answers_and_broken_rules_together(study):
    app, ids = study()
    open_round(app, ids)
    client = enter(app, ids, index=1)
    html = client.get("/r?lang=fr").get_data(as_text=True)
    data = posted(html, **full_answers(action="submit"))
    data[f"q_{GREEN}"] = []  # missing
    data[f"q_{EST}"] = ["500"]  # above the maximum of 200
    data[f"q_{EST}_high"] = ["600"]
    data[f"q_{CHOICE}"] = ["upskilling", "hiring", "graduates"]  # at most 2
    data[f"q_{RANK}_2"] = ["digital-data"]  # twice
    data[f"q_{EST}_confidence"] = ["beaucoup"]  # not a number
    response = client.post("/r", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    summary = body.split('class="error-summary"')[1].split("</div>")[0]
    for target in (
        f"q_{GREEN}-0",
        f"q_{EST}",
        f"q_{EST}_confidence",
        f"q_{CHOICE}-0",
        f"q_{RANK}_1",
    ):
        assert f'href="#{target}"' in summary, target
    # and beside each field
    for error in (f"q_{GREEN}", f"q_{EST}", f"q_{EST}_confidence", f"q_{CHOICE}", f"q_{RANK}_1"):
        assert f'id="{error}-error"' in body, error
    # a field keeps one message, not the same problem twice in other words
    confidence = re.search(rf'id="q_{EST}_confidence-error">(.*?)</p>', body, re.S).group(1)
    assert confidence.count("0") <= 2
    with app.app_context():
        assert count(Response) == 0


# ----------------------------------------------------------------------------- 5. confirmation


def test_after_submitting_the_panellist_sees_what_was_saved_and_until_when(study):
    app, ids = study()
    open_round(app, ids)
    client = enter(app, ids, index=1)
    assert client.get("/r/submitted").status_code == 303  # nothing submitted yet
    html = client.get("/r?lang=fr").get_data(as_text=True)
    response = client.post("/r", data=posted(html, **full_answers(action="submit")))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/r/submitted")
    done = client.get(response.headers["Location"])
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    body = done.get_data(as_text=True)
    assert '<html lang="fr">' in body
    assert "1 avril 2099" in body and "April 1" not in body
    assert "D’ici 2030, quelle importance auront les compétences numériques" in body
    assert "4 – " in body  # the label of the point chosen, in French
    assert "5,5 %" in body  # the estimate, written the French way
    assert "1. " in body and "Drone surveying" in body  # ranking places, open answer
    assert "Every site now runs on tablets." not in body  # a short list: no reasons
    assert 'href="/r"' in body
    # the German page of the same
    german = client.get("/r/submitted?lang=de").get_data(as_text=True)
    assert "1. April 2099" in german


def test_the_confirmation_page_needs_the_panellists_session(study):
    app, ids = study()
    open_round(app, ids)
    assert app.test_client().get("/r/submitted").status_code == 403


# ------------------------------------------------------------------- 6. phones, dates, round 2


def test_number_fields_bring_up_a_number_pad_where_a_minus_sign_is_not_needed(app):
    from app.answering.forms import build_round_form

    def estimate(key, low):
        spec = {
            "key": key,
            "type": "estimate",
            "text": {"en": key},
            "unit": "%",
            "min": low,
            "max": 100,
            "range": True,
            "confidence": True,
        }
        return SimpleNamespace(key=key, spec=spec)

    with app.test_request_context("/r"):
        form = build_round_form([estimate("share", 0), estimate("change", -100)], "en")()
        html = str(form["q_share"]()) + str(form["q_share_low"]())
        assert html.count('inputmode="decimal"') == 2
        assert 'inputmode="numeric"' in str(form["q_share_confidence"]())
        assert 'inputmode="numeric"' in str(form["q_change_confidence"]())
        # iPhones' number pads have no minus sign: a change that can be negative keeps the
        # full keyboard
        assert "inputmode" not in str(form["q_change"]())
        assert 'type="text"' in str(form["q_change"]())


def test_the_page_of_a_real_survey_marks_its_number_fields(study):
    app, ids = study()
    open_round(app, ids)
    html = page(enter(app, ids))
    inputs = {i.get("name"): i for i in read_form(html).inputs}
    assert inputs[f"q_{EST}_confidence"].get("inputmode") == "numeric"
    assert inputs[f"q_{EST}"].get("inputmode") is None  # -100 to 200: a minus sign is needed
    # a decimal comma is still read on the server
    client = enter(app, ids)
    data = posted(page(client), **full_answers(action="draft", **{f"q_{EST}": "5,25"}))
    assert client.post("/r", data=data).status_code == 303
    assert stored(app, ids)[1][EST].value == 5.25


def test_round_two_has_its_own_subtitle_and_introduction(study):
    app, ids = study()
    _round_two(app, ids)
    client = enter(app, ids, index=1)
    german = page(client)
    assert "(Runde 1)" not in german and "In der nächsten Runde sehen Sie" not in german
    english = client.get("/r?lang=en").get_data(as_text=True)
    assert "(round 1)" not in english
    assert "Round 2: the panel&#39;s answers, and yours to confirm or change" in english
    assert "Thank you for answering round 1." in english
    assert "Thank you for taking part." not in english


def test_round_two_mails_speak_of_round_two_with_dates_in_the_panellists_language(study):
    app, ids = study()
    r2 = _round_two(app, ids)
    with app.app_context():
        round_ = db.session.get(Round, r2)
        person = db.session.get(Panellist, ids["panel"][1])
        texts = {}
        for lang in ("en", "de", "fr"):
            person.language = lang
            for kind in MailKind:
                message = compose_message(person, round_, "tok", kind)
                texts[lang, kind] = message.get_body(("plain",)).get_content()
                assert message.get_body(("html",)).get_content()
        db.session.rollback()
    invitation = texts["en", MailKind.invitation]
    assert "This is round 2." in invitation and "Thank you for answering round 1." in invitation
    assert "In the next round you will see" not in invitation
    assert "In der nächsten Runde sehen Sie" not in texts["de", MailKind.invitation]
    assert "Runde 2" in texts["de", MailKind.reminder]
    assert "1. April 2099" in texts["de", MailKind.invitation]
    assert "1. April 2099" in texts["de", MailKind.reminder]
    assert "1 avril 2099" in texts["fr", MailKind.invitation]
    assert "1 avril 2099" in texts["fr", MailKind.reminder]


def test_round_one_keeps_the_questionnaires_own_words(study):
    app, ids = study()
    open_round(app, ids)
    html = page(enter(app, ids))
    assert "Future skill needs in our sector by 2030 (round 1)" in html
    assert "Thank you for taking part." in html
    with app.app_context():
        round_ = db.session.scalars(select(Round).where(Round.number == 1)).first()
        person = db.session.get(Panellist, ids["panel"][0])
        text = compose_message(person, round_, "tok", MailKind.invitation).get_body(("plain",))
        assert "Thank you for taking part." in text.get_content()
