"""The public portal: search and browse the published briefs, a brief's current version,
its version history and the changes between versions, comparing briefs, Atom feeds, the
sitemap, the method page and the accessibility statement.

Only published content is shown (SECURITY.md S4): everything here reads the catalogue
(``app.portal.catalogue``), which lists current published versions only, or asks for
published and superseded versions explicitly. Public pages answer conditionally
(``app.portal.caching``): an ETag and Last-Modified, 304 on revalidation.
"""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import UTC, date, datetime
from typing import Any
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import formatting
from app.auth.policy import public
from app.briefs import words
from app.briefs.brief_tables import fact_value_text
from app.briefs.content import (
    KIND_CAVEATS,
    RATING_DISCLAIMER,
    SMALL_CELL_RULES,
    OutlookSettings,
)
from app.briefs.diff import diff_contents
from app.briefs.models import BriefStatus, BriefVersion, ChangeClass
from app.briefs.render import diff_html
from app.briefs.snapshot import content_of
from app.briefs.views import written_in
from app.consensus.plan import NEW_PLAN_DEFAULTS, AnalysisPlan
from app.errors import InvalidInput, NotFound
from app.formatting import N_, language_name, word_list
from app.i18n import problem_message
from app.portal import catalogue, published
from app.portal.caching import build, conditional

bp = Blueprint("portal", __name__)

#: How a reader is told where a result matched.
MATCH_WORDS = {
    "title": _l("Title"),
    "sector": _l("Sector"),
    "occupation": _l("Occupation"),
    "skill": _l("Skill"),
    "theme": _l("Emerging skill"),
    "contested": _l("Contested point"),
    "geography": _l("Geography"),
    "summary": _l("Summary and implications"),
}

#: Query parameters of the search form (``language``: the language a brief is given in; the
#: interface's own language is ``lang``).
SEARCH_ARGS = ("q", "sector", "occupation", "skill", "geography", "year", "language")
#: Most and fewest briefs compared side by side.
COMPARE_MIN, COMPARE_MAX = 2, 4
#: Codes a sector may have in an address ("F", "41", "23-0000").
SECTOR_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}", re.ASCII)
#: When the accessibility statement was last reviewed (change it with the statement).
ACCESSIBILITY_REVIEWED = date(2026, 12, 4)
ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"


@bp.app_context_processor
def _portal_words() -> dict[str, Any]:
    lang = str(get_locale())
    return {
        "match_word": lambda field: MATCH_WORDS.get(field, field),
        "rating_word": lambda category: (
            _(words.RATING_WORDS[category]) if category in words.RATING_WORDS else ""
        ),
        "language_name": lambda code: formatting.language_name(code, locale=lang),
        "localized": lambda texts, default=None: formatting.localized(texts, lang, default),
        "number_of": lambda n: formatting.count(n, locale=lang),
        "decimal": lambda v, places=1: formatting.number(v, places, trim=True, locale=lang),
        "pick": lambda texts, default=None: _pick(texts, lang, default),
    }


def _pick(texts: dict[str, str] | None, lang: str, default: str | None) -> tuple[str, str | None]:
    """A text given in several languages, in ``lang`` if it is given in it, else in
    ``default``, with the language it is in (for the ``lang`` attribute)."""
    texts = texts or {}
    for wanted in (lang, default):
        if wanted and texts.get(wanted):
            return str(texts[wanted]), wanted
    for code, text in texts.items():
        if text:
            return str(text), code
    return "", None


def _page_args(**changes: Any) -> dict[str, Any]:
    """The search's query with ``changes`` (None removes a parameter)."""
    args = {k: v for k in SEARCH_ARGS if (v := request.args.get(k, "").strip())}
    for key, value in changes.items():
        if value in (None, ""):
            args.pop(key, None)
        else:
            args[key] = value
    return args


# ----------------------------------------------------------------------------- search


