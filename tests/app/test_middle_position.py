"""Agreement on a middle position reads as agreement, never as dissent, wherever it is shown.

All twenty panellists answer "3 – Moderately important" (SD 0, r_wg 1.00): the results page,
its downloads and the panellists' feedback say the panel agrees on a middle position.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from app.answering.feedback import round_feedback
from app.auth.models import Role
from app.consultations import services
from app.consultations.models import Consultation, StakeholderGroup
from app.consultations.responses import AnswerInput, save_response
from app.extensions import db
from app.panels.models import Panellist
from tests.app.factories import PASSWORD, make_council, make_staff, post_login
from tests.conftest import ROOT

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SURVEY = ROOT / "surveys" / "future-skill-needs.yaml"
KEY = "digital-data-skills"
OTHER = "green-transition-skills"


def _build(app) -> int:
    with app.app_context():
        council = make_council("Construction council")
        sec = make_staff(Role.secretariat, [council], email="sec@example.org")
        consultation = services.create_consultation(council, SURVEY, title="Middle", by=sec)
        # consensus is settled only once stable: the middle item is asked again in round 2
        services.update_plan(consultation, {**consultation.plan, "confirm_consensus": True}, by=sec)
        panel = []
        for i in range(20):
            group = StakeholderGroup.employers if i < 10 else StakeholderGroup.education_providers
            p = Panellist(
                consultation=consultation,
                name=f"Panellist {i}",
                email=f"p{i}@panel.example",
                stakeholder_group=group,
                language="en",
            )
            db.session.add(p)
            panel.append(p)
        db.session.flush()
        r1 = consultation.rounds[0]
        services.open_round(r1, by=sec, as_of=T0, deadline=T0 + timedelta(days=14))
        for i, p in enumerate(panel):
            answers = {KEY: AnswerInput(value=3.0), OTHER: AnswerInput(value=float(1 + i % 5))}
            save_response(r1, p, answers, submission_id=f"s{i}", submit=True)
        services.close_round(r1, by=sec, as_of=T0 + timedelta(days=10))
        db.session.commit()
        return consultation.id


@pytest.fixture
def study(make_app, tmp_path):
    app = make_app(STUDY_KEY_DIR=str(tmp_path / "keys"))
    return app, _build(app)


def _client(app):
    client = app.test_client()
    assert post_login(client, "sec@example.org", PASSWORD).status_code in (302, 303)
    return client


def _text(fragment: str) -> str:
    fragment = re.sub(r'<span class="visually-hidden">.*?</span>', "", fragment, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", fragment))).strip()


def test_the_frozen_result_is_mid_and_counts_as_consensus(study):
    app, cid = study
    with app.app_context():
        item = db.session.get(Consultation, cid).rounds[0].results["items"][KEY]
    assert (item["consensus_status"], item["consensus"]) == ("mid", True)
    assert (item["middle"], item["sd"], item["rwg"], item["iqr"]) == (1.0, 0.0, 1.0, 0.0)
    # in round 1 it is not yet stable, and the plan confirms consensus by stability
    assert (item["label"], item["settled"]) == ("unresolved", False)
    assert item["reason"] == (
        "consensus on a middle position not yet confirmed by stability (stability not assessable)"
    )


def test_the_results_page_says_agreement_on_a_middle_position_not_dissent(study):
    app, cid = study
    html = _client(app).get(f"/staff/consultations/{cid}/rounds/1/results").get_data(as_text=True)
    row = re.search(rf'<tr data-item="{KEY}">(.*?)</tr>', html, re.S).group(1)
    assert "Consensus on a middle position" in _text(row)
    assert "No consensus" not in _text(row) and "Dissent" not in _text(row)
    start = html.index(f'<section id="item-{KEY}"')
    section = html[start : html.index("</section>", start)]
    words = _text(section)
    assert "Consensus: the panel agrees on a middle position (neither matters nor not)" in words
    assert re.search(r"Middle of the scale\s*100%", words)
    assert "No consensus" not in words and "Dissent" not in words


def test_the_downloads_carry_the_middle_status_and_share(study):
    app, cid = study
    data = _client(app).get(f"/staff/consultations/{cid}/rounds/1/results.csv").data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    item = next(r for r in rows if r["record"] == "item" and r["item_key"] == KEY)
    assert (item["consensus_status"], item["middle"]) == ("mid", "1.0")


def test_panellists_read_that_the_panel_agrees_on_a_middle_position(study):
    app, cid = study
    with app.app_context(), app.test_request_context("/"):
        consultation = db.session.get(Consultation, cid)
        sec = consultation.created_by
        services.release_round(consultation.rounds[0], by=sec, as_of=T0 + timedelta(days=11))
        services.prepare_next_round(consultation, by=sec)
        r2 = consultation.rounds[1]
        assert KEY in {i.key for i in r2.items}  # carried: not yet confirmed by stability
        panellist = db.session.scalars(
            select(Panellist).where(Panellist.consultation_id == cid)
        ).first()
        feedback = round_feedback(r2, panellist, "en")
        words = "Consensus reached: the panel agrees on a middle position."
        assert feedback[KEY].consensus == words
        db.session.rollback()
