"""Browser fixtures: Debian's Chromium driven by Playwright, and the axe-core report filter."""

from __future__ import annotations

import shutil

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
