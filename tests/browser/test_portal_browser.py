"""The public portal in Chromium: a practitioner finds the demo brief from the home page, and
the portal's pages fit a phone (320 px) and 200% zoom in every language, with nothing
serious or critical for axe-core."""

from __future__ import annotations

import pytest

from app.briefs.readers import VIEWS
from app.config import Config
from tests.browser.conftest import PHONE, SCREENS, layout_problems

pytestmark = pytest.mark.browser

LANGUAGES = Config.LANGUAGES

PAGES = ("/", "/search?q=heat+pumps", "/search?q=nothing+like+this", "/sectors", "/sectors/F")
PAGES += ("/compare", "/compare?b=1", "/method", "/accessibility")
#: The demo's published brief in each of its views, and the page that embeds it elsewhere.
PAGES += tuple(f"/briefs/1/v/2?view={view}" for view in VIEWS)
PAGES += ("/embed", "/embed/briefs/1")


@pytest.mark.parametrize("lang", LANGUAGES)
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
