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
    assert response.get_json()["error"]["status"] == 404
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
