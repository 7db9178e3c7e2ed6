import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.extensions import db
from tests.app.factories import post_login


def test_sign_in_and_out(app, client, make_user):
    _, email, password = make_user("official")
    response = post_login(client, email, password)
    assert response.status_code == 303
    page = client.get("/staff")
    assert page.status_code == 200
    assert email.encode() in page.data
    assert page.headers["Cache-Control"] == "no-store"

    out = client.post("/logout")
    assert out.status_code == 303
    assert client.get("/staff").status_code == 302  # back to sign-in


def test_wrong_password_is_refused_with_a_message(client, make_user):
    _, email, _ = make_user("official")
    response = post_login(client, email, "not the password at all")
    assert response.status_code == 401
    assert b"The e-mail address or password is not correct." in response.data
    assert client.get("/staff").status_code == 302


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client):
    response = post_login(client, "nobody@example.org", "whatever-password")
    assert response.status_code == 401
    assert b"The e-mail address or password is not correct." in response.data


def test_sign_in_and_failures_are_audited(app, client, make_user):
    _, email, password = make_user("official")
    post_login(client, email, "wrong password here")
    post_login(client, email, password)
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["login-failed", "login"]


def test_passwords_are_stored_as_argon2id(make_app):
    """S10: argon2id with t=3, m=64 MiB, p=4 (the test suite otherwise hashes cheaply)."""
    from app.auth.services import create_user

    app = make_app(PASSWORD_HASHING="standard")
    password = "correct horse battery staple"
    with app.app_context():
        user = create_user("admin@example.org", "admin", password)
        db.session.commit()
        stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert password not in stored


def test_the_fast_hashing_profile_is_refused_in_production(make_app):
    from app import ConfigurationError

    with pytest.raises(ConfigurationError, match="PASSWORD_HASHING"):
        make_app(
            ENVIRONMENT="production",
            RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379",
            PASSWORD_HASHING="fast",
        )


def test_logout_revokes_the_session_server_side(app, make_user):
    """A copied session cookie stops working after sign-out (SECURITY.md S10)."""
    _, email, password = make_user("official")
    client = app.test_client()
    post_login(client, email, password)
    stolen = client.get_cookie("session").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/staff").status_code == 302


def test_disabled_user_is_signed_out(app, make_user):
    user_id, email, password = make_user("official")
    client = app.test_client()
    post_login(client, email, password)
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    assert client.get("/staff").status_code == 302


def test_csrf_token_is_required_when_enabled(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    _, email, password = make_user("official")
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 400
    assert b"CSRF" in response.data
    # with the token from the form it works
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    ok = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert ok.status_code == 303


def test_failed_sign_ins_are_rate_limited_per_address(make_app, make_user):
    app = make_app(LOGIN_RATE_LIMIT="3 per 15 minutes")
    _, email, password = make_user("official")
    client = app.test_client()
    codes = [post_login(client, email, "wrong-password-xx").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert "Retry-After" in client.post("/login", data={}).headers
    # another address is not affected
    other = app.test_client()
    ok = other.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert ok.status_code == 303


def test_next_parameter_cannot_redirect_off_site(client, make_user):
    _, email, password = make_user("official")
    response = client.post(
        "/login?next=https://evil.example/steal",
        data={"email": email, "password": password},
    )
    assert response.headers["Location"].endswith("/staff")


def test_create_user_command(runner, app):
    result = runner.invoke(
        args=[
            "create-user",
            "Maria@Council.eu",
            "--role",
            "secretariat",
            "--password",
            "a long enough password",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created secretariat maria@council.eu" in result.output
    with app.app_context():
        assert db.session.scalars(select(User).where(User.email == "maria@council.eu")).one()


def test_create_user_command_rejects_bad_input_with_the_field_named(runner, app):
    result = runner.invoke(
        args=["create-user", "not-an-email", "--role", "official", "--password", "short"]
    )
    assert result.exit_code == 2
    assert "email:" in result.output and "password: at least 12 characters" in result.output
    bad_role = runner.invoke(
        args=["create-user", "a@b.eu", "--role", "king", "--password", "x" * 12]
    )
    assert bad_role.exit_code == 2
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []


def test_staff_sessions_end_after_30_idle_minutes(app, make_user):
    from datetime import timedelta

    from app.database import utcnow

    _, email, password = make_user("official")
    client = app.test_client()
    post_login(client, email, password)
    assert client.get("/staff").status_code == 200
    with client.session_transaction() as sess:
        sess["seen_at"] = (utcnow() - timedelta(minutes=31)).isoformat()
    assert client.get("/staff").status_code == 302


def test_staff_sessions_end_after_12_hours_whatever_the_activity(app, make_user):
    from datetime import timedelta

    from app.database import utcnow

    _, email, password = make_user("official")
    client = app.test_client()
    post_login(client, email, password)
    with client.session_transaction() as sess:
        sess["login_at"] = (utcnow() - timedelta(hours=12, minutes=1)).isoformat()
    assert client.get("/staff").status_code == 302


def test_weak_and_common_passwords_are_refused(runner):
    cases = {
        "1qaz2wsx3edc": "password: this is one of the most common passwords",
        "qwertyuiopasdf": "password: this password is too easy to guess",
        "maria@council.eu1": "password: this password is too easy to guess",
    }
    for password, message in cases.items():
        result = runner.invoke(
            args=["create-user", "maria@council.eu", "--role", "official", "--password", password]
        )
        assert result.exit_code == 2, password
        assert message in result.output, (password, result.output)
    ok = runner.invoke(
        args=[
            "create-user",
            "maria@council.eu",
            "--role",
            "official",
            "--password",
            "violet kettle on the harbour wall",
        ]
    )
    assert ok.exit_code == 0, ok.output
