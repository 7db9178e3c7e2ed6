"""Staff two-factor sign-in: TOTP codes (RFC 6238) with one-time recovery codes (ASVS 6.3.3,
SECURITY.md 2.1 and S10).

The codes are computed by pyotp from the secret the enrolment page shows, as an authenticator
app would compute them from the QR code.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from html import unescape

import pyotp
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth import mfa
from app.auth.models import RecoveryCode, SecondFactor, User
from app.database import utcnow
from app.extensions import db
from tests.app.factories import PASSWORD, post_login, sign_in

CODE_RE = re.compile(r"<li><code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code></li>")


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


def _shown_secret(page: str) -> str:
    """The key the enrolment page shows for typing (groups of four), without spaces."""
    match = re.search(r'<code class="secret" id="secret-key">([A-Z2-7 ]+)</code>', page)
    assert match, "the enrolment page shows no key"
    return match.group(1).replace(" ", "")


def _code(secret: str, steps: int = 0) -> str:
    """The code an authenticator app shows ``steps`` time steps from now."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def _enrol_in_browser(client, *, start="/staff/account/two-factor") -> tuple[str, list[str]]:
    """Set up the second factor on the enrolment page; returns (secret, recovery codes)."""
    page = client.get(start)
    assert page.status_code == 200
    secret = _shown_secret(_text(page))
    form = page.get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"', form).group(1)
    done = client.post(action, data={"code": _code(secret)})
    assert done.status_code == 303, _text(done)
    assert done.headers["Location"].endswith("/staff/account/two-factor/recovery-codes")
    shown = _text(client.get("/staff/account/two-factor/recovery-codes"))
    codes = CODE_RE.findall(shown)
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


def _enrolled_user(app, make_user, role="official") -> tuple[int, str, str, list[str]]:
    """A committed user with a second factor set up: (id, e-mail, secret, recovery codes)."""
    user_id, email, _password = make_user(role)
    with app.test_request_context():
        user = db.session.get(User, user_id)
        nonce = mfa.new_nonce()
        secret = mfa.enrolment_secret(user, nonce)
        outcome, codes_nonce = mfa.enrol(user, nonce, _code(secret, steps=-1), at=utcnow())
        assert outcome is mfa.CodeCheck.accepted
        codes = mfa.recovery_codes(user, codes_nonce)
        db.session.commit()
    return user_id, email, secret, codes


def _actions(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()


# ----------------------------------------------------------------------------- enrolment


def test_enrolment_with_a_code_of_the_shown_secret_then_recovery_codes_once(app, make_user):
    user_id, email, _ = make_user("official")
    client = app.test_client()
    sign_in(client, email)
    page = client.get("/staff/account/two-factor")
    html = page.get_data(as_text=True)
    secret = _shown_secret(_text(page))
    # the QR code is inline SVG; the text alternative: the key and the otpauth URI
    assert '<svg role="img"' in html and "<title>" in html
    uri = re.search(r'id="otpauth-uri" type="text" value="([^"]+)"', html).group(1)
    parsed = pyotp.parse_uri(unescape(uri))
    assert parsed.secret == secret and parsed.name == email
    # the code field is for one-time codes typed on a numeric keypad, with its label
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert re.search(r'<label class="label" for="code">Code from your authenticator app', html)

    refused = client.post("/staff/account/two-factor/enrol", data={"code": "000000"})
    assert refused.status_code == 401
    assert "This code is not correct." in _text(refused)
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)

    done = client.post("/staff/account/two-factor/enrol", data={"code": _code(secret)})
    assert done.status_code == 303
    shown = client.get("/staff/account/two-factor/recovery-codes")
    codes = CODE_RE.findall(_text(shown))
    assert len(set(codes)) == 10
    download = client.get("/staff/account/two-factor/recovery-codes.txt")
    assert download.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert all(code in download.get_data(as_text=True) for code in codes)

    assert client.post("/staff/account/two-factor/recovery-codes/done").status_code == 303
    again = _text(client.get("/staff/account/two-factor/recovery-codes"))
    assert CODE_RE.findall(again) == [] and "shown only once" in again
    settings = _text(client.get("/staff/account/two-factor"))
    assert "Recovery codes left" in settings
    assert mfa.grouped(secret) not in settings and secret not in settings

    with app.app_context():
        factor = db.session.get(SecondFactor, user_id)
        assert secret not in factor.secret  # stored encrypted
        stored_codes = db.session.scalars(
            select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user_id)
        ).all()
        assert len(stored_codes) == 10
        assert all(h.startswith("$argon2id$") for h in stored_codes)
        assert not any(c.replace("-", "") in h for c in codes for h in stored_codes)
        events = db.session.scalars(select(AuditEvent)).all()
        assert not any(secret in str(e.details) for e in events)
    assert "mfa-enrolled" in _actions(app)


