"""Published briefs as the open API lists and serves them (reads only).

Only versions that are published, or were and are superseded, are ever returned: drafts,
versions in review, returned or approved versions are invisible here. ``stored_file`` is the
one place that finds a stored rendering of a version by name and language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.briefs.brief_json import _sector as sector_json
from app.briefs.content import BriefContent
from app.briefs.models import BriefArtefact, BriefStatus, BriefVersion
from app.briefs.render import FORMATS
from app.briefs.snapshot import typed
from app.extensions import db

PUBLIC_STATUSES = (BriefStatus.published, BriefStatus.superseded)


def default_language() -> str:
    """The language of the renderings stored at the root names (``brief.json``)."""
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def stored_file(version: BriefVersion, name: str, lang: str | None = None) -> BriefArtefact | None:
    """The stored rendering ``name`` of ``version`` in ``lang`` (None: the default language,
    at the root name; another language under ``<lang>/<name>``), or None."""
    if lang is None or lang == default_language():
        return version.artefact(name)
    return version.artefact(f"{lang}/{name}")


def stored_languages(version: BriefVersion) -> list[str]:
    """Languages in which ``version``'s ``brief.json`` is stored, default language first."""
    names = {a.name for a in version.artefacts}
    found = [default_language()] if "brief.json" in names else []
    for lang in current_app.config["LANGUAGES"]:
        if lang not in found and f"{lang}/brief.json" in names:
            found.append(lang)
    return found


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def page_url(version: BriefVersion) -> str:
    """The permanent public page of a published version."""
    return f"{base_url()}/briefs/{version.brief_id}/v/{version.number}"


def file_urls(version: BriefVersion) -> dict[str, str]:
    """The addresses of the version's files by format (html, pdf, csv, xlsx, json)."""
    return {kind: f"{page_url(version)}/{name}" for kind, name in FORMATS.items()}


def api_url(version: BriefVersion | None = None, *, brief_id: int | None = None) -> str:
    """The version's address in the API (without a version: the brief's current one)."""
    if version is None:
        return f"{base_url()}/api/v1/briefs/{brief_id}"
    return f"{base_url()}/api/v1/briefs/{version.brief_id}/versions/{version.number}"


def current_versions() -> list[BriefVersion]:
    """The published version of every brief that has one, newest publication first."""
    query = (
        select(BriefVersion)
        .where(BriefVersion.status == BriefStatus.published)
        .options(selectinload(BriefVersion.artefacts), selectinload(BriefVersion.brief))
        .order_by(BriefVersion.published_at.desc(), BriefVersion.brief_id.desc())
    )
    return list(db.session.scalars(query))


def public_versions(brief_id: int) -> list[BriefVersion]:
    """The published and superseded versions of a brief, oldest first (none: unknown or
    never published)."""
    query = (
        select(BriefVersion)
        .where(BriefVersion.brief_id == brief_id, BriefVersion.status.in_(PUBLIC_STATUSES))
        .order_by(BriefVersion.number)
    )
    return list(db.session.scalars(query))


def public_version(brief_id: int, number: int | None = None) -> BriefVersion | None:
    """Version ``number`` of a brief if it is public; without a number, the current one."""
    versions = public_versions(brief_id)
    if number is None:
        return next((v for v in versions if v.status is BriefStatus.published), None)
    return next((v for v in versions if v.number == number), None)


@dataclass(frozen=True)
class Listed:
    """What the list says of a published version and what its filters look at."""

    version: BriefVersion
    title: str
    sector: dict[str, str | None]
    #: Codes the brief is about (its own and those they map to), for the sector filter.
    codes: tuple[str, ...]
    geography: str
    languages: tuple[str, ...]
    #: Casefolded words the search text is looked for in.
    text: str

    @property
    def published_at(self) -> datetime:
        return self.version.published_at


def listed(version: BriefVersion) -> Listed | None:
    """The list entry of a published version (None when its content cannot be read)."""
    content: BriefContent | None = typed(version.content)
    if content is None:
        return None
    header = content.header
    codes = [c.code for c in header.sector_codes] + [
        code for c in header.sector_codes for code in c.maps_to
    ]
    words = [
        version.brief.title,
        header.title,
        header.sector_label,
        header.geography,
        header.geography_label,
        *codes,
        *(t for s in content.skill_needs.items for t in s.text.values()),
        *(t for e in content.emerging_skills.skills for t in e.label.values()),
    ]
    return Listed(
        version=version,
        title=header.title,
        sector=sector_json(content),
        codes=tuple(dict.fromkeys(codes)),
        geography=header.geography,
        languages=tuple(stored_languages(version)) or (default_language(),),
        text=" ".join(w for w in words if w).casefold(),
    )


def _in_sector(codes: Iterable[str], sector: str) -> bool:
    """Whether a brief on ``codes`` is on ``sector`` or within it: ``41.2`` is within the
    division ``41`` and holds the class ``41.20``; a section letter matches itself only
    (divisions do not name their section)."""
    return any(
        code == sector
        or code.startswith(sector + ".")
        or ("." in sector and code.startswith(sector))
        for code in codes
    )


def search(
    *,
    q: str | None = None,
    sector: str | None = None,
    geography: str | None = None,
    lang: str | None = None,
) -> list[Listed]:
    """The current published briefs matching every filter given, newest publication first.

    ``q``: every word must occur in the title, sector, geography or skills; ``sector``: a
    NACE code the brief is on or within; ``geography``: the brief's geography code;
    ``lang``: a language the brief's data is stored in."""
    entries = [e for e in map(listed, current_versions()) if e is not None]
    if sector:
        entries = [e for e in entries if _in_sector(e.codes, sector)]
    if geography:
        entries = [e for e in entries if e.geography.upper() == geography.upper()]
    if lang:
        entries = [e for e in entries if lang in e.languages]
    if q:
        words = q.casefold().split()
        entries = [e for e in entries if all(w in e.text for w in words)]
    return entries
