"""Brief pages as each role: the secretariat drafts and edits, officials review, publishers
publish, everyone reads published versions at their permanent address; drafts are 404 in
every format outside the council (SECURITY.md S4, R3)."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import select

from app.auth.models import Role, User
from app.briefs.models import Brief, BriefStatus, BriefVersion, RenderStatus
from app.consultations.models import Consultation, RoundStatus
from app.extensions import db
from tests.app.factories import make_consultation, make_council, make_staff, sign_in

NARRATIVE = {
    "summary": "Digital skills first.",
    "ministries": "Fund training.",
    "education_providers": "Teach BIM.",
    "guidance_practitioners": "Trades hire.",
}


def _setup(app):
    with app.app_context():
        council = make_council("Construction")
        other = make_council("Care", sector_code="Q")
        consultation = make_consultation(council, rounds=(RoundStatus.closed,))
        emails = {
            "secretariat": make_staff(Role.secretariat, [council]).email,
            "other": make_staff(Role.secretariat, [other]).email,
            "official": make_staff(Role.official).email,
            "publisher": make_staff(Role.publisher).email,
            "admin": make_staff(Role.admin).email,
        }
        db.session.commit()
        return consultation.id, emails


def _client(app, email):
    client = app.test_client()
    sign_in(client, email)
    return client


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


def _draft(app, consultation_id, sec):
    created = sec.post(
        "/staff/briefs/new",
        data={"consultation": consultation_id, "title": "Construction brief", "contact": "Desk"},
    )
    assert created.status_code == 303, _text(created)
    with app.app_context():
        brief = db.session.scalars(select(Brief)).one()
        return brief.id


def _edit_data(edit_version, **changes):
    return {"edit_version": edit_version, **NARRATIVE, "contact": "Desk", **changes}


def test_a_brief_through_every_role_to_its_permanent_address(make_app):
    app = make_app()
    consultation_id, emails = _setup(app)
    sec = _client(app, emails["secretariat"])
    home = _text(sec.get("/staff"))
    assert "/staff/briefs/" in home and "Draft a brief from a closed consultation" in home
    listing = _text(sec.get("/staff/briefs/"))
    assert f"/staff/briefs/new?consultation={consultation_id}" in listing
    assert sec.get(f"/staff/briefs/new?consultation={consultation_id}").status_code == 200
    brief_id = _draft(app, consultation_id, sec)
    base = f"/staff/briefs/{brief_id}/v/1"
    page = _text(sec.get(base))
    assert "Send for review" in page and "draft" in page
    form = _text(sec.get(base + "/edit"))
    assert 'name="edit_version" type="hidden" value="1"' in form
    # notes beside figures are named as the brief names them, not by internal keys
    assert "Note on the section Employment trend" in form
    assert "base_employment" not in form
    saved = sec.post(base + "/edit", data=_edit_data(1))
    assert saved.status_code == 303
    preview = sec.get(base + "/preview")
    assert preview.status_code == 200 and "Digital skills first." in _text(preview)
    data = sec.get(base + "/preview/brief.json")
    assert data.headers["Content-Disposition"].startswith("attachment")
    assert sec.post(base + "/submit").status_code == 303
    assert sec.post(base + "/edit", data=_edit_data(2)).status_code == 303  # refused: flash
    with app.app_context():
        assert db.session.scalars(select(BriefVersion)).one().status is BriefStatus.in_review

    official = _client(app, emails["official"])
    assert "/staff/briefs/review" in _text(official.get("/staff"))
    assert "Construction brief" in _text(official.get("/staff/briefs/review"))
    assert official.post(base + "/comment", data={"text": "Add BIM."}).status_code == 303
    assert official.post(base + "/return", data={"text": "Please add BIM."}).status_code == 303
    assert "Please add BIM." in _text(sec.get(base))
    assert sec.post(base + "/edit", data=_edit_data(2, summary="With BIM.")).status_code == 303
    sec.post(base + "/submit")
    assert official.post(base + "/approve", data={"confirm": "y"}).status_code == 303
    assert official.get(base + "/publish").status_code == 403  # not a publisher

    publisher = _client(app, emails["publisher"])
    assert "/staff/briefs/approved" in _text(publisher.get("/staff"))
    assert "Construction brief" in _text(publisher.get("/staff/briefs/approved"))
    confirm = _text(publisher.get(base + "/publish"))
    assert "becomes public and can never be changed" in confirm
    edit = re.search(r'name="edit_version" type="hidden" value="(\d+)"', confirm).group(1)
    assert publisher.post(base + "/publish", data={"edit_version": edit}).status_code == 422
    published = publisher.post(base + "/publish", data={"edit_version": edit, "confirm": "y"})
    assert published.status_code == 303
    with app.app_context():  # rendered after commit (in-process under tests)
        version = db.session.scalars(select(BriefVersion)).one()
        assert version.status is BriefStatus.published
        assert version.render_status is RenderStatus.ready
    assert "ready" in _text(publisher.get(base))

    anonymous = app.test_client()
    public = anonymous.get(f"/briefs/{brief_id}/v/1")
    assert public.status_code == 200 and "With BIM." in _text(public)
    assert "nonce" in public.headers["Content-Security-Policy"]
    download = anonymous.get(f"/briefs/{brief_id}/v/1/brief.json")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/json; charset=utf-8"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="brief.json"')
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert anonymous.get(f"/briefs/{brief_id}/v/1/nothing.pdf").status_code == 404
    history = _text(official.get(f"/staff/briefs/{brief_id}"))
    assert "Version 1" in history and f"/briefs/{brief_id}/v/1" in history


def test_a_save_over_a_newer_version_answers_409_and_shows_both_texts(make_app):
    app = make_app()
    consultation_id, emails = _setup(app)
    first = _client(app, emails["secretariat"])
    brief_id = _draft(app, consultation_id, first)
    second = _client(app, emails["secretariat"])
    url = f"/staff/briefs/{brief_id}/v/1/edit"
    assert first.post(url, data=_edit_data(1, summary="Theirs: digital.")).status_code == 303
    late = second.post(url, data=_edit_data(1, summary="Mine: green."))
    assert late.status_code == 409
    page = _text(late)
    assert "Theirs: digital." in page and "Mine: green." in page
    assert 'name="edit_version" type="hidden" value="2"' in page  # saving again is a choice
    with app.app_context():
        assert db.session.scalars(select(BriefVersion)).one().narrative["summary"] == (
            "Theirs: digital."
        )


def test_drafts_are_404_in_every_format_outside_the_council(make_app):
    app = make_app()
    consultation_id, emails = _setup(app)
    sec = _client(app, emails["secretariat"])
    brief_id = _draft(app, consultation_id, sec)
    base = f"/staff/briefs/{brief_id}/v/1"
    staff_urls = [
        f"/staff/briefs/{brief_id}",
        base,
        base + "/preview",
        base + "/preview/brief.json",
        base + "/preview/brief.html",
        f"/staff/briefs/{brief_id}/diff?from=1&to=1",
    ]
    public_urls = [f"/briefs/{brief_id}/v/1", f"/briefs/{brief_id}/v/1/brief.json"]
    for url in staff_urls + public_urls:
        assert sec.get(url).status_code in (200, 404), url
    other = _client(app, emails["other"])
    for url in staff_urls + [base + "/edit"] + public_urls:
        assert other.get(url).status_code == 404, url
    admin = _client(app, emails["admin"])  # administration is not the ministry
    for url in staff_urls + public_urls:
        assert admin.get(url).status_code == 404, url
    official = _client(app, emails["official"])  # the ministry sees drafts to come
    assert official.get(base).status_code == 200
    assert official.get(base + "/preview/brief.json").status_code == 200
    assert "Construction brief" not in _text(other.get("/staff/briefs/"))
    for url in (base + "/submit", f"/staff/briefs/{brief_id}/versions"):
        assert (
            other.post(url, data={"change_class": "update", "change_note": "x"}).status_code == 404
        )
    anonymous = app.test_client()
    for url in staff_urls:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for url in public_urls:
        assert anonymous.get(url).status_code == 404, url
    for url in public_urls:  # a draft has no public address, even for its own council
        assert sec.get(url).status_code == 404, url


def test_the_author_cannot_publish_their_own_version_403(make_app):
    app = make_app()
    consultation_id, emails = _setup(app)
    sec = _client(app, emails["secretariat"])
    brief_id = _draft(app, consultation_id, sec)
    base = f"/staff/briefs/{brief_id}/v/1"
    sec.post(base + "/submit")
    _client(app, emails["official"]).post(base + "/approve", data={"confirm": "y"})
    with app.app_context():  # the author becomes a publisher
        author = db.session.scalars(select(User).where(User.email == emails["secretariat"])).one()
        author.role = Role.publisher
        db.session.commit()
    author = _client(app, emails["secretariat"])
    assert "another publisher must publish it" in _text(author.get(base + "/publish"))
    refused = author.post(base + "/publish", data={"edit_version": 1, "confirm": "y"})
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.scalars(select(BriefVersion)).one().status is BriefStatus.approved


def test_a_new_version_supersedes_and_the_old_one_shows_the_dated_correction(make_app):
    app = make_app()
    consultation_id, emails = _setup(app)
    sec = _client(app, emails["secretariat"])
    official, publisher = _client(app, emails["official"]), _client(app, emails["publisher"])
    brief_id = _draft(app, consultation_id, sec)

    def through(number, edit_version, **changes):
        base = f"/staff/briefs/{brief_id}/v/{number}"
        assert sec.post(base + "/edit", data=_edit_data(edit_version, **changes)).status_code == 303
        assert sec.post(base + "/submit").status_code == 303
        assert official.post(base + "/approve", data={"confirm": "y"}).status_code == 303
        data = {"edit_version": edit_version + 1, "confirm": "y"}
        assert publisher.post(base + "/publish", data=data).status_code == 303

    through(1, 1)
    started = sec.post(
        f"/staff/briefs/{brief_id}/versions",
        data={"change_class": "correction", "change_note": "The BIM figure was wrong."},
    )
    assert started.status_code == 303 and started.headers["Location"].endswith("/v/2")
    through(
        2, 1, summary="Digital skills first, corrected.", change_note="The BIM figure was wrong."
    )
    old = _text(app.test_client().get(f"/briefs/{brief_id}/v/1"))
    assert "Corrected on" in old and "The BIM figure was wrong." in old
    assert f"/briefs/{brief_id}/v/2" in old
    history = _text(sec.get(f"/staff/briefs/{brief_id}"))
    assert "Errata" in history and "The BIM figure was wrong." in history
    diff = _text(sec.get(f"/staff/briefs/{brief_id}/diff?from=1&to=2"))
    assert re.search(r"<ins>[^<]*corrected\.[^<]*</ins>", diff), diff
    assert sec.get(f"/staff/briefs/{brief_id}/diff?from=x").status_code == 404
    assert sec.get(f"/staff/briefs/{brief_id}/diff?from=1&to=9").status_code == 404


def test_the_demo_publishes_a_brief_and_a_correction_that_supersedes_it(make_demo_app):
    from app.demo.seed import DEMO_BRIEF

    app = make_demo_app()
    with app.app_context():
        brief = db.session.scalars(select(Brief).where(Brief.title == DEMO_BRIEF)).one()
        first, second = brief.versions
        assert first.status is BriefStatus.superseded and first.correction_notice
        assert second.status is BriefStatus.published
        people = {first.author_id, first.approved_by_id, first.publisher_id}
        assert len(people) == 3
        consultation = db.session.get(Consultation, brief.consultation_id)
        assert consultation.title.endswith("2030")
        brief_id = brief.id
    page = app.test_client().get(f"/briefs/{brief_id}/v/1")
    assert page.status_code == 200 and "Corrected on" in _text(page)


def test_notes_beside_figures_are_saved_and_shown_in_the_preview(make_app):
    app = make_app()
    consultation_id, emails = _setup(app)
    sec = _client(app, emails["secretariat"])
    brief_id = _draft(app, consultation_id, sec)
    url = f"/staff/briefs/{brief_id}/v/1/edit"
    form = _text(sec.get(url))
    found = re.search(
        r'<label class="label" for="(note_\d+)">Note on the section Employment trend', form
    )
    assert found, form
    data = _edit_data(1, **{found.group(1): "Counts include the self-employed."})
    assert sec.post(url, data=data).status_code == 303
    with app.app_context():
        assert db.session.scalars(select(BriefVersion)).one().annotations == {
            "trend": "Counts include the self-employed."
        }
    preview = _text(sec.get(f"/staff/briefs/{brief_id}/v/1/preview"))
    assert "Counts include the self-employed." in preview
    assert "Digital skills first." in preview


def test_a_published_versions_staff_page_links_to_its_permanent_public_page(make_demo_app):
    app = make_demo_app()
    with app.app_context():
        brief = db.session.scalars(db.select(Brief)).first()
        version = next(v for v in brief.versions if v.status is BriefStatus.published)
        brief_id, number = brief.id, version.number
    client = app.test_client()
    sign_in(client, "publisher@demo.skillsdelphi.eu", "demo-publisher-2026")
    page = client.get(f"/staff/briefs/{brief_id}/v/{number}").get_data(as_text=True)
    assert f'href="/briefs/{brief_id}/v/{number}">' in page


def test_paragraphs_typed_in_a_browser_stay_paragraphs_on_the_staff_page(make_app):
    app = make_app()
    consultation_id, emails = _setup(app)
    sec = _client(app, emails["secretariat"])
    brief_id = _draft(app, consultation_id, sec)
    url = f"/staff/briefs/{brief_id}/v/1/edit"
    summary = "Digital skills first.\r\n\r\nCare work grows.\rMore so in cities."
    data = _edit_data(1, summary=summary, ministries="Fund training.\r\nSoon.")
    assert sec.post(url, data=data).status_code == 303
    with app.app_context():
        version = db.session.scalars(select(BriefVersion)).one()
        assert version.narrative["summary"] == (
            "Digital skills first.\n\nCare work grows.\nMore so in cities."
        )
        assert version.narrative["ministries"] == "Fund training.\nSoon."
    page = _text(sec.get(f"/staff/briefs/{brief_id}/v/1"))
    assert "<p>Digital skills first.</p>" in page
    assert "<p>Care work grows.\nMore so in cities.</p>" in page


def test_notes_beside_figures_are_named_on_the_version_page_not_by_their_keys(make_app):
    app = make_app()
    consultation_id, emails = _setup(app)
    sec = _client(app, emails["secretariat"])
    brief_id = _draft(app, consultation_id, sec)
    url = f"/staff/briefs/{brief_id}/v/1/edit"
    form = _text(sec.get(url))
    found = re.search(
        r'<label class="label" for="(note_\d+)">Note on the section Employment trend', form
    )
    assert found, form
    data = _edit_data(1, **{found.group(1): "Counts include the self-employed."})
    assert sec.post(url, data=data).status_code == 303
    page = _text(sec.get(f"/staff/briefs/{brief_id}/v/1"))
    notes = page[page.index("Notes beside figures") :]
    assert "<dt>Note on the section Employment trend</dt>" in notes
    assert "<dt>trend</dt>" not in notes


def test_approving_asks_for_a_confirmation_first(make_app):
    app = make_app()
    consultation_id, emails = _setup(app)
    sec = _client(app, emails["secretariat"])
    brief_id = _draft(app, consultation_id, sec)
    base = f"/staff/briefs/{brief_id}/v/1"
    assert sec.post(base + "/edit", data=_edit_data(1)).status_code == 303
    assert sec.post(base + "/submit").status_code == 303
    official = _client(app, emails["official"])
    page = _text(official.get(base))
    review = page[page.index('id="review-title"') :]
    assert 'type="checkbox"' in review[review.index("/approve") :]
    assert "I have read this version and approve it for publication" in review
    unconfirmed = official.post(base + "/approve", follow_redirects=True)
    assert "Tick the box to confirm that you approve this version." in _text(unconfirmed)
    with app.app_context():
        assert db.session.scalars(select(BriefVersion)).one().status is BriefStatus.in_review
    assert official.post(base + "/approve", data={"confirm": "y"}).status_code == 303
    with app.app_context():
        assert db.session.scalars(select(BriefVersion)).one().status is BriefStatus.approved


def test_my_work_lists_the_briefs_waiting_for_each_role_and_each_consultations_real_state(
    make_app,
):
    from app.consultations.models import ConsultationStatus

    app = make_app()
    consultation_id, emails = _setup(app)
    with app.app_context():
        db.session.get(Consultation, consultation_id).status = ConsultationStatus.running
        council = db.session.get(Consultation, consultation_id).council
        later = make_consultation(council, title="Second consultation")
        later.status = ConsultationStatus.running
        make_consultation(
            council, title="Third consultation", rounds=(RoundStatus.closed, RoundStatus.draft)
        ).status = ConsultationStatus.running
        db.session.commit()
    sec = _client(app, emails["secretariat"])
    home = _text(sec.get("/staff"))
    assert "(running)" not in home
    assert "(all rounds closed)" in home
    assert "Second consultation</a> — Construction (round 1 open)" in home
    assert "Third consultation</a> — Construction (round 2 in preparation)" in home
    assert "No brief is waiting for you." in home
    brief_id = _draft(app, consultation_id, sec)
    base = f"/staff/briefs/{brief_id}/v/1"
    link = f'<a href="{base}">Construction brief — version 1</a> (Construction): '
    assert link + "draft" in _text(sec.get("/staff"))
    assert sec.post(base + "/edit", data=_edit_data(1)).status_code == 303
    assert sec.post(base + "/submit").status_code == 303
    assert link not in _text(sec.get("/staff"))
    official = _client(app, emails["official"])
    assert link + "to review" in _text(official.get("/staff"))
    assert official.post(base + "/return", data={"text": "Add BIM."}).status_code == 303
    assert link not in _text(official.get("/staff"))
    assert link + "returned by the reviewer: revise it" in _text(sec.get("/staff"))
    assert sec.post(base + "/submit").status_code == 303
    assert official.post(base + "/approve", data={"confirm": "y"}).status_code == 303
    publisher = _client(app, emails["publisher"])
    assert link + "to publish" in _text(publisher.get("/staff"))


def test_the_brief_page_links_to_the_version_published_now(make_demo_app):
    app = make_demo_app()
    with app.app_context():
        brief = db.session.scalars(db.select(Brief)).first()
        brief_id, number = brief.id, brief.current.number
    client = app.test_client()
    sign_in(client, "publisher@demo.skillsdelphi.eu", "demo-publisher-2026")
    page = _text(client.get(f"/staff/briefs/{brief_id}"))
    address = f"/briefs/{brief_id}/v/{number}"
    assert f'Version published now: <a href="{address}">{address}</a>' in page


def test_officials_and_publishers_find_forecasts_in_the_main_navigation(make_app):
    app = make_app()
    _consultation_id, emails = _setup(app)
    for role in ("official", "publisher"):
        page = _text(_client(app, emails[role]).get("/staff/briefs/"))
        nav = page[page.index('class="site-nav"') : page.index("</nav>")]
        assert '<a href="/staff/forecasts">Forecasts</a>' in nav, role
    page = _text(_client(app, emails["secretariat"]).get("/staff/briefs/"))
    assert "/staff/forecasts" not in page[page.index('class="site-nav"') : page.index("</nav>")]
