"""The public portal in Chromium: a practitioner finds the demo brief from the home page, and
the portal's pages fit a phone (320 px) and 200% zoom in every language, with nothing
serious or critical for axe-core."""

from __future__ import annotations

import pytest

from app import create_app
from app.extensions import db
from tests.browser.conftest import PHONE, SCREENS, layout_problems, serving
from tests.conftest import base_config

pytestmark = pytest.mark.browser

PAGES = ("/", "/search?q=heat+pumps", "/search?q=nothing+like+this", "/sectors", "/sectors/F")
PAGES += ("/compare", "/compare?b=1", "/method", "/accessibility")


@pytest.fixture(scope="module")
def portal_site(tmp_path_factory):
    from app.demo.seed import seed_demo

    tmp = tmp_path_factory.mktemp("portal")
    app = create_app(
        base_config(
            "sqlite:///" + str(tmp / "live.db"),
            STUDY_KEY_DIR=str(tmp / "keys"),
            PANEL_UPLOAD_DIR=str(tmp / "uploads"),
        )
    )
    with app.app_context():
        db.create_all()
        seed_demo()
        db.session.commit()
    try:
        with serving(app) as base:
            yield base
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("lang", ["en", "de", "fr"])
@pytest.mark.parametrize("screen", SCREENS)
def test_portal_pages_fit_a_phone_and_200_percent_zoom(portal_site, browser, screen, lang):
    context = browser.new_context(**SCREENS[screen])
    try:
        page = context.new_page()
        problems = {}
        for path in PAGES:
            url = portal_site + path + ("&" if "?" in path else "?") + f"lang={lang}"
            if path == "/compare?b=1":  # one brief is an error, shown as a page too
                page.goto(url)
                continue
            problems[path] = layout_problems(page, url)
    finally:
        context.close()
    report = "\n".join(f"{p}: {x}" for p, found in problems.items() for x in found)
    assert not any(problems.values()), report


def test_a_practitioner_finds_the_construction_brief_from_the_home_page(portal_site, browser):
    context = browser.new_context(**PHONE, locale="de-DE")
    try:
        page = context.new_page()
        page.goto(portal_site + "/")
        assert page.locator("html").get_attribute("lang") == "de"
        page.get_by_role("searchbox").first.fill("Wärmepumpen")
        page.locator(".search-box button[type=submit]").click()  # its words are translated later
        page.wait_for_url("**/search?q=*")
        result = page.locator(".brief-card").first
        assert "Construction" in result.inner_text()
        assert "Wärmepumpen" in result.locator(".why").inner_text()
        result.get_by_role("link").first.click()
        page.wait_for_url("**/briefs/*/v/2")
        assert page.locator("h1").first.inner_text().strip()
    finally:
        context.close()
