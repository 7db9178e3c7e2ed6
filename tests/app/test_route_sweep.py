"""Every GET route, as every kind of visitor, with real and absurd ids (SECURITY.md S4, S8, R7).

Nothing answers 5xx, nobody but the secretariat of the council reaches consultation pages,
and no GET changes a row.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.consultations.models import Consultation
from app.councils.models import Council
from app.extensions import db
from app.panels.models import Panellist
from tests.app.factories import post_login

DEMO_PASSWORDS = {
    "secretariat": ("secretariat@demo.skillsdelphi.eu", "demo-secretariat-2026"),
    "official": ("official@demo.skillsdelphi.eu", "demo-official-2026"),
    "publisher": ("publisher@demo.skillsdelphi.eu", "demo-publisher-2026"),
    "admin": ("admin@demo.skillsdelphi.eu", "demo-admin-2026"),
}


@pytest.fixture
def demo(make_demo_app):
    app = make_demo_app()
    with app.app_context():
        demo_id = db.session.scalars(
            select(Consultation.id).where(Consultation.title.like("%2030"))
        ).one()
        panellist = db.session.scalars(
            select(Panellist).where(Panellist.consultation_id == demo_id)
        ).first()
        consultation_id_open = db.session.scalars(
            select(Consultation.id).where(Consultation.id != demo_id)
        ).one()
    return app, demo_id, consultation_id_open, panellist.id


def _row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables
            if t.name != "audit_event"  # sign-ins are audited
        }


def _urls(app, consultation_id: int) -> list[str]:
    with app.app_context():  # ids of real rows (they are not 1 on every database)
        council_id = db.session.scalars(select(Council.id).order_by(Council.id)).first()
        user_id = db.session.scalars(select(User.id).order_by(User.id)).first()
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        for values in (
            {
                "consultation_id": consultation_id,
                "number": 1,
                "item_key": "digital-data-skills",
                "upload_id": "nope",
                "panellist_id": 1,
                "council_id": council_id,
                "user_id": user_id,
            },
            {
                "consultation_id": 999999,
                "number": 99,
                "item_key": "x" * 300,
                "upload_id": "../../etc/passwd",
                "panellist_id": 2**40,
                "council_id": 2**40,
                "user_id": 2**40,
            },
        ):
            path = rule.rule
            for name in rule.arguments:
                path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(values.get(name, "1")), path)
            urls.append(path)
    urls += [
        "/i?t=",
        "/i?t=" + "A" * 5000,
        "/r?lang=%00",
        "/?lang=" + "x" * 1000,
        "/staff/consultations/1/rounds/1/results?page=-1",
    ]
    return sorted(set(urls))


def test_no_get_answers_5xx_or_changes_data(demo):
    app, demo_id, _open_id, panellist_id = demo
    visitors = {"anonymous": app.test_client()}
    for role, (email, password) in DEMO_PASSWORDS.items():
        client = app.test_client()
        assert post_login(client, email, password).status_code == 303
        visitors[role] = client
    panellist = app.test_client()
    with panellist.session_transaction() as sess:
        sess["panellist_id"] = panellist_id
        sess["consultation_id"] = demo_id
    visitors["panellist"] = panellist

    before = _row_counts(app)
    failures = []
    for who, client in visitors.items():
        for url in _urls(app, demo_id):
            response = client.get(url)
            response.close()
            if response.status_code >= 500:
                failures.append((who, url, response.status_code))
            headers = response.headers
            csp = headers.get("Content-Security-Policy", "")
            if "report-uri /csp-report" not in csp or "object-src 'none'" not in csp:
                failures.append((who, url, "content security policy"))
            if response.mimetype.startswith("image/"):
                # a chart opened on its own: nothing may run, its inline styles may apply
                if "default-src 'none'" not in csp or "script-src" in csp:
                    failures.append((who, url, "content security policy of an image"))
            elif "'unsafe-inline'" in csp or "script-src 'self' 'nonce-" not in csp:
                failures.append((who, url, "content security policy"))
            if headers.get("X-Content-Type-Options") != "nosniff":
                failures.append((who, url, "nosniff"))
            if headers.get("Referrer-Policy") not in ("same-origin", "no-referrer"):
                failures.append((who, url, "referrer policy"))
            if who not in ("anonymous", "panellist") and headers.get("Cache-Control") != "no-store":
                failures.append((who, url, "cache-control for a signed-in visitor"))
            staff_page = url.startswith("/staff/consultations/")
            if staff_page and who != "secretariat" and response.status_code == 200:
                failures.append((who, url, "reached a secretariat page"))
            admin_page = url.startswith("/staff/admin/")
            if admin_page and who != "admin" and response.status_code == 200:
                failures.append((who, url, "reached an administration page"))
    assert failures == []
    assert _row_counts(app) == before


def test_another_councils_secretariat_reaches_nothing(demo, make_user):
    app, demo_id, *_ = demo
    _, email, password = make_user("secretariat")
    client = app.test_client()
    post_login(client, email, password)
    for url in _urls(app, demo_id):
        if url.startswith(f"/staff/consultations/{demo_id}"):
            response = client.get(url)
            assert response.status_code == 404, url


def test_the_sweep_covers_every_page_of_the_secretariat(demo):
    app, demo_id, *_ = demo
    client = app.test_client()
    post_login(client, *DEMO_PASSWORDS["secretariat"])
    urls = [u for u in _urls(app, demo_id) if u.startswith(f"/staff/consultations/{demo_id}")]
    reached = [u for u in urls if client.get(u).status_code == 200]
    assert len(urls) >= 12
    # every page of a consultation and of its first round opens for its secretariat
    for page in (
        "",
        "/plan",
        "/panel",
        "/tracking",
        "/rounds/1",
        "/rounds/1/results",
        "/rounds/1/themes",
        "/rounds/1/rationales",
        "/rounds/1/results.csv",
    ):
        assert f"/staff/consultations/{demo_id}{page}" in reached, page


def test_the_sweep_covers_every_page_of_the_administrator(demo):
    app, demo_id, *_ = demo
    with app.app_context():
        council_id = db.session.scalars(select(Council.id).order_by(Council.id)).first()
        user_id = db.session.scalars(select(User.id).order_by(User.id)).first()
    client = app.test_client()
    post_login(client, *DEMO_PASSWORDS["admin"])
    urls = [u for u in _urls(app, demo_id) if u.startswith("/staff/admin/")]
    reached = [u for u in urls if client.get(u).status_code == 200]
    for page in (
        "councils",
        "councils/new",
        f"councils/{council_id}",
        "users",
        "users/new",
        f"users/{user_id}",
    ):
        assert f"/staff/admin/{page}" in reached, page


def test_no_post_without_a_csrf_token_changes_anything(make_demo_app):
    """SECURITY.md S8: every unsafe route refuses a request without a valid token."""
    app = make_demo_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        demo_id = db.session.scalars(
            select(Consultation.id).where(Consultation.title.like("%Follow-up%"))
        ).one()
        panellist_id = db.session.scalars(
            select(Panellist.id).where(Panellist.consultation_id == demo_id)
        ).first()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    email, password = DEMO_PASSWORDS["secretariat"]
    assert (
        client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        ).status_code
        == 303
    )
    panellist = app.test_client()
    with panellist.session_transaction() as sess:
        sess["panellist_id"] = panellist_id
        sess["consultation_id"] = demo_id

    before = _row_counts(app)
    refused = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        path = rule.rule
        for name in rule.arguments:
            value = {
                "consultation_id": demo_id,
                "number": 1,
                "panellist_id": panellist_id,
                "upload_id": "x",
            }.get(name, "1")
            path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), path)
        who = panellist if path == "/r" else client
        response = who.post(path, data={"action": "submit", "deadline": "2099-01-01"})
        refused.append((path, response.status_code))
    # browsers send violation reports without a token; the endpoint only logs them
    exempt = {"/csp-report": 204}
    assert refused and all(code in (400, 403) or exempt.get(path) == code for path, code in refused)
    assert _row_counts(app) == before


def test_huge_ids_and_odd_numbers_are_404_or_422_never_500(demo):
    app, demo_id, *_ = demo
    client = app.test_client()
    post_login(client, *DEMO_PASSWORDS["secretariat"])
    huge = 2**64
    for url in (
        f"/staff/consultations/{huge}",
        f"/staff/consultations/{huge}/plan",
        f"/staff/consultations/{demo_id}/rounds/{huge}/results",
        f"/staff/consultations/{huge}/rounds/1/themes",
    ):
        assert client.get(url).status_code == 404, url
    themes = f"/staff/consultations/{demo_id}/rounds/1/themes"
    for data in (
        {"action": "split", "theme": "1", "statement": "²"},
        {"action": "rename", "theme": str(huge)},
        {"action": "merge", "theme": "1", "target": str(huge)},
    ):
        assert client.post(themes, data=data).status_code < 500, data
    with app.app_context():
        council_id = db.session.get(Consultation, demo_id).council_id
    created = client.post(
        "/staff/consultations/new",
        data={"council": council_id, "questionnaire": "follow-up-round.yaml", "title": "New"},
    )
    fresh = created.headers["Location"].rsplit("/", 1)[1]
    plan = client.post(
        f"/staff/consultations/{fresh}/plan",
        data={
            "consensus_in": "iqr <= 1",
            "stability_rule": "net_change < 0.15",
            "min_n": 5,
            "max_rounds": 3,
            "scope": "panel",
            "min_group_n": 5,
            "contested_alpha": "0.05",
            "contested_median_diff": "sNaN",
            "weighting": "none",
            "bootstrap_b": 2000,
            "bootstrap_seed": 1,
        },
    )
    assert plan.status_code == 422
    assert "Enter an ordinary number." in plan.get_data(as_text=True)


def test_a_replaced_link_ends_the_sessions_opened_with_it(demo):
    from app.panels.tokens import issue_invitation

    app, _demo_id, open_id, _ = demo
    with app.app_context():
        panellist = db.session.scalars(
            select(Panellist).where(Panellist.consultation_id == open_id).order_by(Panellist.id)
        ).all()[3]
        _, token = issue_invitation(panellist, by="test")
        panellist_id = panellist.id
        db.session.commit()
    client = app.test_client()
    assert client.get(f"/i?t={token}").status_code == 303
    page = client.get("/r")
    assert page.status_code == 200
    ticket = re.search(r'name="resume" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    assert ticket
    with app.app_context():
        issue_invitation(db.session.get(Panellist, panellist_id), by="test")  # link replaced
        db.session.commit()
    assert client.get("/r").status_code == 403
    stranger = app.test_client()  # the old page's resume ticket is refused too
    refused = stranger.post("/r", data={"resume": ticket.group(1), "action": "draft"})
    assert refused.status_code == 403


class _Forms(HTMLParser):
    """The POST forms of a page: (action, [(name, value)], [text field names])."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, list[tuple[str, str]], list[str]]] = []
        self._current: tuple[str, list[tuple[str, str]], list[str]] | None = None
        self._choices: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._current = (a.get("action") or "", [], [])
            self.forms.append(self._current)
        if self._current is None or not a.get("name"):
            return
        name = a["name"]
        kind = (a.get("type") or "text").lower()
        if tag == "textarea" or (tag == "input" and kind in ("text", "search", "email", "")):
            self._current[2].append(name)
        elif tag == "input" and kind in ("hidden", "number", "date", "datetime-local"):
            self._current[1].append((name, a.get("value") or ""))
        elif tag == "input" and kind in ("radio", "checkbox") and name not in self._choices:
            self._choices[name] = a.get("value") or "on"
            self._current[1].append((name, self._choices[name]))
        elif tag == "select":
            self._current[2].append(name)

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
            self._choices = {}


