"""Published pages and API documents served again before the request pipeline
(app.portal.shared_answers): an address seen to give a shared answer is kept from its next
request on; the same page with a fresh nonce, 304 on revalidation, a publication made
anywhere shows at once, and nobody with a cookie is served a kept page."""

from __future__ import annotations

import re

from app.briefs import services
from app.briefs.models import ChangeClass
from app.briefs.rendering import render_version
from app.extensions import db
from tests.app.test_brief_workflow import TEXT, _approved, _people, _user


def _nonce(response) -> str:
    found = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert found
    return found.group(1)


def _published(make_app, **config):
    app = make_app(**config)
    calls: list[str] = []
    app.before_request(lambda: calls.append(__import__("flask").request.path))
    people = _people(app)
    with app.app_context():
        first = _approved(people)
        services.publish(first, by=_user(people.publisher))
        db.session.commit()
        render_version(first.id, languages=("en",))
        brief_id = first.brief_id
    return app, people, brief_id, calls


def _publish_correction(app, people, brief_id: int) -> None:
    with app.app_context():
        second = services.new_version(
            services.published_version(brief_id, 1).brief,
            by=_user(people.secretariat),
            change_class=ChangeClass.correction,
            change_note="Wrong figure.",
        )
        services.save_narrative(second, TEXT, {}, second.edit_version, by=_user(people.secretariat))
        services.submit_for_review(second, by=_user(people.secretariat))
        services.approve(second, by=_user(people.official))
        services.publish(second, by=_user(people.publisher))
        db.session.commit()


def test_a_published_page_is_served_again_with_its_own_nonce_and_304(make_app):
    app, _people_, brief_id, calls = _published(make_app)
    client = app.test_client()
    page = f"/briefs/{brief_id}/v/1"
    client.get(page, headers={"Accept-Language": "de"})  # the address gives shared answers
    made = client.get(page, headers={"Accept-Language": "en"})  # kept from now on
    kept = client.get(page, headers={"Accept-Language": "en"})
    assert calls.count(page) == 2  # the third answer did not go through the application
    for response in (made, kept):
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.headers["Cache-Control"].startswith("public")
        assert f'nonce="{_nonce(response)}"' in response.get_data(as_text=True)
        assert int(response.headers["Content-Length"]) == len(response.data)
    assert _nonce(made) != _nonce(kept)
    assert made.headers["X-Request-Id"] != kept.headers["X-Request-Id"]
    assert made.headers["ETag"] == kept.headers["ETag"]
    same = kept.get_data(as_text=True).replace(_nonce(kept), "N")
    assert same == made.get_data(as_text=True).replace(_nonce(made), "N")

    revalidated = client.get(
        page, headers={"Accept-Language": "en", "If-None-Match": made.headers["ETag"]}
    )
    assert revalidated.status_code == 304 and revalidated.data == b""
    assert revalidated.headers["ETag"] == made.headers["ETag"]
    assert "Content-Type" not in revalidated.headers
    # the browser keeps the page it has, with its policy: a new nonce would block its styles
    assert "Content-Security-Policy" not in revalidated.headers
    assert calls.count(page) == 2

    # another language is another answer, made by the application once
    german = client.get(page, headers={"Accept-Language": "de"})
    german_again = client.get(page, headers={"Accept-Language": "de"})
    assert german.status_code == german_again.status_code == 200 and calls.count(page) == 3
    assert german.headers["ETag"] != made.headers["ETag"]


def test_a_publication_shows_at_once_on_a_kept_page(make_app):
    app, people, brief_id, calls = _published(make_app)
    client = app.test_client()
    page = f"/briefs/{brief_id}/v/1"
    client.get(page)
    before = client.get(page)
    assert "Correction notice" not in before.get_data(as_text=True)
    client.get(page)
    assert calls.count(page) == 2
    # published by someone else (another process or instance of the site)
    _publish_correction(app, people, brief_id)
    after = client.get(page, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert "Correction notice" in after.get_data(as_text=True)
    assert "Wrong figure." in after.get_data(as_text=True)
    assert calls.count(page) == 3


def test_readers_with_a_cookie_and_other_methods_go_to_the_application(make_app):
    app, _people_, brief_id, calls = _published(make_app)
    page = f"/briefs/{brief_id}/v/1"
    anonymous = app.test_client()
    for _ in range(3):
        anonymous.get(page)
    assert calls.count(page) == 2
    reader = app.test_client()
    plain = reader.get(page + "?view=plain")  # remembered in the session cookie
    assert plain.status_code == 200 and "Set-Cookie" in plain.headers
    remembered = reader.get(page)
    assert calls.count(page) == 4
    assert remembered.get_data(as_text=True) != anonymous.get(page).get_data(as_text=True)
    head = anonymous.head(page)
    assert head.status_code == 200 and calls.count(page) == 5


def test_the_api_document_is_kept_per_language_and_revalidated(make_app):
    app, _people_, brief_id, calls = _published(make_app)
    client = app.test_client()
    url = f"/api/v1/briefs/{brief_id}"
    client.get(url)
    first = client.get(url)
    again = client.get(url)
    assert first.status_code == again.status_code == 200
    assert first.data == again.data and first.json["title"] == "Brief"
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    assert again.headers["Content-Type"] == "application/json"
    assert calls.count(url) == 2
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    missing = client.get(url + "?lang=de")  # not stored in German: a problem, never kept
    assert missing.status_code == 404
    client.get(url + "?lang=de")
    assert calls.count(url) == 4


def test_without_the_database_the_application_answers(make_app):
    app, _people_, brief_id, calls = _published(make_app)
    layer = app.extensions["skillsdelphi-shared-answers"]
    client = app.test_client()
    page = f"/briefs/{brief_id}/v/1"
    client.get(page)
    client.get(page)

    def away():
        raise ConnectionError("database away")

    layer.stamp = away
    assert client.get(page).status_code == 200
    assert calls.count(page) == 3


def test_the_layer_can_be_turned_off(make_app):
    app = make_app(SHARED_ANSWERS=False)
    assert "skillsdelphi-shared-answers" not in app.extensions


def test_each_process_believes_what_was_published_for_the_recheck_time_only(make_app):
    app, people, brief_id, _calls = _published(make_app, SHARED_ANSWERS_RECHECK=30)
    layer = app.extensions["skillsdelphi-shared-answers"]
    client = app.test_client()
    page = f"/briefs/{brief_id}/v/1"
    client.get(page)
    client.get(page)
    _publish_correction(app, people, brief_id)
    # within the recheck time this process still serves what it kept
    assert "Correction notice" not in client.get(page).get_data(as_text=True)
    # once it has passed, the database is asked again and the correction shows
    asked_at, stamp = layer._known
    layer._known = (asked_at - 31, stamp)
    assert "Correction notice" in client.get(page).get_data(as_text=True)


def test_pages_that_are_never_shared_cost_no_question(make_app):
    from sqlalchemy import event

    app = make_app()
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for _ in range(3):
        assert client.get("/accessibility").status_code == 200
    assert not any("max(published_at)" in s for s in statements)