def test_the_stored_secret_is_encrypted_and_an_altered_one_is_refused(app):
    with app.app_context():
        secret = pyotp.random_base32()
        sealed = mfa.seal(secret)
        assert secret not in sealed and mfa.seal(secret) != sealed  # a fresh nonce each time
        assert mfa.unseal(sealed) == secret
        altered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
        with pytest.raises(ValueError, match="altered"):
            mfa.unseal(altered)


# ----------------------------------------------------------------------------- sign-in


def test_sign_in_takes_the_password_then_a_code(app, make_user):
    _, email, secret, _codes = _enrolled_user(app, make_user)
    client = app.test_client()
    first = post_login(client, email)
    assert first.status_code == 303
    assert first.headers["Location"].endswith("/login/code")
    # half-way, no staff page opens
    assert client.get("/staff").status_code == 302
    assert client.get("/staff/account/two-factor").status_code == 302
    page = client.get("/login/code").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    done = client.post("/login/code?next=/elsewhere", data={"code": _code(secret, steps=1)})
    assert done.status_code == 303 and done.headers["Location"].endswith("/staff")
    assert client.get("/staff").status_code == 200
    assert _actions(app)[-1] == "login"
    with app.app_context():
        last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last.details == {"second_factor": "totp"}


def test_a_wrong_code_is_refused_with_a_clear_message(app, make_user):
    _, email, secret, _codes = _enrolled_user(app, make_user)
    client = app.test_client()
    post_login(client, email)
    wrong = _code(secret, steps=5)  # a code of another time: not within one step of now
    refused = client.post("/login/code", data={"code": wrong})
    assert refused.status_code == 401
    text = _text(refused)
    assert "There is a problem" in text
    assert "Code from your authenticator app: This code is not correct." in text
    assert client.get("/staff").status_code == 302
    malformed = client.post("/login/code", data={"code": "12ab"})
    assert malformed.status_code == 422
    assert "Enter the 6 digits that your authenticator app shows now." in _text(malformed)
    empty = client.post("/login/code", data={})
    assert "Enter the 6-digit code from your authenticator app, or a recovery code." in _text(empty)
    assert _actions(app)[-1] == "login-failed"


def test_a_code_of_the_step_before_is_accepted_one_two_steps_away_is_not(app, make_user):
    _, email, secret, _codes = _enrolled_user(app, make_user)
    client = app.test_client()
    post_login(client, email)
    late = client.post("/login/code", data={"code": _code(secret, steps=-3)})
    assert late.status_code == 401 and "This code is not correct." in _text(late)
    assert client.post("/login/code", data={"code": _code(secret, steps=1)}).status_code == 303


def test_a_code_used_once_is_refused_the_second_time(app, make_user):
    _, email, secret, _codes = _enrolled_user(app, make_user)
    code = _code(secret, steps=1)
    first = app.test_client()
    post_login(first, email)
    assert first.post("/login/code", data={"code": code}).status_code == 303
    thief = app.test_client()  # someone who saw the code and the password
    post_login(thief, email)
    replay = thief.post("/login/code", data={"code": code})
    assert replay.status_code == 401
    assert "This code has been used already." in _text(replay)
    assert thief.get("/staff").status_code == 302


@pytest.mark.commits
def test_one_code_posted_twice_at_the_same_moment_signs_in_once(make_app, make_user):
    """SECURITY.md 1 (ASVS 15.4.2): checking a code and marking its step used is one act."""
    app = make_app()
    _, email, secret, _codes = _enrolled_user(app, make_user)
    clients = [app.test_client() for _ in range(2)]
    for client in clients:
        post_login(client, email)
    code = _code(secret, 1)
    start = threading.Barrier(len(clients))
    answers: list[int] = []

    def post(client) -> None:
        start.wait()
        answers.append(client.post("/login/code", data={"code": code}).status_code)

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(answers) == [303, 401]


def test_a_recovery_code_signs_in_once(app, make_user):
    _, email, _secret, codes = _enrolled_user(app, make_user)
    client = app.test_client()
    post_login(client, email)
    typed = codes[3].upper().replace("-", " ")  # as someone might type it
    done = client.post("/login/code", data={"recovery_code": typed})
    assert done.status_code == 303
    assert done.headers["Location"].endswith("/staff/account/two-factor")
    settings = _text(client.get("/staff/account/two-factor"))
    assert "which is now used up: 9 are left" in settings
    client.post("/logout")
    post_login(client, email)
    again = client.post("/login/code", data={"recovery_code": codes[3]})
    assert again.status_code == 401
    assert "Recovery code: This recovery code is not correct, or it has been used already." in (
        _text(again)
    )
    assert client.post("/login/code", data={"recovery_code": codes[4]}).status_code == 303