def test_r7_nul_bytes_in_every_text_field_of_every_form_never_give_a_500(demo):
    """R7: every POST form of the secretariat's and the panellist's pages, sent with a NUL
    byte in each of its text fields, answers without a 5xx (the NUL is removed)."""
    app, demo_id, open_id, _panellist_id = demo
    staff = app.test_client()
    assert post_login(staff, *DEMO_PASSWORDS["secretariat"]).status_code == 303
    pages = [u for u in _urls(app, demo_id) if u.startswith(f"/staff/consultations/{demo_id}")]
    pages += [f"/staff/consultations/{open_id}/panel", "/staff/consultations/new"]
    with app.app_context():
        from app.panels.tokens import issue_invitation

        person = db.session.scalars(
            select(Panellist).where(Panellist.consultation_id == open_id)
        ).first()
        _invitation, token = issue_invitation(person, by="test")
        db.session.commit()
    panellist = app.test_client()
    assert panellist.get(f"/i?t={token}").status_code == 303
    admin = app.test_client()
    assert post_login(admin, *DEMO_PASSWORDS["admin"]).status_code == 303
    admin_pages = [u for u in _urls(app, demo_id) if u.startswith("/staff/admin/")]
    failures = []
    answered = False
    sent = 0
    for client, urls in ((staff, pages), (admin, admin_pages), (panellist, ["/r"])):
        for url in urls:
            page = client.get(url)
            if page.status_code != 200 or page.mimetype != "text/html":
                continue
            reader = _Forms()
            reader.feed(page.get_data(as_text=True))
            for action, fixed, texts in reader.forms:
                if "logout" in action or not texts:
                    continue
                data = dict(fixed)
                data.update({name: "Nul\x00 byte\x00" for name in texts})
                response = client.post(action or url, data=data)
                sent += 1
                answered = answered or client is panellist
                if response.status_code >= 500:
                    failures.append((url, action, response.status_code))
    assert sent >= 10 and answered
    assert failures == []
