"""Irreversible round actions are asked for on a page of their own that says what becomes
irreversible, with warnings; opening a round is when invitations go out, with the deadline."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from babel import dates as babel_dates
from sqlalchemy import select

from app.consultations.models import Consultation, Item, ItemType, Round, RoundStatus
from app.extensions import db
from app.panels.models import Invitation
from tests.app.factories import LocalSmtp, build_study, sign_in


@pytest.fixture
def smtp():
    with LocalSmtp() as server:
        yield server


def _token(client) -> str:
    html = client.get("/staff/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _base(study) -> str:
    return f"/staff/consultations/{study.consultation}"


def _with_a_question(app, study) -> None:
    with app.app_context():
        round_ = db.session.get(Round, study.rounds[0])
        spec = {"key": "digital", "type": "likert", "scale": 5, "text": {"en": "Digital skills"}}
        db.session.add(
            Item(round=round_, key="digital", type=ItemType.likert, text=spec["text"], spec=spec)
        )
        db.session.commit()


def _round_status(app, study) -> RoundStatus:
    with app.app_context():
        return db.session.get(Round, study.rounds[0]).status


def test_the_consultation_page_links_to_confirmation_pages_not_to_one_click_actions(app):
    study = build_study(app, rounds=(RoundStatus.draft,), panellists=[{"name": "Anna"}])
    client = app.test_client()
    sign_in(client, study.secretariat)
    page = client.get(_base(study)).get_data(as_text=True)
    assert f'href="{_base(study)}/rounds/1/open"' in page
    assert f'action="{_base(study)}/rounds/1/open"' not in page
    confirm = client.get(f"{_base(study)}/rounds/1/open").get_data(as_text=True)
    assert "The analysis plan is locked (pre-registered)" in confirm
    assert "cannot be undone" in confirm
    assert _round_status(app, study) is RoundStatus.draft  # asking changes nothing


def test_opening_warns_about_an_empty_panel_and_the_default_plan(app):
    study = build_study(app, rounds=(RoundStatus.draft,))
    client = app.test_client()
    sign_in(client, study.secretariat)
    confirm = client.get(f"{_base(study)}/rounds/1/open").get_data(as_text=True)
    assert "The panel is empty: nobody can answer this round." in confirm
    assert "The analysis plan is still the default." in confirm
    assert 'id="invite" name="invite" value="1" disabled' in confirm


def test_opening_with_invitations_mails_every_active_panellist_the_deadline(make_app, smtp):
    app = make_app(**smtp.config())
    study = build_study(
        app,
        rounds=(RoundStatus.draft,),
        panellists=[{"name": "Anna", "email": "anna@example.org"}, {"name": "Ben"}],
    )
    _with_a_question(app, study)
    client = app.test_client()
    sign_in(client, study.secretariat)
    panel = client.get(f"{_base(study)}/panel").get_data(as_text=True)
    assert "Invitations are sent when you open it" in panel
    assert "E-mail every active panellist a link" not in panel
    deadline = date.today() + timedelta(days=14)
    response = client.post(
        f"{_base(study)}/rounds/1/open",
        data={"csrf_token": _token(client), "deadline": deadline.isoformat(), "invite": "1"},
    )
    assert response.status_code == 303
    assert _round_status(app, study) is RoundStatus.open
    assert len(smtp.received) == 2
    body = smtp.received[0].message.get_body(("plain",)).get_content()
    assert babel_dates.format_date(deadline, "long", locale="en") in body
    with app.app_context():
        assert len(db.session.scalars(select(Invitation)).all()) == 2
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 invitations were sent." in page


def test_opening_without_the_box_ticked_sends_nothing(make_app, smtp):
    app = make_app(**smtp.config())
    study = build_study(app, rounds=(RoundStatus.draft,), panellists=[{"name": "Anna"}])
    _with_a_question(app, study)
    client = app.test_client()
    sign_in(client, study.secretariat)
    deadline = (date.today() + timedelta(days=14)).isoformat()
    client.post(
        f"{_base(study)}/rounds/1/open", data={"csrf_token": _token(client), "deadline": deadline}
    )
    assert _round_status(app, study) is RoundStatus.open
    assert smtp.received == []


@pytest.mark.parametrize(
    ("status", "action", "says"),
    [
        (RoundStatus.open, "close", "a closed round cannot be reopened"),
        (RoundStatus.closed, "release", "cannot be taken back"),
    ],
)
def test_closing_and_releasing_are_confirmed_first(app, status, action, says):
    study = build_study(app, rounds=(status,), panellists=[{"name": "Anna"}])
    client = app.test_client()
    sign_in(client, study.secretariat)
    page = client.get(_base(study)).get_data(as_text=True)
    assert f'href="{_base(study)}/rounds/1/{action}"' in page
    confirm = client.get(f"{_base(study)}/rounds/1/{action}")
    assert confirm.status_code == 200
    assert says in confirm.get_data(as_text=True)
    assert _round_status(app, study) is status


def test_a_confirmation_page_for_an_action_that_no_longer_applies_goes_back(app):
    study = build_study(app, rounds=(RoundStatus.open,))
    client = app.test_client()
    sign_in(client, study.secretariat)
    response = client.get(f"{_base(study)}/rounds/1/release")
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Consultation, study.consultation) is not None
