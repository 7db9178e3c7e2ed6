import json


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    assert response.headers["Retry-After"]


def test_404_is_a_friendly_html_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert b"Page not found" in response.data
    assert b'href="/"' in response.data


def test_404_answers_json_to_api_clients(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404
    other = client.get("/nothing", headers={"Accept": "application/json"})
    assert other.get_json()["error"]["title"] == "Page not found"


def test_unexpected_errors_give_a_generic_500_page_without_traceback(make_app):
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    from app.auth.policy import public

    @app.route("/boom")
    @public
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert b"Something went wrong" in response.data
    assert b"secret internals" not in response.data
    assert b"Traceback" not in response.data


def test_domain_errors_map_to_their_status(make_app):
    app = make_app()
    from app.auth.policy import public
    from app.errors import RoundStateError

    @app.route("/conflict")
    @public
    def conflict():
        raise RoundStateError("round 1 is closed; it cannot be closed")

    response = app.test_client().get("/conflict")
    assert response.status_code == 409
    assert b"round 1 is closed" in response.data


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_answer_503_with_retry_after_while_the_database_is_down(make_app, make_user):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().post("/login", data={"email": "a@b.eu", "password": "x" * 12})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "10"
    assert b"Temporarily unavailable" in response.data


def _unreachable_url(database_url: str, tmp_path) -> str:
    """The same kind of database as the suite's, but out of reach."""
    if database_url.startswith("postgresql"):
        return "postgresql+psycopg://postgres@127.0.0.1:1/test"
    return f"sqlite:///{tmp_path}/no-such-folder/down.db"


def test_r2_signed_in_staff_get_the_503_page_while_the_database_is_down(
    make_app, make_user, database_url, tmp_path
):
    """R2: a staff member's session needs the database to be recognised; while it is down
    every page answers 503 with Retry-After (error pages included), never a bare 500."""
    from tests.app.factories import post_login

    up = make_app()
    _uid, email, password = make_user("secretariat")
    client = up.test_client()
    assert post_login(client, email, password).status_code == 303
    cookie = client.get_cookie("session")

    down = make_app(SQLALCHEMY_DATABASE_URI=_unreachable_url(database_url, tmp_path))
    staff = down.test_client()
    staff.set_cookie("session", cookie.value)
    for path in ("/staff", "/staff/consultations/1", "/", "/login"):
        response = staff.get(path)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "10", path
        assert b"Temporarily unavailable" in response.data, path
    assert staff.get("/no/such/page").status_code == 404
    posted = staff.post("/staff/consultations/new", data={"title": "Kept title"})
    assert posted.status_code == 503
    assert b'value="Kept title"' in posted.data  # the form comes back to send again
    login_again = staff.post("/login", data={"email": email, "password": password})
    assert login_again.status_code == 503
    assert password.encode() not in login_again.data  # a password is never echoed


def test_s3_csp_names_a_report_endpoint_that_logs_violations(client, caplog):
    """S3: the policy reports violations to /csp-report (report-uri and report-to); the
    endpoint logs the directive and addresses without their query strings."""
    page = client.get("/")
    assert "report-uri /csp-report" in page.headers["Content-Security-Policy"]
    assert page.headers["Reporting-Endpoints"] == 'csp="/csp-report"'
    legacy = {
        "csp-report": {
            "document-uri": "http://skillsdelphi.test/r?secret=1",
            "violated-directive": "script-src-elem",
            "blocked-uri": "http://evil.example/x.js?t=abc",
        }
    }
    modern = [
        {
            "type": "csp-violation",
            "body": {
                "documentURL": "http://skillsdelphi.test/staff",
                "effectiveDirective": "style-src-attr",
                "blockedURL": "inline",
            },
        }
    ]
    with caplog.at_level("WARNING", logger="app.main.views"):
        first = client.post(
            "/csp-report", data=json.dumps(legacy), content_type="application/csp-report"
        )
        second = client.post(
            "/csp-report", data=json.dumps(modern), content_type="application/reports+json"
        )
        junk = client.post("/csp-report", data=b"\xff not json", content_type="text/plain")
    assert (first.status_code, second.status_code, junk.status_code) == (204, 204, 204)
    logged = caplog.text
    assert (
        "script-src-elem blocked http://evil.example/x.js on http://skillsdelphi.test/r" in logged
    )
    assert "style-src-attr blocked inline" in logged
    assert "secret" not in logged and "t=abc" not in logged


def test_s3_a_chart_opened_on_its_own_gets_a_policy_that_lets_it_render(app):
    """S3: image responses forbid every script but allow the SVG's own inline styles."""
    from flask import Response

    from app.auth.policy import public

    @app.get("/_test/chart.svg")
    @public
    def _chart():
        return Response('<svg xmlns="http://www.w3.org/2000/svg"/>', mimetype="image/svg+xml")

    csp = app.test_client().get("/_test/chart.svg").headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "style-src 'unsafe-inline'" in csp
    assert "script-src" not in csp and "frame-ancestors 'none'" in csp


def test_s12_a_body_over_the_limit_is_413_naming_the_limit(client):
    """S12: 10 MiB + 1 byte is refused with the limit in the message, in HTML and JSON."""
    body = b"email=" + b"x" * (10 * 1024 * 1024 + 1 - 6)
    response = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "at most 10 MiB are accepted" in response.get_data(as_text=True)
    as_json = client.post(
        "/login",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={"Accept": "application/json"},
    )
    assert as_json.status_code == 413
    assert "10 MiB" in as_json.get_json()["error"]["message"]
