"""The secretariat's pages: create a consultation, fix the plan, run the rounds."""

import re
from datetime import date, timedelta
from html import unescape

import pytest
from babel import dates as babel_dates
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.classifications.models import Sector
from app.classifications.services import ensure_builtin_sectors
from app.consultations.models import Consultation, RoundStatus
from app.councils.models import Council
from app.extensions import db
from tests.app.factories import post_login
from tests.conftest import ROOT


@pytest.fixture
def setup(make_app, make_user, tmp_path):
    app = make_app(STUDY_KEY_DIR=str(tmp_path / "keys"))
    with app.app_context():
        ensure_builtin_sectors()
        sectors = {s.code: s for s in db.session.scalars(select(Sector))}
        mine = Council(name="Construction council", sector=sectors["F"], geography="DE")
        theirs = Council(name="Care council", sector=sectors["Q"], geography="FR")
        db.session.add_all([mine, theirs])
        db.session.commit()
        mine_id, theirs_id = mine.id, theirs.id
    _, sec_email, pw = make_user("secretariat", councils=[mine_id])
    _, other_email, _ = make_user("secretariat", councils=[theirs_id])
    client = app.test_client()
    post_login(client, sec_email, pw)
    return app, client, mine_id, other_email, pw


def _create(client, council_id):
    return client.post(
        "/staff/consultations/new",
        data={
            "council": council_id,
            "questionnaire": "future-skill-needs.yaml",
            "title": "Construction skills 2030",
            "description": "What will the sector need?",
        },
    )


def test_create_a_consultation_from_a_questionnaire_file(setup):
    app, client, council_id, *_ = setup
    page = client.get("/staff/consultations/new").get_data(as_text=True)
    assert "future-skill-needs.yaml" in page and "follow-up-round.yaml" in page
    response = _create(client, council_id)
    assert response.status_code == 303
    overview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Construction skills 2030" in overview
    assert "Round 1" in overview and "in preparation" in overview
    with app.app_context():
        c = db.session.scalars(select(Consultation)).one()
        assert len(c.rounds[0].items) == len(c.questionnaire.spec["items"])


def test_a_hostile_questionnaire_file_is_left_out_of_the_new_consultation_page(setup, tmp_path):
    app, client, council_id, *_ = setup
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    (surveys / "future-skill-needs.yaml").write_bytes(
        (ROOT / "surveys" / "future-skill-needs.yaml").read_bytes()
    )
    (surveys / "deep.yaml").write_text("[" * 10_000 + "]" * 10_000, encoding="utf-8")
    (surveys / "deep-mapping.yaml").write_text("{a: " * 10_000 + "}" * 10_000, encoding="utf-8")
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for previous, name in zip("abcdefg", "bcdefgh", strict=True):
        bomb.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    (surveys / "bomb.yaml").write_text("\n".join(bomb) + "\n", encoding="utf-8")
    (surveys / "binary.yaml").write_bytes(b"key: \x00\x01\x02")
    app.config["SURVEYS_DIR"] = str(surveys)
    page = client.get("/staff/consultations/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "future-skill-needs.yaml" in html
    assert "deep.yaml" not in html and "bomb.yaml" not in html and "binary.yaml" not in html
    response = client.post(
        "/staff/consultations/new",
        data={"council": council_id, "questionnaire": "deep.yaml", "title": "Skills 2030"},
    )
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(Consultation)).all() == []


def test_missing_title_is_reported_on_the_field(setup):
    app, client, council_id, *_ = setup
    response = client.post(
        "/staff/consultations/new",
        data={"council": council_id, "questionnaire": "future-skill-needs.yaml", "title": ""},
    )
    assert response.status_code == 422
    assert 'href="#title"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Consultation)).all() == []