def test_failed_codes_count_toward_the_sign_in_rate_limit(make_app, make_user):
    app = make_app(LOGIN_RATE_LIMIT="3 per 15 minutes")
    _, email, secret, _codes = _enrolled_user(app, make_user)
    client = app.test_client()
    assert post_login(client, email).status_code == 303  # a right password is not counted
    wrong = _code(secret, steps=10)
    codes = [client.post("/login/code", data={"code": wrong}).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    # the limit is the one of every sign-in step from this address
    assert post_login(client, email).status_code == 429


def test_failed_codes_are_limited_per_account_whatever_the_address(make_app, make_user):
    app = make_app(MFA_ACCOUNT_RATE_LIMIT="2 per 15 minutes")
    _, email, secret, _codes = _enrolled_user(app, make_user)
    wrong = _code(secret, steps=10)
    answers = []
    for n in range(3):
        client = app.test_client()
        address = {"REMOTE_ADDR": f"10.0.0.{n + 1}"}
        client.post("/login", data={"email": email, "password": PASSWORD}, environ_base=address)
        answers.append(
            client.post("/login/code", data={"code": wrong}, environ_base=address).status_code
        )
    assert answers == [401, 401, 429]


def test_the_second_step_times_out(app, make_user):
    _, email, secret, _codes = _enrolled_user(app, make_user)
    client = app.test_client()
    post_login(client, email)
    with client.session_transaction() as sess:
        pending = sess["mfa_pending"]
        pending["at"] = (utcnow() - timedelta(minutes=11)).isoformat()
        sess["mfa_pending"] = pending
    late = client.post("/login/code", data={"code": _code(secret, steps=1)})
    assert late.status_code == 303 and late.headers["Location"].endswith("/login")
    assert "the second step of signing in timed out" in _text(client.get("/login"))
    assert client.get("/staff").status_code == 302
    # without a password first, the second step is only the way back to sign-in
    direct = app.test_client().get("/login/code")
    assert direct.status_code == 303 and direct.headers["Location"].endswith("/login")


# ----------------------------------------------------------------------------- enforcement


def test_a_role_that_requires_it_is_sent_to_enrolment_after_the_password(make_app, make_user):
    app = make_app(MFA_REQUIRED_ROLES=["official"])
    _, email, _ = make_user("official")
    client = app.test_client()
    first = client.post("/login?next=/staff/briefs", data={"email": email, "password": PASSWORD})
    assert first.status_code == 303 and first.headers["Location"].endswith("/login/enrol")
    # nothing else opens until the second factor is set up
    assert client.get("/staff").status_code == 302
    assert client.get("/staff/account/two-factor").status_code == 302
    enrolment = client.get("/login/enrol")
    assert enrolment.headers["Cache-Control"] == "no-store"  # it shows the secret
    assert "Your role requires a second step" in _text(enrolment)
    _secret, _codes = _enrol_in_browser(client, start="/login/enrol")
    done = client.post("/staff/account/two-factor/recovery-codes/done")
    assert done.headers["Location"].endswith("/staff/briefs")
    assert client.get("/staff").status_code == 200
    # a role that does not require it signs in with the password alone
    _, other, _ = make_user("secretariat")
    assert post_login(app.test_client(), other).headers["Location"].endswith("/staff")


def test_signed_in_staff_without_a_required_factor_reach_only_the_enrolment(make_app, make_user):
    app = make_app(MFA_REQUIRED_ROLES="official,admin")
    _, email, secret, _codes = _enrolled_user(app, make_user)
    client = app.test_client()
    post_login(client, email)
    client.post("/login/code", data={"code": _code(secret)})
    reset = client.post(
        "/staff/account/two-factor/reset",
        data={"reset-password": PASSWORD, "reset-code": _code(secret, steps=1)},
    )
    assert reset.status_code == 303
    staff_home = client.get("/staff")
    assert staff_home.status_code == 302
    assert staff_home.headers["Location"].endswith("/staff/account/two-factor")
    assert client.post("/staff/account/two-factor/recovery-codes/done").status_code == 403
    assert "Your role requires two-factor sign-in" in _text(client.get("/staff/account/two-factor"))
    _enrol_in_browser(client)
    assert client.get("/staff").status_code == 200


def test_production_requires_it_of_every_staff_role_by_default():
    assert mfa.required_roles({"ENVIRONMENT": "production"}) == frozenset(mfa.Role)
    assert mfa.required_roles({"ENVIRONMENT": "development"}) == frozenset()
    assert mfa.required_roles({"ENVIRONMENT": "production", "MFA_REQUIRED_ROLES": []}) == (
        frozenset()
    )
    with pytest.raises(ValueError, match="panellist"):
        mfa.required_roles({"MFA_REQUIRED_ROLES": ["admin", "panellist"]})


def test_an_unknown_role_in_the_setting_stops_the_start(make_app):
    from app import ConfigurationError

    with pytest.raises(ConfigurationError, match="MFA_REQUIRED_ROLES"):
        make_app(MFA_REQUIRED_ROLES=["admins"])


# ----------------------------------------------------------------------------- reset, disable


def test_an_administrator_resets_another_staff_members_second_factor(app, make_user):
    user_id, email, secret, _codes = _enrolled_user(app, make_user)
    victim = app.test_client()
    post_login(victim, email)
    victim.post("/login/code", data={"code": _code(secret, steps=1)})
    assert victim.get("/staff").status_code == 200
    _, admin_email, _ = make_user("admin")
    admin = app.test_client()
    sign_in(admin, admin_email)
    page = _text(admin.get(f"/staff/admin/users/{user_id}"))
    assert "10 recovery codes left" in page
    done = admin.post(f"/staff/admin/users/{user_id}/second-factor/reset")
    assert done.status_code == 303
    assert "was reset and their sessions have ended" in _text(admin.get(done.headers["Location"]))
    assert victim.get("/staff").status_code == 302  # signed out everywhere
    with app.app_context():
        assert db.session.get(SecondFactor, user_id) is None
        assert (
            db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user_id)).all()
            == []
        )
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mfa-reset")).one()
        assert event.object_id == str(user_id) or event.object_id == user_id
        admin_id = db.session.scalars(select(User.id).where(User.email == admin_email)).one()
        assert event.actor_id == admin_id
    # not required of the role here: the password alone signs in again
    assert post_login(app.test_client(), email).headers["Location"].endswith("/staff")
    # an administrator's own is reset on their own page only
    own = _enrolled_user(app, make_user, role="admin")
    other_admin = app.test_client()
    post_login(other_admin, own[1])
    other_admin.post("/login/code", data={"code": _code(own[2], steps=1)})
    refused = other_admin.post(f"/staff/admin/users/{own[0]}/second-factor/reset")
    assert "you cannot reset the two-factor sign-in of your own account here" in _text(
        other_admin.get(refused.headers["Location"])
    )


