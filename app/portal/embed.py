"""A sector's key facts and outlook for other sites to show in their own pages, without
script: ``/embed/briefs/<id>``, a small complete page for an ``<iframe>``;
``/embed/briefs/<id>.html``, the same as an HTML fragment for sites that include it on their
server; ``/embed``, how to do either.

Both show the current published version of a brief (never a draft), its key facts and both
ratings in the reader's language (``?lang=``), with the source named and a link back to the
full brief. Only addresses under ``EMBED_PREFIX`` may be framed by other sites
(``app.web`` relaxes ``frame-ancestors`` and leaves out ``X-Frame-Options`` for them).
They answer conditionally (``app.portal.caching``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, make_response, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app import formatting
from app.auth.policy import public
from app.briefs import words
from app.briefs.brief_tables import fact_value_text
from app.briefs.models import Brief
from app.councils.models import Council
from app.errors import NotFound
from app.extensions import db
from app.formatting import N_
from app.i18n import LANGUAGE_NAMES
from app.portal import catalogue
from app.portal.caching import conditional
from app.portal.published import base_url

bp = Blueprint("embed", __name__)

#: Addresses that other sites may show in a frame.
EMBED_PREFIX = "/embed/"
#: The two ratings, in the order an embedded brief shows them.
RATING_KINDS = ("current_conditions", "future_outlook")
#: Classes of the embedded markup (documented on ``/embed`` for sites that style it).
CLASSES = {
    "sd-embed": N_("the whole block"),
    "sd-embed-title": N_("the brief's title (a heading)"),
    "sd-embed-sector": N_("the sector and geography"),
    "sd-embed-heading": N_("the headings “Outlook” and “Key facts”"),
    "sd-embed-ratings": N_("the list of both ratings (dl)"),
    "sd-embed-rating": N_("one rating's word (strong, moderate, weak, undetermined)"),
    "sd-embed-note": N_("why a rating is undetermined, and the year of a fact"),
    "sd-embed-facts": N_("the list of key facts (dl)"),
    "sd-embed-source": N_("the attribution and the link back to the full brief"),
}


@dataclass(frozen=True)
class Embedded:
    """What an embedded brief shows: its catalogue entry, key facts and both ratings, and the
    council that publishes it."""

    entry: catalogue.Entry
    summary: catalogue.Summary
    council: str


def _council(brief_id: int) -> str:
    return (
        db.session.scalar(
            select(Council.name)
            .join(Brief, Brief.council_id == Council.id)
            .where(Brief.id == brief_id)
        )
        or ""
    )


def _current(brief_id: int, snap: catalogue.Snapshot) -> Any:
    """The brief's current published version as the snapshot lists it; NotFound without."""
    row = next((r for r in snap.rows if r.brief_id == brief_id), None)
    if row is None:
        raise NotFound(N_("no published brief has this number"))
    return row


def _embedded(brief_id: int, snap: catalogue.Snapshot, council: str) -> Embedded:
    found = catalogue.summaries([brief_id], snap).get(brief_id)
    if found is None:
        raise NotFound(N_("no published brief has this number"))
    entry, summary = found
    return Embedded(entry=entry, summary=summary, council=council)


