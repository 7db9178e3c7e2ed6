"""The public portal on the demonstration data: search and browse, a brief's current version,
comparing briefs, feeds and the sitemap, the method and accessibility pages, conditional
requests; and never anything unpublished (SECURITY.md S4)."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import Engine, event, select

from app.briefs.models import Brief, BriefStatus, BriefVersion
from app.errors import InvalidInput
from app.extensions import db
from app.portal import catalogue
from tests.app.factories import sign_in

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
#: A word found only in briefs that are not published.
SECRET = "Zebrafinch"


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


def _visible(response) -> str:
    """The page's text without its tags (what a reader sees), spaces collapsed."""
    html = re.sub(
        r"<(script|style)[^>]*>.*?</\1>", " ", response.get_data(as_text=True), flags=re.S
    )
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _demo(app):
    with app.app_context():
        brief = db.session.scalars(select(Brief).order_by(Brief.id)).first()
        return brief.id, brief.current.number


def _add_brief(app, *, title, status, sector="Q", label="Human health", published_days_ago=1):
    """Another brief with the demo's content, its title and sector changed, one version in
    ``status`` (published ones with a publication date)."""
    with app.app_context():
        demo = db.session.scalars(select(Brief).order_by(Brief.id)).first()
        content = copy.deepcopy(demo.current.content)
        header = content["header"]
        header["title"] = title
        header["sector_label"] = label
        for code in header["sector_codes"]:
            code["code"], code["label"] = sector, label
            code["maps_to"] = [sector] if code["maps_to"] else []
        if SECRET in title:
            for skill in content["emerging_skills"]["skills"]:
                skill["label"]["en"] = f"{SECRET} {skill['label']['en']}"
        brief = Brief(council_id=demo.council_id, consultation_id=demo.consultation_id, title=title)
        published = status in (BriefStatus.published, BriefStatus.superseded)
        when = datetime.now(UTC) - timedelta(days=published_days_ago)
        brief.versions.append(
            BriefVersion(
                number=1,
                status=status,
                content=content,
                narrative={"summary": f"{title} summary."},
                published_at=when if published else None,
            )
        )
        db.session.add(brief)
        db.session.commit()
        return brief.id


def _unpublished(app) -> list[int]:
    """A brief in each state before publication, and a draft third version of the demo
    brief, every one holding the secret word."""
    ids = [
        _add_brief(app, title=f"{SECRET} {status.value}", status=status, sector="Z9")
        for status in (BriefStatus.draft, BriefStatus.in_review, BriefStatus.approved)
    ]
    with app.app_context():
        demo = db.session.scalars(select(Brief).order_by(Brief.id)).first()
        draft = BriefVersion(
            number=3,
            status=BriefStatus.draft,
            content=copy.deepcopy(demo.current.content),
            narrative={"summary": f"{SECRET} draft summary."},
        )
        demo.versions.append(draft)
        db.session.commit()
    return ids


# ----------------------------------------------------------------------------- search


def test_search_finds_the_demo_brief_by_skill_sector_and_keyword_and_says_why(make_demo_app):
    app = make_demo_app()
    brief_id, number = _demo(app)
    client = app.test_client()
    link = f'href="/briefs/{brief_id}/v/{number}"'

    by_skill = client.get("/search?skill=building+models")
    assert by_skill.status_code == 200 and link in _text(by_skill)
    assert "Emerging skill: Reading and maintaining digital building models (BIM)" in _visible(
        by_skill
    )

    by_esco = client.get("/search?skill=http://data.europa.eu/esco/skill/S5")
    assert link in _text(by_esco) and "Why this brief matched" in _visible(by_esco)

    by_sector = _visible(client.get("/search?sector=F"))
    assert "1 brief found" in by_sector and "Sector: F Construction" in by_sector

    by_word = _visible(client.get("/search?q=CONSTRUCTION"))
    assert "Title: [Demo] Construction skills 2030" in by_word

    # accents and case do not matter, and a German label is found and marked as German
    german = client.get("/search?q=warmepumpen")
    assert link in _text(german)
    assert re.search(r'<span lang="de">[^<]*Wärmepumpen', _text(german))

    by_occupation = _visible(client.get("/search?occupation=7126"))
    assert "Occupation: 7126 Plumbers and pipe fitters" in by_occupation
    assert "1 brief found" in _visible(client.get("/search?occupation=71"))


