"""A brief's public version history and the changes between versions, and showing a brief in
other sites (a frame, an HTML fragment, the page that explains both)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from app.briefs.models import Brief, BriefStatus
from app.extensions import db
from app.formatting import date_text
from tests.app.test_portal import SECRET, _add_brief, _demo, _unpublished, _visible


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


def _versions(app, brief_id):
    with app.app_context():
        brief = db.session.get(Brief, brief_id)
        return [
            (v.number, v.status, v.change_class, v.change_note, v.published_at)
            for v in brief.versions
        ]


def _dates(app, brief_id, lang) -> list[str]:
    """The publication days of the brief's public versions, oldest first, as ``lang``
    writes them."""
    with app.app_context():
        return [
            date_text(published, locale=lang)
            for _n, status, _c, _note, published in _versions(app, brief_id)
            if status in (BriefStatus.published, BriefStatus.superseded)
        ]


# ----------------------------------------------------------------------------- history


def test_the_history_lists_the_published_versions_newest_first_with_links(make_demo_app):
    app = make_demo_app()
    brief_id, current = _demo(app)
    assert current == 2
    _unpublished(app)  # a draft third version of the demo brief
    client = app.test_client()
    response = client.get(f"/briefs/{brief_id}/versions")
    assert response.status_code == 200
    html = _text(response)
    text = _visible(response)
    # newest first, the draft nowhere
    rows = re.findall(r"<tr[^>]*>\s*<th scope=\"row\"><a href=\"([^\"]+)\">Version (\d)", html)
    assert rows == [
        (f"/briefs/{brief_id}/v/2", "2"),
        (f"/briefs/{brief_id}/v/1", "1"),
    ]
    assert "/v/3" not in html and "Version 3" not in text and SECRET not in text
    assert "Version 2 (current)" in text and "Version 1 (superseded)" in text
    assert "Correction" in text and "First published version" in text
    note = next(n for number, _s, _c, n, _p in _versions(app, brief_id) if number == 2)
    assert note and note in text
    assert f'href="/briefs/{brief_id}/diff?from=1&amp;to=2"' in response.get_data(as_text=True)
    assert "Changes from version 1 to 2" in text
    assert client.get("/briefs/999999/versions").status_code == 404


def test_a_brief_never_published_has_no_public_history_or_diff(make_demo_app):
    app = make_demo_app()
    client = app.test_client()
    for brief_id in _unpublished(app):
        assert client.get(f"/briefs/{brief_id}/versions").status_code == 404
        assert client.get(f"/briefs/{brief_id}/diff?from=1&to=1").status_code == 404
        assert client.get(f"/embed/briefs/{brief_id}").status_code == 404
        assert client.get(f"/embed/briefs/{brief_id}.html").status_code == 404
        assert client.get(f"/embed?brief={brief_id}").status_code == 400


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("de", ("Verlauf der Fassungen", "(ersetzt)")),
        ("fr", ("Historique des versions", "(remplacée)")),
    ],
)
def test_the_history_in_german_and_french(make_demo_app, lang, words):
    app = make_demo_app()
    brief_id, _n = _demo(app)
    response = app.test_client().get(f"/briefs/{brief_id}/versions?lang={lang}")
    assert response.status_code == 200
    assert f'<html lang="{lang}"' in response.get_data(as_text=True)
    text = _visible(response)
    for word in [*words, *_dates(app, brief_id, lang)]:
        assert word in text, word


def test_history_dates_are_written_in_the_readers_language(make_demo_app):
    app = make_demo_app()
    brief_id, _n = _demo(app)
    published = [p for number, _s, _c, _n, p in _versions(app, brief_id) if number == 1][0]
    client = app.test_client()
    with app.test_request_context():
        english = date_text(published, locale="en")
        german = date_text(published, locale="de")
    assert english in _visible(client.get(f"/briefs/{brief_id}/versions?lang=en"))
    assert german in _visible(client.get(f"/briefs/{brief_id}/versions?lang=de"))


# ----------------------------------------------------------------------------- diff


def test_the_diff_between_the_demos_versions_shows_what_changed(make_demo_app):
    app = make_demo_app()
    brief_id, _n = _demo(app)
    client = app.test_client()
    response = client.get(f"/briefs/{brief_id}/diff?from=1&to=2&lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = _visible(response)
    assert "Changes from version 1 to 2" in text
    assert "Nothing changed" not in text
    # the demo's correction: the implication for ministries, word by word, and the citation
    assert "<ins>" in html and "at the scale the renovation targets need" in text
    assert "sector brief, version 1." in text and "sector brief, version 2." in text
    note = next(n for number, _s, _c, n, _p in _versions(app, brief_id) if number == 2)
    assert note in text and "(Correction)" in text
    assert f'href="/briefs/{brief_id}/v/1"' in html and f'href="/briefs/{brief_id}/v/2"' in html
    # without numbers: the current version and the one before it
    assert _visible(client.get(f"/briefs/{brief_id}/diff")) == text
    # backwards is a diff too: what was added is now what is removed
    back = client.get(f"/briefs/{brief_id}/diff?from=2&to=1")
    assert back.status_code == 200 and "<del>" in back.get_data(as_text=True)
    assert "Changes from version 2 to 1" in _visible(back)


@pytest.mark.parametrize(
    ("query", "param", "message"),
    [
        ("from=x&to=2", "from", "“x” is not a version number."),
        ("from=1&to=3", "to", "Version 3 of this brief is not published."),
        ("from=9&to=2", "from", "Version 9 of this brief is not published."),
        ("from=2&to=2", "to", "Choose two different versions."),
        ("to=1", "from", "Version 1 is the first published version"),
        ("from=1&to=" + "9" * 30, "to", "is not a version number."),
    ],
)
def test_diff_errors_name_the_parameter(make_demo_app, query, param, message):
    app = make_demo_app()
    brief_id, _n = _demo(app)
    _unpublished(app)  # version 3 exists, as a draft
    response = app.test_client().get(f"/briefs/{brief_id}/diff?{query}")
    assert response.status_code == 400
    text = _visible(response)
    assert f"({param}):" in text and message in text
    assert SECRET not in text


def test_the_diff_is_cached_and_answers_304(make_demo_app):
    app = make_demo_app()
    brief_id, _n = _demo(app)
    client = app.test_client()
    for url in (f"/briefs/{brief_id}/diff?from=1&to=2", f"/briefs/{brief_id}/versions"):
        first = client.get(url)
        assert first.status_code == 200 and first.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, url


# ----------------------------------------------------------------------------- embed


def test_the_embed_page_shows_facts_ratings_and_attribution_without_script(make_demo_app):
    app = make_demo_app()
    brief_id, number = _demo(app)
    _unpublished(app)  # a draft third version: never embedded
    client = app.test_client()
    response = client.get(f"/embed/briefs/{brief_id}?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = _visible(response)
    assert html.startswith("<!doctype html>") and '<html lang="en">' in html
    assert "<title>[Demo] Construction skills 2030" in unescape(html)
    assert SECRET not in text and "version 3" not in text
    assert "<h1" in html and "<h2" in html
    assert 'name="viewport"' in html
    assert "<script" not in html.lower() and " style=" not in html and "onclick" not in html
    assert re.search(r'<style nonce="[^"]+">', html)
    assert "Current conditions undetermined" in text and "Future outlook moderate" in text
    assert "Employment in the base year 13,100" in text
    with app.app_context():
        brief = db.session.get(Brief, brief_id)
        council = brief.council.name
    assert (
        f"Source: {council}, [Demo] Construction skills 2030: sector brief, version {number},"
        in text
    )
    link = re.search(r'<a href="([^"]+)" target="_top"[^>]*>Read the full brief', html)
    assert link and link.group(1).endswith(f"/briefs/{brief_id}/v/{number}?lang=en")


def test_only_embed_addresses_may_be_framed_by_other_sites(make_demo_app):
    app = make_demo_app()
    brief_id, _n = _demo(app)
    client = app.test_client()
    for url in (f"/embed/briefs/{brief_id}", f"/embed/briefs/{brief_id}.html"):
        response = client.get(url)
        assert "X-Frame-Options" not in response.headers, url
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors *" in csp and "'unsafe-inline'" not in csp, url
    for url in (
        "/",
        "/embed",
        f"/briefs/{brief_id}/versions",
        f"/briefs/{brief_id}/diff",
        f"/briefs/{brief_id}/v/2",
        "/search",
    ):
        response = client.get(url)
        assert response.headers["X-Frame-Options"] == "DENY", url
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], url


def test_the_fragment_is_markup_for_other_sites_with_cors(make_demo_app):
    app = make_demo_app()
    brief_id, number = _demo(app)
    client = app.test_client()
    response = client.get(f"/embed/briefs/{brief_id}.html?lang=en")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="sd-embed"')
    for tag in ("<html", "<head", "<body", "<script", "<style", " style="):
        assert tag not in html.lower(), tag
    assert "<h2" in html and "<h1" not in html
    text = _visible(response)
    assert "Future outlook moderate" in text and "Employment in the base year 13,100" in text
    link = re.search(r'<a href="(https?://[^"]+)"[^>]*>Read the full brief', html)
    assert link and link.group(1).endswith(f"/briefs/{brief_id}/v/{number}?lang=en")
    assert 'target="_top"' not in html
    first_etag = response.headers["ETag"]
    again = client.get(
        f"/embed/briefs/{brief_id}.html?lang=en", headers={"If-None-Match": first_etag}
    )
    assert again.status_code == 304
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    page = client.get(f"/embed/briefs/{brief_id}")
    assert (
        client.get(
            f"/embed/briefs/{brief_id}", headers={"If-None-Match": page.headers["ETag"]}
        ).status_code
        == 304
    )


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "de",
            (
                "Baugewerbe/Bau",
                "Aktuelle Lage nicht bestimmbar",
                "Künftige Aussichten mittel",
                "Beschäftigung im Basisjahr 13.100",
            ),
        ),
        (
            "fr",
            (
                "Situation actuelle indéterminé",
                "Perspectives d’avenir moyen",
                "Emploi pendant l’année de base 13 100",
            ),
        ),
    ],
)
def test_the_embed_in_german_and_french(make_demo_app, lang, words):
    app = make_demo_app()
    brief_id, _n = _demo(app)
    client = app.test_client()
    page = client.get(f"/embed/briefs/{brief_id}?lang={lang}")
    fragment = client.get(f"/embed/briefs/{brief_id}.html?lang={lang}")
    assert f'<html lang="{lang}">' in page.get_data(as_text=True)
    assert f'<section class="sd-embed" lang="{lang}"' in fragment.get_data(as_text=True)
    assert fragment.headers["Content-Language"] == lang
    for response in (page, fragment):
        text = _visible(response).replace("\u202f", " ").replace("\xa0", " ")
        for word in [*words, _dates(app, brief_id, lang)[-1]]:
            assert word in text, (lang, word)
        assert f"?lang={lang}" in response.get_data(as_text=True)


def test_a_new_version_replaces_the_embedded_one(make_demo_app):
    app = make_demo_app()
    brief_id, _n = _demo(app)
    client = app.test_client()
    before = client.get(f"/embed/briefs/{brief_id}")
    other = _add_brief(app, title="Care skills 2030", status=BriefStatus.published)
    assert "Care skills 2030" in _visible(client.get(f"/embed/briefs/{other}"))
    after = client.get(
        f"/embed/briefs/{brief_id}", headers={"If-None-Match": before.headers["ETag"]}
    )
    assert after.status_code == 200  # the catalogue changed: the old validators no longer hold


def test_the_embed_documentation_shows_the_snippets_and_a_live_example(make_demo_app):
    app = make_demo_app()
    brief_id, _n = _demo(app)
    hidden = _unpublished(app)
    client = app.test_client()
    response = client.get(f"/embed?brief={brief_id}&lang=en")
    assert response.status_code == 200
    html = _text(response)
    assert f'<iframe src="http://localhost/embed/briefs/{brief_id}?lang=en"' in html or re.search(
        rf'&lt;iframe src="https?://[^"]+/embed/briefs/{brief_id}\?lang=en"',
        response.get_data(as_text=True),
    )
    assert re.search(
        rf'<iframe class="embed-example" src="/embed/briefs/{brief_id}\?lang=en"', html
    )
    assert f"/embed/briefs/{brief_id}.html?lang=en" in html
    for name in ("sd-embed", "sd-embed-ratings", "sd-embed-facts", "sd-embed-source"):
        assert f"<code>{name}</code>" in html
    for brief in hidden:
        assert f"/embed/briefs/{brief}" not in html and f'value="{brief}"' not in html
    assert SECRET not in html
    bad = client.get("/embed?brief=abc")
    assert bad.status_code == 400
    assert "brief: “abc” is not the number of a published brief." in _visible(bad)
    for lang in ("de", "fr"):
        page = client.get(f"/embed?lang={lang}")
        assert page.status_code == 200
        assert f'<html lang="{lang}"' in page.get_data(as_text=True)


def test_no_published_brief_no_embed(make_demo_app):
    app = make_demo_app()
    with app.app_context():
        for brief in db.session.scalars(select(Brief)):
            for version in brief.versions:
                if version.status in (BriefStatus.published, BriefStatus.superseded):
                    version.status = BriefStatus.approved
        db.session.commit()
    client = app.test_client()
    page = client.get("/embed")
    assert page.status_code == 200
    assert "No brief is published yet" in _visible(page)


def test_the_sitemap_lists_the_histories_and_the_embedding_page(make_demo_app):
    app = make_demo_app()
    brief_id, _n = _demo(app)
    hidden = _unpublished(app)
    xml = app.test_client().get("/sitemap.xml").get_data(as_text=True)
    assert f"/briefs/{brief_id}/versions</loc>" in xml and "/embed</loc>" in xml
    for other in hidden:
        assert f"/briefs/{other}/versions" not in xml
