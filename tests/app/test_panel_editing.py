"""Correcting the panel: changing a panellist's details, removing and restoring them, revoking
a link only after a confirmation, and errors shown where the eye is (issue: a consultation a
secretariat can run without help)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.consultations.models import RoundStatus, StakeholderGroup
from app.extensions import db
from app.panels.models import Invitation, Panellist
from app.panels.tokens import active_invitation, issue_invitation
from tests.app.factories import build_study, sign_in


@pytest.fixture
def study(app):
    return build_study(
        app,
        rounds=(RoundStatus.draft,),
        panellists=[
            {"name": "Anna Schmidt", "email": "anna@example.org"},
            {"name": "Ben Jones", "email": "ben@example.org"},
        ],
    )


@pytest.fixture
def client(app, study):
    client = app.test_client()
    sign_in(client, study.secretariat)
    return client


def _url(study, tail: str = "") -> str:
    return f"/staff/consultations/{study.consultation}/panel{tail}"


def _token(client) -> str:
    html = client.get("/staff/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _panellist(app, panellist_id: int) -> Panellist | None:
    with app.app_context():
        found = db.session.get(Panellist, panellist_id)
        if found is not None:
            db.session.expunge(found)
        return found


def _edit(client, study, panellist_id, **changes):
    data = {
        "edit-name": "Anna Schmidt",
        "edit-email": "anna@example.org",
        "edit-organisation": "",
        "edit-stakeholder_group": "employers",
        "edit-language": "en",
    }
    data.update({f"edit-{k}": v for k, v in changes.items()})
    return client.post(_url(study, f"/{panellist_id}/edit"), data=data)


def test_the_edit_form_shows_the_current_details_and_saves_corrections(app, client, study):
    anna = study.panellists[0]
    page = client.get(_url(study, f"/{anna}/edit")).get_data(as_text=True)
    assert 'value="anna@example.org"' in page
    response = _edit(
        client,
        study,
        anna,
        name="Anna Schmidt-Weber",
        email="anna.weber@example.org",
        organisation="Bau AG",
        stakeholder_group="education-providers",
        language="de",
    )
    assert response.status_code == 303
    panel = client.get(_url(study)).get_data(as_text=True)
    assert "The details of Anna Schmidt-Weber were saved." in panel
    changed = _panellist(app, anna)
    assert (changed.name, changed.email, changed.organisation, changed.language) == (
        "Anna Schmidt-Weber",
        "anna.weber@example.org",
        "Bau AG",
        "de",
    )
    assert changed.stakeholder_group is StakeholderGroup.education_providers


def test_every_problem_of_an_edit_is_shown_at_once_and_nothing_changes(app, client, study):
    anna = study.panellists[0]
    response = _edit(client, study, anna, name="", email="ben@example.org")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    summary = html.index("There is a problem")
    assert summary < html.index("<h1")
    assert 'href="#edit-name"' in html and 'href="#edit-email"' in html
    assert "is already on the panel" in html
    assert _panellist(app, anna).name == "Anna Schmidt"


def test_the_group_cannot_change_while_a_round_is_open(make_app):
    app = make_app()
    study = build_study(app, rounds=(RoundStatus.open,), panellists=[{"name": "Anna Schmidt"}])
    client = app.test_client()
    sign_in(client, study.secretariat)
    with app.app_context():
        email = db.session.get(Panellist, study.panellists[0]).email
    response = _edit(
        client, study, study.panellists[0], email=email, stakeholder_group="other-experts"
    )
    assert response.status_code == 422
    assert "cannot change while a round is open" in response.get_data(as_text=True)
    assert _panellist(app, study.panellists[0]).stakeholder_group is StakeholderGroup.employers


def test_removing_asks_first_then_deletes_one_never_invited(app, client, study):
    ben = study.panellists[1]
    confirm = client.get(_url(study, f"/{ben}/remove"))
    assert confirm.status_code == 200
    assert "has never been invited, so the entry is deleted" in confirm.get_data(as_text=True)
    assert _panellist(app, ben) is not None  # the GET changes nothing
    response = client.post(_url(study, f"/{ben}/remove"), data={"csrf_token": _token(client)})
    assert response.status_code == 303
    assert _panellist(app, ben) is None
    assert "Ben Jones was removed from the panel." in client.get(_url(study)).get_data(as_text=True)


def test_removing_one_invited_before_keeps_them_inactive_with_the_link_revoked(app, client, study):
    anna = study.panellists[0]
    with app.app_context():
        issue_invitation(db.session.get(Panellist, anna), by="test")
        db.session.commit()
    confirm = client.get(_url(study, f"/{anna}/remove")).get_data(as_text=True)
    assert "they become inactive" in confirm
    client.post(_url(study, f"/{anna}/remove"), data={"csrf_token": _token(client)})
    with app.app_context():
        kept = db.session.get(Panellist, anna)
        assert kept is not None and not kept.active
        live = db.session.scalars(
            select(Invitation).where(
                Invitation.panellist_id == anna, Invitation.revoked_at.is_(None)
            )
        ).all()
        assert live == []
    panel = client.get(_url(study)).get_data(as_text=True)
    assert "is now inactive" in panel
    assert "Put back on the panel" in panel
    client.post(_url(study, f"/{anna}/restore"), data={"csrf_token": _token(client)})
    assert _panellist(app, anna).active


def test_revoking_a_link_is_confirmed_on_a_page_of_its_own(app, client, study):
    anna = study.panellists[0]
    with app.app_context():
        issue_invitation(db.session.get(Panellist, anna), by="test")
        db.session.commit()
    panel = client.get(_url(study)).get_data(as_text=True)
    assert f'href="{_url(study, f"/{anna}/revoke")}"' in panel
    confirm = client.get(_url(study, f"/{anna}/revoke")).get_data(as_text=True)
    assert "This cannot be undone" in confirm
    with app.app_context():
        assert active_invitation(db.session.get(Panellist, anna)) is not None


def test_a_refused_add_shows_its_problems_above_the_page_heading(client, study):
    response = client.post(
        _url(study, "/add"),
        data={"add-name": "", "add-email": "x@", "add-stakeholder_group": "employers"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.index("There is a problem") < html.index("<h1")
    assert html.count("There is a problem") == 1
    assert 'href="#add-email"' in html


def test_the_panel_table_has_five_columns_and_actions_for_each_panellist(client, study):
    html = client.get(_url(study)).get_data(as_text=True)
    table = html[html.index('class="table panel-table"') :]
    head = table[: table.index("</thead>")]
    assert head.count('<th scope="col">') == 5
    assert 'role="region"' in html[: html.index('class="table panel-table"')][-300:]
    for panellist_id in study.panellists:
        assert f"/{panellist_id}/edit" in table and f"/{panellist_id}/remove" in table
