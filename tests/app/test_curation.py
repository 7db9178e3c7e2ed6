"""Theme curation after a round with open questions, through the secretariat's page.

Real answers (the multilingual statement set of tests/data/themes) are split and grouped by
the engine; the secretariat accepts, merges, splits, renames, links ESCO skills, approves;
approved themes become rating items of the next round with their text in each language.
"""

import csv
import html as htmllib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import Role, User
from app.consultations import services
from app.consultations.models import Consultation, Response, StakeholderGroup
from app.consultations.responses import AnswerInput, save_response
from app.curation import services as curation
from app.curation.models import Theme
from app.extensions import db
from app.panels.models import Panellist
from tests.app.factories import PASSWORD, make_council, make_staff, post_login
from tests.conftest import ROOT, shared_file

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SURVEY = ROOT / "surveys" / "future-skill-needs.yaml"
STATEMENTS = ROOT / "tests" / "data" / "themes" / "skill_statements.csv"
GROUPS = list(StakeholderGroup)[:4]
ITEM = "skills-needed-most"
ESCO = (
    ("classifications", "esco_v1.0_transversalSkillsCollection_en.csv"),
    ("classifications", "esco_v1.0_ictSkillsCollection_en.csv"),
)


def _english_statements() -> list[str]:
    with STATEMENTS.open(encoding="utf-8") as fh:
        return [row["statement"] for row in csv.DictReader(fh) if row["language"] == "en"]


def _build(app, *, close=True, panel_size=30):
    statements = _english_statements()
    with app.app_context():
        council = make_council("Construction council")
        other = make_council("Care council", sector_code="Q")
        sec = make_staff(Role.secretariat, [council], email="sec@example.org")
        make_staff(Role.secretariat, [other], email="out@example.org")
        consultation = services.create_consultation(
            council, SURVEY, title="Construction skills 2030", by=sec
        )
        panel = [
            Panellist(
                consultation=consultation,
                name=f"Yorick Answerer{i}",
                email=f"ya{i}@panel.example",
                stakeholder_group=GROUPS[i % 4],
            )
            for i in range(panel_size)
        ]
        db.session.add_all(panel)
        db.session.commit()
        r1 = consultation.rounds[0]
        services.open_round(r1, by=sec, as_of=T0, deadline=T0 + timedelta(days=14))
        db.session.commit()
        for i, p in enumerate(panel):
            mine = [statements[(i * 4 + k) % len(statements)] for k in range(4)]
            answers = {
                "digital-data-skills": AnswerInput(value=float(3 + i % 3)),
                ITEM: AnswerInput(text="\n".join(f"- {s}" for s in mine)),
            }
            save_response(r1, p, answers, submission_id=f"s{i}", submit=True)
            db.session.commit()
        if close:
            services.close_round(r1, by=sec, as_of=T0 + timedelta(days=10))
            db.session.commit()
        return consultation.id


@pytest.fixture
def study(make_app, tmp_path):
    app = make_app(STUDY_KEY_DIR=str(tmp_path / "keys"))
    return app, _build(app)


@pytest.fixture
def esco_study(make_app, tmp_path):
    files = [str(shared_file(*parts)) for parts in ESCO]
    app = make_app(STUDY_KEY_DIR=str(tmp_path / "keys"), ESCO_SKILLS_FILES=files)
    return app, _build(app)


def _client(app, email="sec@example.org"):
    client = app.test_client()
    assert post_login(client, email, PASSWORD).status_code in (302, 303)
    return client


def _url(cid, number=1):
    return f"/staff/consultations/{cid}/rounds/{number}/themes"


def _suggestions(app, cid):
    with app.app_context():
        round_ = db.session.get(Consultation, cid).rounds[0]
        esco_files = app.config["ESCO_SKILLS_FILES"]
        esco = curation.esco_skills(esco_files) if esco_files else None
        return next(q for q in curation.suggest_themes(round_, esco) if q.item_key == ITEM)


def _themes(app, cid):
    with app.app_context():
        return [
            {
                "id": t.id,
                "label": dict(t.label),
                "statements": list(t.statements),
                "esco": list(t.esco_uris),
                "approved": t.approved,
                "item_key": t.item_key,
            }
            for t in db.session.scalars(
                select(Theme).where(Theme.consultation_id == cid).order_by(Theme.id)
            )
        ]


def _accept(client, cid, suggestion, label=None, esco=(), **labels):
    data = {
        "action": "accept",
        "item": ITEM,
        "suggestion": suggestion.number,
        "digest": suggestion.digest,
        "label-en": label if label is not None else suggestion.label,
        "esco": list(esco),
    }
    data.update({f"label-{k}": v for k, v in labels.items()})
    return client.post(_url(cid), data=data)


