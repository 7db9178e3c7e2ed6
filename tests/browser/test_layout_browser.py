"""Staff and panellist pages on a phone (320 px) and at 200% zoom, and tables whose rows line up.

A 1280 px wide window at 200% zoom lays pages out in 640 CSS pixels at two device pixels
each: that is what the zoomed viewport emulates. On both, the page itself must not scroll
sideways; a table too wide for the screen scrolls inside its own region, which a keyboard
can reach and a screen reader names, and axe-core finds nothing serious or critical.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from tests.browser.conftest import PHONE, SCREENS, layout_problems, serving
from tests.conftest import base_config

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """A live server with the demonstration data: (base address, consultation id, path of a
    panellist's invitation link to the open round of the second demo consultation)."""
    from app.consultations.models import Consultation
    from app.demo.seed import seed_demo

    tmp = tmp_path_factory.mktemp("layout")
    app = create_app(
        base_config(
            "sqlite:///" + str(tmp / "live.db"),
            STUDY_KEY_DIR=str(tmp / "keys"),
            PANEL_UPLOAD_DIR=str(tmp / "uploads"),
            WTF_CSRF_ENABLED=True,
        )
    )
    with app.app_context():
        db.create_all()
        summary = seed_demo()
        db.session.commit()
        demo_id = db.session.scalars(
            select(Consultation.id).where(Consultation.title.like("%2030"))
        ).one()
    link = urlsplit(summary.links[0][2])
    try:
        with serving(app) as base:
            yield base, demo_id, f"{link.path}?{link.query}"
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}: {problem}" for page, found in problems.items() for problem in found)


def _sign_in(page, base: str) -> None:
    page.goto(base + "/login?lang=en")
    page.get_by_label("E-mail address").fill("secretariat@demo.skillsdelphi.eu")
    page.get_by_label("Password").fill("demo-secretariat-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/staff")


def _staff_pages(demo_id: int) -> list[str]:
    consultation = f"/staff/consultations/{demo_id}"
    return [
        consultation + "/rounds/1/results",
        consultation + "/rounds/3/results?lang=de",
        consultation + "/rounds/2/results?lang=fr",
        consultation + "/rounds/1/rationales?lang=en",
        consultation + "/tracking",
        consultation + "/rounds/1/themes",
        consultation + "/panel",
        consultation + "/texts",
        consultation + "/rounds/2/preview?lang=fr",
        consultation + "/forecasts",
        "/staff/briefs/",
    ]


@pytest.mark.parametrize("screen", SCREENS)
def test_staff_pages_fit_a_phone_and_200_percent_zoom(demo_site, browser, screen):
    base, demo_id, _link = demo_site
    context = browser.new_context(**SCREENS[screen])
    try:
        page = context.new_page()
        _sign_in(page, base)
        problems = {path: layout_problems(page, base + path) for path in _staff_pages(demo_id)}
    finally:
        context.close()
    assert not any(problems.values()), _report(problems)


@pytest.mark.parametrize("screen", SCREENS)
def test_answering_page_fits_a_phone_and_200_percent_zoom(demo_site, browser, screen):
    base, _demo_id, link = demo_site
    context = browser.new_context(**SCREENS[screen])
    try:
        page = context.new_page()
        page.goto(base + link)
        assert page.url == base + "/r"
        problems = layout_problems(page, base + "/r")
        assert problems == [], _report({"/r": problems})
        assert page.locator("fieldset.question").count() > 0
    finally:
        context.close()


@pytest.mark.parametrize("screen", SCREENS)
def test_official_pages_fit_a_phone_and_200_percent_zoom(demo_site, browser, screen):
    base, _demo_id, _link = demo_site
    context = browser.new_context(**SCREENS[screen])
    try:
        page = context.new_page()
        page.goto(base + "/login?lang=en")
        page.get_by_label("E-mail address").fill("official@demo.skillsdelphi.eu")
        page.get_by_label("Password").fill("demo-official-2026")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(base + "/staff")
        paths = ["/staff/forecasts", "/staff/forecasts/import", "/staff/briefs/review?lang=de"]
        page.goto(base + "/staff/forecasts")
        dataset = page.locator("main a[href^='/staff/forecasts/']").evaluate_all(
            "links => links.map(a => a.getAttribute('href')).filter(h => /\\/\\d+$/.test(h))"
        )
        paths += dataset[:1]
        problems = {path: layout_problems(page, base + path) for path in paths}
    finally:
        context.close()
    assert dataset, "the demo has a forecast dataset"
    assert not any(problems.values()), _report(problems)


def test_the_panel_table_fits_a_desktop_window_with_its_actions_in_view(demo_site, browser):
    """At 1,280 px the whole panel table, its actions column included, is in the window; it
    does not even need its scrolling region."""
    base, demo_id, _link = demo_site
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        _sign_in(page, base)
        page.goto(base + f"/staff/consultations/{demo_id}/panel")
        table = page.locator("table.panel-table")
        right, inner = table.evaluate("t => [t.getBoundingClientRect().right, innerWidth]")
        assert right <= inner, f"the panel table ends at {right} px in a {inner} px window"
        region = page.get_by_role("region", name="Panellists, page 1")
        assert not region.evaluate("r => r.scrollWidth > r.clientWidth")
        first_action = page.get_by_role("link", name="Change details").first
        box = first_action.bounding_box()
        assert box is not None and box["x"] + box["width"] <= inner
    finally:
        context.close()