@bp.route("/search")
@public
def search():
    snap = catalogue.snapshot()

    def make():
        query = {k: request.args.get(k, "").strip() for k in SEARCH_ARGS}
        problems: dict[str, str] = {}
        results = None
        try:
            results = catalogue.search(
                q=query["q"],
                sector=query["sector"],
                occupation=query["occupation"],
                skill=query["skill"],
                geography=query["geography"],
                year=query["year"],
                lang=query["language"],
                page=request.args.get("page", "1") or "1",
                display_lang=str(get_locale()),
                snap=snap,
            )
        except InvalidInput as exc:
            for problem in exc.problems:
                problems[problem.field or "q"] = problem_message(problem)
        asked = any(query.values())
        return render_template(
            "portal/search.html",
            query=query,
            asked=asked,
            results=results,
            problems=problems,
            facets=catalogue.facets(snap, lang=str(get_locale())),
            page_args=_page_args,
            field_labels={
                "q": _("Words to look for"),
                "year": _("Year of publication"),
                "page": _("Page of results"),
                "per_page": _("Results per page"),
            },
        ), (422 if problems else 200)

    return conditional((snap.key,), snap.last_modified, make)


# ----------------------------------------------------------------------------- sectors


@bp.route("/sectors")
@public
def sectors():
    snap = catalogue.snapshot()
    return conditional(
        (snap.key,),
        snap.last_modified,
        lambda: render_template(
            "portal/sectors.html", facets=catalogue.facets(snap, lang=str(get_locale()))
        ),
    )


def _sector_code(code: str) -> str:
    if not SECTOR_CODE.fullmatch(code):
        raise NotFound(N_("no published brief is on this sector"))
    return code


@bp.route("/sectors/<code>")
@public
def sector(code: str):
    code = _sector_code(code)
    snap = catalogue.snapshot()

    def make():
        results = catalogue.search(
            sector=code, per_page=catalogue.MAX_PER_PAGE, display_lang=str(get_locale()), snap=snap
        )
        if not results.total:
            raise NotFound(N_("no published brief is on this sector"))
        label = next(
            (e.sector_label(str(get_locale())) for e in results.entries if e.sector.code), code
        )
        return render_template("portal/sector.html", code=code, label=label, results=results)

    return conditional((snap.key,), snap.last_modified, make)


# ----------------------------------------------------------------------------- a brief


@bp.route("/briefs")
@bp.route("/briefs/")
@public
def briefs():
    """The list of briefs is the search page (303), with what was asked."""
    return redirect(url_for(".search", **request.args), code=303)


@bp.route("/briefs/<int:brief_id>")
@public
def brief(brief_id: int):
    """The current published version's permanent page (303), in the language asked."""
    number = catalogue.current_number(brief_id)
    if number is None:
        raise NotFound(N_("no such brief version"))
    args = {"lang": request.args["lang"]} if request.args.get("lang") else {}
    response = redirect(
        url_for("briefs.published_page", brief_id=brief_id, number=number, **args), code=303
    )
    # A new version may be published at any time: the address of the current one is
    # reused briefly only.
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response


# ----------------------------------------------------------------------------- compare


def _compare_ids() -> tuple[list[int], str | None, int]:
    """The briefs asked for, and what is wrong with the request (message, status)."""
    raw = [v.strip() for v in request.args.getlist("b") if v.strip()]
    ids: list[int] = []
    for value in raw:
        if not value.isdigit() or len(value) > 9:
            return [], _("“%(value)s” is not the number of a brief.", value=value[:20]), 422
        if int(value) not in ids:
            ids.append(int(value))
    if not raw:
        return [], None, 200
    if len(ids) < COMPARE_MIN:
        return ids, _("Choose at least %(n)s briefs to compare.", n=COMPARE_MIN), 422
    if len(ids) > COMPARE_MAX:
        return ids, _("Choose at most %(n)s briefs to compare.", n=COMPARE_MAX), 422
    return ids, None, 200


