"""The public portal proven in Chromium: a guidance practitioner's path from a skill to the
brief's files, in another language and the views for their clients; the brief page used by
keyboard alone; and axe-core on every public page in every interface language."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.briefs.readers import VIEWS
from app.config import Config
from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.browser

LANGUAGES = Config.LANGUAGES

#: The demo's published brief (its current version).
BRIEF = "/briefs/1/v/2"


def _address(base: str, path: str, lang: str) -> str:
    return base + path + ("&" if "?" in path else "?") + f"lang={lang}"


def _headings(page) -> list[str]:
    return [h.strip() for h in page.locator("main h2").all_inner_texts()]


def _current_view(page) -> str:
    return page.locator(".brief-views [aria-current=page]").inner_text().strip()


# ----------------------------------------------------------------------------- the path


def test_a_practitioner_finds_a_brief_by_a_skill_and_takes_it_to_a_client(portal_site, browser):
    context = browser.new_context(locale="en-GB", accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(portal_site + "/search")
        assert page.locator("html").get_attribute("lang") == "en"
        skill = page.get_by_label("Skill", exact=True)
        skill.fill("BIM")
        skill.press("Enter")
        page.wait_for_url("**/search?*skill=BIM*")
        assert page.locator("#results-title").inner_text().strip() == "1 brief found"
        card = page.locator(".brief-card")
        why = card.locator(".why").inner_text()
        assert "Emerging skill" in why and "digital building models (BIM)" in why
        card.locator(".card-title a").click()
        page.wait_for_url(f"**{BRIEF}")
        assert page.locator("html").get_attribute("lang") == "en"
        assert "Key facts" in _headings(page)
        assert _current_view(page) == "Detailed (all statistics)"

        # the language switch of the page, in the reader's language's own name
        languages = page.get_by_role("navigation", name="This brief in other languages")
        languages.get_by_role("link", name="Français").click()
        page.wait_for_url(f"**{BRIEF}?lang=fr")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert "Chiffres clés" in _headings(page)
        assert "À propos de cette version" in _headings(page)
        assert page.locator(".brief-languages [aria-current]").inner_text() == "Français"
        # the brief's own title is written in English, and marked so for screen readers
        assert page.locator("h1").get_attribute("lang") == "en"

        views = page.get_by_role("navigation", name="Choisir une présentation")
        views.get_by_role("link", name="Langage clair").click()
        page.wait_for_url("**view=plain*")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert _current_view(page) == "Langage clair"
        assert page.locator("h1").get_attribute("lang") == "en"
        headings = _headings(page)
        assert "Mots utilisés sur cette page" in headings and "Chiffres clés" not in headings
        assert "médiane" not in page.locator("main").inner_text().lower()

        adults = "Pour les adultes qui changent de métier"
        views.get_by_role("link", name=adults).click()
        page.wait_for_url("**view=adults*")
        assert _current_view(page) == adults
        assert {"Compétences transférables", "Formation"} <= set(_headings(page))

        # back to the search and the brief again: the view chosen is the one shown
        site = page.get_by_role("navigation", name="Site")
        site.get_by_role("link", name="Trouver une note").click()
        page.wait_for_url("**/search?lang=fr")
        page.get_by_role("searchbox").fill("BIM")
        page.get_by_role("searchbox").press("Enter")
        page.locator(".brief-card .card-title a").click()
        page.wait_for_url(f"**{BRIEF}")
        assert "view=" not in page.url
        assert page.locator("html").get_attribute("lang") == "fr"
        assert _current_view(page) == adults
        assert "Compétences transférables" in _headings(page)

        # the files the page offers, in French
        with page.expect_download() as pdf:
            page.locator("main").get_by_role("link", name="PDF", exact=True).click()
        data = Path(pdf.value.path()).read_bytes()
        assert pdf.value.suggested_filename == "brief.pdf"
        assert data.startswith(b"%PDF")
        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) > 1
        assert "Secteur" in reader.pages[0].extract_text()

        with page.expect_download() as tables:
            page.locator("main").get_by_role("link", name="Fichiers de données (CSV, zip)").click()
        with zipfile.ZipFile(Path(tables.value.path())) as archive:
            text = archive.read("data/key_facts.csv").decode("utf-8")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert text.startswith("fact,fact_label,value_label,value,unit,year")
        base = next(r for r in rows if r["fact"] == "base_employment")
        assert float(base["value"]) > 0
        assert base["fact_label"] == "Emploi pendant l’année de base"
    finally:
        context.close()


#: The colour of the brief page's header: set by the page's own (nonced) styles.
HEADER_JS = "getComputedStyle(document.querySelector('.brief-page > header')).backgroundColor"


@pytest.mark.parametrize(
    "arrival",
    ["with a language chosen", "without a cookie"],
)
def test_the_brief_page_keeps_its_styles_when_opened_again(portal_site, browser, arrival):
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        blocked = []
        page.on(
            "console",
            lambda m: "Content Security Policy" in m.text and blocked.append(m.text),
        )
        url = portal_site + BRIEF + ("?lang=en" if arrival == "with a language chosen" else "")
        page.goto(url)
        assert page.evaluate(HEADER_JS) == "rgb(11, 79, 108)"
        page.reload()  # revalidated: 304, the page kept by the browser shown again
        assert page.evaluate(HEADER_JS) == "rgb(11, 79, 108)"
        assert not blocked, blocked
    finally:
        context.close()


# ----------------------------------------------------------------------------- keyboard

#: Every element of the page that Tab should reach, marked with its number in the document.
TABBABLE_JS = """() => {
  const selector = 'a[href], area[href], button, input, select, textarea, summary, iframe, '
    + '[tabindex], [contenteditable=true]';
  const found = [...document.querySelectorAll(selector)].filter((el) => el.tabIndex >= 0
    && !el.disabled && el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== 'hidden' && !el.closest('[inert]'));
  found.forEach((el, i) => { el.dataset.tabStop = String(i); });
  return found.map((el) => el.outerHTML.slice(0, 120));
}"""

#: What has the focus: its number, whether it is in the main content, and how it is shown:
#: an outline or a shadow in a colour of at least 3:1 against what is behind the element
#: (WCAG 1.4.11).
FOCUSED_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const rgb = (text) => {
    const m = /rgba?\\(([\\d.]+), ([\\d.]+), ([\\d.]+)(?:, ([\\d.]+))?\\)/.exec(text || '');
    const opaque = m && (m[4] === undefined || parseFloat(m[4]) > 0);
    return opaque ? [m[1], m[2], m[3]].map(Number) : null;
  };
  const luminance = (c) => {
    const [r, g, b] = c.map((v) => v / 255)
      .map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  let behind = [255, 255, 255];
  for (let node = el.parentElement; node; node = node.parentElement) {
    const colour = rgb(getComputedStyle(node).backgroundColor);
    if (colour) { behind = colour; break; }
  }
  const style = getComputedStyle(el);
  const colours = [];
  if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) {
    colours.push(rgb(style.outlineColor));
  }
  if (style.boxShadow !== 'none') colours.push(rgb(style.boxShadow));
  const best = Math.max(0, ...colours.filter(Boolean).map((c) => contrast(c, behind)));
  const box = el.getBoundingClientRect();
  return {
    stop: el.dataset.tabStop ?? null,
    html: el.outerHTML.slice(0, 120),
    text: (el.innerText || '').trim(),
    in_main: Boolean(el.closest('main')),
    contrast: Math.round(best * 100) / 100,
    shown: best >= 3,
    seen: box.width > 1 && box.height > 1,
  };
}"""