def test_wide_overview_scrolls_inside_its_region_reached_by_the_keyboard(demo_site, browser):
    base, demo_id, _link = demo_site
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        _sign_in(page, base)
        page.goto(base + f"/staff/consultations/{demo_id}/rounds/3/results")
        region = page.get_by_role("region", name="Questions of round 3 with their main figures")
        assert region.evaluate("r => r.scrollWidth > r.clientWidth")  # it is wider than 320 px
        region.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "() => document.activeElement.scrollLeft > 0 && "
            "document.documentElement.scrollWidth <= innerWidth"
        )
    finally:
        context.close()


#: Per body row of every table: the boxes and bottom rules of its cells.
ROWS_JS = """() => [...document.querySelectorAll('main table')].flatMap((table) =>
  [...table.querySelectorAll('tbody tr, tfoot tr')].filter((tr) => tr.cells.length > 1)
    .map((tr) => ({
      caption: table.caption ? table.caption.textContent.trim() : '',
      row: tr.cells[0].textContent.trim().slice(0, 40),
      cells: [...tr.cells].map((cell) => {
        const box = cell.getBoundingClientRect();
        const style = getComputedStyle(cell);
        return {
          top: box.top, bottom: box.bottom,
          rule: [style.borderBottomWidth, style.borderBottomStyle, style.borderBottomColor],
        };
      }),
    })))"""


def _misaligned(page) -> list[str]:
    problems = []
    rows = page.evaluate(ROWS_JS)
    assert rows, "no table rows to measure"
    for row in rows:
        first, *others = row["cells"]
        for n, cell in enumerate(others, start=2):
            where = f"{row['caption']} / {row['row']} / column {n}"
            if abs(cell["top"] - first["top"]) > 1 or abs(cell["bottom"] - first["bottom"]) > 1:
                problems.append(f"{where}: box {cell['top']}-{cell['bottom']} vs {first}")
            if cell["rule"] != first["rule"]:
                problems.append(f"{where}: rule {cell['rule']} vs {first['rule']}")
    return problems


@pytest.mark.parametrize("screen", ["1280px", *SCREENS])
def test_row_rules_of_the_first_column_line_up_with_the_other_columns(demo_site, browser, screen):
    """Each row's cells share top and bottom, and draw the same rule under them.

    With collapsed borders the cells' boxes line up even when the row header's rule is
    thicker than its neighbours' (the rule then juts out below them): so the rules are
    compared too."""
    base, demo_id, _link = demo_site
    options = SCREENS.get(screen, {"viewport": {"width": 1280, "height": 900}})
    context = browser.new_context(**options)
    try:
        page = context.new_page()
        _sign_in(page, base)
        problems = {}
        for path in (
            f"/staff/consultations/{demo_id}/rounds/3/results",
            f"/staff/consultations/{demo_id}/tracking",
        ):
            page.goto(base + path)
            problems[path] = _misaligned(page)
    finally:
        context.close()
    assert not any(problems.values()), _report(problems)


def _sign_in_official(page, base: str) -> None:
    page.goto(base + "/login?lang=en")
    page.get_by_label("E-mail address").fill("official@demo.skillsdelphi.eu")
    page.get_by_label("Password").fill("demo-official-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/staff")


def test_the_import_form_and_preview_fit_a_desktop_window(demo_site, browser):
    """At 1,280 px the profile select is as wide as its longest label, "(required)" sits in
    its label above the file input, and the preview's values table needs no sideways
    scrolling: its Level column is in view."""
    from tests.conftest import shared_file

    base, _demo_id, _link = demo_site
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        _sign_in_official(page, base)
        page.goto(base + "/staff/forecasts/import")
        select = page.locator("select#profile")
        fits = select.evaluate(
            """s => {
              const probe = document.createElement('span');
              probe.style.font = getComputedStyle(s).font;
              probe.style.whiteSpace = 'pre';
              document.body.appendChild(probe);
              const widest = Math.max(...[...s.options].map(o => {
                probe.textContent = o.text; return probe.getBoundingClientRect().width; }));
              probe.remove();
              return [s.getBoundingClientRect().width, widest, s.parentElement.clientWidth];
            }"""
        )
        width, widest, room = fits
        assert width >= min(widest, room - 1), f"the select is {width} px for {widest} px labels"
        label = page.locator("label[for=file]")
        required = label.locator(".required")
        assert required.count() == 1
        file_box = page.locator("input#file").bounding_box()
        required_box = required.bounding_box()
        assert required_box["y"] + required_box["height"] <= file_box["y"]
        path = shared_file(
            "forecasts", "us_bls_ep", "bls_ep_2024-34_table_1-2_occupational_projections.csv"
        )
        page.locator("input#file").set_input_files(str(path))
        select.select_option("bls-ep-2024-34-table-1-2-csv")
        page.get_by_role("button", name="Check the file").click()
        page.wait_for_selector("table.values-table")
        region = page.get_by_role("region", name="The first 20 values read")
        assert not region.evaluate("r => r.scrollWidth > r.clientWidth"), region.evaluate(
            "r => [r.scrollWidth, r.clientWidth]"
        )
        assert page.locator("table.values-table").first.evaluate(
            "t => t.getBoundingClientRect().right <= innerWidth"
        )
    finally:
        context.close()