@bp.route("/compare")
@public
def compare():
    snap = catalogue.snapshot()

    def make():
        ids, error, status = _compare_ids()
        chosen: list[tuple[catalogue.Entry, catalogue.Summary]] = []
        if ids and error is None:
            found = catalogue.summaries(ids, snap)
            unknown = [str(i) for i in ids if i not in found]
            if unknown:
                error = _(
                    "No published brief has the number %(numbers)s.",
                    numbers=formatting.word_list(unknown, locale=str(get_locale())),
                )
                status = 404
            else:
                chosen = [found[i] for i in ids]
        return render_template(
            "portal/compare.html",
            chosen=chosen,
            error=error,
            ids=ids,
            entries=catalogue.current_entries(snap),
            fact_text=lambda fact: fact_value_text(fact, str(get_locale()), _),
            fact_word=lambda key: _(words.FACT_WORDS.get(key, key)),
            group_word=lambda group: (
                _(words.GROUP_WORDS[group]) if group in words.GROUP_WORDS else group
            ),
            label_word=lambda label: (
                _(words.LABEL_WORDS[label]) if label in words.LABEL_WORDS else (label or "")
            ),
            reason_text=lambda reason: reason.text(_),
            compare_min=COMPARE_MIN,
            compare_max=COMPARE_MAX,
        ), status

    return conditional((snap.key,), snap.last_modified, make)


# ----------------------------------------------------------------------------- feeds


