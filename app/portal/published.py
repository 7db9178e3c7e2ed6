"""Published briefs as the open API lists and serves them (reads only).

Only versions that are published, or were and are superseded, are ever returned: drafts,
versions in review, returned or approved versions are invisible here. ``stored_file`` is the
one place that finds a stored rendering of a version by name and language.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import defer, selectinload

from app.briefs.models import BriefArtefact, BriefStatus, BriefVersion, stored_in_language
from app.briefs.render import FORMATS
from app.extensions import db

PUBLIC_STATUSES = (BriefStatus.published, BriefStatus.superseded)


def default_language() -> str:
    """The language of the renderings stored at the root names (``brief.json``)."""
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def stored_file(version: BriefVersion, name: str, lang: str | None = None) -> BriefArtefact | None:
    """The stored rendering ``name`` of ``version`` in ``lang`` (None: the default
    language), by the rule of ``stored_in_language``, each file found by one query."""
    return stored_in_language(lambda stored: _stored(version, stored), name, lang)


def _stored(version: BriefVersion, name: str) -> BriefArtefact | None:
    """One stored file by name (one row; its bytes loaded when read)."""
    return db.session.scalars(
        select(BriefArtefact).where(
            BriefArtefact.version_id == version.id, BriefArtefact.name == name
        )
    ).first()


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def page_url(version: BriefVersion | None = None, *, brief_id: int = 0, number: int = 0) -> str:
    """The permanent public page of a published version (or of ``brief_id``'s ``number``)."""
    if version is not None:
        brief_id, number = version.brief_id, version.number
    return f"{base_url()}/briefs/{brief_id}/v/{number}"


def file_urls(version: BriefVersion | None = None, *, brief_id: int = 0, number: int = 0):
    """The addresses of the version's files by format (html, pdf, csv, xlsx, json)."""
    page = page_url(version, brief_id=brief_id, number=number)
    return {kind: f"{page}/{name}" for kind, name in FORMATS.items()}


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
        .options(
            defer(BriefVersion.content),
            defer(BriefVersion.narrative),
            defer(BriefVersion.annotations),
        )
        .order_by(BriefVersion.number)
    )
    return list(db.session.scalars(query))


def public_version(brief_id: int, number: int | None = None) -> BriefVersion | None:
    """Version ``number`` of a brief if it is public; without a number, the current one."""
    versions = public_versions(brief_id)
    if number is None:
        return next((v for v in versions if v.status is BriefStatus.published), None)
    return next((v for v in versions if v.number == number), None)
