"""Published briefs in every language: rendered and stored per language (the default one at
the root, the others under ``<lang>/``), the public page in the reader's language with links
to the others, versions stored before in the default language only, the notice of a
superseded or corrected version at the top of the page's content with dates written as the
page's language writes them."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import Role, User
from app.briefs import rendering, services
from app.briefs.models import BriefVersion, ChangeClass, RenderStatus
from app.briefs.rendering import render_outputs, render_version
from app.consultations.models import Consultation, RoundStatus
from app.extensions import db
from tests.app.factories import make_consultation, make_council, make_staff, sign_in

TEXT = {
    "summary": "The panel agrees on digital skills.",
    "ministries": "Fund retrofit training.",
    "education_providers": "Teach BIM.",
    "guidance_practitioners": "Energy trades hire.",
}

BASE = "http://skillsdelphi.test"

#: A heading of every brief and what it reads in each language (the catalogues' words).
HEADINGS = {"en": "Suggested citation", "de": "Zitiervorschlag", "fr": "Citation suggérée"}


def _html(data: bytes | str) -> str:
    return unescape(data.decode("utf-8") if isinstance(data, bytes) else data)


def _people(app) -> dict[str, int]:
    with app.app_context():
        council = make_council("Construction")
        consultation = make_consultation(council, rounds=(RoundStatus.closed,))
        people = {
            "consultation": consultation.id,
            "secretariat": make_staff(Role.secretariat, [council]).id,
            "official": make_staff(Role.official).id,
            "publisher": make_staff(Role.publisher).id,
        }
        db.session.commit()
    return people


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def _published(people: dict[str, int], *, as_of: datetime | None = None) -> BriefVersion:
    """Version 1 of a new brief, written, reviewed, approved and published (committed)."""
    sec = _user(people["secretariat"])
    version = services.create_draft(
        db.session.get(Consultation, people["consultation"]), by=sec, title="Brief", contact="Desk"
    )
    services.save_narrative(version, TEXT, {}, version.edit_version, by=sec)
    services.submit_for_review(version, by=sec)
    services.approve(version, by=_user(people["official"]))
    services.publish(version, by=_user(people["publisher"]), as_of=as_of)
    db.session.commit()
    return version


def _correct(people, first: BriefVersion, note: str, *, as_of: datetime) -> BriefVersion:
    sec = _user(people["secretariat"])
    second = services.new_version(
        first.brief, by=sec, change_class=ChangeClass.correction, change_note=note
    )
    services.submit_for_review(second, by=sec)
    services.approve(second, by=_user(people["official"]))
    services.publish(second, by=_user(people["publisher"]), as_of=as_of)
    db.session.commit()
    return second


# ----------------------------------------------------------------------------- storage


def test_every_language_is_rendered_one_after_another_and_stored_in_one_go(make_app, monkeypatch):
    app = make_app()
    people = _people(app)
    with app.app_context():
        version = _published(people)
        version_id = version.id
        seen = []  # what the staff page would read while each language is rendered
        real = rendering.render_outputs

        def watched(v, *, lang):
            db.session.expire_all()
            current = db.session.get(BriefVersion, version_id)
            seen.append((lang, current.render_status, current.render_note, len(current.artefacts)))
            return real(v, lang=lang)

        monkeypatch.setattr(rendering, "render_outputs", watched)
        assert render_version(version_id) is RenderStatus.ready
        assert seen == [
            ("en", RenderStatus.rendering, "languages 0/4", 0),
            ("de", RenderStatus.rendering, "languages 1/4", 0),
            ("fr", RenderStatus.rendering, "languages 2/4", 0),
            ("es", RenderStatus.rendering, "languages 3/4", 0),
        ]
        db.session.expire_all()
        version = db.session.get(BriefVersion, version_id)
        assert version.languages[0] == "en"
        assert set(version.languages) == {"en", "de", "fr", "es"}
        assert version.render_note == ""
        names = {a.name for a in version.artefacts}
        assert {"brief.html", "brief.pdf", "de/brief.html", "de/brief.pdf", "fr/brief.pdf"} <= names
        for lang, heading in HEADINGS.items():
            page = version.artefact("brief.html", lang)
            assert page.name == ("brief.html" if lang == "en" else f"{lang}/brief.html")
            html = _html(page.data)
            assert f'<html lang="{lang}">' in html
            assert heading in html
            assert TEXT["summary"] in html  # the narrative, written in one language
            pdf = version.artefact("brief.pdf", lang)
            assert pdf.data.startswith(b"%PDF")
            # the page's downloads are the files of its own language
            prefix = "" if lang == "en" else f"{lang}/"
            assert f'href="1/{prefix}brief.pdf"' in html
        assert version.artefact("brief.pdf", "de").data != version.artefact("brief.pdf").data
        assert version.artefact("brief.html", None) is version.artefact("brief.html", "en")
        assert version.artefact("brief.pdf", "it") is None
        # each German file is what German renders: its own, or the root file stored once
        # because it reads the same in every language
        rendered_de = {o.name: o.data for o in real(version, lang="de")}
        assert all(version.artefact(n, "de") is not None for n in rendered_de)
        once = [n for n in rendered_de if f"de/{n}" not in names]
        for name in once:
            assert version.artefact(name, "de").data == rendered_de[name], name
        assert "brief.html" not in once and "brief.pdf" not in once
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "brief-rendered")
        ).one()
        assert set(event.details["files"]) == names  # one transaction, every file


def test_a_failure_in_any_language_stores_nothing(make_app, monkeypatch):
    app = make_app()
    people = _people(app)
    with app.app_context():
        version_id = _published(people).id
        real = rendering.render_outputs

        def french_breaks(v, *, lang):
            if lang == "fr":
                raise RuntimeError("no French fonts")
            return real(v, lang=lang)

        monkeypatch.setattr(rendering, "render_outputs", french_breaks)
        assert render_version(version_id) is RenderStatus.failed
        db.session.expire_all()
        version = db.session.get(BriefVersion, version_id)
        assert version.artefacts == [] and "no French fonts" in version.render_note


def test_the_staff_page_shows_how_many_languages_are_rendered(make_app):
    app = make_app(BRIEF_RENDERING="off")
    people = _people(app)
    with app.app_context():
        version = _published(people)
        assert services.begin_rendering(version, note=rendering.progress_note(1, 3))
        services.rendering_progress(version, rendering.progress_note(1, 3))
        db.session.commit()
        brief_id, email = version.brief_id, _user(people["publisher"]).email
    client = app.test_client()
    sign_in(client, email)
    page = _html(client.get(f"/staff/briefs/{brief_id}/v/1").get_data())
    assert "rendering 2 of 3 languages" in page


# ----------------------------------------------------------------------------- public page


def test_the_public_page_is_in_the_readers_language_with_links_to_the_others(make_app):
    app = make_app()
    people = _people(app)
    with app.app_context():
        version = _published(people)
        assert render_version(version.id) is RenderStatus.ready
        brief_id = version.brief_id
    url = f"/briefs/{brief_id}/v/1"
    reader = app.test_client()

    english = reader.get(url)
    html = _html(english.get_data())
    assert english.status_code == 200 and '<html lang="en">' in html
    assert english.headers["Content-Language"] == "en"
    assert HEADINGS["en"] in html
    for lang, name in (("de", "Deutsch"), ("fr", "Français")):
        assert f'<a href="{url}?lang={lang}" hreflang="{lang}" lang="{lang}">{name}</a>' in html
        alternate = f'<link rel="alternate" hreflang="{lang}" href="{BASE}{url}?lang={lang}">'
        assert alternate in html
    assert 'href="1/brief.pdf"' in html

    german = reader.get(url + "?lang=de")
    html = _html(german.get_data())
    assert '<html lang="de">' in html and HEADINGS["de"] in html
    assert german.headers["Content-Language"] == "de"
    assert "Accept-Language" in german.headers["Vary"]
    assert f'<a href="{url}?lang=en" hreflang="en" lang="en">English</a>' in html
    assert '<span lang="de" aria-current="true">Deutsch</span>' in html
    # the page's downloads are the German files
    assert 'href="1/de/brief.pdf"' in html and 'href="1/brief.pdf"' not in html
    assert "Veröffentlicht" in html or "veröffentlicht" in html  # the notice in German too
    # the choice is remembered for the next page without ?lang
    assert '<html lang="de">' in _html(reader.get(url).get_data())

    french = app.test_client().get(url, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert '<html lang="fr">' in _html(french.get_data())
    assert HEADINGS["fr"] in _html(french.get_data())
    unknown = app.test_client().get(url + "?lang=xx")
    assert '<html lang="en">' in _html(unknown.get_data())


def test_the_public_page_leads_back_to_the_site_and_is_cached(make_app):
    app = make_app()
    people = _people(app)
    with app.app_context():
        version = _published(people)
        assert render_version(version.id) is RenderStatus.ready
        brief_id = version.brief_id
    url = f"/briefs/{brief_id}/v/1"
    reader = app.test_client()
    page = reader.get(url)
    html = _html(page.get_data())
    for address in ('href="/?lang=en"', 'href="/search?lang=en"', 'href="/method?lang=en"'):
        assert address in html
    assert 'href="/search?lang=de"' in _html(app.test_client().get(url + "?lang=de").get_data())
    found = re.search(r'<script type="application/ld\+json" nonce="[^"]+">(.*?)</script>', html)
    dataset = json.loads(found.group(1))
    assert dataset["@type"] == "Dataset" and dataset["url"].endswith(url)
    assert any(d["contentUrl"].endswith("/brief.pdf") for d in dataset["distribution"])
    assert page.headers["ETag"] and page.last_modified is not None
    assert "public" in page.headers["Cache-Control"]
    again = reader.get(url, headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    since = reader.get(url, headers={"If-Modified-Since": page.headers["Last-Modified"]})
    assert since.status_code == 304
    # another language is another page
    other = reader.get(url + "?lang=de", headers={"If-None-Match": page.headers["ETag"]})
    assert other.status_code == 200

    pdf = reader.get(f"/briefs/{brief_id}/v/1/de/brief.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"].startswith('attachment; filename="brief.pdf"')
    page = reader.get(f"/briefs/{brief_id}/v/1/fr/brief.html")
    assert page.status_code == 200 and '<html lang="fr">' in _html(page.get_data())
    assert page.headers["Content-Disposition"].startswith("attachment")
    assert reader.get(f"/briefs/{brief_id}/v/1/en/brief.pdf").data == (
        reader.get(f"/briefs/{brief_id}/v/1/brief.pdf").data
    )
    with app.app_context():
        version = db.session.get(BriefVersion, version.id)
        for artefact in version.artefacts:  # every file of every language has an address
            name = artefact.name
            got = reader.get(f"/briefs/{brief_id}/v/1/{name}")
            assert got.status_code == 200 and got.data == artefact.data, name
            if "/" not in name:
                assert reader.get(f"/briefs/{brief_id}/v/1/de/{name}").status_code == 200, name
    assert reader.get(f"/briefs/{brief_id}/v/1/it/brief.pdf").status_code == 404
    assert reader.get(f"/briefs/{brief_id}/v/1/de/nothing.pdf").status_code == 404


#: What a download's address ends with, by the kind of file it is.
DOWNLOADS = (".pdf", ".xlsx", ".zip", ".json")


def _downloads(html: str) -> list[str]:
    """The addresses of the page's links to files (not its fragments, pages or languages)."""
    hrefs = re.findall(r'<a href="([^"#][^"]*)"', html)
    return [h for h in hrefs if urlsplit(h).path.endswith(DOWNLOADS)]