def _flashes(client, cid) -> str:
    page = client.get(_url(cid)).get_data(as_text=True)
    return htmllib.unescape(" ".join(re.findall(r'<p class="flash[^"]*">(.*?)</p>', page)))


def _actions(app):
    with app.app_context():
        return db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()


def test_suggestions_from_real_answers_are_shown(study):
    app, cid = study
    question = _suggestions(app, cid)
    assert question.n_answers == 30 and question.n_statements >= 100
    assert len(question.suggestions) >= 3
    page = _client(app).get(_url(cid))
    assert page.status_code == 200
    html = htmllib.unescape(page.get_data(as_text=True))
    for suggestion in question.suggestions:
        assert f"Suggestion {suggestion.number}: {suggestion.label}" in html
        assert suggestion.statements[0] in html
    assert "No ESCO skill files are configured" in html
    assert "30 written answers" in html


def test_suggestions_are_deterministic(study):
    app, cid = study
    first, second = _suggestions(app, cid), _suggestions(app, cid)
    assert [s.digest for s in first.suggestions] == [s.digest for s in second.suggestions]


def test_esco_candidates_come_from_the_configured_files(esco_study):
    app, cid = esco_study
    question = _suggestions(app, cid)
    candidates = [c for s in question.suggestions for c in s.esco]
    assert candidates and all(c.uri.startswith("http://data.europa.eu/esco/") for c in candidates)
    html = htmllib.unescape(_client(app).get(_url(cid)).get_data(as_text=True))
    assert candidates[0].label in html
    assert "No ESCO skill files are configured" not in html
    with app.app_context():
        files = app.config["ESCO_SKILLS_FILES"]
        assert curation.esco_skills(files) is curation.esco_skills(list(files))


def test_accept_a_suggestion_with_esco_skills(esco_study):
    app, cid = esco_study
    suggestion = next(s for s in _suggestions(app, cid).suggestions if s.esco)
    client = _client(app)
    response = _accept(client, cid, suggestion, "Data skills", [suggestion.esco[0].uri], de="")
    assert response.status_code == 303
    (theme,) = _themes(app, cid)
    assert response.headers["Location"].endswith(f"{_url(cid)}#theme-{theme['id']}")
    assert theme["label"] == {"en": "Data skills"}
    assert theme["statements"] == list(suggestion.statements)
    assert theme["esco"] == [suggestion.esco[0].uri]
    assert theme["approved"] is False
    assert "Theme “Data skills” created from the suggestion." in _flashes(client, cid)
    html = htmllib.unescape(client.get(_url(cid)).get_data(as_text=True))
    article = html[html.index(f'id="s-{ITEM}-{suggestion.number}"') :]
    assert "Already accepted as a theme." in article[: article.index("</article>")]
    assert "theme-created" in _actions(app)
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "theme-created")
        ).one()
        assert event.details["statements"] == len(suggestion.statements)
        assert not any(s in str(event.details) for s in suggestion.statements)


def test_accept_refuses_a_changed_suggestion_or_missing_label(study):
    app, cid = study
    suggestion = _suggestions(app, cid).suggestions[0]
    client = _client(app)
    client.post(
        _url(cid),
        data={
            "action": "accept",
            "item": ITEM,
            "suggestion": suggestion.number,
            "digest": "0" * 32,
            "label-en": "x",
        },
    )
    assert "the suggestions have changed" in _flashes(client, cid)
    _accept(client, cid, suggestion, label="   ")
    assert "enter the label in English (en)" in _flashes(client, cid)
    _accept(client, cid, suggestion, esco=["http://data.europa.eu/esco/skill/not-offered"])
    assert "not a candidate of this suggestion" in _flashes(client, cid)
    assert _themes(app, cid) == []


@pytest.mark.parametrize("label", ["Digital\nskills", "Digital\tskills", "Digital\x85skills"])
def test_a_label_with_a_line_break_or_control_character_is_refused(study, label):
    app, cid = study
    suggestion = _suggestions(app, cid).suggestions[0]
    client = _client(app)
    _accept(client, cid, suggestion, label=label)
    assert "the label in English (en) must be a single line" in _flashes(client, cid)
    assert _themes(app, cid) == []


