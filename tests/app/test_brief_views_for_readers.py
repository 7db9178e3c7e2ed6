"""Views of a published brief for different readers (plain, detailed, and one for each client
group): complete pages in each language, the same numbers as the detailed view, no statistics
terms outside the detailed view, a glossary; the public page's switch, the remembered choice,
versions stored without the views, and the cache."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask_babel import force_locale, gettext

from app.briefs import services
from app.briefs.content import BriefContent
from app.briefs.models import Brief, BriefVersion
from app.briefs.readers import JARGON, VIEW_FILES
from app.briefs.render import render_brief
from app.briefs.rendering import _with_charset, stored_names
from app.briefs.services import Output
from app.demo.seed import DEMO_BRIEF
from app.extensions import db

BASE = "https://briefs.example.org/briefs/1/v2/"
READER_VIEWS = ("plain", "young", "adults", "newcomers")

_RENDERED: dict = {}


@pytest.fixture
def demo_app(make_demo_app):
    return make_demo_app()


@pytest.fixture
def rendered(demo_app):
    """The demo brief's current version rendered in ``lang`` (once per module)."""
    app = demo_app

    def get(lang: str):
        if lang not in _RENDERED:
            with app.app_context():
                version = db.session.scalar(
                    db.select(BriefVersion)
                    .join(Brief)
                    .where(Brief.title == DEMO_BRIEF, BriefVersion.number == 2)
                )
                content = BriefContent.from_json(version.content)
                _RENDERED[lang] = (content, render_brief(content, lang=lang, base_url=BASE))
        return _RENDERED[lang]

    return get


def _text(html: str) -> str:
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _page(result, view: str) -> str:
    return result[VIEW_FILES[view]].data.decode("utf-8")


#: A figure as a reader sees it: digits with their separators, sign and per cent.
NUMBER = re.compile(r"[+\-−]?\d(?:[\d.,\u00a0\u202f’']*\d)?(?:\s?%)?")


def _numbers(text: str) -> set[str]:
    return {n.replace("\u00a0", " ").replace("\u202f", " ") for n in NUMBER.findall(text)}


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("view", READER_VIEWS)
def test_each_view_is_a_complete_page_in_its_language(rendered, lang, view):
    _content, result = rendered(lang)
    html = _page(result, view)
    assert html.startswith("<!doctype html>")
    assert f'<html lang="{lang}">' in html
    # the structure the public page puts its bar and notice into
    assert html.count("<header>") == 1 and "</header>" in html
    assert re.search(r'<main id="main"[^>]*>\s*<article[^>]*>\s*<h1 id="brief-title"', html)
    assert "<footer>" in html
    headings = re.findall(r"<h2 id=\"([a-z-]+)-title\"", html)
    assert headings[-2:] == ["glossary", "more"]
    assert "outlook" in headings and "openings" in headings
    glossary = html[html.index('<section id="glossary"') :]
    assert glossary.count("<dt>") >= 5
    assert f'href="?view=detailed&amp;lang={lang}"' in html
    assert f'href="{BASE}brief.pdf"' in html and f'href="{BASE}brief.xlsx"' in html
    if lang == "de":
        # words of the page that the catalogues already hold read in German
        assert "Zitiervorschlag" in html


@pytest.mark.parametrize("lang", ["en", "de"])
def test_every_number_of_a_view_is_a_number_of_the_detailed_view(rendered, lang):
    content, result = rendered(lang)
    detailed = _numbers(_text(_page(result, "detailed")))
    for view in READER_VIEWS:
        shown = _numbers(_text(_page(result, view)))
        assert shown, view
        assert shown <= detailed, (view, shown - detailed)
    # the key facts' figures are those of the detailed view, formatted the same
    plain = _text(_page(result, "plain"))
    full = _text(_page(result, "detailed"))
    from app.briefs.brief_tables import fact_value_text

    for fact in content.facts():
        if fact.available and fact.value is not None:
            value = fact_value_text(fact, lang)
            if lang == "en":
                assert value in plain and value in full, fact.key


@pytest.mark.parametrize("lang", ["en", "de"])
def test_views_for_readers_use_no_statistics_terms(rendered, lang):
    _content, result = rendered(lang)
    for view in READER_VIEWS:
        text = _text(_page(result, view)).lower()
        for word in JARGON:
            assert word.lower() not in text, (view, word)
    # the detailed view keeps all statistics
    assert "median" in _text(_page(result, "detailed")).lower()


def test_each_client_group_reads_its_facts_first_and_is_told_what_is_missing(rendered):
    _content, result = rendered("en")
    order = {
        view: re.findall(r"<section id=\"([a-z-]+)\"", _page(result, view)) for view in READER_VIEWS
    }
    assert order["plain"][:2] == ["outlook", "guidance"]
    assert order["young"][:3] == ["skills", "new-skills", "training"]
    assert order["adults"][:3] == ["openings", "skills", "transfer"]
    assert order["newcomers"][:2] == ["skills", "qualifications"]
    adults = _text(_page(result, "adults"))
    assert adults.index("people who retire or leave. Someone new") < adults.index(
        "are new jobs, because the sector grows"
    )
    assert "This brief does not say which skills transfer" in adults
    newcomers = _text(_page(result, "newcomers"))
    assert "An outlook is not a promise of a job." in newcomers
    assert "This brief does not say which qualifications employers ask for" in newcomers
    young = _text(_page(result, "young"))
    assert "An outlook is not a promise of a job." in young
    # reliability beside the figures, in plain words
    assert "How reliable is this?" in _text(_page(result, "plain"))
    assert "panel members answered" in _text(_page(result, "plain"))


