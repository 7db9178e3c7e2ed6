"""A panellist in a real browser: invitation link, draft, reload, submit; axe-core check.

Runs Debian's Chromium through Playwright against a live server on 127.0.0.1 with a SQLite
file database: ``.venv/bin/python -m pytest -m browser tests/browser``.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from tests.browser.conftest import SCREENS, layout_problems
from tests.browser.conftest import serious_violations as _serious
from tests.conftest import ROOT, base_config

pytestmark = pytest.mark.browser

SURVEY = ROOT / "surveys" / "future-skill-needs.yaml"
LIKERT = [
    "digital-data-skills",
    "green-transition-skills",
    "automation-maintenance",
    "customer-communication",
    "regulatory-compliance",
    "teamwork-problem-solving",
    "willingness-to-learn",
]


def _seed(app, *, feedback: bool = False, survey=SURVEY) -> str:
    """A consultation with an open round and an invited panellist; returns the link's path.

    With ``feedback``, 20 panellists answered round 1, whose results are released, and
    round 2 is open: the page then shows controlled feedback.
    """
    from app.auth.services import create_user
    from app.classifications.models import Sector
    from app.classifications.services import ensure_builtin_sectors
    from app.consultations import services
    from app.consultations.models import StakeholderGroup
    from app.consultations.responses import save_response
    from app.councils.models import Council
    from app.panels.models import Panellist
    from app.panels.tokens import issue_invitation

    with app.app_context():
        db.create_all()
        ensure_builtin_sectors()
        sector = db.session.scalars(select(Sector).where(Sector.code == "F")).one()
        council = Council(name="Construction council", sector=sector, geography="EU")
        db.session.add(council)
        db.session.flush()
        sec = create_user("sec@example.org", "secretariat", "a long password!", councils=[council])
        consultation = services.create_consultation(
            council, survey, title="Construction skills 2030", by=sec
        )
        groups = list(StakeholderGroup)[:4]
        panel = []
        for i in range(20 if feedback else 1):
            panel.append(
                Panellist(
                    consultation=consultation,
                    name=f"Person {i}",
                    email=f"person{i}@example.org",
                    stakeholder_group=groups[i % 4],
                    language="en",
                )
            )
        db.session.add_all(panel)
        db.session.flush()
        deadline = datetime(2099, 4, 1, 12, tzinfo=UTC)
        first = consultation.rounds[0]
        services.open_round(first, by=sec, as_of=datetime.now(UTC), deadline=deadline)
        if feedback:
            for i, person in enumerate(panel):
                save_response(first, person, _answers(i), submission_id=f"s{i}", submit=True)
            services.close_round(first, by=sec, as_of=datetime.now(UTC))
            services.release_round(first, by=sec, as_of=datetime.now(UTC))
            second = services.prepare_next_round(consultation, by=sec)
            services.open_round(second, by=sec, as_of=datetime.now(UTC), deadline=deadline)
        _, token = issue_invitation(panel[0], sec)
        db.session.commit()
        return f"/i?t={token}"


def _answers(i: int) -> dict:
    from app.consultations.responses import AnswerInput

    answers = {key: AnswerInput(value=float(1 + (i * (n + 1)) % 5)) for n, key in enumerate(LIKERT)}
    answers["digital-data-skills"] = AnswerInput(value=float(1 + i % 5), rationale=f"Reason {i}")
    answers["employment-change-2033"] = AnswerInput(value=float(i - 5))
    options = [
        "digital-data",
        "green-transition",
        "automation-maintenance",
        "management-leadership",
    ]
    answers["training-priorities"] = AnswerInput(ranking=tuple((options * 2)[i % 4 : i % 4 + 3]))
    answers["meeting-skill-needs"] = AnswerInput(choices=("upskilling",) if i % 2 else ("hiring",))
    return answers


def _start(tmp_path, *, feedback: bool = False, survey=SURVEY):
    app = create_app(
        base_config(
            "sqlite:///" + str(tmp_path / "live.db"),
            STUDY_KEY_DIR=str(tmp_path / "keys"),
            WTF_CSRF_ENABLED=True,
        )
    )
    link = _seed(app, feedback=feedback, survey=survey)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    return f"http://127.0.0.1:{server.server_port}", link, stop


@pytest.fixture
def live_server(tmp_path):
    base, link, stop = _start(tmp_path)
    try:
        yield base, link
    finally:
        stop()


@pytest.fixture
def live_server_round_two(tmp_path):
    base, link, stop = _start(tmp_path, feedback=True)
    try:
        yield base, link
    finally:
        stop()


def test_panellist_saves_a_draft_reloads_and_submits(live_server, browser):
    from axe_playwright_python.sync_playwright import Axe

    base, link = live_server
    page = browser.new_page()
    page.goto(base + link)
    assert page.url == base + "/r"  # the token is gone from the address bar
    assert page.get_by_role("heading", level=1).inner_text() == "Construction skills 2030"
    assert page.get_by_text("Your answers are stored without your name.").is_visible()

    # some answers, then a draft
    page.locator("#q_digital-data-skills-3").check()
    page.get_by_label("Your estimate (%)").fill("5,5")
    page.get_by_label("Training their current staff").check()
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(base + "/r")
    assert page.get_by_text("Draft saved").is_visible()

    page.reload()
    assert page.locator("#q_digital-data-skills-3").is_checked()
    assert page.get_by_label("Your estimate (%)").input_value() == "5.5"
    assert page.get_by_label("Training their current staff").is_checked()

    # submitting with questions left open shows the errors at the top and at the fields
    page.get_by_role("button", name="Submit", exact=True).click()
    summary = page.locator(".error-summary")
    assert summary.is_visible() and "Question 2" in summary.inner_text()
    results = Axe().run(page)
    assert _serious(results) == [], "axe found serious or critical problems on the error page"

    for key in LIKERT:
        page.locator(f"#q_{key}-3").check()
    page.select_option("#q_training-priorities_1", "digital-data")
    page.select_option("#q_training-priorities_2", "green-transition")
    page.select_option("#q_training-priorities_3", "teamwork-problem-solving")
    page.get_by_label("Lowest realistic value (%)").fill("-2")
    page.get_by_label("Highest realistic value (%)").fill("10")
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url(base + "/r/submitted")
    assert page.get_by_text("Thank you, your answers are submitted.").is_visible()
    page.get_by_role("link", name="Change my answers").click()
    page.wait_for_url(base + "/r")
    assert page.get_by_role("button", name="Submit changes").is_visible()
    assert page.get_by_role("button", name="Save draft").count() == 0

    results = Axe().run(page)
    assert _serious(results) == [], "axe found serious or critical problems"

    # a phone: nothing wider than 320 px
    page.set_viewport_size({"width": 320, "height": 640})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_round_two_feedback_page_passes_axe(live_server_round_two, browser):
    from axe_playwright_python.sync_playwright import Axe

    base, link = live_server_round_two
    page = browser.new_page()
    page.goto(base + link)
    assert page.url == base + "/r"
    feedback = page.locator(".feedback")
    assert feedback.count() >= 3
    assert page.get_by_text("Your answer in round 1:").first.is_visible()
    assert page.get_by_role("table").first.is_visible()
    results = Axe().run(page)
    assert _serious(results) == [], "axe found serious or critical problems"
    page.set_viewport_size({"width": 320, "height": 640})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


@pytest.mark.parametrize("screen", SCREENS)
def test_round_two_feedback_fits_a_phone_and_200_percent_zoom(
    live_server_round_two, browser, screen
):
    base, link = live_server_round_two
    context = browser.new_context(**SCREENS[screen])
    try:
        page = context.new_page()
        page.goto(base + link)
        assert page.url == base + "/r"
        assert page.locator(".feedback table").count() >= 3
        assert layout_problems(page, base + "/r") == []
    finally:
        context.close()


@pytest.fixture
def live_server_positive_estimate(tmp_path):
    """Round 1 of a copy of the survey whose estimate cannot be negative."""
    folder = tmp_path / "surveys"
    folder.mkdir()
    survey = folder / SURVEY.name
    text = SURVEY.read_text(encoding="utf-8")
    assert "    min: -100\n" in text
    survey.write_text(text.replace("    min: -100\n", "    min: 0\n"), encoding="utf-8")
    base, link, stop = _start(tmp_path, survey=survey)
    try:
        yield base, link
    finally:
        stop()


PHONE_390 = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1}


def test_a_phone_gets_number_pads_and_a_confirmation_page(live_server_positive_estimate, browser):
    from axe_playwright_python.sync_playwright import Axe

    base, link = live_server_positive_estimate
    context = browser.new_context(**PHONE_390)
    try:
        page = context.new_page()
        page.goto(base + link)
        estimate = page.get_by_label("Your estimate (%)")
        assert estimate.get_attribute("inputmode") == "decimal"
        assert page.get_by_label("Lowest realistic value (%)").get_attribute("inputmode") == (
            "decimal"
        )
        confidence = page.locator("#q_employment-change-2033_confidence")
        assert confidence.get_attribute("inputmode") == "numeric"
        for key in LIKERT:
            page.locator(f"#q_{key}-3").check()
        estimate.fill("5,5")
        page.get_by_label("Lowest realistic value (%)").fill("2")
        page.get_by_label("Highest realistic value (%)").fill("10")
        confidence.fill("60")
        page.select_option("#q_training-priorities_1", "digital-data")
        page.select_option("#q_training-priorities_2", "green-transition")
        page.select_option("#q_training-priorities_3", "teamwork-problem-solving")
        page.get_by_label("Training their current staff").check()
        page.get_by_role("button", name="Submit", exact=True).click()
        page.wait_for_url(base + "/r/submitted")
        assert page.get_by_role("heading", level=1).inner_text() == "Your answers are submitted"
        assert page.get_by_text("until the round closes on April 1, 2099").is_visible()
        listed = page.locator(".saved-answers").inner_text()
        assert "5.5 %" in listed and "4 – Very important" in listed
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert _serious(Axe().run(page)) == [], "axe: serious or critical problems"

        # the language buttons keep what is typed, without a script
        page.get_by_role("link", name="Change my answers").click()
        page.get_by_label("Your estimate (%)").fill("7")
        page.get_by_role("button", name="Deutsch").click()
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.locator("#q_employment-change-2033").input_value() == "7"
    finally:
        context.close()
