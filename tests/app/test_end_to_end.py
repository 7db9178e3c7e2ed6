"""A whole 3-round consultation driven through HTTP, as a secretariat and 30 panellists would.

Round 1 free text becomes themes, themes become round-2 items; the feedback shown in round 2
equals the engine's output on round 1's answers; a late submission after close is refused and
changes nothing.
"""

from __future__ import annotations

import html
import io
import random
import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.classifications.models import Sector
from app.classifications.services import ensure_builtin_sectors
from app.consensus import item_statistics
from app.consultations.models import Answer, Consultation, Response, RoundStatus
from app.consultations.queries import likert_answers
from app.councils.models import Council
from app.extensions import db
from app.panels.models import Panellist
from tests.app.factories import LocalSmtp, post_login

GROUPS = {
    "employers": (4.6, 4.8),
    "workers-representatives": (2.2, 2.0),
    "education-providers": (3.6, 3.8),
    "public-authorities": (4.0, 4.2),
}
TEXTS = [
    "Reading digital building models on site. Using tablets for site documentation.",
    "Installing heat pumps in old houses; insulation and airtightness.",
    "Digitale Gebäudemodelle lesen. Tablets für die Baudokumentation nutzen.",
    "Wärmepumpen in Altbauten einbauen; Dämmung und Luftdichtheit.",
    "Working with drones for surveying. Reading sensor data from machines.",
]
LINK = re.compile(r"http://skillsdelphi\.test/i\?t=[A-Za-z0-9_\-]+")


@pytest.fixture
def world(make_app, make_user, tmp_path):
    smtp = LocalSmtp()
    smtp.__enter__()
    app = make_app(
        STUDY_KEY_DIR=str(tmp_path / "keys"),
        PANEL_UPLOAD_DIR=str(tmp_path / "uploads"),
        **smtp.config(),
    )
    with app.app_context():
        ensure_builtin_sectors()
        sector = db.session.scalars(select(Sector).where(Sector.code == "F")).one()
        council = Council(name="Construction council", sector=sector, geography="DE")
        db.session.add(council)
        db.session.commit()
        council_id = council.id
    _, email, password = make_user("secretariat", councils=[council_id])
    staff = app.test_client()
    post_login(staff, email, password)
    yield app, staff, smtp
    smtp.__exit__(None, None, None)


def _panel_csv() -> bytes:
    rows = ["name,email,organisation,stakeholder_group,language"]
    groups = list(GROUPS)
    for i in range(30):
        lang = ("en", "de", "fr")[i % 3]
        rows.append(f"Person {i:02d},p{i:02d}@example.org,Org {i},{groups[i % 4]},{lang}")
    return ("\n".join(rows) + "\n").encode("utf-8")


def _form_for(app, round_id: int, group: str, round_number: int, rng: random.Random) -> dict:
    """What a panellist of ``group`` types into the round's form."""
    from app.consultations.models import Round

    data: dict = {"round_id": str(round_id), "submission_id": str(uuid.uuid4()), "action": "submit"}
    with app.app_context():
        items = db.session.get(Round, round_id).items
        for item in items:
            name, spec = f"q_{item.key}", item.spec
            if item.type.value == "likert":
                centre = GROUPS[group][min(round_number, 2) - 1]
                data[name] = str(min(5, max(1, round(centre + rng.uniform(-0.6, 0.6)))))
                if spec.get("rationale") != "none" and rng.random() < 0.3:
                    data[f"{name}_rationale"] = f"Reason from {group}: see the sector's tenders."
            elif item.type.value == "estimate":
                value = rng.uniform(-2, 6)
                data[name] = f"{value:.1f}"
                if spec.get("range"):
                    data[f"{name}_low"] = f"{value - 2:.1f}"
                    data[f"{name}_high"] = f"{value + 2:.1f}"
                if spec.get("confidence"):
                    data[f"{name}_confidence"] = "60"
            elif item.type.value == "ranking":
                options = [o["key"] for o in spec["options"]]
                rng.shuffle(options)
                for place in range(1, int(spec.get("top_m") or 3) + 1):
                    data[f"{name}_{place}"] = options[place - 1]
            elif item.type.value == "choice":
                options = [o["key"] for o in spec["options"]]
                data[name] = [options[0]] if spec.get("multiple") else options[0]
            elif item.type.value == "text":
                data[name] = TEXTS[rng.randrange(len(TEXTS))]
    return data


