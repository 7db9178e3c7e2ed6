"""Deny by default: every route declares who may use it (SECURITY.md 2.1, S4)."""

from app.auth.policy import policy_of


def test_every_route_declares_an_access_policy(app):
    undeclared = sorted(
        rule.rule for rule in app.url_map.iter_rules() if policy_of(app, rule.endpoint) is None
    )
    assert undeclared == [], f"routes without an access policy: {undeclared}"


def test_a_route_without_policy_answers_403(make_app):
    app = make_app()

    @app.route("/forgotten")
    def forgotten():  # no policy declared
        return "forgotten-page-body"

    response = app.test_client().get("/forgotten")
    assert response.status_code == 403
    assert b"forgotten-page-body" not in response.data


def test_staff_pages_redirect_anonymous_visitors_to_sign_in(client):
    response = client.get("/staff")
    assert response.status_code == 302
    assert "/login?next=/staff" in response.headers["Location"]


def test_public_pages_answer_without_sign_in(client):
    assert client.get("/").status_code == 200
    assert client.get("/login").status_code == 200
    css = client.get("/static/css/app.css")
    assert css.status_code == 200
    css.close()
