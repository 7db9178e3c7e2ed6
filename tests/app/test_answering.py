"""The panellist's answering page: every item type, drafts, submission, expiry, feedback."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select, update

from app.audit.models import AuditEvent
from app.auth.models import User
from app.classifications.models import Sector
from app.classifications.services import ensure_builtin_sectors
from app.consultations import services
from app.consultations.models import (
    Answer,
    Consultation,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    StakeholderGroup,
)
from app.consultations.responses import AnswerInput, save_response
from app.councils.models import Council
from app.database import utcnow
from app.extensions import db
from app.panels.models import Invitation, Panellist, Participation
from app.panels.tracking import Progress, progress_of
from tests.app.factories import sign_in
from tests.conftest import ROOT

SURVEY = ROOT / "surveys" / "future-skill-needs.yaml"
DEADLINE = datetime(2099, 4, 1, 12, 0, tzinfo=UTC)
#: 20 panellists: employers 6, workers 6, education 2 (suppressed), public authorities 6.
GROUP_OF = (
    [StakeholderGroup.employers] * 6
    + [StakeholderGroup.workers_representatives] * 6
    + [StakeholderGroup.education_providers] * 2
    + [StakeholderGroup.public_authorities] * 6
)
LIKERT = [
    "digital-data-skills",
    "green-transition-skills",
    "automation-maintenance",
    "customer-communication",
    "regulatory-compliance",
    "teamwork-problem-solving",
    "willingness-to-learn",
]
EST = "employment-change-2033"
RANK = "training-priorities"
CHOICE = "meeting-skill-needs"
TEXTS = ["skills-needed-most", "skills-declining", "further-comments"]


# ----------------------------------------------------------------------------- helpers


class FormReader(HTMLParser):
    """What a browser would post from the page's form, plus the labels' targets."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self.label_for: set[str] = set()
        self.inputs: list[dict[str, str | None]] = []
        self._textarea: str | None = None
        self._text = ""
        self._select: str | None = None
        self._selected: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea"):
            self.inputs.append({"tag": tag, **a})
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.pairs.append((name, a.get("value") or "on"))
            elif kind not in ("submit", "button"):
                self.pairs.append((name, a.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""
        elif tag == "select" and name:
            self._select, self._selected = name, None
        elif tag == "option" and self._select and "selected" in a:
            self._selected = a.get("value") or ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            text = self._text[2:] if self._text.startswith("\r\n") else self._text
            self.pairs.append((self._textarea, text.lstrip("\n") if text[:1] == "\n" else text))
            self._textarea = None
        elif tag == "select" and self._select:
            self.pairs.append((self._select, self._selected or ""))
            self._select = None


def read_form(html: str) -> FormReader:
    reader = FormReader()
    reader.feed(html)
    return reader


def posted(html: str, **changes) -> dict[str, list[str]]:
    """The page's form as the browser would post it, with ``changes`` applied."""
    data: dict[str, list[str]] = {}
    for name, value in read_form(html).pairs:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    return data


def field(html: str, name: str) -> list[str]:
    return [v for n, v in read_form(html).pairs if n == name]


def full_answers(**overrides) -> dict[str, object]:
    """A complete, valid set of answers to round 1 of future-skill-needs."""
    data: dict[str, object] = {f"q_{key}": "4" for key in LIKERT}
    data["q_willingness-to-learn"] = "dk"
    data[f"q_{EST}"] = "5,5"
    data[f"q_{EST}_low"] = "-2"
    data[f"q_{EST}_high"] = "10"
    data[f"q_{EST}_confidence"] = "60"
    data[f"q_{RANK}_1"] = "digital-data"
    data[f"q_{RANK}_2"] = "green-transition"
    data[f"q_{RANK}_3"] = "automation-maintenance"
    data[f"q_{CHOICE}"] = ["upskilling", "apprenticeships"]
    data["q_skills-needed-most"] = "Drone surveying\nBuilding information modelling"
    data["q_digital-data-skills_rationale"] = "Every site now runs on tablets."
    data.update(overrides)
    return data


def item_html(html: str, key: str) -> str:
    start = html.index(f'id="item-{key}"')
    end = html.find("<fieldset", start)
    return html[start : end if end > 0 else len(html)]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def study(make_app, tmp_path):
    """Factory: an app with a consultation of 20 panellists (round 1 still a draft)."""

    def build(**config):
        app = make_app(STUDY_KEY_DIR=str(tmp_path / "keys"), **config)
        with app.app_context():
            from app.auth.services import create_user
            from app.panels.tokens import store_invitation

            ensure_builtin_sectors()
            sector = db.session.scalars(select(Sector).where(Sector.code == "F")).one()
            council = Council(name="Construction council", sector=sector, geography="EU")
            db.session.add(council)
            db.session.flush()
            sec = create_user(
                "sec@example.org", "secretariat", "a long password!", councils=[council]
            )
            consultation = services.create_consultation(
                council, SURVEY, title="Construction skills 2030", by=sec
            )
            tokens = {}
            for i, group in enumerate(GROUP_OF):
                person = Panellist(
                    consultation=consultation,
                    name=f"Panellist Name{i:02d}",
                    email=f"person{i:02d}@example.org",
                    organisation=f"Org{i:02d} Ltd",
                    stakeholder_group=group,
                    language="de" if i == 1 else "en",
                )
                db.session.add(person)
                db.session.flush()
                tokens[person.id] = f"tok-{i:02d}-" + "x" * 40
                store_invitation(person, tokens[person.id])
            db.session.commit()
            ids = {
                "consultation": consultation.id,
                "sec": sec.id,
                "panel": sorted(tokens),
                "tokens": tokens,
            }
        return app, ids

    return build


def _sec(ids):
    return db.session.get(User, ids["sec"])


def open_round(app, ids, number=1, deadline=DEADLINE):
    with app.app_context():
        consultation = db.session.get(Consultation, ids["consultation"])
        round_ = next(r for r in consultation.rounds if r.number == number)
        services.open_round(round_, by=_sec(ids), as_of=utcnow(), deadline=deadline)
        db.session.commit()
        return round_.id


def close_round(app, ids, round_id, release=False):
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        services.close_round(round_, by=_sec(ids), as_of=utcnow())
        if release:
            services.release_round(round_, by=_sec(ids), as_of=utcnow())
        db.session.commit()


def enter(app, ids, index=0, client=None):
    """A client holding the panellist's session, through the invitation link when it exists."""
    client = client or app.test_client()
    pid = ids["panel"][index]
    if "panels.redeem_link" in app.view_functions:
        response = client.get(f"/i?t={ids['tokens'][pid]}")
        assert response.status_code == 303 and response.headers["Location"].endswith("/r")
    else:
        with client.session_transaction() as sess:
            sess["panellist_id"] = pid
            sess["consultation_id"] = ids["consultation"]
    return client


def progress(app, ids, index=0) -> Progress:
    """Where the panellist stands in the open round, as the secretariat's pages say."""
    with app.app_context():
        consultation = db.session.get(Consultation, ids["consultation"])
        round_ = next(r for r in consultation.rounds if r.status is RoundStatus.open)
        pid = ids["panel"][index]
        return progress_of(round_, [pid])[pid].progress


def page(client) -> str:
    response = client.get("/r")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


def stored(app, ids, index=0) -> tuple[Response | None, dict[str, Answer]]:
    from app.consultations.responses import own_response

    with app.app_context():
        person = db.session.get(Panellist, ids["panel"][index])
        consultation = db.session.get(Consultation, ids["consultation"])
        round_ = next(r for r in consultation.rounds if r.status is not RoundStatus.draft)
        response = own_response(round_, person)
        if response is None:
            return None, {}
        answers = {a.item.key: a for a in response.answers}
        db.session.expunge_all()
        return response, answers


# ----------------------------------------------------------------------------- rendering


def test_every_item_type_renders_with_labels_fieldsets_and_context(study):
    app, ids = study()
    open_round(app, ids)
    client = enter(app, ids)

    def rows():
        with app.app_context():
            return count(Response), count(Answer), count(Participation), count(Invitation)

    before = rows()
    html = page(client)
    assert rows() == before  # a GET changes nothing
    # the consultation, the deadline and the anonymity promise
    assert "Construction skills 2030" in html and "Construction council" in html
    assert "Future skill needs in our sector by 2030" in html
    assert "April 1, 2099" in html
    assert "Your answers are stored without your name." in html
    # one fieldset per item, legend = question text
    assert html.count('<fieldset class="question"') == 13
    legend = r'<legend[^>]*><span class="qnum">Question 1</span> By 2030, how important'
    assert re.search(legend, html)
    likert = item_html(html, "digital-data-skills")
    assert likert.count('type="radio"') == 6 and "Cannot assess" in likert
    assert "4 – Very important" in likert
    assert 'aria-describedby="hint-digital-data-skills"' in likert
    estimate = item_html(html, EST)
    for name in (f"q_{EST}", f"q_{EST}_low", f"q_{EST}_high", f"q_{EST}_confidence"):
        assert f'name="{name}"' in estimate
    assert "Your estimate (%)" in estimate
    ranking = item_html(html, RANK)
    assert [f"q_{RANK}_{n}" for n in (1, 2, 3)] == re.findall(
        r'<select[^>]* name="([^"]+)"', ranking
    )
    assert "1st place" in ranking and "3rd place" in ranking
    choice = item_html(html, CHOICE)
    assert choice.count('type="checkbox"') == 6 and "Choose between 1 and 2 options." in choice
    text = item_html(html, "further-comments")
    assert 'maxlength="2000"' in text and "<textarea" in text
    assert 'name="q_digital-data-skills_rationale"' in likert
    assert 'name="q_further-comments_rationale"' not in text
    # every visible input has a label; hidden fields carry a fresh submission id
    reader = read_form(html)
    visible = [i for i in reader.inputs if i.get("type") != "hidden"]
    assert visible and all(i.get("id") in reader.label_for for i in visible)
    submission_id = field(html, "submission_id")[0]
    assert re.fullmatch(r"[0-9a-f-]{36}", submission_id)
    assert field(page(enter(app, ids)), "submission_id")[0] != submission_id
    assert "Save draft" in html and ">Submit<" in html
    # no figures of any kind while the round is open
    for figure in ("Median", "Q1–Q3", "How the panel answered", "Borda", "Answers</dt>"):
        assert figure not in html


def test_page_is_in_the_panellists_language_and_lang_overrides(study):
    app, ids = study()
    open_round(app, ids)
    client = enter(app, ids, index=1)  # a German-speaking panellist
    html = page(client)
    assert '<html lang="de">' in html
    assert "Wie wichtig werden digitale Kompetenzen" in html
    french = client.get("/r?lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in french and "quelle importance auront" in french


def test_without_a_session_the_page_asks_for_the_link(study):
    app, ids = study()
    open_round(app, ids)
    response = app.test_client().get("/r")
    assert response.status_code == 403
    assert "personal link" in response.get_data(as_text=True)
    refused = app.test_client().post("/r", data=full_answers(action="submit"))
    assert refused.status_code == 403
    with app.app_context():
        assert count(Response) == 0


def test_friendly_pages_when_no_round_is_open(study):
    app, ids = study()
    client = enter(app, ids)
    assert "has not started yet" in page(client)
    round_id = open_round(app, ids)
    close_round(app, ids, round_id)
    html = page(client)
    assert "Round 1 is closed. Thank you" in html and "results will follow" in html


# ----------------------------------------------------------------------------- saving


def test_draft_is_resumed_on_another_device_then_submitted_and_revised(study):
    app, ids = study()
    open_round(app, ids)
    phone = enter(app, ids)
    html = page(phone)
    draft = posted(
        html,
        **{
            "q_digital-data-skills": "5",
            f"q_{EST}": "7,5",
            f"q_{RANK}_1": "green-transition",
            f"q_{RANK}_2": "digital-data",
            f"q_{RANK}_3": "regulatory-compliance",
            f"q_{CHOICE}": ["hiring"],
            "q_further-comments": "Später mehr.",
            "action": "draft",
        },
    )
    response = phone.post("/r", data=draft)
    assert response.status_code == 303 and response.headers["Location"].endswith("/r")
    assert "Draft saved" in page(phone)
    saved, answers = stored(app, ids)
    assert saved.status is ResponseStatus.draft and answers[EST].value == 7.5
    assert progress(app, ids) is Progress.started

    laptop = enter(app, ids)  # a second device, same personal link
    html = page(laptop)
    assert field(html, "q_digital-data-skills") == ["5"]
    assert field(html, f"q_{EST}") == ["7.5"]
    assert field(html, f"q_{RANK}_1") == ["green-transition"]
    assert field(html, f"q_{CHOICE}") == ["hiring"]
    assert field(html, "q_further-comments") == ["Später mehr."]
    assert "Your draft is saved" in html

    response = laptop.post("/r", data=posted(html, **full_answers(action="submit")))
    assert response.status_code == 303 and response.headers["Location"].endswith("/r/submitted")
    done = laptop.get("/r/submitted").get_data(as_text=True)
    assert "Thank you, your answers are submitted" in done and "April 1, 2099" in done
    html = page(laptop)
    assert "You have submitted your answers." in html
    assert "Submit changes" in html and "Save draft" not in html
    saved, answers = stored(app, ids)
    assert saved.status is ResponseStatus.submitted
    assert answers["willingness-to-learn"].dont_know
    assert answers[RANK].ranking == ["digital-data", "green-transition", "automation-maintenance"]
    assert answers[CHOICE].choices == ["upskilling", "apprenticeships"]
    assert answers["digital-data-skills"].rationale == "Every site now runs on tablets."

    revised = posted(html, **{"q_digital-data-skills": "2", "action": "submit"})
    assert laptop.post("/r", data=revised).status_code == 303
    saved, answers = stored(app, ids)
    assert saved.status is ResponseStatus.submitted and answers["digital-data-skills"].value == 2
    with app.app_context():
        assert count(Response) == 1
        assert count(Participation) == 0  # nothing naming the panellist while the round is open
    assert progress(app, ids) is Progress.submitted


def test_submit_needs_every_rating_question_and_names_it(study):
    app, ids = study()
    open_round(app, ids)
    client = enter(app, ids)
    html = page(client)
    data = posted(html, **full_answers(action="submit"))
    data["q_green-transition-skills"] = []
    data[f"q_{RANK}_1"] = data[f"q_{RANK}_2"] = data[f"q_{RANK}_3"] = [""]
    response = client.post("/r", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert '<a href="#q_green-transition-skills-0">Question 2: Choose an answer, or “Cannot' in body
    assert f'<a href="#q_{RANK}_1">Question 9: Choose an option for each of the first 3' in body
    # the error sits next to the field and the group points to it
    assert 'id="q_green-transition-skills-error"' in body
    assert 'aria-describedby="hint-green-transition-skills q_green-transition-skills-error"' in body
    # everything typed comes back
    assert field(body, f"q_{EST}") == ["5,5"] and field(body, "q_digital-data-skills") == ["4"]
    with app.app_context():
        assert count(Response) == 0
    # a draft may stay incomplete
    data["action"] = "draft"
    assert client.post("/r", data=data).status_code == 303


def test_rules_of_an_answer_come_back_on_the_fields(study):
    app, ids = study()
    open_round(app, ids)
    client = enter(app, ids)
    html = page(client)
    bad = full_answers(action="submit")
    bad[f"q_{EST}_low"] = "8"  # above the estimate
    bad[f"q_{CHOICE}"] = ["upskilling", "hiring", "graduates"]  # at most 2
    bad[f"q_{RANK}_2"] = "digital-data"  # twice
    bad[f"q_{EST}_confidence"] = "lots"
    response = client.post("/r", data=posted(html, **bad))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="q_employment-change-2033_confidence-error"' in body
    assert "Enter a whole number" in body
    with app.app_context():
        assert count(Response) == 0
    bad[f"q_{EST}_confidence"] = "60"
    response = client.post("/r", data=posted(html, **bad))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    low = item_html(body, EST)
    assert 'id="q_employment-change-2033_low-error"' in low and "the range must include" in low
    assert "choose at most 2 options" in item_html(body, CHOICE)
    assert "each option can take only one place" in item_html(body, RANK)
    assert f'href="#q_{EST}_low"' in body and f'href="#q_{CHOICE}-0"' in body
    with app.app_context():
        assert count(Response) == 0


def test_double_click_and_replay_store_one_response(study):
    app, ids = study()
    open_round(app, ids)
    client = enter(app, ids)
    data = posted(page(client), **full_answers(action="submit"))
    first = client.post("/r", data=data)
    second = client.post("/r", data=data)
    assert first.status_code == second.status_code == 303
    saved, answers = stored(app, ids)
    with app.app_context():
        assert count(Response) == 1 and count(Answer) == len(answers)
    assert saved.submission_id == data["submission_id"][0]
    assert "Thank you, your answers are submitted" in client.get("/r/submitted").get_data(
        as_text=True
    )
    conflict = client.post("/r", data={**data, "q_digital-data-skills": ["1"]})
    assert conflict.status_code == 409
    assert "reload the page" in conflict.get_data(as_text=True)
    assert stored(app, ids)[1]["digital-data-skills"].value == 4


def test_late_submission_after_close_is_refused_and_changes_nothing(study):
    app, ids = study()
    round_id = open_round(app, ids)
    client = enter(app, ids)
    html = page(client)
    draft = posted(html, **{"q_digital-data-skills": "3", "action": "draft"})
    assert client.post("/r", data=draft).status_code == 303
    html = page(client)
    other = enter(app, ids, index=2)
    assert (
        other.post("/r", data=posted(page(other), **full_answers(action="submit"))).status_code
        == 303
    )
    close_round(app, ids, round_id)

    def snapshot():
        with app.app_context():
            rows = db.session.execute(
                select(Answer.response_id, Answer.item_id, Answer.value).order_by(
                    Answer.response_id, Answer.item_id
                )
            ).all()
            statuses = db.session.scalars(select(Response.status).order_by(Response.id)).all()
            parts = db.session.execute(
                select(Participation.panellist_id, Participation.completed).order_by(
                    Participation.id
                )
            ).all()
            results = db.session.get(Round, round_id).results
            return (
                count(Response),
                count(Answer),
                count(Participation),
                rows,
                statuses,
                parts,
                results,
            )

    before = snapshot()
    late = client.post("/r", data=posted(html, **full_answers(action="submit")))
    assert late.status_code == 409
    body = late.get_data(as_text=True)
    assert "Round 1 is closed" in body and "saved draft is kept" in body
    assert field(body, f"q_{EST}") == ["5,5"]  # the posted answers are shown to copy
    assert ">Submit<" not in body and "Save draft" not in body
    assert snapshot() == before
    saved, answers = stored(app, ids)
    assert saved.status is ResponseStatus.draft and answers["digital-data-skills"].value == 3


# ----------------------------------------------------------------------------- CSRF, expiry


def test_stale_csrf_token_reshows_every_answer_then_the_second_press_saves(study):
    app, ids = study(WTF_CSRF_ENABLED=True)
    open_round(app, ids)
    client = enter(app, ids)
    html = page(client)
    data = posted(html, **full_answers(action="submit"))
    data["csrf_token"] = ["IjEyMzQ1Njc4OTAi.stale.token"]
    response = client.post("/r", data=data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "For your security please confirm: press “Submit” again." in body
    for name, values in data.items():
        if name not in ("csrf_token", "submission_id", "action", "resume"):
            assert sorted(field(body, name)) == sorted(values), name
    fresh = field(body, "csrf_token")[0]
    assert fresh and fresh != data["csrf_token"][0]
    with app.app_context():
        assert count(Response) == 0
    # missing token: the same
    no_token = {k: v for k, v in data.items() if k != "csrf_token"}
    assert client.post("/r", data=no_token).status_code == 400
    again = client.post("/r", data=posted(body, action="submit"))
    assert again.status_code == 303
    saved, answers = stored(app, ids)
    assert saved.status is ResponseStatus.submitted and answers[EST].value == 5.5


def test_expired_session_is_restored_from_the_form_and_saves_after_confirmation(study):
    app, ids = study(WTF_CSRF_ENABLED=True)
    open_round(app, ids)
    html = page(enter(app, ids))
    data = posted(html, **full_answers(action="draft"))
    assert data["resume"][0] and ids["tokens"][ids["panel"][0]] not in html

    later = app.test_client()  # the session cookie is gone (8 h idle)
    response = later.post("/r", data=data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "press “Save draft” again" in body
    assert field(body, f"q_{CHOICE}") == ["upskilling", "apprenticeships"]
    assert field(body, "q_skills-needed-most") == [
        "Drone surveying\nBuilding information modelling"
    ]
    with app.app_context():
        assert count(Response) == 0
    assert later.post("/r", data=posted(body, action="draft")).status_code == 303
    saved, answers = stored(app, ids)
    assert saved.status is ResponseStatus.draft and answers[CHOICE].choices == [
        "upskilling",
        "apprenticeships",
    ]

    # a forged or revoked ticket restores nothing
    forged = dict(data, resume=[data["resume"][0][:-2] + "xx"])
    assert app.test_client().post("/r", data=forged).status_code == 403
    with app.app_context():
        db.session.execute(update(Invitation).values(revoked_at=utcnow()))
        db.session.commit()
    assert app.test_client().post("/r", data=data).status_code == 403


# ----------------------------------------------------------------------------- feedback


def _round_one_answers(i: int) -> dict[str, AnswerInput]:
    answers = {key: AnswerInput(value=5.0) for key in LIKERT}  # consensus: settled
    answers["green-transition-skills"] = AnswerInput(
        value=float(1 + i % 5), rationale=f"reason-{i:02d}"
    )
    answers[EST] = AnswerInput(value=float(i), low=float(i) - 1, high=float(i) + 1)
    options = [
        "digital-data",
        "green-transition",
        "automation-maintenance",
        "teamwork-problem-solving",
    ]
    answers[RANK] = AnswerInput(ranking=tuple(options[i % 4 :] + options[: i % 4])[:3])
    answers[CHOICE] = AnswerInput(choices=("upskilling",) if i % 3 else ("hiring", "technology"))
    return answers


def test_round_two_shows_the_frozen_round_one_results_and_nothing_else(study):
    app, ids = study()
    r1 = open_round(app, ids)
    with app.app_context():
        round_ = db.session.get(Round, r1)
        for i, pid in enumerate(ids["panel"]):
            person = db.session.get(Panellist, pid)
            save_response(round_, person, _round_one_answers(i), submission_id=f"s{i}", submit=True)
            db.session.commit()
        # the secretariat hides one reason (moderation)
        hidden = db.session.scalars(select(Answer).where(Answer.rationale == "reason-03")).one()
        hidden.rationale_hidden = True
        db.session.commit()
    close_round(app, ids, r1, release=True)
    with app.app_context():
        consultation = db.session.get(Consultation, ids["consultation"])
        r2 = services.prepare_next_round(consultation, by=_sec(ids))
        db.session.commit()
        carried = {i.key for i in r2.items}
        results = db.session.get(Round, r1).results["items"]
    assert "green-transition-skills" in carried and "digital-data-skills" not in carried
    open_round(app, ids, number=2)

    client = enter(app, ids, index=4)  # answered 5 to green-transition-skills in round 1
    html = page(client)
    green = item_html(html, "green-transition-skills")
    r = results["green-transition-skills"]

    def num(value):  # the secretariat's pages write the same: 2 decimals
        return f"{value:.2f}"

    assert f"<dt>Answers</dt><dd>{r['n']}</dd>" in green
    assert f"<dd>{num(r['median'])}</dd>" in green
    assert f"{num(r['q1'])} to {num(r['q3'])}" in green
    for point, label in enumerate(
        [
            "Not important",
            "Slightly important",
            "Moderately important",
            "Very important",
            "Essential",
        ],
        1,
    ):
        assert (
            f'<th scope="row">{point} – {label}</th><td class="num">{r["counts"][str(point)]}</td>'
            in green
        )
    assert "Your answer in round 1:" in green and "<li>5 – Essential</li>" in green
    assert "Your reason:</strong> reason-04" in green
    assert "Your previous answer lies outside the group's middle half (Q1–Q3)." in green
    assert "If you move away from the group view, please give your reason" in green
    # suppressed groups: named, no figures; hidden reasons never shown
    suppressed = [g["group"] for g in r["groups"] if g.get("suppressed")]
    assert "education-providers" in suppressed
    assert green.count("not shown: too few answers in this group, or withheld") == len(suppressed)
    assert "reason-03" not in html
    for i, group in enumerate(GROUP_OF):
        if i == 3:
            continue
        text = f"reason-{i:02d}"
        assert text in green
        labelled = re.search(rf"{text} <span class=\"muted\">\(([^)]+)\)</span>", green)
        assert bool(labelled) == (group.value not in suppressed), text
    # the estimate, ranking and choice items
    est = item_html(html, EST)
    e = results[EST]
    assert f"<dd>{num(e['median'])} %</dd>" in est and f"{num(e['q1'])} to {num(e['q3'])} %" in est
    rank = item_html(html, RANK)
    first = results[RANK]["options"][0]
    assert "Borda points" in rank and f"{first['mean_rank']:.2f}" in rank
    choice = item_html(html, CHOICE)
    assert f'<td class="num">{results[CHOICE]["counts"]["upskilling"]}</td>' in choice
    # never a name, e-mail or organisation of anyone
    with app.app_context():
        for person in db.session.scalars(select(Panellist)):
            assert person.name not in html and person.email not in html
            assert person.organisation not in html

    # answers of the open round 2 never change what is shown
    before = re.sub(r'name="(submission_id|csrf_token|resume)" [^>]*>', "", html)
    other = enter(app, ids, index=5)
    data = posted(page(other), **{"q_green-transition-skills": "1", "action": "submit"})
    data.update(
        {
            k: [v] if isinstance(v, str) else v
            for k, v in {
                f"q_{EST}": "50",  # with a range that holds it: round 1's is filled in
                f"q_{EST}_low": "40",
                f"q_{EST}_high": "60",
                f"q_{RANK}_1": "digital-data",
                f"q_{RANK}_2": "green-transition",
                f"q_{RANK}_3": "automation-maintenance",
                f"q_{CHOICE}": ["hiring"],
            }.items()
        }
    )
    assert other.post("/r", data=data).status_code == 303
    after = re.sub(r'name="(submission_id|csrf_token|resume)" [^>]*>', "", page(client))
    assert after == before


GREEN = "green-transition-skills"


def _round_one_closed(app, ids, **plan) -> int:
    """Round 1 answered by the 20 (reasons reason-00..19 on GREEN) and closed, not released."""
    with app.app_context():
        consultation = db.session.get(Consultation, ids["consultation"])
        services.update_plan(consultation, {**consultation.plan, **plan}, by=_sec(ids))
        db.session.commit()
    r1 = open_round(app, ids)
    with app.app_context():
        round_ = db.session.get(Round, r1)
        for i, pid in enumerate(ids["panel"]):
            person = db.session.get(Panellist, pid)
            save_response(round_, person, _round_one_answers(i), submission_id=f"s{i}", submit=True)
            db.session.commit()
    close_round(app, ids, r1)
    return r1


def _release_and_open_round_two(app, ids, r1) -> None:
    with app.app_context():
        round_ = db.session.get(Round, r1)
        services.release_round(round_, by=_sec(ids), as_of=utcnow())
        services.prepare_next_round(round_.consultation, by=_sec(ids))
        db.session.commit()
    open_round(app, ids, number=2)


def _moderate(app, ids, text: str, action: str = "hide") -> str:
    """The secretariat hides (or shows) the reason ``text`` of round 1 on the moderation
    page; returns the page it is sent back to."""
    staff = app.test_client()
    sign_in(staff, "sec@example.org", "a long password!")
    url = f"/staff/consultations/{ids['consultation']}/rounds/1/rationales"
    listed = staff.get(url).get_data(as_text=True)
    token = re.search(
        rf'<td class="rationale-text"[^>]*>{text}</td>.*?name="rationale" value="([0-9a-f]{{64}})"',
        listed,
        flags=re.S,
    ).group(1)
    sent = staff.post(url, data={"item": GREEN, "rationale": token, "action": action})
    assert sent.status_code == 303
    return staff.get(sent.headers["Location"]).get_data(as_text=True)


def _csv_reasons(app, ids) -> set[str]:
    staff = app.test_client()
    sign_in(staff, "sec@example.org", "a long password!")
    url = f"/staff/consultations/{ids['consultation']}/rounds/1/results.csv"
    return set(re.findall(r"reason-\d\d", staff.get(url).get_data(as_text=True)))


def test_a_reason_hidden_after_release_stays_in_the_open_rounds_feedback(study):
    app, ids = study()
    r1 = _round_one_closed(app, ids)
    _release_and_open_round_two(app, ids, r1)
    client = enter(app, ids, index=4)
    before = item_html(page(client), GREEN)
    assert "reason-07" in before

    moderation = _moderate(app, ids, "reason-07")
    assert "The results of this round are released." in moderation
    assert "hiding or showing a reason now does not change their feedback" in moderation
    assert "The rationale is hidden from the downloads." in moderation
    assert "Hide from downloads" in moderation and "In downloads" in moderation

    assert item_html(page(client), GREEN) == before  # the feedback is frozen
    assert "reason-07" not in _csv_reasons(app, ids)  # later publications follow moderation
    with app.app_context():
        assert db.session.scalars(
            select(Answer.rationale_hidden).where(Answer.rationale == "reason-07")
        ).one()
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "rationale-hidden")
        ).one()
        assert event.details == {"round": 1, "item": GREEN, "feedback_frozen": True}
        assert event.actor == "sec@example.org"

    _moderate(app, ids, "reason-07", "show")
    assert item_html(page(client), GREEN) == before
    assert "reason-07" in _csv_reasons(app, ids)


def test_a_reason_that_could_identify_its_author_can_be_withdrawn_from_frozen_feedback(study):
    """SECURITY.md 2.3: moderation removes self-identifying reasons, also after the release;
    the rest of the frozen feedback stays as it was, and showing the reason again in the
    downloads does not bring it back to the panellists."""
    app, ids = study()
    r1 = _round_one_closed(app, ids)
    _release_and_open_round_two(app, ids, r1)
    client = enter(app, ids, index=4)
    before = item_html(page(client), GREEN)
    assert "reason-07" in before and "reason-08" in before

    moderation = _moderate(app, ids, "reason-07", "withdraw")
    assert "removed from the downloads and from the feedback of the next round" in moderation
    after = item_html(page(client), GREEN)
    assert "reason-07" not in after
    assert re.findall(r"<li>(reason-\d\d)", after) == [
        t for t in re.findall(r"<li>(reason-\d\d)", before) if t != "reason-07"
    ]
    assert "reason-07" not in _csv_reasons(app, ids)
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "rationale-withdrawn")
        ).one()
        assert event.details == {"round": 1, "item": GREEN}

    _moderate(app, ids, "reason-07", "show")
    assert "reason-07" in _csv_reasons(app, ids)
    assert "reason-07" not in item_html(page(client), GREEN)


def test_a_reason_hidden_before_release_is_left_out_and_the_frozen_reasons_name_nobody(study):
    app, ids = study()
    r1 = _round_one_closed(app, ids)
    moderation = _moderate(app, ids, "reason-07")
    assert "The rationale is hidden from feedback." in moderation
    assert "The results of this round are released." not in moderation
    _release_and_open_round_two(app, ids, r1)
    green = item_html(page(enter(app, ids, index=4)), GREEN)
    assert "reason-07" not in green and "reason-08" in green
    with app.app_context():
        stored = db.session.get(Round, r1).feedback_rationales
        reasons = stored["items"][GREEN]
        assert {t["text"] for t in reasons} == {f"reason-{i:02d}" for i in range(20)} - {
            "reason-07"
        }
        # only what the page shows: the text and a published group, nothing of the author
        assert all(set(t) <= {"text", "group"} for t in reasons)
        handles = (
            db.session.scalars(select(Response.id)).all()
            + db.session.scalars(select(Response.respondent_pseudonym)).all()
        )
        assert not any(handle in str(stored) for handle in handles)
        shown = re.findall(r"<li>(reason-\d\d)", green)
        assert shown == [t["text"] for t in reasons]  # in the frozen order
        assert shown != sorted(shown)
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "rationale-hidden")
        ).one()
        assert event.details["feedback_frozen"] is False


