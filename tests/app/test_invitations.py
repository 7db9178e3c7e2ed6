"""Invitation links (SECURITY.md 2.2; S6, S7): token exchange, leakage, revocation, throttling."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.consultations.models import ConsultationStatus
from app.extensions import db
from app.panels.models import Invitation, Panellist, Participation
from app.panels.tokens import (
    invitation_link,
    issue_invitation,
    new_token,
    redeem,
    revoke_invitation,
    token_hmac,
)
from tests.app.factories import build_study, sign_in

INVALID_TEXT = "This link is not valid any more. Ask the secretariat for a new one."


def _issue(app, panellist_id: int) -> str:
    with app.app_context():
        _, token = issue_invitation(db.session.get(Panellist, panellist_id), by="test")
        db.session.commit()
    return token


@pytest.fixture
def study(app):
    return build_study(
        app,
        panellists=[
            {"name": "Anna", "email": "anna@example.org", "language": "de"},
            {"name": "Ben", "email": "ben@example.org"},
        ],
    )


def test_tokens_are_256_bit_and_stored_only_as_an_hmac(app, study):
    token = _issue(app, study.panellists[0])
    assert len(token) == 43  # 32 random bytes, URL-safe base64
    assert new_token() != new_token()
    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        assert invitation.token_hmac == token_hmac(token) != token
        assert len(invitation.token_hmac) == 64
        assert invitation_link(token) == f"http://skillsdelphi.test/i?t={token}"


def test_token_exchange_answers_303_to_a_token_free_page(app, client, study):
    """S7: 303 to a URL without the token, no Referer, not cached; a panellist session."""
    token = _issue(app, study.panellists[0])
    response = client.get(f"/i?t={token}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/r"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert token not in response.get_data(as_text=True)
    assert token not in str(response.headers)
    with client.session_transaction() as sess:
        assert sess["panellist_id"] == study.panellists[0]
        assert sess["consultation_id"] == study.consultation
        assert sess["lang"] == "de"
        assert sess.permanent


def test_opening_a_link_writes_nothing_that_names_the_panellist(app, client, study):
    """P2: a mail scanner that opens the link does not make the panellist "started", and
    no time-stamped row names who opened a link just before answering."""
    token = _issue(app, study.panellists[0])
    with app.app_context():
        before = _identity_rows()
    assert client.get(f"/i?t={token}").status_code == 303
    assert client.get(f"/i?t={token}").status_code == 303
    with app.app_context():
        assert _identity_rows() == before
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "panellist-session-started")
        ).all()
        assert [(e.object_type, e.object_id) for e in events] == [
            ("consultation", str(study.consultation))
        ] * 2


def _identity_rows():
    return {
        model.__tablename__: sorted(
            repr(tuple(row)) for row in db.session.execute(select(model.__table__))
        )
        for model in (Panellist, Participation, Invitation)
    }


def test_the_link_can_be_used_again_until_revoked(app, client, study):
    token = _issue(app, study.panellists[0])
    assert client.get(f"/i?t={token}").status_code == 303
    assert client.get(f"/i?t={token}").status_code == 303


def test_redeeming_clears_a_staff_session(app, client, study):
    sign_in(client, study.secretariat)
    assert client.get("/staff").status_code == 200
    token = _issue(app, study.panellists[1])
    client.get(f"/i?t={token}")
    assert client.get("/staff").status_code == 302  # signed out of the staff account


def test_invalid_revoked_and_unknown_links_look_identical(app, client, study):
    revoked = _issue(app, study.panellists[0])
    with app.app_context():
        revoke_invitation(db.session.get(Panellist, study.panellists[0]), by="test")
        db.session.commit()
    bodies = set()
    for query in (
        f"?t={revoked}",
        f"?t={new_token()}",
        "?t=short",
        "?t=" + "x" * 5000,
        "?t=%27%20OR%201%3D1--",
        "",
    ):
        response = client.get("/i" + query)
        assert response.status_code == 404
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
        body = response.get_data(as_text=True)
        assert INVALID_TEXT in body
        assert revoked not in body
        bodies.add(body)
    assert len(bodies) == 1
    with client.session_transaction() as sess:
        assert "panellist_id" not in sess


def test_reissue_kills_the_old_link(app, client, study):
    old = _issue(app, study.panellists[0])
    new = _issue(app, study.panellists[0])
    assert client.get(f"/i?t={old}").status_code == 404
    assert client.get(f"/i?t={new}").status_code == 303
    with app.app_context():
        active = db.session.scalars(select(Invitation).where(Invitation.revoked_at.is_(None)))
        assert len(active.all()) == 1


def test_inactive_panellists_and_finished_consultations_are_refused(app, study):
    anna, ben = (_issue(app, pid) for pid in study.panellists)
    with app.app_context():
        db.session.get(Panellist, study.panellists[0]).active = False
        db.session.commit()
        assert redeem(anna) is None
        assert redeem(ben) is not None
        db.session.get(
            Panellist, study.panellists[1]
        ).consultation.status = ConsultationStatus.finished
        db.session.commit()
        assert redeem(ben) is None


def _dump_every_table() -> str:
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            parts.append(repr(tuple(row)))
    return "\n".join(parts)


def test_the_raw_token_is_in_no_table(app, client, study):
    """S7: after issuing, using, revoking and re-issuing, no column holds a raw token."""
    tokens = [_issue(app, pid) for pid in study.panellists]
    client.get(f"/i?t={tokens[0]}")
    client.get(f"/i?t={new_token()}")
    sign_in(client, study.secretariat)
    client.post(
        f"/staff/consultations/{study.consultation}/panel/{study.panellists[1]}/revoke",
    )
    tokens.append(_issue(app, study.panellists[1]))
    with app.app_context():
        dump = _dump_every_table()
        assert token_hmac(tokens[0]) in dump
        assert db.session.scalars(select(AuditEvent)).all()
        for token in tokens:
            assert token not in dump


def test_failed_redemptions_are_rate_limited_per_address(make_app):
    """S6: after N failures an address gets 429; successes are not counted; other
    addresses are not affected."""
    app = make_app(INVITATION_RATE_LIMIT="3 per 10 minutes")
    study = build_study(app, panellists=[{}, {}])
    good = _issue(app, study.panellists[0])
    attacker = app.test_client()
    assert [attacker.get("/i?t=" + new_token()).status_code for _ in range(4)] == [
        404,
        404,
        404,
        429,
    ]
    throttled = attacker.get(f"/i?t={good}")
    assert throttled.status_code == 429
    assert throttled.headers["Referrer-Policy"] == "no-referrer"
    assert good not in throttled.get_data(as_text=True)

    other = app.test_client()
    environ = {"REMOTE_ADDR": "10.9.8.7"}
    for _ in range(5):  # successes do not count
        assert other.get(f"/i?t={good}", environ_base=environ).status_code == 303
    # staff sign-in is counted apart
    assert attacker.get("/login").status_code == 200
    with app.app_context():
        refused = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "invitation-link-refused")
        ).all()
        assert len(refused) == 3


def test_revoke_and_reissue_through_the_panel_page(make_app):
    from tests.app.factories import LocalSmtp

    with LocalSmtp() as smtp:
        app = make_app(**smtp.config())
        study = build_study(app, panellists=[{"email": "anna@example.org"}])
        old = _issue(app, study.panellists[0])
        client = app.test_client()
        sign_in(client, study.secretariat)
        base = f"/staff/consultations/{study.consultation}/panel/{study.panellists[0]}"
        assert client.post(base + "/reissue").status_code == 303
        (mail,) = smtp.received
        new = mail.text.split("/i?t=")[1].split()[0]
        assert client.post(base + "/revoke").status_code == 303
    panellist = app.test_client()
    assert panellist.get(f"/i?t={old}").status_code == 404
    assert panellist.get(f"/i?t={new}").status_code == 404
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "invitations-sent" in actions and "invitation-revoked" in actions


def _fail_through_proxy(client, forwarded_for: str) -> int:
    return client.get(
        "/i?t=" + new_token(),
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},  # the proxy
    ).status_code


def test_s6_s14_without_trusted_proxies_forwarded_addresses_are_not_believed(make_app):
    """S6/S14: by default X-Forwarded-For is ignored, so a client cannot escape the limit
    by inventing addresses; behind a proxy every client then shares the proxy's count."""
    app = make_app(INVITATION_RATE_LIMIT="3 per 10 minutes")
    client = app.test_client()
    codes = [_fail_through_proxy(client, f"198.51.100.{i}") for i in range(1, 5)]
    assert codes == [404, 404, 404, 429]