@pytest.mark.parametrize(
    "title",
    [
        "Skills 2030\r\nBcc: everyone@example.org",
        "Skills\n2030",
        "Skills\t2030",
        "Skills\x852030",
        "Skills\u20282030",
        "Skills 2030\r\n",
    ],
)
def test_a_title_with_a_line_break_or_control_character_is_refused_at_the_field(setup, title):
    app, client, council_id, *_ = setup
    response = client.post(
        "/staff/consultations/new",
        data={"council": council_id, "questionnaire": "future-skill-needs.yaml", "title": title},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="title-error"' in page
    assert "Title must be a single line" in page
    with app.app_context():
        assert db.session.scalars(select(Consultation)).all() == []


def test_the_one_line_message_is_translated(setup):
    app, client, council_id, *_ = setup
    response = client.post(
        "/staff/consultations/new?lang=de",
        data={"council": council_id, "questionnaire": "future-skill-needs.yaml", "title": "a\nb"},
    )
    assert response.status_code == 422
    assert "muss einzeilig sein" in response.get_data(as_text=True)


def test_a_description_with_a_control_character_is_refused_at_the_field(setup):
    app, client, council_id, *_ = setup
    response = client.post(
        "/staff/consultations/new",
        data={
            "council": council_id,
            "questionnaire": "future-skill-needs.yaml",
            "title": "Construction skills 2030",
            "description": "First line\nsecond line\x85[31m",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="description-error"' in page and "control character" in page
    with app.app_context():
        assert db.session.scalars(select(Consultation)).all() == []


def test_a_plan_rule_with_a_line_break_is_refused_at_the_field(setup):
    app, client, council_id, *_ = setup
    cid = _create(client, council_id).headers["Location"].rsplit("/", 1)[1]
    response = client.post(
        f"/staff/consultations/{cid}/plan",
        data=_plan_data(stability_rule="net_change < 0.15\nand wilcoxon_p >= 0.05"),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="stability_rule-error"' in page and "must be a single line" in page


def _plan_data(**changes):
    data = {
        "consensus_in": "iqr <= 1 and agreement >= 0.75",
        "consensus_out": "iqr <= 1 and disagreement >= 0.70",
        "min_n": 5,
        "stability_rule": "net_change < 0.15 and wilcoxon_p >= 0.05",
        "max_rounds": 3,
        "scope": "panel",
        "min_group_n": 5,
        "contested_alpha": "0.05",
        "contested_median_diff": "2",
        "weighting": "balanced",
        "bootstrap_b": 2000,
        "bootstrap_seed": 12345,
    }
    data.update(changes)
    return data


def test_plan_is_edited_validated_and_locked_when_round_one_opens(setup):
    app, client, council_id, *_ = setup
    cid = _create(client, council_id).headers["Location"].rsplit("/", 1)[1]
    bad = client.post(
        f"/staff/consultations/{cid}/plan",
        data=_plan_data(consensus_in="iqr <= 1 and __import__('os')"),
    )
    assert bad.status_code == 422
    assert "consensus_in" in bad.get_data(as_text=True)
    unknown = client.post(
        f"/staff/consultations/{cid}/plan", data=_plan_data(consensus_in="happiness > 3")
    )
    assert unknown.status_code == 422 and "happiness" in unknown.get_data(as_text=True)
    ok = client.post(f"/staff/consultations/{cid}/plan", data=_plan_data())
    assert ok.status_code == 303
    with app.app_context():
        assert (
            db.session.get(Consultation, int(cid)).plan["consensus_in"]
            == "iqr <= 1 and agreement >= 0.75"
        )

    deadline = (date.today() + timedelta(days=14)).isoformat()
    opened = client.post(f"/staff/consultations/{cid}/rounds/1/open", data={"deadline": deadline})
    assert opened.status_code == 303
    page = client.get(f"/staff/consultations/{cid}/plan").get_data(as_text=True)
    assert "locked when round 1 opened" in page
    refused = client.post(f"/staff/consultations/{cid}/plan", data=_plan_data(min_group_n=3))
    assert refused.status_code == 303
    assert "cannot be changed" in client.get(refused.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        c = db.session.get(Consultation, int(cid))
        assert c.plan["min_group_n"] == 5 and c.rounds[0].status is RoundStatus.open
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "plan-locked" in actions and "plan-change-refused" in actions


def test_round_lifecycle_buttons(setup):
    app, client, council_id, *_ = setup
    cid = _create(client, council_id).headers["Location"].rsplit("/", 1)[1]
    base = f"/staff/consultations/{cid}/rounds/1"
    past = client.post(f"{base}/open", data={"deadline": "2001-01-01"})
    assert "deadline must lie in the future" in client.get(past.headers["Location"]).get_data(
        as_text=True
    )
    missing = client.post(f"{base}/open", data={})
    assert "Deadline" in client.get(missing.headers["Location"]).get_data(as_text=True)
    later = (date.today() + timedelta(days=10)).isoformat()
    assert client.post(f"{base}/open", data={"deadline": later}).status_code == 303
    even_later = (date.today() + timedelta(days=20)).isoformat()
    client.post(f"{base}/extend", data={"deadline": even_later})
    assert even_later in client.get(f"/staff/consultations/{cid}").get_data(as_text=True)
    # releasing an open round is refused with the reason
    refused = client.post(f"{base}/release")
    assert "cannot be released" in client.get(refused.headers["Location"]).get_data(as_text=True)
    client.post(f"{base}/close")
    client.post(f"{base}/release")
    with app.app_context():
        r = db.session.get(Consultation, int(cid)).rounds[0]
        assert r.status is RoundStatus.released and r.results["submitted"] == 0
    nxt = client.post(f"/staff/consultations/{cid}/rounds/next")
    assert "Round 2 is prepared" in client.get(nxt.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "deadline", "message"),
    [
        ("en", "2026-02-30", "“2026-02-30” is not a date: February 2026 has 28 days."),
        ("en", "2028-02-30", "“2028-02-30” is not a date: February 2028 has 29 days."),
        ("en", "2026-13-01", "“2026-13-01” is not a date: there is no month 13."),
        ("en", "30.02.2026", "“30.02.2026” is not a date: write it as YYYY-MM-DD"),
        ("en", "   ", "Enter a date as YYYY-MM-DD."),
        ("de", "2026-02-30", "„2026-02-30“ ist kein Datum: Der Februar 2026 hat 28 Tage."),
        (
            "fr",
            "2026-02-30",
            "«\u00a02026-02-30\u00a0» n’est pas une date\u00a0: février 2026 compte 28 jours.",
        ),
    ],
)
def test_an_impossible_deadline_is_reported_as_not_a_date(setup, lang, deadline, message):
    app, client, council_id, *_ = setup
    cid = _create(client, council_id).headers["Location"].rsplit("/", 1)[1]
    base = f"/staff/consultations/{cid}/rounds/1"
    response = client.post(f"{base}/open?lang={lang}", data={"deadline": deadline})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert message in page
    assert "field is required" not in page
    with app.app_context():
        assert db.session.get(Consultation, int(cid)).rounds[0].status is RoundStatus.draft


def test_an_impossible_new_deadline_of_an_open_round_is_reported_as_not_a_date(setup):
    app, client, council_id, *_ = setup
    cid = _create(client, council_id).headers["Location"].rsplit("/", 1)[1]
    base = f"/staff/consultations/{cid}/rounds/1"
    later = (date.today() + timedelta(days=10)).isoformat()
    assert client.post(f"{base}/open", data={"deadline": later}).status_code == 303
    response = client.post(f"{base}/extend", data={"deadline": "2099-04-31"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "“2099-04-31” is not a date: April 2099 has 30 days." in page
    shown = babel_dates.format_date(date.today() + timedelta(days=10), "medium", locale="en")
    assert shown in page  # the deadline kept, written as the reader's locale writes dates


def test_other_councils_and_other_roles_cannot_reach_it(setup, make_user):
    app, client, council_id, other_email, pw = setup
    cid = _create(client, council_id).headers["Location"].rsplit("/", 1)[1]
    other = app.test_client()
    post_login(other, other_email, pw)
    assert other.get(f"/staff/consultations/{cid}").status_code == 404
    assert other.post(f"/staff/consultations/{cid}/rounds/1/close").status_code == 404
    _, official_email, official_pw = make_user("official")
    official = app.test_client()
    post_login(official, official_email, official_pw)
    assert official.get(f"/staff/consultations/{cid}").status_code == 403
    assert app.test_client().get(f"/staff/consultations/{cid}").status_code == 302


def test_r7_nul_bytes_in_title_and_description_are_removed_with_a_notice(setup):
    """R7: PostgreSQL cannot store NUL in text; the form is accepted without it, and says so."""
    app, client, council_id, *_ = setup
    response = client.post(
        "/staff/consultations/new",
        data={
            "council": council_id,
            "questionnaire": "future-skill-needs.yaml\x00",
            "title": "Construction\x00 skills 2030",
            "description": "What will the\x00 sector\x07 need?\nAnd why?",
        },
    )
    assert response.status_code == 303
    overview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Invisible control characters" in overview
    with app.app_context():
        c = db.session.scalars(select(Consultation)).one()
        assert c.title == "Construction skills 2030"
        assert c.description == "What will the sector need?\nAnd why?"
    # a NUL in a URL parameter is no 500 either
    assert client.get("/staff/consultations/new?lang=d\x00e").status_code == 200


def test_the_secretariat_finishes_a_consultation_from_its_page(setup):
    app, client, council_id, *_ = setup
    cid = _create(client, council_id).headers["Location"].rsplit("/", 1)[1]
    deadline = (date.today() + timedelta(days=14)).isoformat()
    assert "Finish the consultation" not in client.get(f"/staff/consultations/{cid}").text
    client.post(f"/staff/consultations/{cid}/rounds/1/open", data={"deadline": deadline})
    assert "Finish the consultation" not in client.get(f"/staff/consultations/{cid}").text
    client.post(f"/staff/consultations/{cid}/rounds/1/close")
    page = client.get(f"/staff/consultations/{cid}").text
    assert "Finish the consultation" in page and "cannot be undone" in page
    done = client.post(f"/staff/consultations/{cid}/finish")
    assert done.status_code == 303
    page = client.get(done.headers["Location"]).text
    assert "The consultation is finished" in page and "This consultation is finished" in page
    assert "Finish the consultation" not in page
    with app.app_context():
        assert db.session.scalars(select(Consultation)).one().status.value == "finished"


def _group_feedback_box(page: str) -> str:
    return next(tag for tag in page.split("<input")[1:] if 'name="group_feedback"' in tag)


def test_group_feedback_is_set_on_the_plan_page_shown_in_the_summary_and_locked(setup):
    app, client, council_id, *_ = setup
    cid = _create(client, council_id).headers["Location"].rsplit("/", 1)[1]
    plan_url, show_url = f"/staff/consultations/{cid}/plan", f"/staff/consultations/{cid}"
    assert "checked" in _group_feedback_box(client.get(plan_url).get_data(as_text=True))
    assert "group figures in the panellists' feedback" in client.get(show_url).get_data(
        as_text=True
    )

    off = client.post(plan_url, data=_plan_data())  # the box left unticked
    assert off.status_code == 303
    with app.app_context():
        assert db.session.get(Consultation, int(cid)).plan["group_feedback"] is False
    assert "checked" not in _group_feedback_box(client.get(plan_url).get_data(as_text=True))
    assert "no group figures in the panellists' feedback" in client.get(show_url).get_data(
        as_text=True
    )

    deadline = (date.today() + timedelta(days=14)).isoformat()
    client.post(f"/staff/consultations/{cid}/rounds/1/open", data={"deadline": deadline})
    refused = client.post(plan_url, data=_plan_data(group_feedback="y"))
    assert refused.status_code == 303
    assert "cannot be changed" in client.get(refused.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Consultation, int(cid)).plan["group_feedback"] is False
    locked = client.get(plan_url).get_data(as_text=True)
    assert "checked" not in _group_feedback_box(locked)
    assert "Show panellists the figures of each published stakeholder group" in locked


# --- the plan page: common rules as choices, every problem at once ------------------------


def _field_errors(page: str) -> dict[str, str]:
    """The error shown beside each field, by the field's id."""
    found = re.findall(r'<p class="error-message" id="([^"]+)-error">(.*?)</p>', page, re.S)
    hidden = re.compile(r'<span class="visually-hidden">.*?</span>', re.S)
    return {name: unescape(hidden.sub("", text)).strip() for name, text in found}


def _summary_links(page: str) -> list[str]:
    start = page.index('class="error-summary"')
    summary = page[start : page.index("</div>", start)]
    return re.findall(r'<a href="#([^"]+)">', summary)


def _selected(page: str, name: str) -> str:
    """The value of the radio button of ``name`` that is checked."""
    checked = [
        tag
        for tag in re.findall(r"<input[^>]*>", page)
        if f'name="{name}"' in tag and "checked" in tag
    ]
    assert len(checked) == 1, (name, checked)
    return re.search(r'value="([^"]*)"', checked[0]).group(1)


def _choices(**changes):
    data = {
        **_plan_data(),
        "consensus_in_choice": "default",
        "consensus_out_choice": "default",
        "consensus_mid_choice": "default",
        "stability_rule_choice": "default",
        "consensus_in": "",
        "consensus_out": "",
        "stability_rule": "",
    }
    data.update(changes)
    return data


def _stored_plan(app, cid):
    with app.app_context():
        return dict(db.session.get(Consultation, int(cid)).plan)


def test_a_new_plan_offers_the_common_rules_in_plain_words_with_the_middle_rule(setup):
    app, client, council_id, *_ = setup
    cid = _create(client, council_id).headers["Location"].rsplit("/", 1)[1]
    assert _stored_plan(app, cid)["consensus_mid"] == "iqr <= 1 and middle >= 0.70"
    page = client.get(f"/staff/consultations/{cid}/plan").get_data(as_text=True)
    for name in ("consensus_in", "consensus_out", "consensus_mid", "stability_rule"):
        assert _selected(page, f"{name}_choice") == "default", name
        assert re.search(rf'<input[^>]*name="{name}"[^>]*value=""', page), name
    text = unescape(page)
    assert (
        "At least 70% answer 4 or 5 (the top band of a 5-point scale) and the middle half of "
        "answers lies within one scale point (default)" in text
    )
    assert "the median threshold of 100 Delphi studies (Diamond et al. 2014)" in text
    assert "Agreement on a middle position is agreement, not dissent" in text
    assert "Custom expression (for experts)" in text
    assert "<code>iqr &lt;= 1 and middle &gt;= 0.70</code>" in page  # the expressions listed


def test_choices_are_saved_as_their_expressions_and_shown_again(setup):
    app, client, council_id, *_ = setup
    cid = _create(client, council_id).headers["Location"].rsplit("/", 1)[1]
    url = f"/staff/consultations/{cid}/plan"
    saved = client.post(
        url,
        data=_choices(
            consensus_in_choice="share75",
            consensus_out_choice="none",
            consensus_mid_choice="share75",
            stability_rule_choice="cv",
        ),
    )
    assert saved.status_code == 303
    plan = _stored_plan(app, cid)
    assert (
        plan["consensus_in"],
        plan["consensus_out"],
        plan["consensus_mid"],
        plan["stability_rule"],
    ) == ("agreement >= 0.75", None, "middle >= 0.75", "cv_change < 0.15")
    page = client.get(url).get_data(as_text=True)
    assert _selected(page, "consensus_in_choice") == "share75"
    assert _selected(page, "consensus_out_choice") == "none"
    assert _selected(page, "stability_rule_choice") == "cv"

    custom = client.post(
        url,
        data=_choices(
            consensus_in_choice="custom",
            consensus_in="iqr <= 1 and agreement >= 0.8",
            consensus_mid_choice="none",
            stability_rule_choice="default",
        ),
    )
    assert custom.status_code == 303
    plan = _stored_plan(app, cid)
    assert plan["consensus_in"] == "iqr <= 1 and agreement >= 0.8"
    assert plan["consensus_mid"] is None and plan["consensus_out"] == (
        "iqr <= 1 and disagreement >= 0.70"
    )
    page = client.get(url).get_data(as_text=True)
    assert _selected(page, "consensus_in_choice") == "custom"
    assert 'value="iqr &lt;= 1 and agreement &gt;= 0.8"' in page
    assert _selected(page, "consensus_mid_choice") == "none"
    summary = client.get(f"/staff/consultations/{cid}").get_data(as_text=True)
    assert "no rule for agreement on a middle position" in summary


def test_every_problem_of_the_plan_is_shown_at_once_in_plain_words_beside_its_field(setup):
    app, client, council_id, *_ = setup
    cid = _create(client, council_id).headers["Location"].rsplit("/", 1)[1]
    before = _stored_plan(app, cid)
    response = client.post(
        f"/staff/consultations/{cid}/plan",
        data=_choices(
            consensus_in_choice="custom",
            consensus_in="iqr <= 1 and",
            consensus_out_choice="custom",
            consensus_out="disagreement >= 70",
            consensus_mid_choice="custom",
            consensus_mid="iqr <= 1 middle >= 0.7",
            stability_rule_choice="custom",
            stability_rule="",
            min_n="",
            min_group_n=2,
        ),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = _field_errors(page)
    assert errors["consensus_in"] == "the rule is not complete: something is missing after 'and'"
    assert errors["consensus_out"] == (
        "no set of answers can meet this rule: disagreement is a share between 0 and 1; "
        "did you mean 0.7?"
    )
    assert errors["consensus_mid"].startswith(
        "something is missing between 'iqr <= 1' and 'middle'"
    ) or errors["consensus_mid"].startswith("something is missing between '1' and 'middle'")
    assert errors["stability_rule"] == (
        "Write the expression, or choose one of the common rules above."
    )
    assert set(errors) >= {"min_n", "min_group_n"}
    # one summary at the top, each entry linked to its field
    assert _summary_links(page) == [
        "consensus_in",
        "consensus_out",
        "consensus_mid",
        "min_n",
        "stability_rule",
        "min_group_n",
    ]
    assert "invalid syntax" not in page and "&lt;unknown&gt;" not in page
    assert _stored_plan(app, cid) == before


def test_a_rule_no_answers_can_meet_is_refused_even_alone(setup):
    app, client, council_id, *_ = setup
    cid = _create(client, council_id).headers["Location"].rsplit("/", 1)[1]
    url = f"/staff/consultations/{cid}/plan"
    # a client of the expression form (no choices sent): the expression boxes are used
    refused = client.post(url, data=_plan_data(consensus_in="agreement >= 70"))
    assert refused.status_code == 422
    assert _field_errors(refused.get_data(as_text=True)) == {
        "consensus_in": "no set of answers can meet this rule: agreement is a share between 0 "
        "and 1; did you mean 0.7?"
    }
    impossible = client.post(
        url, data=_plan_data(consensus_in="agreement >= 0.7 and disagreement >= 0.7")
    )
    assert impossible.status_code == 422
    assert (
        "cannot all hold at once"
        in _field_errors(impossible.get_data(as_text=True))["consensus_in"]
    )
    median = client.post(url, data=_plan_data(consensus_in="iqr <= 1 and median >= 7"))
    assert "median lies between 1 and 5 on a scale of 5 points" in unescape(
        median.get_data(as_text=True)
    )
    with app.app_context():
        assert db.session.get(Consultation, int(cid)).plan["consensus_in"] == (
            "iqr <= 1 and agreement >= 0.70"
        )
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "plan-updated" not in actions


def test_a_chosen_rule_with_an_expression_written_too_is_questioned(setup):
    app, client, council_id, *_ = setup
    cid = _create(client, council_id).headers["Location"].rsplit("/", 1)[1]
    response = client.post(
        f"/staff/consultations/{cid}/plan",
        data=_choices(consensus_in_choice="share75", consensus_in="agreement >= 0.8"),
    )
    assert response.status_code == 422
    assert _field_errors(response.get_data(as_text=True)) == {
        "consensus_in": "This expression is used only with “Custom expression”: choose that "
        "above, or empty this box to use the rule chosen."
    }
    unknown = client.post(
        f"/staff/consultations/{cid}/plan", data=_choices(consensus_in_choice="magic")
    )
    assert unknown.status_code == 422
    assert "consensus_in_choice" in _field_errors(unknown.get_data(as_text=True))