def test_the_pages_downloads_lead_to_its_files_wherever_the_site_is_served(make_app):
    """The stored pages link their files relative to the page, so the links lead to the
    same site when it is served on another address than ``BASE_URL``, or below a path;
    the documents read apart from the site (JSON, data package) keep absolute addresses."""
    app = make_app(LANGUAGES=("en", "de"), BASE_URL="https://briefs.example.org")
    people = _people(app)
    with app.app_context():
        version = _published(people)
        assert render_version(version.id) is RenderStatus.ready
        brief_id = version.brief_id
        stored = {a.name: a.data for a in version.artefacts}
    url = f"/briefs/{brief_id}/v/1"
    for site in ("http://localhost/", "http://mirror.example/skills/"):
        reader = app.test_client()
        for query, folder in (("?lang=en", ""), ("?lang=de", "de/"), ("?lang=en&view=plain", "")):
            page = urljoin(site, url.lstrip("/")) + query
            html = _html(reader.get(url + query, base_url=site).get_data())
            links = _downloads(html)
            assert links, (site, query)
            assert not [h for h in links if h.startswith(("https://briefs.example.org", "/"))]
            names = set()
            for href in links:
                address = urljoin(page, href)
                assert address.startswith(site), (page, href)
                name = address.removeprefix(urljoin(page, "1/"))
                got = reader.get(address.removeprefix(site.rstrip("/")), base_url=site)
                assert got.status_code == 200, address
                assert got.data == stored.get(name, stored.get(name.removeprefix(folder))), name
                names.add(name)
            wanted = {"brief.pdf", "brief.xlsx", "brief-csv.zip", "brief.json"}
            assert {folder + n for n in wanted} <= names, (query, names)
    document = json.loads(stored["brief.json"])
    assert document["formats"]["pdf"] == f"https://briefs.example.org{url}/brief.pdf"
    package = json.loads(stored["datapackage.json"])
    assert package["homepage"] == f"https://briefs.example.org{url}/"