def test_a_round_released_before_reasons_were_frozen_freezes_them_at_its_first_moderation(
    study,
):
    app, ids = study()
    r1 = _round_one_closed(app, ids)
    _release_and_open_round_two(app, ids, r1)
    with app.app_context():  # as stored by an earlier version
        db.session.get(Round, r1).feedback_rationales = None
        db.session.commit()
    client = enter(app, ids, index=4)
    before = item_html(page(client), GREEN)
    assert "reason-07" in before
    _moderate(app, ids, "reason-07")
    assert item_html(page(client), GREEN) == before
    with app.app_context():
        assert db.session.get(Round, r1).feedback_rationales is not None


@pytest.mark.parametrize("group_feedback", [True, False])
def test_group_feedback_follows_the_plan(study, group_feedback):
    app, ids = study()
    r1 = _round_one_closed(app, ids, group_feedback=group_feedback)
    _release_and_open_round_two(app, ids, r1)
    green = item_html(page(enter(app, ids, index=4)), GREEN)
    assert "<dt>Answers</dt><dd>20</dd>" in green  # the panel's figures either way
    assert ("By stakeholder group" in green) is group_feedback
    assert ("Employers" in green) is group_feedback
    assert ('<span class="muted">(' in green) is group_feedback  # reasons' group labels
    assert ("not shown: too few answers" in green) is group_feedback  # suppressed groups too