def _iso(when: datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _atom(events: list[catalogue.Event], *, title: str, self_url: str, page_url: str) -> bytes:
    ET.register_namespace("", ATOM)

    def sub(parent, tag, text=None, **attrs):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": str(get_locale())})
    sub(feed, "id", self_url)
    sub(feed, "title", title)
    sub(feed, "subtitle", _("New and superseded versions of published sector briefs."))
    updated = max((e.published_at for e in events), default=None) or build()[1]
    sub(feed, "updated", _iso(updated))
    sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(feed, "link", rel="alternate", type="text/html", href=page_url)
    author = sub(feed, "author")
    sub(author, "name", _("SkillsDelphi"))
    sub(feed, "generator", "SkillsDelphi")
    for event in events:
        url = url_for(
            "briefs.published_page", brief_id=event.brief_id, number=event.number, _external=True
        )
        entry = sub(feed, "entry")
        sub(entry, "id", url)
        sub(entry, "title", _("%(title)s, version %(n)s", title=event.title, n=event.number))
        sub(entry, "updated", _iso(event.published_at))
        sub(entry, "published", _iso(event.published_at))
        sub(entry, "link", rel="alternate", type="text/html", href=url)
        for code in event.sector_codes:
            sub(entry, "category", term=code)
        if event.number == 1:
            summary = _("First published version.")
        else:
            summary = _(
                "Version %(n)s supersedes version %(previous)s.",
                n=event.number,
                previous=event.number - 1,
            )
            if event.change_note:
                summary += " " + event.change_note
        if not event.current:
            summary += " " + _("A later version has superseded this one since.")
        sub(entry, "summary", summary)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")


def _xml(data: bytes, media_type: str) -> Response:
    return Response(data, content_type=f"{media_type}; charset=utf-8")


@bp.route("/feed.atom")
@public
def feed():
    snap = catalogue.snapshot()

    def make():
        data = _atom(
            catalogue.events(snap=snap),
            title=_("SkillsDelphi: sector briefs"),
            self_url=url_for(".feed", _external=True),
            page_url=url_for("main.index", _external=True),
        )
        return _xml(data, "application/atom+xml")

    return conditional((snap.key,), snap.last_modified, make)


@bp.route("/sectors/<code>/feed.atom")
@public
def sector_feed(code: str):
    code = _sector_code(code)
    snap = catalogue.snapshot()

    def make():
        events = catalogue.events(sector=code, snap=snap)
        if not events:
            raise NotFound(N_("no published brief is on this sector"))
        data = _atom(
            events,
            title=_("SkillsDelphi: sector briefs on %(code)s", code=code),
            self_url=url_for(".sector_feed", code=code, _external=True),
            page_url=url_for(".sector", code=code, _external=True),
        )
        return _xml(data, "application/atom+xml")

    return conditional((snap.key,), snap.last_modified, make)


@bp.route("/sitemap.xml")
@public
def sitemap():
    snap = catalogue.snapshot()

    def make():
        ET.register_namespace("", SITEMAP)
        urlset = ET.Element(f"{{{SITEMAP}}}urlset")

        def add(url: str, when: datetime | None = None) -> None:
            element = ET.SubElement(urlset, f"{{{SITEMAP}}}url")
            ET.SubElement(element, f"{{{SITEMAP}}}loc").text = url
            if when is not None:
                ET.SubElement(element, f"{{{SITEMAP}}}lastmod").text = _iso(when)

        for endpoint in (
            "main.index",
            ".search",
            ".sectors",
            ".method",
            ".accessibility",
            ".compare",
            "embed.docs",
        ):
            add(url_for(endpoint, _external=True))
        for entry in catalogue.current_entries(snap):
            add(url_for(".history", brief_id=entry.brief_id, _external=True), entry.published_at)
        for code, _label, _n in catalogue.facets(snap, lang=str(get_locale()))["sectors"]:
            add(url_for(".sector", code=code, _external=True))
        for event in catalogue.events(limit=100_000, snap=snap):
            add(
                url_for(
                    "briefs.published_page",
                    brief_id=event.brief_id,
                    number=event.number,
                    _external=True,
                ),
                event.published_at,
            )
        data = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(urlset, encoding="utf-8")
        return _xml(data, "application/xml")

    return conditional((snap.key,), snap.last_modified, make)


# ----------------------------------------------------------------------------- method


def _plan_defaults() -> dict[str, Any]:
    plan = AnalysisPlan(**NEW_PLAN_DEFAULTS)
    return {f.name: getattr(plan, f.name) for f in fields(plan)}


@bp.route("/method")
@public
def method():
    snap = catalogue.snapshot()

    def make():
        versions = catalogue.rule_versions(snap)
        briefs = len(catalogue.current_entries(snap))
        lang = str(get_locale())
        return render_template(
            "portal/method.html",
            plan=_plan_defaults(),
            outlook=OutlookSettings(),
            rule_versions=sorted(versions.items()),
            small_cell_rules=[
                _(rule) % {"min_group_n": _plan_defaults()["min_group_n"]}
                for rule in SMALL_CELL_RULES
            ],
            kind_caveats=[
                (_(words.KIND_WORDS.get(kind, kind)), [_(c) for c in caveats])
                for kind, caveats in KIND_CAVEATS.items()
            ],
            disclaimer=_(RATING_DISCLAIMER),
            kind_words={k: _(v) for k, v in words.RATING_KIND_WORDS.items()},
            rating_words={k: _(v) for k, v in words.RATING_WORDS.items()},
            points=lambda v: formatting.number(v, 2, trim=True, locale=lang),
            share=lambda v: formatting.percent(v, locale=lang),
            briefs=briefs,
            facets=catalogue.facets(snap, lang=str(get_locale())),
            change_classes=list(ChangeClass),
        )

    return conditional((snap.key,), snap.last_modified, make)


@bp.route("/accessibility")
@public
def accessibility():
    return conditional(
        (ACCESSIBILITY_REVIEWED,),
        None,
        lambda: render_template(
            "portal/accessibility.html",
            reviewed=ACCESSIBILITY_REVIEWED,
            interface_languages=word_list(
                [language_name(code) for code in current_app.config["LANGUAGES"]],
                locale=str(get_locale()),
            ),
        ),
    )


# ----------------------------------------------------------------------------- history


#: What kind of change a later version is, as a reader is told.
CHANGE_WORDS = {
    ChangeClass.update: _l("Update"),
    ChangeClass.improvement: _l("Improvement"),
    ChangeClass.correction: _l("Correction"),
}


def _public_versions(brief_id: int) -> list[BriefVersion]:
    """The brief's published and superseded versions, oldest first; NotFound when none."""
    versions = published.public_versions(brief_id)
    if not versions:
        raise NotFound(N_("no such brief version"))
    return versions


def _history_parts(versions: list[BriefVersion]) -> tuple[tuple[Any, ...], datetime | None]:
    """Validators of a page made of ``versions``: what may change of them (a newer version,
    a correction), and the newest such change."""
    parts = tuple(
        (v.number, v.status.value, v.published_at, v.superseded_at, v.corrected_at)
        for v in versions
    )
    dates = [d for v in versions for d in (v.published_at, v.superseded_at, v.corrected_at) if d]
    return parts, max(dates, default=None)


@bp.route("/briefs/<int:brief_id>/versions")
@public
def history(brief_id: int):
    """Every published version of a brief, oldest first, with what changed in each, links to
    each version's page and to the changes between consecutive ones; the current one marked."""
    versions = _public_versions(brief_id)
    parts, last_modified = _history_parts(versions)

    def make():
        lang = str(get_locale())
        rows = []
        for previous, v in zip([None, *versions[:-1]], versions, strict=True):
            rows.append(
                {
                    "v": v,
                    "date": formatting.date_text(v.published_at, locale=lang),
                    "change": _(CHANGE_WORDS[v.change_class]) if v.change_class else "",
                    "note_lang": written_in(v),
                    "current": v.status is BriefStatus.published,
                    "previous": previous,
                }
            )
        return render_template(
            "portal/history.html", brief=versions[0].brief, rows=list(reversed(rows))
        )

    return conditional(parts, last_modified, make)


def _version_arg(name: str, numbers: list[int]) -> tuple[int | None, str | None]:
    """Version number given as ``name`` (None: not given) and what is wrong with it."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None, None
    if not raw.isdigit() or len(raw) > 9:
        return None, _("“%(value)s” is not a version number.", value=raw[:20])
    if int(raw) not in numbers:
        return None, _("Version %(n)s of this brief is not published.", n=int(raw))
    return int(raw), None


@bp.route("/briefs/<int:brief_id>/diff")
@public
def diff(brief_id: int):
    """What changed between two published versions (``?from=1&to=2``; without them, the
    current version and the one before it). A bad or unpublished number: 400 naming it."""
    versions = _public_versions(brief_id)
    parts, last_modified = _history_parts(versions)

    def make():
        numbers = [v.number for v in versions]
        labels = {"from": _("From version"), "to": _("To version")}
        errors: dict[str, str] = {}
        new, problem = _version_arg("to", numbers)
        if problem:
            errors["to"] = problem
        old, problem = _version_arg("from", numbers)
        if problem:
            errors["from"] = problem
        if "to" not in errors and new is None:
            new = next(
                (v.number for v in versions if v.status is BriefStatus.published), numbers[-1]
            )
        if "from" not in errors and old is None and new is not None:
            earlier = [n for n in numbers if n < new]
            if earlier:
                old = earlier[-1]
            else:
                errors["from"] = _(
                    "Version %(n)s is the first published version: choose a later one to "
                    "compare it with.",
                    n=new,
                )
        if not errors and old == new:
            errors["to"] = _("Choose two different versions.")
        by_number = {v.number: v for v in versions}
        a, b = by_number.get(old), by_number.get(new)
        changes = None
        if not errors:
            lang = str(get_locale())
            changes = diff_html(
                diff_contents(content_of(a), content_of(b), locale=lang, translate=_),
                lang=lang,
            )
        return render_template(
            "portal/diff.html",
            brief=versions[0].brief,
            versions=versions,
            a=a,
            b=b,
            changes=changes,
            errors=[(n, labels[n], errors[n]) for n in ("from", "to") if n in errors],
            change_word=lambda c: _(CHANGE_WORDS[c]) if c else "",
        ), (400 if errors else 200)

    return conditional(parts, last_modified, make)