def test_the_public_page_lists_its_downloads_once(make_app):
    """The notice says what happened to the version; the files are the page's own list, in
    the page's language; the staff page of the version still lists every file."""
    app = make_app(LANGUAGES=("en", "de"))
    people = _people(app)
    with app.app_context():
        version = _published(people)
        assert render_version(version.id) is RenderStatus.ready
        brief_id = version.brief_id
    url = f"/briefs/{brief_id}/v/1"
    for query, pdf in (("", "1/brief.pdf"), ("?lang=de", "1/de/brief.pdf")):
        html = _html(app.test_client().get(url + query).get_data())
        assert [h for h in _downloads(html) if h.endswith(".pdf")] == [pdf]
        assert _downloads(_notice(html)) == []
        assert "Files:" not in html and "Dateien:" not in html
    staff = app.test_client()
    with app.app_context():
        sign_in(staff, _user(people["publisher"]).email)
    notice = _notice(_html(staff.get(f"/staff/briefs/{brief_id}/v/1").get_data()))
    assert f'href="/briefs/{brief_id}/v/1/brief.pdf"' in notice


def test_a_version_stored_in_the_default_language_only_is_served_in_it_saying_so(make_app):
    app = make_app(BRIEF_RENDERING="off")
    people = _people(app)
    with app.app_context():
        version = _published(people)
        # as versions published before briefs were stored in every language
        assert services.begin_rendering(version)
        services.store_outputs(version, render_outputs(version, lang="en"))
        db.session.commit()
        assert version.languages == ("en",)
        assert version.artefact("brief.html", "de") is None
        version_id, brief_id = version.id, version.brief_id
        email = _user(people["publisher"]).email
    url = f"/briefs/{brief_id}/v/1"
    german = app.test_client().get(url + "?lang=de")
    assert german.status_code == 200
    html = _html(german.get_data())
    assert '<html lang="en">' in html and HEADINGS["en"] in html
    assert german.headers["Content-Language"] == "en"
    # said in the reader's language, marked as such, inside the notice
    note = re.search(r'<p lang="de"><strong>([^<]*)</strong></p>', html)
    assert note and "Englisch" in note.group(1), html[:3000]
    assert 'hreflang="de"' not in html  # no link to a language that is not there
    assert 'href="1/brief.pdf"' in html
    assert app.test_client().get(url + "/de/brief.pdf").status_code == 404
    staff = app.test_client()
    sign_in(staff, email)
    page = _html(staff.get(f"/staff/briefs/{brief_id}/v/1").get_data())
    assert "stored in English" in page and "Deutsch" not in page.split("stored in")[1][:80]
    assert "it is not stored in German, French, and Spanish yet" in page

    # a retry makes the missing languages; what was stored stays exactly as it was
    with app.app_context():
        before = {a.name: a.sha256 for a in db.session.get(BriefVersion, version_id).artefacts}
    app.config["BRIEF_RENDERING"] = "inline"
    assert staff.post(f"/staff/briefs/{brief_id}/v/1/render").status_code == 303
    with app.app_context():
        version = db.session.get(BriefVersion, version_id)
        assert version.render_status is RenderStatus.ready
        assert version.languages[0] == "en"
        assert set(version.languages) == {"en", "de", "fr", "es"}
        after = {a.name: a.sha256 for a in version.artefacts}
        assert {n: after[n] for n in before} == before
        added = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "brief-rendered")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert set(added.details["files"]) == set(after) - set(before)
        assert all(n.startswith(("de/", "fr/", "es/")) for n in added.details["files"])
    german = app.test_client().get(url + "?lang=de")
    assert '<html lang="de">' in _html(german.get_data()) and HEADINGS["de"] in _html(
        german.get_data()
    )
    assert app.test_client().get(url + "/de/brief.pdf").status_code == 200
    assert "Make the files in the missing languages" not in _html(
        staff.get(f"/staff/briefs/{brief_id}/v/1").get_data()
    )