def test_a_search_without_results_says_what_to_try(make_demo_app):
    app = make_demo_app()
    page = app.test_client().get("/search?q=astronaut&geography=EU")
    client_text = _visible(page)
    assert page.status_code == 200
    assert "No published brief matches this search." in client_text
    assert "fewer words" in client_text
    assert 'href="/search?q=astronaut"' in _text(page)  # the same search without the filter
    assert 'href="/sectors"' in _text(page)


def test_filters_narrow_the_results_and_bad_values_are_named(make_demo_app):
    app = make_demo_app()
    client = app.test_client()
    year = datetime.now(UTC).year
    assert "1 brief found" in _visible(client.get(f"/search?geography=eu&year={year}"))
    assert "0 briefs found" in _visible(client.get(f"/search?year={year - 5}"))
    assert "1 brief found" in _visible(client.get("/search?language=de"))
    assert "0 briefs found" in _visible(client.get("/search?language=pl"))
    bad = client.get("/search?year=soon")
    assert bad.status_code == 422
    assert "Year of publication: must be a whole number" in _visible(bad)
    zero = client.get("/search?page=0")
    assert zero.status_code == 422 and "Page of results: must be at least 1" in _visible(zero)


def test_results_are_paginated(make_demo_app):
    app = make_demo_app()
    for i in range(21):
        _add_brief(app, title=f"Care brief {i}", status=BriefStatus.published, sector="Q")
    client = app.test_client()
    first = _text(client.get("/search?sector=Q"))
    assert "21 briefs found" in first and "Page 1 of 2" in first
    assert 'href="/search?sector=Q&amp;page=2"' in client.get("/search?sector=Q").get_data(
        as_text=True
    )
    second = _text(client.get("/search?sector=Q&page=2"))
    assert "Page 2 of 2" in second and "Previous page" in second
    assert second.count('class="brief-card"') == 1


def test_the_catalogue_reads_the_database_once_per_search_when_warm(make_demo_app):
    app = make_demo_app()
    client = app.test_client()
    client.get("/search?q=bim")  # the first search indexes the published versions
    statements = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        assert client.get("/search?q=heat+pumps").status_code == 200
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements


def test_the_home_page_reads_the_database_once_when_warm(make_demo_app):
    app = make_demo_app()
    client = app.test_client()
    client.get("/")
    statements = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        assert client.get("/").status_code == 200
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements


def test_a_newly_published_version_replaces_the_old_one_in_the_catalogue(make_demo_app):
    app = make_demo_app()
    with app.test_request_context():
        before = catalogue.search(q="construction")
        assert [e.version for e in before.entries] == [2]
    with app.app_context():
        brief = db.session.scalars(select(Brief).order_by(Brief.id)).first()
        brief.current.status = BriefStatus.superseded
        content = copy.deepcopy(brief.versions[-1].content)
        brief.versions.append(
            BriefVersion(
                number=3,
                status=BriefStatus.published,
                content=content,
                narrative={"summary": "Third version, about scaffolding."},
                published_at=datetime.now(UTC),
            )
        )
        db.session.commit()
    with app.test_request_context():
        after = catalogue.search(q="scaffolding")
        assert [(e.version, [m.field for m in e.matched]) for e in after.entries] == [
            (3, ["summary"])
        ]
        assert catalogue.search(q="construction").total == 1


def test_catalogue_entries_carry_what_the_api_lists(make_demo_app):
    app = make_demo_app()
    brief_id, number = _demo(app)
    with app.test_request_context():
        page = catalogue.search(skill="S5", per_page=5)
        document = page.entries[0].to_json()
    assert document["id"] == brief_id and document["version"] == number
    assert document["sector"] == {
        "classification": "NACE Rev. 2",
        "code": "F",
        "label": "Construction",
    }
    assert document["geography"] == "EU" and document["languages"] == ["en", "de", "fr"]
    assert document["published_at"].startswith(str(datetime.now(UTC).year))
    assert document["matched"][0]["field"] == "skill"
    assert (page.page, page.per_page, page.total, page.pages) == (1, 5, 1, 1)
    with app.test_request_context(), pytest.raises(InvalidInput) as refused:
        catalogue.search(per_page=500)
    assert refused.value.problems[0].field == "per_page"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Wärme-Pumpe", "warme-pumpe"), ("  CAFÉ\u00a0crème ", "cafe creme"), ("Straße", "strasse")],
)
def test_matching_ignores_case_accents_and_spacing(text, expected):
    assert catalogue.normalized(text) == expected