def _tab(page) -> dict | None:
    page.keyboard.press("Tab")
    return page.evaluate(FOCUSED_JS)


def _tab_to(page, text: str) -> dict:
    for _ in range(60):
        focused = _tab(page)
        if focused and focused["text"] == text:
            return focused
    raise AssertionError(f"Tab never reached {text!r}")


@pytest.mark.parametrize("view", ["detailed", "young"])
def test_the_brief_page_works_by_keyboard_alone(portal_site, browser, view):
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        url = _address(portal_site, f"{BRIEF}?view={view}", "en")
        page.goto(url)
        tabbable = page.evaluate(TABBABLE_JS)
        assert len(tabbable) > 20

        first = _tab(page)
        assert first is not None and first["text"] == "Skip to main content", first
        assert first["seen"] and first["shown"], "the skip link is not visible when focused"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        after_skip = _tab(page)
        assert after_skip is not None and after_skip["in_main"], after_skip

        # from the top again: Tab visits every stop once, each visibly, and leaves the page
        page.goto(url)
        page.evaluate(TABBABLE_JS)
        visited, unseen = [], []
        for _ in range(len(tabbable) + 10):
            focused = _tab(page)
            if focused is None or (visited and focused["stop"] == visited[0]):
                break  # out of the page, or round to its first stop: no trap
            visited.append(focused["stop"])
            if not (focused["shown"] and focused["seen"]):
                unseen.append(f"{focused['html']} ({focused['contrast']}:1)")
        else:
            raise AssertionError(f"the focus is kept in the page: {visited[-5:]}")
        missed = [html for i, html in enumerate(tabbable) if str(i) not in visited]
        assert not missed, f"Tab never reaches: {missed}"
        assert len(visited) == len(set(visited)) == len(tabbable)
        assert not unseen, f"focused without a visible indicator: {unseen}"

        # the view switch and the language switch, with Enter
        page.goto(url)
        _tab_to(page, "Plain language")
        page.keyboard.press("Enter")
        page.wait_for_url("**view=plain*")
        assert _current_view(page) == "Plain language"
        _tab_to(page, "Deutsch")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**{BRIEF}?lang=de")
        assert page.locator("html").get_attribute("lang") == "de"
        assert _current_view(page) == "Einfache Sprache"
    finally:
        context.close()


# ----------------------------------------------------------------------------- axe-core

#: Every public page a reader can open, the brief in each of its views. The demo publishes
#: one brief: comparing shows its empty form and its answer to a single brief.
AXE_PAGES = ("/", "/search?q=heat+pumps", "/search?q=nothing+like+this")
AXE_PAGES += tuple(f"{BRIEF}?view={view}" for view in VIEWS)
AXE_PAGES += ("/compare", "/compare?b=1", "/accessibility", "/method", "/api/v1/docs")
AXE_PAGES += ("/embed", "/embed/briefs/1")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_serious_accessibility_violations_on_the_public_pages(portal_site, browser, lang):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context()
    problems = {}
    try:
        page = context.new_page()
        for path in AXE_PAGES:
            response = page.goto(_address(portal_site, path, lang))
            assert response.status in (200, 422), path
            assert page.locator("html").get_attribute("lang") == lang, path
            found = serious_violations(axe.run(page))
            problems[path] = [f"{v['impact']}: {v['id']} {v['help']}" for v in found]
    finally:
        context.close()
    report = "\n".join(f"{p}: {x}" for p, found in problems.items() for x in found)
    assert not any(problems.values()), report