def test_the_command_line_resets_a_second_factor(app, runner, make_user):
    user_id, email, _secret, _codes = _enrolled_user(app, make_user)
    result = runner.invoke(args=["reset-second-factor", email])
    assert result.exit_code == 0, result.output
    assert "Reset the two-factor sign-in" in result.output
    with app.app_context():
        assert db.session.get(SecondFactor, user_id) is None
    unknown = runner.invoke(args=["reset-second-factor", "nobody@example.org"])
    assert unknown.exit_code == 2 and "no staff account" in unknown.output


def test_turning_it_off_takes_the_password_and_a_code(app, make_user):
    _, email, secret, codes = _enrolled_user(app, make_user)
    client = app.test_client()
    post_login(client, email)
    client.post("/login/code", data={"code": _code(secret)})
    wrong_password = client.post(
        "/staff/account/two-factor/disable",
        data={"disable-password": "not my password at all", "disable-code": _code(secret, 1)},
    )
    assert wrong_password.status_code == 401
    assert "Password: This password is not correct." in _text(wrong_password)
    no_code = client.post("/staff/account/two-factor/disable", data={"disable-password": PASSWORD})
    assert no_code.status_code == 422
    assert "Enter the 6-digit code from your authenticator app, or a recovery code." in _text(
        no_code
    )
    off = client.post(
        "/staff/account/two-factor/disable",
        data={"disable-password": PASSWORD, "disable-recovery_code": codes[0]},
    )
    assert off.status_code == 303
    assert "Two-factor sign-in is off" in _text(client.get(off.headers["Location"]))
    assert "mfa-disabled" in _actions(app)
    client.post("/logout")
    # the password alone signs in now, and the old codes no longer matter
    assert post_login(client, email).headers["Location"].endswith("/staff")


def test_a_role_that_requires_it_cannot_turn_it_off(make_app, make_user):
    app = make_app(MFA_REQUIRED_ROLES=["official"])
    user_id, email, secret, _codes = _enrolled_user(app, make_user)
    client = app.test_client()
    post_login(client, email)
    client.post("/login/code", data={"code": _code(secret)})
    page = _text(client.get("/staff/account/two-factor"))
    assert "cannot be turned off" in page and "Turn off two-factor sign-in" not in page
    refused = client.post(
        "/staff/account/two-factor/disable",
        data={"disable-password": PASSWORD, "disable-code": _code(secret, steps=1)},
    )
    assert refused.status_code == 303
    assert "your role requires two-factor sign-in" in _text(client.get(refused.headers["Location"]))
    with app.app_context():
        assert db.session.get(SecondFactor, user_id) is not None
