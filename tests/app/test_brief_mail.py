"""The secretariat is told by e-mail what became of a version in review: returned (the author
and the council's secretariat, with the official's comment and a link), approved and
published (the author); the staff pages say prominently that a version was returned."""

from __future__ import annotations

import re
from html import unescape

from babel.dates import format_date
from sqlalchemy import select

from app.auth.models import Role, User
from app.briefs.models import Brief, BriefStatus, BriefVersion
from app.consultations.models import RoundStatus
from app.database import utcnow
from app.extensions import db
from tests.app.factories import (
    LocalSmtp,
    free_port,
    make_consultation,
    make_council,
    make_staff,
    sign_in,
)

NARRATIVE = {
    "summary": "Digital skills first.",
    "ministries": "Fund training.",
    "education_providers": "Teach BIM.",
    "guidance_practitioners": "Trades hire.",
}


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


def _setup(app) -> dict[str, str]:
    with app.app_context():
        council = make_council("Construction")
        other = make_council("Care", sector_code="Q")
        consultation = make_consultation(council, rounds=(RoundStatus.closed,))
        author = make_staff(Role.secretariat, [council], email="author@example.org")
        author.language = "de"
        make_staff(Role.secretariat, [council], email="colleague@example.org")
        gone = make_staff(Role.secretariat, [council], email="gone@example.org")
        gone.active = False
        make_staff(Role.secretariat, [other], email="care@example.org")
        official = make_staff(Role.official, email="official@example.org")
        official.name = "Olga Official"
        make_staff(Role.publisher, email="publisher@example.org")
        db.session.commit()
        return {"consultation": str(consultation.id)}


def _client(app, email):
    client = app.test_client()
    sign_in(client, email)
    return client


def _in_review(app, consultation_id: str):
    sec = _client(app, "author@example.org")
    created = sec.post(
        "/staff/briefs/new",
        data={"consultation": consultation_id, "title": "Construction brief", "contact": "Desk"},
    )
    assert created.status_code == 303
    with app.app_context():
        brief_id = db.session.scalars(select(Brief)).one().id
    base = f"/staff/briefs/{brief_id}/v/1"
    data = {"edit_version": 1, **NARRATIVE, "contact": "Desk"}
    assert sec.post(base + "/edit", data=data).status_code == 303
    assert sec.post(base + "/submit").status_code == 303
    return sec, brief_id, base


def test_returning_a_version_mails_the_author_and_the_councils_secretariat(make_app):
    with LocalSmtp() as smtp:
        app = make_app(**smtp.config())
        ids = _setup(app)
        sec, brief_id, base = _in_review(app, ids["consultation"])
        official = _client(app, "official@example.org")
        comment = "Please add the BIM figures.\nAnd cite the 2024 survey."
        returned = official.post(base + "/return", data={"text": comment}, follow_redirects=True)
        assert returned.status_code == 200
        assert "could not be told" not in _text(returned)
        received = {r.recipients[0]: r for r in smtp.received}
    # the author and the council's active secretariat; not another council's, not the inactive
    assert set(received) == {"author@example.org", "colleague@example.org"}
    link = f"http://skillsdelphi.test/staff/briefs/{brief_id}/v/1"
    for mail in received.values():
        text = mail.text.replace("\r\n", "\n")
        assert "Construction brief" in mail.message["Subject"]
        assert "Olga Official (official@example.org)" in text
        assert "Please add the BIM figures.\nAnd cite the 2024 survey." in text
        assert link in text and f'href="{link}"' in mail.html
        assert "Please add the BIM figures.<br>And cite the 2024 survey." in mail.html
    # each in their own language: the author's is German, dated as German writes it
    german, english = received["author@example.org"], received["colleague@example.org"]
    assert german.message["Content-Language"] == "de"
    assert english.message["Content-Language"] == "en"
    today = utcnow().date()
    assert format_date(today, format="long", locale="de") in german.text
    assert format_date(today, format="long", locale="en") in english.text
    assert '<html lang="de">' in german.html

    # the staff pages say so prominently
    listing = _text(sec.get("/staff/briefs/"))
    assert "returned — see the comments" in listing
    assert f"/staff/briefs/{brief_id}/v/1#review-comments" in listing
    page = _text(sec.get(base))
    notice = re.search(
        r'<section class="notice notice-error" id="returned".*?</section>', page, re.S
    )
    assert notice, page
    assert "Returned — see the comments" in notice.group(0)
    assert "Please add the BIM figures." in notice.group(0)
    assert page.index("</h1>") < page.index('id="returned"') < page.index("Narrative")
    assert 'id="review-comments"' in page
    # sent for review again: no longer flagged as returned
    assert sec.post(base + "/submit").status_code == 303
    assert "returned — see the comments" not in _text(sec.get("/staff/briefs/"))


def test_the_return_stands_when_the_mail_server_is_down_and_the_official_is_told(make_app):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens there
    ids = _setup(app)
    _sec, _brief_id, base = _in_review(app, ids["consultation"])
    official = _client(app, "official@example.org")
    returned = official.post(base + "/return", data={"text": "Add BIM."}, follow_redirects=True)
    assert returned.status_code == 200
    page = _text(returned)
    assert "The secretariat could not be told by e-mail" in page
    assert "refused the connection" in page
    assert "The version is returned to its author as a draft." in page
    assert "the secretariat is told by e-mail" not in page
    with app.app_context():
        version = db.session.scalars(select(BriefVersion)).one()
        assert version.status is BriefStatus.draft and version.review_comment == "Add BIM."


def test_the_author_is_told_when_the_version_is_approved_and_when_it_is_published(make_app):
    with LocalSmtp() as smtp:
        app = make_app(**smtp.config())
        ids = _setup(app)
        with app.app_context():  # the author reads English this time
            db.session.scalars(
                select(User).where(User.email == "author@example.org")
            ).one().language = None
            db.session.commit()
        _sec, brief_id, base = _in_review(app, ids["consultation"])
        assert (
            _client(app, "official@example.org")
            .post(base + "/approve", data={"confirm": "y"})
            .status_code
            == 303
        )
        assert [r.recipients for r in smtp.received] == [["author@example.org"]]
        approved = smtp.received[0]
        assert "is approved" in approved.message["Subject"]
        assert "A publisher can now publish it." in approved.text
        publisher = _client(app, "publisher@example.org")
        published = publisher.post(base + "/publish", data={"edit_version": 2, "confirm": "y"})
        assert published.status_code == 303
        assert [r.recipients for r in smtp.received][1:] == [["author@example.org"]]
        mail = smtp.received[1]
        assert "is published" in mail.message["Subject"]
        assert f"http://skillsdelphi.test/briefs/{brief_id}/v/1" in mail.text


def test_approval_and_publication_stand_when_the_mail_server_is_down_and_say_so_once(make_app):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens there
    ids = _setup(app)
    _sec, _brief_id, base = _in_review(app, ids["consultation"])
    official = _client(app, "official@example.org")
    approved = official.post(base + "/approve", data={"confirm": "y"}, follow_redirects=True)
    page = _text(approved)
    assert page.count("could not be told by e-mail") == 1
    assert page.index("The version is approved") < page.index("could not be told by e-mail")
    publisher = _client(app, "publisher@example.org")
    published = publisher.post(
        base + "/publish", data={"edit_version": 2, "confirm": "y"}, follow_redirects=True
    )
    page = _text(published)
    assert page.count("could not be told by e-mail") == 1
    assert page.index("Version 1 is published") < page.index("could not be told by e-mail")