def test_r1_an_older_window_does_not_overwrite_newer_answers(study):
    """R1: two windows of the same link; the older page's submit is refused, shown again
    with what it held, and replaces the stored answers only when sent once more."""
    app, ids = study()
    open_round(app, ids)
    client = enter(app, ids)
    window_a = page(client)
    window_b = page(client)
    assert field(window_a, "base_submission") == ["new"]
    newer = posted(window_b, **full_answers(action="submit", **{"q_digital-data-skills": "5"}))
    assert client.post("/r", data=newer).status_code == 303
    older = posted(window_a, **full_answers(action="submit", **{"q_digital-data-skills": "2"}))
    refused = client.post("/r", data=older)
    assert refused.status_code == 409
    body = refused.get_data(as_text=True)
    assert "changed in another window" in body
    assert field(body, "q_digital-data-skills") == ["2"]  # nothing typed here is lost
    assert stored(app, ids)[1]["digital-data-skills"].value == 5
    # sending the page that came back replaces the stored answers, on purpose
    again = client.post("/r", data=posted(body, action="submit"))
    assert again.status_code == 303
    assert stored(app, ids)[1]["digital-data-skills"].value == 2


def test_r2_answers_typed_while_the_database_is_down_are_kept_to_send_again(
    study, make_app, database_url, tmp_path
):
    """R2: the panellist's answers come back on the 503 page; once the database answers
    again, one press of "Send again" saves them."""
    app, ids = study()
    open_round(app, ids)
    client = enter(app, ids)
    data = posted(page(client), **full_answers(action="submit", **{"q_further-comments": "Ça"}))
    if database_url.startswith("postgresql"):
        unreachable = "postgresql+psycopg://postgres@127.0.0.1:1/test"
    else:
        unreachable = f"sqlite:///{tmp_path}/no-such-folder/down.db"
    down = make_app(SQLALCHEMY_DATABASE_URI=unreachable, STUDY_KEY_DIR=str(tmp_path / "keys"))
    cut_off = down.test_client()
    cut_off.set_cookie("session", client.get_cookie("session").value)
    response = cut_off.post("/r", data=data)
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    body = response.get_data(as_text=True)
    assert "Send again" in body and "Nothing is lost" in body
    kept = posted(body)
    assert kept["q_further-comments"] == ["Ça"]
    assert kept["q_digital-data-skills_rationale"] == ["Every site now runs on tablets."]
    assert stored(app, ids)[0] is None
    # the database is back: the kept form, sent again, saves every answer
    assert client.post("/r", data=kept).status_code == 303
    saved, answers = stored(app, ids)
    assert saved.status is ResponseStatus.submitted
    assert answers["further-comments"].text == "Ça"