def test_the_detailed_view_puts_guidance_after_the_key_facts(rendered):
    _content, result = rendered("en")
    html = _page(result, "detailed")
    sections = re.findall(r'<section id="([a-z-]+)"', html)
    assert sections[:3] == ["key-facts", "guidance", "trend"]
    assert "What this means for guidance" in html
    assert "How reliable is this?" in html


# --- the public page ------------------------------------------------------------------------


def _demo(app, rendered, *, without_views: tuple[int, ...] = ()) -> tuple[int, int]:
    """The demo brief (id, current number), both versions stored in English and German with
    the files rendered once for this module (``without_views``: versions stored as before
    the views existed)."""
    by_language = [
        (lang, [Output(a.name, _with_charset(a.media_type), a.data) for a in result.artefacts])
        for lang in ("en", "de")
        for result in [rendered(lang)[1]]
    ]
    outputs = stored_names(by_language)
    views = {n for n in VIEW_FILES.values() if n != "brief.html"}
    with app.app_context():
        brief = db.session.scalar(db.select(Brief).where(Brief.title == DEMO_BRIEF))
        for version in brief.versions:
            kept = [
                o
                for o in outputs
                if version.number not in without_views or o.name.rsplit("/", 1)[-1] not in views
            ]
            services.store_outputs(version, kept)
        db.session.commit()
        return brief.id, max(v.number for v in brief.versions)


def _switch(html: str) -> str:
    found = re.search(r'<nav class="brief-views".*?</nav>', html, flags=re.S)
    assert found, "no view switch"
    return found.group(0)


def test_the_reader_chooses_a_view_and_it_is_remembered(demo_app, rendered):
    app = demo_app
    brief_id, number = _demo(app, rendered)
    url = f"/briefs/{brief_id}/v/{number}"
    reader = app.test_client()
    first = reader.get(url).get_data(as_text=True)
    switch = _switch(first)
    assert 'aria-label="Choose a view"' in switch
    for view in ("detailed", *READER_VIEWS):
        assert f"view={view}" in switch
    assert re.search(r'view=detailed"[^>]*aria-current="page"', unescape(switch))
    assert "brief-view-" not in first

    plain = reader.get(url + "?view=plain")
    assert plain.status_code == 200
    html = plain.get_data(as_text=True)
    assert "brief-view-plain" in html and 'id="glossary"' in html
    assert re.search(r'view=plain"[^>]*aria-current="page"', unescape(_switch(html)))
    # the bar and the notice are in the view's page too, with the earlier versions linked
    assert 'id="brief-notice"' in html and 'href="/search?lang=en"' in html
    start = html.index('id="brief-notice"')
    notice = html[start : html.index("</section>", start)]
    assert "Earlier versions:" in notice
    assert f'href="/briefs/{brief_id}/v/1?lang=en"' in notice
    # remembered: the next page without ?view opens in that view
    assert "brief-view-plain" in reader.get(url).get_data(as_text=True)
    assert "brief-view-plain" in reader.get(f"/briefs/{brief_id}/v/1").get_data(as_text=True)
    # in German too
    german = reader.get(url + "?lang=de").get_data(as_text=True)
    assert '<html lang="de">' in german and "brief-view-plain" in german
    # a value that names no view: the detailed view, the choice kept
    odd = reader.get(url + "?view=<b>")
    assert odd.status_code == 200 and "brief-view-" not in odd.get_data(as_text=True)
    assert "brief-view-plain" in reader.get(url).get_data(as_text=True)
    # ?view=detailed resets
    assert "brief-view-" not in reader.get(url + "?view=detailed").get_data(as_text=True)
    assert "brief-view-" not in reader.get(url).get_data(as_text=True)
    # another reader is not affected
    assert "brief-view-" not in app.test_client().get(url).get_data(as_text=True)


def test_each_view_is_cached_on_its_own(demo_app, rendered):
    app = demo_app
    brief_id, number = _demo(app, rendered)
    url = f"/briefs/{brief_id}/v/{number}"
    reader = app.test_client()
    page = reader.get(url + "?view=young")
    assert page.headers["ETag"]
    again = reader.get(url + "?view=young", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    other = reader.get(url + "?view=adults", headers={"If-None-Match": page.headers["ETag"]})
    assert other.status_code == 200 and "brief-view-adults" in other.get_data(as_text=True)


def test_a_version_stored_without_views_shows_its_detailed_page(demo_app, rendered):
    app = demo_app
    brief_id, number = _demo(app, rendered, without_views=(1,))
    reader = app.test_client()
    for lang in ("en", "de"):
        page = reader.get(f"/briefs/{brief_id}/v/1?view=newcomers&lang={lang}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert f'<html lang="{lang}">' in html
        assert "brief-view-" not in html and 'id="key-facts"' in html
        with app.test_request_context(), force_locale(lang):
            note = gettext(
                "This version has only the detailed view: the other views were made for "
                "later versions."
            )
        assert note in html.replace("&#39;", "'")
    # the current version still has its views
    current = reader.get(f"/briefs/{brief_id}/v/{number}").get_data(as_text=True)
    assert "brief-view-newcomers" in current
    assert "This version has only the detailed view" not in current
