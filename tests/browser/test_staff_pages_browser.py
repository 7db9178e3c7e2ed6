"""Public and staff pages in Chromium: sign-in works, and axe-core finds nothing serious.

The live server holds the demonstration data (``seed-demo``), so every page has content.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from tests.browser.conftest import serious_violations
from tests.conftest import base_config

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_server(tmp_path):
    from app.consultations.models import Consultation
    from app.demo.seed import seed_demo

    app = create_app(
        base_config(
            "sqlite:///" + str(tmp_path / "live.db"),
            STUDY_KEY_DIR=str(tmp_path / "keys"),
            PANEL_UPLOAD_DIR=str(tmp_path / "uploads"),
            WTF_CSRF_ENABLED=True,
        )
    )
    with app.app_context():
        db.create_all()
        seed_demo()
        db.session.commit()
        demo_id = db.session.scalars(
            select(Consultation.id).where(Consultation.title.like("%2030"))
        ).one()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", demo_id
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _check(page, url: str, status: int = 200) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    response = page.goto(url)
    assert response.status == status, url
    assert page.locator("main#main").count() == 1
    return serious_violations(Axe().run(page))


def test_public_and_staff_pages_are_accessible(demo_server, browser):
    base, demo_id = demo_server
    page = browser.new_page()
    problems = {}
    for path in ("/", "/?lang=de", "/login"):
        problems[path] = _check(page, base + path)
    problems["404"] = _check(page, base + "/no-such-page", status=404)

    page.goto(base + "/login?lang=en")
    page.get_by_label("E-mail address").fill("secretariat@demo.skillsdelphi.eu")
    page.get_by_label("Password").fill("demo-secretariat-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/staff")
    assert page.get_by_role("heading", name="My work").is_visible()

    consultation = f"/staff/consultations/{demo_id}"
    for path in (
        "/staff",
        "/staff/consultations/",
        "/staff/consultations/new",
        consultation,
        consultation + "/plan",
        consultation + "/panel",
        consultation + "/tracking",
        consultation + "/rounds/1",
        consultation + "/rounds/1/results",
        consultation + "/rounds/3/results?lang=de",
        consultation + "/rounds/1/themes",
        consultation + "/rounds/1/rationales",
    ):
        problems[path] = _check(page, base + path)
    serious = {path: v for path, v in problems.items() if v}
    assert serious == {}, serious


def test_the_layout_works_on_a_phone(demo_server, browser):
    base, _ = demo_server
    page = browser.new_page(viewport={"width": 320, "height": 640})
    page.goto(base + "/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Skip to main content" in focused


def test_the_administration_pages_are_accessible_and_work(demo_server, browser):
    base, _ = demo_server
    page = browser.new_page()
    page.goto(base + "/login?lang=en")
    page.get_by_label("E-mail address").fill("admin@demo.skillsdelphi.eu")
    page.get_by_label("Password").fill("demo-admin-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/staff")
    page.get_by_role("link", name="New council").first.click()
    page.wait_for_url(base + "/staff/admin/councils/new")

    problems = {}
    for path in (
        "/staff",
        "/staff/admin/councils",
        "/staff/admin/councils/new",
        "/staff/admin/councils/1",
        "/staff/admin/councils/1?lang=de",
        "/staff/admin/users",
        "/staff/admin/users/new",
        "/staff/admin/users/2",
    ):
        problems[path] = _check(page, base + path)

    from axe_playwright_python.sync_playwright import Axe

    page.goto(base + "/staff/admin/councils/new?lang=en")  # German was chosen above
    page.get_by_label("Geography").fill("Bavaria")
    page.get_by_role("button", name="Create council").click()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    assert page.get_by_text("Enter the council's name.").first.is_visible()
    problems["new council with errors"] = serious_violations(Axe().run(page))

    page.get_by_label("Name").fill("Building Skills Council Bavaria")
    page.get_by_label("Sector (NACE Rev. 2)").select_option("F")
    page.get_by_label("Geography").fill("DE2")
    page.get_by_role("button", name="Create council").click()
    assert page.get_by_role("heading", name="Building Skills Council Bavaria").is_visible()
    page.get_by_label("E-mail address of a secretariat user").fill(
        "secretariat@demo.skillsdelphi.eu"
    )
    page.get_by_role("button", name="Add to the secretariat").click()
    assert page.get_by_text("now works for this council").is_visible()
    problems["council with a member"] = serious_violations(Axe().run(page))
    serious = {path: v for path, v in problems.items() if v}
    assert serious == {}, serious