def card_context(item: Embedded, *, level: int, framed: bool) -> dict[str, Any]:
    """What ``portal/_embed_card.html`` is rendered with: headings from ``level``; links
    open in the top window when ``framed``."""
    lang = str(get_locale())
    entry, summary = item.entry, item.summary
    ratings = []
    if summary.ratings is not None:
        for kind in RATING_KINDS:
            rating = getattr(summary.ratings, kind)
            ratings.append(
                {
                    "label": _(words.FACT_WORDS.get(kind, kind)),
                    "word": _(words.RATING_WORDS.get(rating.shown.value, rating.shown.value)),
                    "category": rating.shown.value,
                    "note": (
                        rating.reason.text(_) if not rating.determined and rating.reason else ""
                    ),
                }
            )
    facts = [
        {
            "label": _(words.FACT_WORDS.get(f.key.value, f.key.value)),
            "value": fact_value_text(f, lang, _),
            "year": f.year,
        }
        for f in summary.facts
        if f.key.value not in RATING_KINDS
    ]
    link = base_url() + url_for(
        "briefs.published_page", brief_id=entry.brief_id, number=entry.version, lang=lang
    )
    sector = entry.sector_label(lang)
    if entry.sector.code:
        sector = f"{sector} ({entry.sector.code})"
    return {
        "item": item,
        "entry": entry,
        "sector": sector,
        "geography": entry.geography_label or entry.geography,
        "ratings": ratings,
        "facts": facts,
        "source": _(
            "Source: %(council)s, %(title)s, version %(n)s, %(date)s",
            council=item.council or _("SkillsDelphi"),
            title=entry.title,
            n=entry.version,
            date=formatting.date_text(entry.published_at, locale=lang),
        ),
        "link": link,
        "level": level,
        "framed": framed,
        "card_id": f"sd-embed-{entry.brief_id}",
    }


def _answer(brief_id: int, make) -> Any:
    snap = catalogue.snapshot()
    _current(brief_id, snap)
    council = _council(brief_id)
    return conditional(
        (snap.key, council), snap.last_modified, lambda: make(_embedded(brief_id, snap, council))
    )


@bp.route("/embed/briefs/<int:brief_id>")
@public
def page(brief_id: int):
    """A small complete page for an ``<iframe>``: key facts and both ratings, no script."""
    return _answer(
        brief_id,
        lambda item: render_template(
            "portal/embed.html", **card_context(item, level=1, framed=True)
        ),
    )


@bp.route("/embed/briefs/<int:brief_id>.html")
@public
def fragment(brief_id: int):
    """The same as an HTML fragment (no ``<html>``, no ``<head>``, no style attributes), for
    sites that include it on their server or fetch it (CORS ``*``)."""

    def make(item: Embedded):
        html = render_template(
            "portal/_embed_card.html", **card_context(item, level=2, framed=False)
        )
        return make_response(html, 200, {"Content-Type": "text/html; charset=utf-8"})

    response = _answer(brief_id, make)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Content-Language"] = str(get_locale())
    return response


@bp.route("/embed")
@public
def docs():
    """How to show a brief in another site: the iframe and the fragment, for a chosen brief,
    with a live example."""
    snap = catalogue.snapshot()

    def make():
        entries = catalogue.current_entries(snap)
        raw = request.args.get("brief", "").strip()
        error = None
        chosen = entries[0] if entries else None
        if raw:
            wanted = int(raw) if raw.isdigit() and len(raw) <= 9 else None
            chosen = next((e for e in entries if e.brief_id == wanted), None)
            if chosen is None:
                error = _(
                    "brief: “%(value)s” is not the number of a published brief.", value=raw[:20]
                )
        lang = str(get_locale())
        base = base_url()
        addresses = {}
        if chosen is not None:
            addresses = {
                "page": base + url_for(".page", brief_id=chosen.brief_id, lang=lang),
                "fragment": base + url_for(".fragment", brief_id=chosen.brief_id, lang=lang),
                "live": url_for(".page", brief_id=chosen.brief_id, lang=lang),
                "by_language": [
                    (code, name, base + url_for(".page", brief_id=chosen.brief_id, lang=code))
                    for code, name in _languages()
                ],
            }
        return render_template(
            "portal/embed_docs.html",
            entries=entries,
            chosen=chosen,
            error=error,
            addresses=addresses,
            classes=[(name, _(what)) for name, what in CLASSES.items()],
            stylesheet=render_template("portal/_embed.css"),
        ), (400 if error else 200)

    return conditional((snap.key,), snap.last_modified, make)


def _languages() -> list[tuple[str, str]]:
    return [(c, LANGUAGE_NAMES.get(c, c)) for c in current_app.config["LANGUAGES"]]
