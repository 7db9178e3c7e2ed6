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