@pytest.mark.commits  # the submission and the connection it deadlocks with commit apart
def test_r1_a_submission_refused_by_a_deadlock_is_run_again_and_saved(study, database_url):
    """R1, SECURITY.md 2.4: another transaction holds the panellist's response row and then
    asks for the round row that the submission has locked; PostgreSQL refuses the
    submission (deadlock, 40P01), which runs again once the other has finished and is
    saved: 303, not the 503 page."""
    import threading
    import time

    from sqlalchemy import create_engine, text

    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite submissions queue for the write lock, no deadlock")
    app, ids = study()
    round_id = open_round(app, ids)
    client = enter(app, ids)
    draft = posted(page(client), **full_answers(action="draft"))
    assert client.post("/r", data=draft).status_code == 303
    response_id = stored(app, ids)[0].id
    data = posted(page(client), **full_answers(action="submit", **{"q_digital-data-skills": "5"}))

    other = create_engine(database_url)
    watch = other.connect()
    deadlocks = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    before = watch.execute(text(deadlocks)).scalar_one()
    holder = other.connect()
    holder.exec_driver_sql("SET deadlock_timeout = '30s'")  # the submission detects it first
    holder.commit()
    held = holder.begin()
    holder.execute(select(Response.id).where(Response.id == response_id).with_for_update())
    sent: dict = {}
    submitting = threading.Thread(target=lambda: sent.update(answer=client.post("/r", data=data)))
    submitting.start()
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    for _ in range(200):  # until the submission waits for the response row
        watch.rollback()
        if watch.execute(text(waiting)).scalar_one():
            break
        time.sleep(0.05)
    else:
        pytest.fail("the submission never waited for the response row")
    holder.execute(select(Round.id).where(Round.id == round_id).with_for_update())
    held.rollback()
    holder.close()
    submitting.join(30)
    watch.rollback()
    after = watch.execute(text(deadlocks)).scalar_one()
    watch.close()
    other.dispose()
    assert after == before + 1  # a real deadlock, resolved by refusing the submission
    assert sent["answer"].status_code == 303
    saved, answers = stored(app, ids)
    assert saved.status is ResponseStatus.submitted
    assert answers["digital-data-skills"].value == 5


