"""Browser fixtures: Debian's Chromium driven by Playwright, and the axe-core report filter."""

from __future__ import annotations

import shutil
import threading
from contextlib import contextmanager

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser():
    if not shutil.which(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


#: A phone, and a 1280 px wide window at 200% zoom: pages are then laid out in 640 CSS
#: pixels of two device pixels each.
PHONE = {"viewport": {"width": 320, "height": 640}, "device_scale_factor": 1}
ZOOM_200 = {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2}
SCREENS = {"320px": PHONE, "200% zoom": ZOOM_200}


def serious_violations(results) -> list[dict]:
    """Print every axe-core violation; return the serious and critical ones."""
    violations = results.response.get("violations", [])
    print(
        f"axe-core {results.response.get('testEngine', {}).get('version')}: "
        f"{len(violations)} violation(s) on {results.response.get('url')}"
    )
    for v in violations:
        targets = [n.get("target") for n in v.get("nodes", [])][:5]
        print(f"axe {v.get('impact')}: {v.get('id')} - {v.get('help')} {targets}")
    return [v for v in violations if v.get("impact") in ("serious", "critical")]


@pytest.fixture(scope="session")
def portal_site(tmp_path_factory):
    """The demonstration's portal served on 127.0.0.1, its published brief stored in every
    interface language (the seed stores the first only): yields the base address, which is
    also the application's ``BASE_URL``, so the addresses written in stored pages work."""
    from sqlalchemy import select

    from app import create_app
    from app.briefs.models import BriefStatus, BriefVersion
    from app.briefs.rendering import render_version
    from app.demo.seed import seed_demo
    from app.extensions import db
    from tests.conftest import base_config

    tmp = tmp_path_factory.mktemp("portal")
    app = create_app(
        base_config(
            "sqlite:///" + str(tmp / "live.db"),
            STUDY_KEY_DIR=str(tmp / "keys"),
            PANEL_UPLOAD_DIR=str(tmp / "uploads"),
        )
    )
    try:
        with serving(app) as base:
            app.config["BASE_URL"] = base
            with app.app_context():
                db.create_all()
                seed_demo()
                db.session.commit()
                current = select(BriefVersion.id).where(
                    BriefVersion.status == BriefStatus.published
                )
                for version_id in db.session.scalars(current).all():
                    render_version(version_id)
                db.session.remove()
            yield base
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def serving(app):
    """Serve ``app`` on 127.0.0.1 (a free port) in a thread; yields the base address."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


#: Per table of the page: is it wider than the space it has, and the region around it.
TABLES_JS = """() => {
  const main = document.querySelector('main');
  return [...main.querySelectorAll('table')].map((table) => {
    const region = table.closest('[role=region]');
    const box = (region || table).getBoundingClientRect();
    const ids = region ? (region.getAttribute('aria-labelledby') || '').split(/\\s+/) : [];
    const name = ids.map((id) => document.getElementById(id))
      .map((el) => (el ? el.textContent.trim() : '')).filter(Boolean).join(' ');
    return {
      caption: table.caption ? table.caption.textContent.trim() : '',
      // a table shown as a block (narrow screens, outside a region) scrolls inside itself
      wide: Math.max(table.offsetWidth, table.scrollWidth)
        > (region || table.parentElement).clientWidth + 1,
      region: Boolean(region),
      name,
      named_ids_found: ids.filter(Boolean).every((id) => document.getElementById(id)),
      focusable: region ? region.tabIndex === 0 : false,
      scrolls: region ? getComputedStyle(region).overflowX : '',
      right: box.right,
    };
  });
}"""


def layout_problems(page, url: str) -> list[str]:
    """What is wrong with the page at the current viewport (empty when nothing is)."""
    from axe_playwright_python.sync_playwright import Axe

    response = page.goto(url)
    assert response.status == 200, url
    problems = []
    width, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    if width > inner:
        problems.append(f"the page scrolls sideways: {width} > {inner} px")
    for table in page.evaluate(TABLES_JS):
        where = table["caption"] or "a table without caption"
        if table["wide"] and not table["region"]:
            problems.append(f"{where}: wider than the page and not in a scrolling region")
        if table["region"]:
            if not table["name"] or not table["named_ids_found"]:
                problems.append(f"{where}: its region has no name")
            if not table["focusable"]:
                problems.append(f"{where}: its region cannot take the keyboard focus")
            if table["scrolls"] not in ("auto", "scroll"):
                problems.append(f"{where}: its region does not scroll")
            if table["right"] > inner + 1:
                problems.append(f"{where}: its region reaches beyond the screen")
    problems += [f"axe {v['impact']}: {v['id']}" for v in serious_violations(Axe().run(page))]
    return problems
