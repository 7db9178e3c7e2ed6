"""Rendering a published version's outputs, once, after its publication is committed.

``start_rendering`` is registered with ``unit_of_work().after_commit`` by whoever publishes.
It runs the job in a thread of the same process (the embedded default: no worker to set up)
or, under tests, in the caller's thread (``BRIEF_RENDERING``: ``thread``, ``inline`` or
``off``). The job marks the version as rendering (visible on its page), renders every file
outside any transaction, and stores them in one transaction; on an error it records the
failure, which staff can retry.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from app.briefs import services
from app.briefs.models import BriefVersion, RenderStatus
from app.briefs.render import render_brief
from app.briefs.services import Output
from app.briefs.snapshot import content_of
from app.extensions import db
from app.unit import end_reads, unit_of_work

log = logging.getLogger(__name__)


#: Media types served with their charset (SECURITY.md 2.5: exact type, with charset).
TEXT_TYPES = ("text/", "application/json", "image/svg+xml")


def _with_charset(media_type: str) -> str:
    if media_type.startswith(TEXT_TYPES) and "charset=" not in media_type:
        return f"{media_type}; charset=utf-8"
    return media_type


def files_url(version: BriefVersion) -> str:
    """The public address the version's files are served under (``BASE_URL`` based)."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/briefs/{version.brief_id}/v/{version.number}/"


def render_outputs(version: BriefVersion, *, lang: str) -> list[Output]:
    """Every output file of ``version`` (``app.briefs.render.render_brief``: HTML page, PDF,
    CSV per table with the data package, XLSX, JSON, charts), its narrative, notes and
    contact put in; nothing stored. Raises ValueError for content that cannot be read."""
    brief = content_of(version)
    if brief is None:
        raise ValueError(f"brief version {version.id} has no content to render")
    rendered = render_brief(brief, lang=lang, base_url=files_url(version))
    return [Output(a.name, _with_charset(a.media_type), a.data) for a in rendered.artefacts]


def render_version(version_id: int) -> RenderStatus:
    """The rendering job: render and store the outputs of a published version whose outputs
    are due (pending or failed). Commits its own units of work. Returns the render status."""
    with unit_of_work():
        version = db.session.get(BriefVersion, version_id)
        if version is None or not services.begin_rendering(version, note="rendering"):
            return version.render_status if version is not None else RenderStatus.none
    version = db.session.get(BriefVersion, version_id)
    lang = current_app.config["BABEL_DEFAULT_LOCALE"]
    try:
        outputs = render_outputs(version, lang=lang)
        end_reads()
        with unit_of_work():
            version = db.session.get(BriefVersion, version_id)
            services.store_outputs(version, outputs)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded; staff can retry
        log.exception("rendering brief version %s failed", version_id)
        db.session.rollback()
        with unit_of_work():
            version = db.session.get(BriefVersion, version_id)
            services.rendering_failed(version, f"{type(exc).__name__}: {exc}")
        return RenderStatus.failed
    return RenderStatus.ready


def start_rendering(version_id: int, app: Flask | None = None) -> threading.Thread | None:
    """Start the rendering job of a version, as ``BRIEF_RENDERING`` says (``thread``: a
    thread of this process, returned; ``inline``: now, in this thread; ``off``: not at all,
    the version stays pending)."""
    app = app or current_app._get_current_object()
    mode = app.config.get("BRIEF_RENDERING") or ("inline" if app.testing else "thread")
    if mode == "off":
        return None
    if mode == "inline":
        render_version(version_id)
        return None

    def job() -> None:
        with app.app_context():
            try:
                render_version(version_id)
            finally:
                db.session.remove()

    thread = threading.Thread(target=job, name=f"render-brief-{version_id}", daemon=True)
    thread.start()
    return thread