def test_s6_s14_behind_a_trusted_proxy_each_client_is_counted_apart(make_app):
    """S6/S14: with TRUSTED_PROXIES = 1 the address the proxy appends is the client's: one
    client's failures lock out that client only, and a forged left-hand entry is ignored."""
    app = make_app(INVITATION_RATE_LIMIT="3 per 10 minutes", TRUSTED_PROXIES=1)
    study = build_study(app, panellists=[{}])
    good = _issue(app, study.panellists[0])
    client = app.test_client()
    attacker = [_fail_through_proxy(client, "198.51.100.7") for _ in range(4)]
    assert attacker == [404, 404, 404, 429]
    # forging an earlier hop does not give the attacker a fresh count
    assert _fail_through_proxy(client, "203.0.113.9, 198.51.100.7") == 429
    # a panellist behind the same proxy is not locked out
    assert _fail_through_proxy(client, "192.0.2.33") == 404
    panellist = app.test_client().get(
        f"/i?t={good}",
        headers={"X-Forwarded-For": "192.0.2.34", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert panellist.status_code == 303


def test_trusted_proxies_must_be_a_small_number(make_app):
    from app import ConfigurationError

    for bad in ("one", -1, 99, True):
        with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES"):
            make_app(TRUSTED_PROXIES=bad)
