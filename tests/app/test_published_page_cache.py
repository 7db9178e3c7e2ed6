"""Published pages and API documents served from what was made once (app.portal.page_cache):
each language and version gets its own page, the response's own nonce, and whatever is
published later shows at once."""

from __future__ import annotations

import re

from app.briefs import services
from app.briefs.models import ChangeClass
from app.briefs.rendering import render_version
from app.extensions import db
from app.portal import page_cache
from tests.app.test_brief_workflow import TEXT, _approved, _people, _user


def _nonce(response) -> str:
    found = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert found
    return found.group(1)


def test_kept_pages_are_per_language_and_version_and_show_what_is_published_later(make_app):
    page_cache.clear()
    app = make_app()
    people = _people(app)
    with app.app_context():
        first = _approved(people)
        services.publish(first, by=_user(people.publisher))
        db.session.commit()
        render_version(first.id)
        brief_id = first.brief_id
    client = app.test_client()
    page = f"/briefs/{brief_id}/v/1"

    made = client.get(page, headers={"Accept-Language": "en"})
    kept = client.get(page, headers={"Accept-Language": "en"})
    for response in (made, kept):
        assert response.status_code == 200
        assert response.headers["Content-Language"] == "en"
        assert response.headers["Cache-Control"].startswith("public")
        assert "Set-Cookie" not in response.headers
        # the page's styles carry this response's nonce, not the one it was made with
        body = response.get_data(as_text=True)
        assert f'nonce="{_nonce(response)}"' in body
    assert _nonce(made) != _nonce(kept)
    assert kept.get_data(as_text=True).replace(_nonce(kept), "N") == made.get_data(
        as_text=True
    ).replace(_nonce(made), "N")
    assert "This version is superseded" not in kept.get_data(as_text=True)

    german = client.get(page, headers={"Accept-Language": "de"})
    german_again = client.get(page, headers={"Accept-Language": "de"})
    assert german.headers["Content-Language"] == german_again.headers["Content-Language"] == "de"
    assert 'lang="de"' in german_again.get_data(as_text=True)
    assert german_again.headers["ETag"] != kept.headers["ETag"]

    # a draft of the next version is not public, however the published one was served
    with app.app_context():
        second = services.new_version(
            services.published_version(brief_id, 1).brief,
            by=_user(people.secretariat),
            change_class=ChangeClass.correction,
            change_note="Wrong figure.",
        )
        services.save_narrative(second, TEXT, {}, second.edit_version, by=_user(people.secretariat))
        db.session.commit()
    assert client.get(f"/briefs/{brief_id}/v/2").status_code == 404
    assert client.get(f"/briefs/{brief_id}/v/2/brief.pdf").status_code == 404

    # once the correction is published, the kept first version shows it at once
    with app.app_context():
        second = services.get_version_for(_user(people.secretariat), brief_id, 2)
        services.submit_for_review(second, by=_user(people.secretariat))
        services.approve(second, by=_user(people.official))
        services.publish(second, by=_user(people.publisher))
        db.session.commit()
    after = client.get(
        page, headers={"Accept-Language": "en", "If-None-Match": kept.headers["ETag"]}
    )
    assert after.status_code == 200
    text = after.get_data(as_text=True)
    assert "Correction notice" in text and "Wrong figure." in text
    assert f"/briefs/{brief_id}/v/2" in text
    assert (
        client.get(page, headers={"Accept-Language": "de"}).headers["ETag"]
        != german.headers["ETag"]
    )

    # the files are still served as stored, in the asked language
    pdf = client.get(f"{page}/de/brief.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"{page}/xx/brief.pdf").status_code == 404


def test_the_api_serves_each_language_of_the_stored_document(make_app):
    app = make_app()
    people = _people(app)
    with app.app_context():
        first = _approved(people)
        services.publish(first, by=_user(people.publisher))
        db.session.commit()
        render_version(first.id)
        brief_id = first.brief_id
    client = app.test_client()
    english = client.get(f"/api/v1/briefs/{brief_id}")
    german = client.get(f"/api/v1/briefs/{brief_id}?lang=de")
    english_again = client.get(f"/api/v1/briefs/{brief_id}")
    assert english.status_code == german.status_code == 200
    assert english.data == english_again.data
    assert english.headers["ETag"] != german.headers["ETag"]
    assert english.json != german.json
    revalidated = client.get(
        f"/api/v1/briefs/{brief_id}", headers={"If-None-Match": english.headers["ETag"]}
    )
    assert revalidated.status_code == 304