# ----------------------------------------------------------------------------- drafts


def test_unpublished_briefs_appear_nowhere(make_demo_app):
    app = make_demo_app()
    hidden = _unpublished(app)
    client = app.test_client()
    pages = [
        "/",
        "/search",
        f"/search?q={SECRET}",
        "/search?sector=Z9",
        "/sectors",
        "/sectors/F",
        "/compare",
        "/feed.atom",
        "/sectors/F/feed.atom",
        "/sitemap.xml",
        "/method",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        if SECRET not in url:  # a search repeats its own words, nothing more
            assert SECRET not in _text(response), url
        for brief_id in hidden:
            assert f"/briefs/{brief_id}/" not in _text(response), url
        assert "/v/3" not in _text(response), url
    assert "0 briefs found" in _visible(client.get(f"/search?q={SECRET}"))
    for brief_id in hidden:
        assert client.get(f"/briefs/{brief_id}").status_code == 404
        assert client.get(f"/compare?b=1&b={brief_id}").status_code == 404
    assert client.get("/sectors/Z9").status_code == 404
    assert client.get("/sectors/Z9/feed.atom").status_code == 404


# ----------------------------------------------------------------------------- a brief


def test_a_briefs_address_leads_to_its_current_version_in_the_language_asked(make_demo_app):
    app = make_demo_app()
    brief_id, number = _demo(app)
    client = app.test_client()
    landing = client.get(f"/briefs/{brief_id}?lang=de&utm=x")
    assert landing.status_code == 303
    assert landing.headers["Location"] == f"/briefs/{brief_id}/v/{number}?lang=de"
    assert client.get(f"/briefs/{brief_id}").headers["Location"].endswith(f"/v/{number}")
    assert client.get("/briefs/999999").status_code == 404


# ----------------------------------------------------------------------------- compare


def test_compare_shows_briefs_side_by_side(make_demo_app):
    app = make_demo_app()
    brief_id, _number = _demo(app)
    other = _add_brief(app, title="Care skills 2030", status=BriefStatus.published)
    client = app.test_client()
    chooser = _text(client.get("/compare"))
    assert f'name="b" value="{other}"' in chooser and f'name="b" value="{brief_id}"' in chooser
    page = client.get(f"/compare?b={brief_id}&b={other}")
    assert page.status_code == 200
    text = _visible(page)
    assert "[Demo] Construction skills 2030" in text and "Care skills 2030" in text
    assert "Future outlook moderate" in text and "Current conditions undetermined" in text
    assert "Employment in the base year 13,100" in text
    assert "Top skill needs" in text and "Contested points" in text
    assert "Workers' representatives: 2" in text  # each group's position, not an average


def test_compare_errors_are_clear(make_demo_app):
    app = make_demo_app()
    brief_id, _number = _demo(app)
    client = app.test_client()
    one = client.get(f"/compare?b={brief_id}")
    assert one.status_code == 422 and "Choose at least 2 briefs to compare." in _visible(one)
    five = client.get("/compare?" + "&".join(f"b={i}" for i in range(1, 6)))
    assert five.status_code == 422 and "Choose at most 4 briefs to compare." in _visible(five)
    unknown = client.get(f"/compare?b={brief_id}&b=424242")
    assert unknown.status_code == 404
    assert "No published brief has the number 424242." in _visible(unknown)
    junk = client.get(f"/compare?b={brief_id}&b=abc")
    assert junk.status_code == 422 and "“abc” is not the number of a brief." in _visible(junk)


# ----------------------------------------------------------------------------- feeds, sitemap


def test_the_feeds_are_valid_atom_with_new_and_superseded_versions(make_demo_app):
    app = make_demo_app()
    brief_id, _number = _demo(app)
    client = app.test_client()
    for url in ("/feed.atom", "/sectors/F/feed.atom"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.mimetype == "application/atom+xml"
        feed = ET.fromstring(response.data)
        assert feed.tag == f"{ATOM}feed"
        for tag in ("id", "title", "updated", "author"):
            assert feed.find(f"{ATOM}{tag}") is not None, tag
        assert feed.find(f"{ATOM}link[@rel='self']").get("href").endswith(url)
        entries = feed.findall(f"{ATOM}entry")
        assert len(entries) == 2
        for entry in entries:
            for tag in ("id", "title", "updated", "link", "summary"):
                assert entry.find(f"{ATOM}{tag}") is not None, tag
            datetime.fromisoformat(entry.find(f"{ATOM}updated").text.replace("Z", "+00:00"))
        newest, oldest = entries
        assert newest.find(f"{ATOM}link").get("href").endswith(f"/briefs/{brief_id}/v/2")
        assert "supersedes version 1" in newest.find(f"{ATOM}summary").text
        assert "superseded this one since" in oldest.find(f"{ATOM}summary").text


def test_the_sitemap_lists_public_pages_and_every_published_version(make_demo_app):
    app = make_demo_app()
    brief_id, _number = _demo(app)
    response = app.test_client().get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{SITEMAP}urlset"
    locations = [u.find(f"{SITEMAP}loc").text for u in root.findall(f"{SITEMAP}url")]
    paths = {re.sub(r"^https?://[^/]+", "", loc) for loc in locations}
    assert {"/", "/search", "/sectors", "/sectors/F", "/method", "/accessibility"} <= paths
    assert {f"/briefs/{brief_id}/v/1", f"/briefs/{brief_id}/v/2"} <= paths


# ----------------------------------------------------------------------------- caching


@pytest.mark.parametrize("url", ["/", "/search?q=bim", "/sectors/F", "/feed.atom", "/method"])
def test_public_pages_answer_304_on_revalidation(make_demo_app, url):
    app = make_demo_app()
    client = app.test_client()
    first = client.get(url)
    assert first.status_code == 200
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert (
        "public" in first.headers["Cache-Control"] and "max-age=" in first.headers["Cache-Control"]
    )
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    # the kept page keeps its policy: a new nonce would block its own styles and scripts
    assert "Content-Security-Policy" not in again.headers
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(url, headers={"If-None-Match": "W/" + etag}).status_code == 304
    assert client.get(url, headers={"If-None-Match": "*"}).status_code == 200


def test_revalidating_a_page_that_does_not_exist_is_still_404(make_demo_app):
    client = make_demo_app().test_client()
    assert client.get("/sectors/Q", headers={"If-None-Match": "*"}).status_code == 404
    assert client.get("/sectors/Q", headers={"If-None-Match": '"x"'}).status_code == 404


def test_a_new_publication_changes_the_validators(make_demo_app):
    app = make_demo_app()
    client = app.test_client()
    etag = client.get("/search").headers["ETag"]
    _add_brief(app, title="Care skills 2030", status=BriefStatus.published, published_days_ago=0)
    fresh = client.get("/search", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and "Care skills 2030" in _text(fresh)
    # and another language is another page
    assert client.get("/search?lang=de").headers["ETag"] != fresh.headers["ETag"]


def test_a_page_that_sets_the_language_cookie_is_not_for_shared_caches(make_demo_app):
    app = make_demo_app()
    client = app.test_client()
    chosen = client.get("/search?lang=de")
    assert "Set-Cookie" in chosen.headers
    assert "private" in chosen.headers["Cache-Control"]
    assert "public" not in chosen.headers["Cache-Control"]
    # without a cookie, the browser's preference chooses the language: nothing is set
    fresh = app.test_client().get("/search", headers={"Accept-Language": "de"})
    assert '<html lang="de">' in fresh.get_data(as_text=True)
    assert "Set-Cookie" not in fresh.headers
    assert "public" in fresh.headers["Cache-Control"]
    assert "Accept-Language" in fresh.headers["Vary"]


def test_pages_for_signed_in_staff_are_not_cached(make_demo_app):
    app = make_demo_app()
    client = app.test_client()
    sign_in(client, "publisher@demo.skillsdelphi.eu", "demo-publisher-2026")
    response = client.get("/search")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store" and "ETag" not in response.headers


# ----------------------------------------------------------------------------- pages, languages


def test_the_home_page_is_the_public_face_with_search_and_sign_in(make_demo_app):
    app = make_demo_app()
    brief_id, number = _demo(app)
    page = app.test_client().get("/")
    html = _text(page)
    assert 'action="/search"' in html and 'name="q"' in html
    assert f'href="/briefs/{brief_id}/v/{number}"' in html
    assert "How to read a brief" in html
    assert 'href="/login"' in html and "Are you a panellist?" in html
    assert 'href="/accessibility"' in html and 'href="/method"' in html


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_portal_pages_in_german_and_french(make_demo_app, lang):
    app = make_demo_app()
    client = app.test_client()
    english = {url: _visible(client.get(url + "?lang=en")) for url in ("/", "/search", "/method")}
    for url in ("/", "/search", "/sectors", "/compare", "/method", "/accessibility"):
        response = client.get(f"{url}?lang={lang}")
        assert response.status_code == 200, url
        assert f'<html lang="{lang}">' in response.get_data(as_text=True)
        if url in english:
            assert _visible(response) != english[url]
    # the language switch keeps the search, and the page names its other languages
    search = client.get(f"/search?q=bim&lang={lang}").get_data(as_text=True)
    assert 'href="/search?q=bim&amp;lang=en"' in search
    assert '<link rel="alternate" hreflang="en" href="/search?q=bim&amp;lang=en">' in search


def test_the_method_page_reads_the_rules_from_the_code(make_demo_app):
    from app.briefs.content import OutlookSettings
    from app.consensus.rules import DEFAULT_CONSENSUS_IN, DEFAULT_STABILITY_RULE

    app = make_demo_app()
    text = _visible(app.test_client().get("/method"))
    assert DEFAULT_CONSENSUS_IN in text and DEFAULT_STABILITY_RULE in text
    settings = OutlookSettings()
    assert f"rule {settings.outlook_version}" in text and f"rule {settings.current_version}" in text
    assert "Future outlook: outlook-1 (1 brief)" in text
    for heading in ("Coverage", "Quality and comparability", "Revisions", "Glossary"):
        assert heading in text


def test_the_accessibility_statement_is_honest(make_demo_app):
    app = make_demo_app()
    text = _visible(app.test_client().get("/accessibility"))
    assert "partially conformant" in text
    assert "PDF version of a brief is not fully tagged" in text
    assert "Tell us about a problem" in text
    assert "The interface is in English, German, French, and Spanish" in text


def test_sectors_are_named_and_found_in_the_readers_language(make_demo_app):
    app = make_demo_app()
    client = app.test_client()
    assert "1 brief found" in _visible(client.get("/search?q=baugewerbe"))
    sectors = _visible(client.get("/sectors?lang=de"))
    assert "F Baugewerbe/Bau" in sectors
    assert "Baugewerbe/Bau" in _visible(client.get("/sectors/F?lang=de"))


def test_with_nothing_published_every_page_says_so_and_the_feeds_stay_valid(make_app):
    client = make_app().test_client()
    for url in ("/", "/search", "/sectors"):
        page = client.get(url)
        assert page.status_code == 200 and "No brief has been published yet." in _visible(page)
    compare = _visible(client.get("/compare"))
    assert "Comparing needs at least two published briefs" in compare
    feed = ET.fromstring(client.get("/feed.atom").data)
    assert feed.find(f"{ATOM}updated").text and feed.findall(f"{ATOM}entry") == []
    sitemap = ET.fromstring(client.get("/sitemap.xml").data)
    # the public pages (home, search, sectors, method, accessibility, embedding...) only
    assert len(sitemap.findall(f"{SITEMAP}url")) == 7
    assert client.get("/search?q=anything").status_code == 200


def test_cards_name_the_languages_the_brief_is_stored_in_in_the_readers_language(
    make_demo_app,
):
    from app.briefs.rendering import render_version
    from app.formatting import language_name

    app = make_demo_app()
    client = app.test_client()
    assert "<dt>Sprachen</dt>" in _text(client.get("/?lang=de"))  # read before rendering
    with app.app_context():
        brief = db.session.scalars(select(Brief).order_by(Brief.id)).first()
        render_version(brief.current.id)
        db.session.expire_all()
        brief = db.session.scalars(select(Brief).order_by(Brief.id)).first()
        stored = brief.current.languages
        header = brief.current.content["header"]["languages"]
        with app.test_request_context():
            names = [language_name(code, locale="de") for code in stored]
    assert stored and tuple(header) != stored, (header, stored)
    for address in ("/?lang=de", "/search?lang=de&q=construction"):
        page = _text(client.get(address))
        card = page[page.index("<dt>Sprachen</dt>") :]
        card = card[: card.index("</dd>")]
        shown = re.findall(r'<span lang="([a-z]+)">([^<]+)</span>', card)
        assert shown == list(zip(stored, names, strict=True)), (address, card)


def test_the_briefs_address_leads_to_the_search_page(make_demo_app):
    app = make_demo_app()
    client = app.test_client()
    for address in ("/briefs", "/briefs/"):
        response = client.get(address + "?lang=de")
        assert response.status_code == 303, address
        assert response.headers["Location"].endswith("/search?lang=de")
    assert client.get("/briefs", follow_redirects=True).status_code == 200