# ----------------------------------------------------------------------------- the notice


def _notice(html: str) -> str:
    found = re.search(r'<section class="notice brief-notice[^"]*"[^>]*>.*?</section>', html, re.S)
    assert found, html[:3000]
    return found.group(0)


def test_the_correction_notice_is_at_the_top_of_the_content_dated_as_each_language_writes(
    make_app,
):
    app = make_app()
    people = _people(app)
    with app.app_context():
        first = _published(people, as_of=datetime(2026, 1, 20, 9, 0, tzinfo=UTC))
        assert render_version(first.id) is RenderStatus.ready
        second = _correct(
            people, first, "The BIM figure was wrong.", as_of=datetime(2026, 3, 5, tzinfo=UTC)
        )
        assert render_version(second.id) is RenderStatus.ready
        brief_id = first.brief_id
    url = f"/briefs/{brief_id}/v/1"
    dates = {
        "en": ("March 5, 2026", "January 20, 2026"),
        "de": ("5. März 2026", "20. Januar 2026"),
        "fr": ("5 mars 2026", "20 janvier 2026"),
    }
    for lang, (corrected, _published_on) in dates.items():
        html = _html(app.test_client().get(f"{url}?lang={lang}").get_data())
        notice = _notice(html)
        # below the page's header and the brief's title, before the brief's own content
        header_end = html.index("</header>")
        title_end = html.index("</h1>", html.index("<main"))
        start = html.index(notice)
        assert header_end < title_end < start < html.index('id="about-title"')
        assert '<body class="brief-page">\n<a class="skip-link"' in html  # nothing above it
        assert 'aria-labelledby="brief-notice-title"' in notice
        assert re.search(r'<h2 id="brief-notice-title">[^<]+</h2>', notice)
        assert f'<html lang="{lang}">' in html
        assert corrected in notice, (lang, notice)
        assert "The BIM figure was wrong." in notice
        assert f'href="/briefs/{brief_id}/v/2?lang={lang}"' in notice
        assert not re.search(r"\d{4}-\d{2}-\d{2}", notice), notice  # one way only
    english = _notice(_html(app.test_client().get(url + "?lang=en").get_data()))
    assert "Correction notice" in english and "Corrected on March 5, 2026." in english
    german = _notice(_html(app.test_client().get(url + "?lang=de").get_data()))
    assert "Korrigiert am 5. März 2026." in german
    current = _notice(_html(app.test_client().get(f"/briefs/{brief_id}/v/2?lang=fr").get_data()))
    assert "5 mars 2026" in current and "The BIM figure was wrong." in current  # errata
    # the narrative's language is marked where the notice quotes it in another language
    assert '<span lang="en">The BIM figure was wrong.</span>' in current

    # the staff pages write their dates the same way
    staff = app.test_client()
    with app.app_context():
        sign_in(staff, _user(people["publisher"]).email)
    page = _html(staff.get(f"/staff/briefs/{brief_id}/v/1?lang=de").get_data())
    assert "Korrigiert am 5. März 2026." in _notice(page)
    assert "20. Januar 2026" in page
    history = _html(staff.get(f"/staff/briefs/{brief_id}").get_data())
    assert "5. März 2026" in history
    for text in (page, history):
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text)