def test_merge_split_rename_and_approve(study):
    app, cid = study
    first, second = _suggestions(app, cid).suggestions[:2]
    client = _client(app)
    _accept(client, cid, first, "Digital skills")
    _accept(client, cid, second, "Green skills")
    a, b = _themes(app, cid)

    response = client.post(_url(cid), data={"action": "merge", "theme": b["id"], "target": a["id"]})
    assert response.status_code == 303
    (merged,) = _themes(app, cid)
    assert merged["id"] == a["id"]
    assert merged["statements"] == list(first.statements) + list(second.statements)
    assert merged["label"] == {"en": "Digital skills"}

    groups = list(dict.fromkeys(merged["statements"]))
    moved = [i for i, text in enumerate(groups) if text in second.statements]
    client.post(
        _url(cid),
        data={
            "action": "split",
            "theme": a["id"],
            "statement": [str(i) for i in moved],
            "split-label-en": "Green transition skills",
            "split-label-de": "Kompetenzen für den ökologischen Wandel",
        },
    )
    kept, new = _themes(app, cid)
    assert kept["statements"] == list(first.statements)
    assert new["statements"] == list(second.statements)
    assert new["label"] == {
        "en": "Green transition skills",
        "de": "Kompetenzen für den ökologischen Wandel",
    }

    client.post(
        _url(cid),
        data={
            "action": "rename",
            "theme": kept["id"],
            "label-en": "  Digital   and data skills ",
            "label-de": "Digitale Kompetenzen",
            "label-fr": "Compétences numériques",
        },
    )
    renamed = _themes(app, cid)[0]
    assert renamed["label"] == {
        "en": "Digital and data skills",
        "de": "Digitale Kompetenzen",
        "fr": "Compétences numériques",
    }
    client.post(_url(cid), data={"action": "approve", "theme": kept["id"]})
    assert _themes(app, cid)[0]["approved"] is True
    assert "Theme approved" in _flashes(client, cid)

    client.post(_url(cid), data={"action": "rename", "theme": kept["id"], "label-en": "Only en"})
    assert "an approved theme needs a label in every panel language" in _flashes(client, cid)
    assert _themes(app, cid)[0]["label"]["de"] == "Digitale Kompetenzen"

    client.post(_url(cid), data={"action": "unapprove", "theme": kept["id"]})
    assert _themes(app, cid)[0]["approved"] is False
    actions = _actions(app)
    for action in (
        "themes-merged",
        "theme-split",
        "theme-renamed",
        "theme-approved",
        "theme-unapproved",
    ):
        assert action in actions


def test_split_refuses_taking_every_statement(study):
    app, cid = study
    suggestion = _suggestions(app, cid).suggestions[0]
    client = _client(app)
    _accept(client, cid, suggestion)
    (theme,) = _themes(app, cid)
    every = [str(i) for i in range(len(set(theme["statements"])))]
    client.post(
        _url(cid),
        data={"action": "split", "theme": theme["id"], "statement": every, "split-label-en": "x"},
    )
    assert "leave at least one statement" in _flashes(client, cid)
    assert len(_themes(app, cid)) == 1


def test_approval_without_every_language_is_refused_naming_it(study):
    app, cid = study
    client = _client(app)
    _accept(client, cid, _suggestions(app, cid).suggestions[0], "Digital skills", fr="Numérique")
    (theme,) = _themes(app, cid)
    response = client.post(_url(cid), data={"action": "approve", "theme": theme["id"]})
    assert response.status_code == 303
    message = _flashes(client, cid)
    assert "missing: Deutsch (de)" in message
    assert "Français" not in message
    assert _themes(app, cid)[0]["approved"] is False
    assert "theme-approved" not in _actions(app)
    html = htmllib.unescape(client.get(_url(cid)).get_data(as_text=True))
    assert "Before approval, enter the label in: Deutsch (de)." in html


def test_unreadable_esco_files_are_reported_on_the_page(make_app, tmp_path):
    app = make_app(
        STUDY_KEY_DIR=str(tmp_path / "keys"), ESCO_SKILLS_FILES=[str(tmp_path / "missing.csv")]
    )
    cid = _build(app, panel_size=6)
    page = _client(app).get(_url(cid))
    assert page.status_code == 200
    assert "The ESCO skill files could not be read" in page.get_data(as_text=True)


def test_esco_links_by_address(study):
    app, cid = study
    client = _client(app)
    _accept(client, cid, _suggestions(app, cid).suggestions[0])
    (theme,) = _themes(app, cid)
    uri = "http://data.europa.eu/esco/skill/S5.5"
    client.post(_url(cid), data={"action": "link", "theme": theme["id"], "uri": "file:///etc/x"})
    assert "not an ESCO skill address" in _flashes(client, cid)
    client.post(_url(cid), data={"action": "link", "theme": theme["id"], "uri": uri})
    assert _themes(app, cid)[0]["esco"] == [uri]
    client.post(_url(cid), data={"action": "unlink", "theme": theme["id"], "uri": uri})
    assert _themes(app, cid)[0]["esco"] == []
    assert {"theme-esco-linked", "theme-esco-unlinked"} <= set(_actions(app))