def test_r7_nul_bytes_in_free_text_and_reasons_are_removed_not_a_500(study):
    """R7: free text and a reason with NUL bytes are saved without them, with a notice."""
    app, ids = study()
    open_round(app, ids)
    client = enter(app, ids)
    data = posted(
        page(client),
        **full_answers(
            action="submit",
            **{
                "q_further-comments": "Nul\x00 here",
                "q_digital-data-skills_rationale": "\x00Tablets\x00 on site",
            },
        ),
    )
    assert client.post("/r", data=data).status_code == 303
    assert "Invisible control characters" in page(client)
    _saved, answers = stored(app, ids)
    assert answers["further-comments"].text == "Nul here"
    assert answers["digital-data-skills"].rationale == "Tablets on site"


@pytest.mark.parametrize("lang", ["de", "fr", "en"])
def test_a_range_problem_lands_on_the_range_in_every_language(study, lang):
    """The form used to find the field by English words in the (translated) message; the
    service's problem now says which part of the answer is at fault."""
    app, ids = study()
    open_round(app, ids)
    client = enter(app, ids)
    html = page(client) if lang == "en" else client.get(f"/r?lang={lang}").get_data(as_text=True)
    bad = full_answers(action="submit")
    bad[f"q_{EST}_low"] = "8"  # above the estimate of 5.5
    bad[f"q_{EST}_confidence"] = "60"
    response = client.post("/r", data=posted(html, **bad))
    assert response.status_code == 422
    estimate = item_html(response.get_data(as_text=True), EST)
    assert f'id="q_{EST}_low-error"' in estimate
    assert f'id="q_{EST}-error"' not in estimate
    assert f'id="q_{EST}_confidence-error"' not in estimate