def _answer_round(app, panellists, round_id, number, rng, skip=()):
    for i, (client, group) in enumerate(panellists):
        if i in skip:
            continue
        page = client.get("/r")
        assert page.status_code == 200, page.get_data(as_text=True)[:500]
        response = client.post("/r", data=_form_for(app, round_id, group, number, rng))
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        assert response.headers["Location"].endswith("/r/submitted")


def _round(app, cid, number):
    with app.app_context():
        c = db.session.get(Consultation, cid)
        r = next(r for r in c.rounds if r.number == number)
        return r.id, r.status


def _flash(staff, response) -> str:
    return html.unescape(staff.get(response.headers["Location"]).get_data(as_text=True))


def test_three_rounds_end_to_end(world):
    app, staff, smtp = world
    rng = random.Random(7)
    deadline = (date.today() + timedelta(days=14)).isoformat()

    # --- the secretariat creates the consultation and builds the panel from a CSV file
    created = staff.post(
        "/staff/consultations/new",
        data={
            "council": _council_id(app),
            "questionnaire": "future-skill-needs.yaml",
            "title": "Construction skills 2030",
        },
    )
    assert created.status_code == 303
    cid = int(created.headers["Location"].rsplit("/", 1)[1])
    base = f"/staff/consultations/{cid}"
    uploaded = staff.post(
        f"{base}/panel/upload",
        data={"upload-file": (io.BytesIO(_panel_csv()), "panel.csv")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 303, uploaded.get_data(as_text=True)[:1500]
    upload_id = uploaded.headers["Location"].rsplit("/", 1)[1]
    imported = staff.post(f"{base}/panel/upload/{upload_id}/import", data={"mode": "all"})
    assert imported.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Panellist)) == 30

    # --- round 1: open, invite by e-mail, everyone answers through their link
    assert staff.post(f"{base}/rounds/1/open", data={"deadline": deadline}).status_code == 303
    sent = staff.post(f"{base}/panel/invitations/send", data={"scope": "all"})
    assert sent.status_code == 303
    assert len(smtp.received) == 30
    links = {}
    for message in smtp.received:
        (link,) = set(LINK.findall(message.text))
        links[message.recipients[0]] = link

    panellists = []
    groups = list(GROUPS)
    for i in range(30):
        client = app.test_client()
        opened = client.get(links[f"p{i:02d}@example.org"].replace("http://skillsdelphi.test", ""))
        assert opened.status_code == 303 and opened.headers["Location"].endswith("/r")
        assert opened.headers["Referrer-Policy"] == "no-referrer"
        panellists.append((client, groups[i % 4]))

    r1_id, _ = _round(app, cid, 1)
    late = 29  # this panellist only saves a draft before the close
    _answer_round(app, panellists, r1_id, 1, rng, skip={late})
    draft = _form_for(app, r1_id, panellists[late][1], 1, rng)
    draft["action"] = "draft"
    assert panellists[late][0].post("/r", data=draft).status_code == 303

    assert staff.post(f"{base}/rounds/1/close").status_code == 303
    with app.app_context():
        before = (
            db.session.scalar(select(func.count()).select_from(Response)),
            db.session.scalar(select(func.count()).select_from(Answer)),
        )
    late_try = _form_for(app, r1_id, panellists[late][1], 1, rng)
    refused = panellists[late][0].post("/r?lang=en", data=late_try)
    assert refused.status_code == 409
    assert "closed" in refused.get_data(as_text=True)
    with app.app_context():
        after = (
            db.session.scalar(select(func.count()).select_from(Response)),
            db.session.scalar(select(func.count()).select_from(Answer)),
        )
        r1 = db.session.get(Consultation, cid).rounds[0]
        assert r1.results["submitted"] == 29
        engine = item_statistics(likert_answers(r1))
    assert after == before

    assert staff.post(f"{base}/rounds/1/release").status_code == 303

    # --- themes from round 1's open answers, approved in every panel language
    themes_page = staff.get(f"{base}/rounds/1/themes")
    assert themes_page.status_code == 200
    page = html.unescape(themes_page.get_data(as_text=True))
    forms = re.findall(r"<form[^>]*>.*?</form>", page, flags=re.S)
    accept_forms = [f for f in forms if 'value="accept"' in f][:2]
    assert len(accept_forms) == 2
    for n, form in enumerate(accept_forms):
        fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))
        fields.update(
            {
                "action": "accept",
                "label-en": f"Theme {n} in English",
                "label-de": f"Thema {n} auf Deutsch",
                "label-fr": f"Thème {n} en français",
            }
        )
        accepted = staff.post(f"{base}/rounds/1/themes", data=fields)
        assert accepted.status_code == 303, accepted.get_data(as_text=True)[:1000]
    with app.app_context():
        from app.curation.models import Theme

        theme_ids = [t.id for t in db.session.scalars(select(Theme).order_by(Theme.id))]
    assert len(theme_ids) == 2
    for theme_id in theme_ids:
        approved = staff.post(
            f"{base}/rounds/1/themes", data={"action": "approve", "theme": str(theme_id)}
        )
        assert approved.status_code == 303

    # --- round 2: themes are new items; feedback equals the engine on round 1
    assert staff.post(f"{base}/rounds/next").status_code == 303
    assert staff.post(f"{base}/rounds/2/open", data={"deadline": deadline}).status_code == 303
    r2_id, _ = _round(app, cid, 2)
    with app.app_context():
        from app.consultations.models import Round

        r2 = db.session.get(Round, r2_id)
        theme_items = [i for i in r2.items if i.theme_id in theme_ids]
        german = sorted(i.text["de"] for i in theme_items)  # a question naming the theme
        assert len(german) == 2
        assert "Thema 0 auf Deutsch" in german[0] and "Thema 1 auf Deutsch" in german[1]
        carried = [i.key for i in r2.items if i.carried_from_id and i.type.value == "likert"]
    assert carried, "some likert items stay unsettled after round 1"
    shown = html.unescape(panellists[1][0].get("/r?lang=en").get_data(as_text=True))
    assert "Theme 0 in English" in shown and "Theme 1 in English" in shown
    for key in carried:
        row = engine.loc[key]
        block = shown.split(f'id="item-{key}"', 1)
        assert len(block) == 2, f"no block for {key}"
        text = block[1][:6000]
        # the panel reads the figures as the secretariat does: 2 decimals
        median = f"{row['median']:.2f}"
        assert median in text
        assert f"{row['q1']:.2f} to {row['q3']:.2f}" in text
    assert "Person " not in shown and "@example.org" not in shown

    _answer_round(app, panellists, r2_id, 2, rng)
    assert staff.post(f"{base}/rounds/2/close").status_code == 303
    assert staff.post(f"{base}/rounds/2/release").status_code == 303

    # --- round 3 and the end of the consultation
    prepared = staff.post(f"{base}/rounds/next")
    assert "Round 3 is prepared" in _flash(staff, prepared)
    assert staff.post(f"{base}/rounds/3/open", data={"deadline": deadline}).status_code == 303
    r3_id, _ = _round(app, cid, 3)
    _answer_round(app, panellists, r3_id, 3, rng)
    assert staff.post(f"{base}/rounds/3/close").status_code == 303
    _, status = _round(app, cid, 3)
    assert status is RoundStatus.closed
    overview = html.unescape(staff.get(base).get_data(as_text=True))
    assert "Stopping-rule advice after round 3" in overview
    results = staff.get(f"{base}/rounds/3/results")
    assert results.status_code == 200
    assert "Person " not in results.get_data(as_text=True)
    tracking = html.unescape(staff.get(f"{base}/tracking").get_data(as_text=True))
    # round 1: 30 invited, 29 submitted (one only saved a draft)
    assert re.search(r">\s*30\s*<", tracking) and re.search(r">\s*29\s*<", tracking)


def _council_id(app) -> int:
    with app.app_context():
        return db.session.scalars(select(Council.id)).one()