def test_with_esco_loaded_only_its_skills_link_by_address_or_exact_name(esco_study):
    app, cid = esco_study
    client = _client(app)
    _accept(client, cid, _suggestions(app, cid).suggestions[0])
    (theme,) = _themes(app, cid)
    with app.app_context():
        labels = curation.esco_skills(app.config["ESCO_SKILLS_FILES"]).labels
    made_up = "http://data.europa.eu/esco/skill/not-a-real-skill"
    client.post(_url(cid), data={"action": "link", "theme": theme["id"], "uri": made_up})
    flashes = _flashes(client, cid)
    assert "is not among the" in flashes and "ESCO skills loaded" in flashes
    assert _themes(app, cid)[0]["esco"] == []
    uri, label = next(iter(labels.items()))
    client.post(_url(cid), data={"action": "link", "theme": theme["id"], "uri": label.upper()})
    assert _themes(app, cid)[0]["esco"] == [uri]


def test_approved_theme_becomes_an_item_of_the_next_round(study):
    app, cid = study
    client = _client(app)
    suggestion = _suggestions(app, cid).suggestions[0]
    labels = {
        "en": "Working with data",
        "de": "Arbeiten mit Daten",
        "fr": "Travailler avec des données",
    }
    _accept(client, cid, suggestion, labels["en"], de=labels["de"], fr=labels["fr"])
    (theme,) = _themes(app, cid)
    client.post(
        _url(cid),
        data={"action": "link", "theme": theme["id"], "uri": "http://data.europa.eu/esco/skill/S5"},
    )
    client.post(_url(cid), data={"action": "approve", "theme": theme["id"]})
    with app.app_context():
        c = db.session.get(Consultation, cid)
        sec = db.session.scalars(select(User).where(User.email == "sec@example.org")).one()
        services.release_round(c.rounds[0], by=sec, as_of=T0 + timedelta(days=11))
        r2 = services.prepare_next_round(c, by=sec)
        db.session.commit()
        item = next(i for i in r2.items if i.theme_id == theme["id"])
        assert set(item.text) == set(labels)  # a question naming the label, in each language
        assert all(labels[lang] in item.text[lang] for lang in labels)
        assert item.type.value == "likert"
        assert item.spec["codes"]["esco"] == ["http://data.europa.eu/esco/skill/S5"]
        key = item.key
    assert _themes(app, cid)[0]["item_key"] == key
    html = htmllib.unescape(client.get(_url(cid)).get_data(as_text=True))
    assert f"Used as question {key} of a later round: read-only." in html
    client.post(
        _url(cid),
        data={"action": "rename", "theme": theme["id"], "label-en": "Changed", "label-de": "x"},
    )
    assert "can no longer be changed" in _flashes(client, cid)
    assert _themes(app, cid)[0]["label"] == labels


def test_themes_of_an_open_round_are_refused(make_app, tmp_path):
    app = make_app(STUDY_KEY_DIR=str(tmp_path / "keys"))
    cid = _build(app, close=False, panel_size=6)
    client = _client(app)
    response = client.get(_url(cid))
    assert response.status_code == 403
    assert "results are shown after it closes" in response.get_data(as_text=True)
    assert client.post(_url(cid), data={"action": "accept"}).status_code == 403


def test_scope_and_sign_in(study):
    app, cid = study
    assert _client(app, "out@example.org").get(_url(cid)).status_code == 404
    client = _client(app)
    assert client.get(_url(cid, number=5)).status_code == 404
    anonymous = app.test_client().get(_url(cid))
    assert anonymous.status_code == 302 and "/login?next=" in anonymous.headers["Location"]


def test_themes_of_another_round_cannot_be_touched(study):
    app, cid = study
    client = _client(app)
    _accept(client, cid, _suggestions(app, cid).suggestions[0])
    (theme,) = _themes(app, cid)
    with app.app_context():
        foreign = Theme(consultation_id=cid, round_id=None, label={"en": "Elsewhere"})
        db.session.add(foreign)
        db.session.commit()
        foreign_id = foreign.id
    client.post(_url(cid), data={"action": "approve", "theme": foreign_id})
    assert "no such theme" in _flashes(client, cid)
    client.post(_url(cid), data={"action": "merge", "theme": foreign_id, "target": theme["id"]})
    assert len(_themes(app, cid)) == 2


def test_page_pairs_no_one_with_a_statement(study):
    app, cid = study
    client = _client(app)
    _accept(client, cid, _suggestions(app, cid).suggestions[0])
    html = client.get(_url(cid)).get_data(as_text=True)
    with app.app_context():
        handles = db.session.scalars(select(Response.respondent_pseudonym)).all()
        handles += db.session.scalars(select(Response.id)).all()
    assert "Yorick" not in html and "Answerer" not in html and "panel.example" not in html
    for handle in handles:
        assert handle not in html
    assert f"{ITEM}:" not in html  # no statement ids (they number answers)
