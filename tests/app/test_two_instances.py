"""Two servers, one site: two gunicorn masters (A and B, 2 workers each, production settings,
one SECRET_KEY) on one PostgreSQL database and one Redis (DESIGN.md, scaling out; SECURITY.md
S14, R3). A staff session made on A works on B; failed sign-ins on A count on B; a round
closed on A refuses the questionnaire posted to B and stores nothing; a brief published from
A and B at the same moment is published once, with one audit event.

PostgreSQL only: two servers on one SQLite file are not a supported installation.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import redis
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.briefs.models import BriefStatus, BriefVersion
from app.consultations import services
from app.consultations.models import Consultation, Response
from app.extensions import db
from app.panels.models import Panellist
from app.panels.tokens import issue_invitation
from tests.app.factories import PASSWORD
from tests.app.served import Client, Server, csrf, production_env, sign_in
from tests.app.test_answering import SURVEY, full_answers, posted
from tests.app.test_brief_workflow import _approved, _people, _user

REDIS_URL = "redis://127.0.0.1:6379/8"
LOGIN_LIMIT = 6


@pytest.fixture
def site(make_app, database_url, tmp_path):
    """The data (made through the app's services) and servers A and B."""
    if not database_url.startswith("postgresql"):
        pytest.skip("two servers share a PostgreSQL database (set TEST_DATABASE_URL)")
    store = redis.Redis.from_url(REDIS_URL)
    try:
        store.ping()
    except redis.ConnectionError:
        pytest.skip(f"Redis is not running at {REDIS_URL}")
    store.flushdb()
    app = make_app(BRIEF_RENDERING="off")
    people = _people(app)
    with app.app_context():
        version = _approved(people)
        secretariat = _user(people.secretariat)
        council = db.session.get(Consultation, people.consultation).council
        consultation = services.create_consultation(
            council, SURVEY, title="One site", by=secretariat
        )
        panellist = Panellist(
            consultation=consultation,
            name="Panellist",
            email="panellist@example.org",
            organisation="Org",
            stakeholder_group="employers",
            language="en",
        )
        db.session.add(panellist)
        db.session.flush()
        token = issue_invitation(panellist, by=secretariat)[1]
        db.session.commit()
        data = {
            "app": app,
            "cid": consultation.id,
            "token": token,
            "secretariat": secretariat.email,
            "publishers": [_user(people.publisher).email, _user(people.second_publisher).email],
            "brief": (version.brief_id, version.number, version.edit_version),
            "version": version.id,
        }
    env = production_env(
        database_url,
        REDIS_URL,
        FLASK_LOGIN_RATE_LIMIT=f"{LOGIN_LIMIT} per 15 minutes",
        # the study keys are files: both servers read the same folder
        FLASK_STUDY_KEY_DIR=app.config["STUDY_KEY_DIR"],
    )
    servers = [Server(env, tmp_path, workers=2), Server(env, tmp_path, workers=2)]
    try:
        for server in servers:
            server.start()
        yield data, servers
    finally:
        for server in servers:
            server.stop()
        store.flushdb()
        store.close()


def _count(app, model, *where) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model).where(*where))
        db.session.remove()
    return n


@pytest.mark.commits  # the servers read and write from their own processes
def test_s14_two_servers_on_one_database_and_redis_are_one_site(site):
    data, (a, b) = site
    app = data["app"]
    base = f"/staff/consultations/{data['cid']}"

    # a staff session made on A works on B, for reading and for changing
    staff_a = Client(a.port, "198.51.100.1")
    assert sign_in(staff_a, data["secretariat"], PASSWORD) == 303
    staff_b = Client(b.port, "198.51.100.1")
    staff_b.cookies = dict(staff_a.cookies)
    status, _, page = staff_b.get(base)
    assert status == 200, page[:500]
    deadline = (date.today() + timedelta(days=14)).isoformat()
    form = {"deadline": deadline, "csrf_token": csrf(page)}
    assert staff_b.post(f"{base}/rounds/1/open", form)[0] == 303

    # failed sign-ins on A count on B (one Redis), and the other way round
    for server in (a, b, a, b, a, b):
        assert sign_in(Client(server.port), data["secretariat"], "wrong") == 401
    assert sign_in(Client(b.port), data["secretariat"], PASSWORD) == 429
    assert sign_in(Client(a.port), data["secretariat"], PASSWORD) == 429

    # a round closed on A refuses the questionnaire posted to B; nothing is stored
    panellist = Client(b.port, "198.51.100.2")
    status, headers, _ = panellist.get(f"/i?t={data['token']}")
    assert status == 303 and headers["Location"] == "/r"
    status, _, form_page = panellist.get("/r")
    assert status == 200 and ">Submit<" in form_page
    _, _, page = staff_a.get(base)
    assert staff_a.post(f"{base}/rounds/1/close", {"csrf_token": csrf(page)})[0] == 303
    responses = _count(app, Response)
    status, _, late = panellist.post("/r", posted(form_page, **full_answers(action="submit")))
    assert status == 409 and "Round 1 is closed" in late
    assert _count(app, Response) == responses == 0

    # the publish button pressed on A and on B at the same moment: one publication
    brief_id, number, edit = data["brief"]
    url = f"/staff/briefs/{brief_id}/v/{number}/publish"
    clicks = []
    for server, email in zip((a, b), data["publishers"], strict=True):
        client = Client(server.port, "198.51.100.3")
        assert sign_in(client, email, PASSWORD) == 303
        status, _, page = client.get(url)
        assert status == 200, page[:500]
        clicks.append((client, {"edit_version": edit, "confirm": "y", "csrf_token": csrf(page)}))
    together = threading.Barrier(len(clicks))
    codes: list[int] = []

    def click(client, form):
        together.wait()
        codes.append(client.post(url, form)[0])

    threads = [threading.Thread(target=click, args=pair) for pair in clicks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert codes == [303, 303], codes
    published = _count(app, AuditEvent, AuditEvent.action == "brief-published")
    assert published == 1
    assert _count(app, BriefVersion, BriefVersion.status == BriefStatus.published) == 1
    with app.app_context():
        assert db.session.get(BriefVersion, data["version"]).status is BriefStatus.published