@pytest.mark.commits
def test_a_version_rendered_in_one_language_gets_the_others_when_a_reader_asks(make_app):
    """The demonstration renders its default language only (quick to set up); a reader who
    asks for another is served English, saying so, and the server renders the rest."""
    app = make_app(BRIEF_RENDERING="thread", LANGUAGES=("en", "de"))  # two: a quick test
    people = _people(app)
    with app.app_context():
        version = _published(people)
        version_id, brief_id = version.id, version.brief_id
        assert render_version(version_id, languages=["en"]) is RenderStatus.ready
        assert db.session.get(BriefVersion, version_id).languages == ("en",)
    german = app.test_client().get(f"/briefs/{brief_id}/v/1?lang=de")
    assert german.status_code == 200 and '<html lang="en">' in _html(german.get_data())
    with app.app_context():
        for _ in range(1800):  # the background render: up to 3 minutes on a busy machine
            db.session.rollback()  # no read kept open: the renderer must be able to write
            if db.session.get(BriefVersion, version_id).render_status is RenderStatus.ready and (
                "de" in db.session.get(BriefVersion, version_id).languages
            ):
                break
            time.sleep(0.1)
        assert db.session.get(BriefVersion, version_id).languages == ("en", "de")
    again = app.test_client().get(f"/briefs/{brief_id}/v/1?lang=de")
    assert '<html lang="de">' in _html(again.get_data())
