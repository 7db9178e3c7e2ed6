"""Rendering a published version's outputs, once, after its publication is committed.

``start_rendering`` is registered with ``unit_of_work().after_commit`` by whoever publishes.
It runs the job in a thread of the same process (the embedded default: no worker to set up)
or, under tests, in the caller's thread (``BRIEF_RENDERING``: ``thread``, ``inline`` or
``off``). The job marks the version as rendering (visible on its page), renders every file
in every language, one language after another, outside any transaction (its page shows how
many languages are done), and stores them all in one transaction (a version stored before in
fewer languages gets the missing ones, on a retry); on an error it records the
failure, which staff can retry.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from flask import Flask, current_app

from app.briefs import services
from app.briefs.models import BriefVersion, RenderStatus
from app.briefs.render import LANGUAGES, render_brief
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


render_languages = services.render_languages


def files_url(version: BriefVersion, lang: str | None = None) -> str:
    """The public address the version's files in ``lang`` are served under (``BASE_URL``
    based): the root for the default language, ``<lang>/`` below it for the others."""
    base = current_app.config["BASE_URL"].rstrip("/")
    url = f"{base}/briefs/{version.brief_id}/v/{version.number}/"
    if lang and lang != current_app.config["BABEL_DEFAULT_LOCALE"]:
        url += f"{lang}/"
    return url


def page_url(version: BriefVersion) -> str:
    """The public address of the version's page (``BASE_URL`` based), in every language."""
    return files_url(version).rstrip("/")


def render_outputs(version: BriefVersion, *, lang: str) -> list[Output]:
    """Every output file of ``version`` in ``lang`` (``app.briefs.render.render_brief``: HTML
    page, PDF, CSV per table with the data package, XLSX, JSON, charts), its narrative, notes
    and contact put in, linking to the files of the same language; nothing stored. Raises
    ValueError for content that cannot be read."""
    brief = content_of(version)
    if brief is None:
        raise ValueError(f"brief version {version.id} has no content to render")
    rendered = render_brief(
        brief, lang=lang, base_url=files_url(version, lang), page_url=page_url(version)
    )
    return [Output(a.name, _with_charset(a.media_type), a.data) for a in rendered.artefacts]


#: The file that says a language is stored (``BriefVersion.languages``): always stored.
PAGE = "brief.html"


def stored_names(by_language: list[tuple[str, list[Output]]]) -> list[Output]:
    """The outputs of every language as they are stored: the first (default) language's at
    the root, each other language's under ``<lang>/``, except files whose bytes are the same
    as the default language's (they do not depend on the language: stored once, at the
    root, and found there by ``BriefVersion.artefact(name, lang)``)."""
    (_default, root), *others = by_language
    by_name = {o.name: o for o in root}
    stored = list(root)
    for lang, outputs in others:
        for output in outputs:
            same = by_name.get(output.name)
            if (
                output.name != PAGE
                and same is not None
                and (same.media_type, same.data) == (output.media_type, output.data)
            ):
                continue
            stored.append(Output(f"{lang}/{output.name}", output.media_type, output.data))
    return stored


def progress_note(done: int, total: int) -> str:
    """The render note while languages are rendered (``languages 1/3``), read by the staff
    page (``progress``)."""
    return f"languages {done}/{total}"


def progress(note: str) -> tuple[int, int] | None:
    """(languages rendered, languages to render) from a render note, None for another note."""
    parts = note.removeprefix("languages ").split("/") if note.startswith("languages ") else []
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return int(parts[0]), int(parts[1])
    return None


def render_version(version_id: int, languages: Sequence[str] | None = None) -> RenderStatus:
    """The rendering job: render the outputs of a published version whose outputs are due
    (pending or failed, or stored in fewer languages than there are now) in each language
    still missing, one after another (the progress is stored after each, for the staff page),
    then store them all in one transaction, or none on an error; ``languages``: only those of
    the missing ones (the others stay due). Commits its own units of work. Returns the render
    status."""
    with unit_of_work():
        version = db.session.get(BriefVersion, version_id)
        if version is None:
            return RenderStatus.none
        wanted = languages
        languages = services.missing_languages(version)
        if wanted is not None:
            languages = tuple(lang for lang in languages if lang in wanted)
        total = len(languages)
        if not total:
            return version.render_status
        if not services.begin_rendering(version, note=progress_note(0, total)):
            return version.render_status
        # a version stored before in fewer languages: its stored root files stay as they are
        root = [
            Output(a.name, a.media_type, a.data)
            for a in version.artefacts
            if a.name.split("/", 1)[0] not in LANGUAGES
        ]
    try:
        by_language = [(render_languages()[0], root)] if root else []
        for done, lang in enumerate(languages):
            if done:
                with unit_of_work():
                    version = db.session.get(BriefVersion, version_id)
                    services.rendering_progress(version, progress_note(done, total))
            version = db.session.get(BriefVersion, version_id)
            by_language.append((lang, render_outputs(version, lang=lang)))
            end_reads()
        outputs = stored_names(by_language)[len(root) :]
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


def rendering_mode(app: Flask | None = None) -> str:
    """``BRIEF_RENDERING`` as it applies: ``thread``, ``inline`` or ``off``."""
    app = app or current_app._get_current_object()
    return app.config.get("BRIEF_RENDERING") or ("inline" if app.testing else "thread")


def render_missing_later(version: BriefVersion) -> threading.Thread | None:
    """Start rendering, in a background thread, the languages a published version is not
    stored in yet (the demonstration stores its default language only, so that setting it up
    is quick); nothing when rendering does not run in threads or nothing is due."""
    if rendering_mode() != "thread" or not services.render_due(version):
        return None
    return start_rendering(version.id)


def start_rendering(version_id: int, app: Flask | None = None) -> threading.Thread | None:
    """Start the rendering job of a version, as ``BRIEF_RENDERING`` says (``thread``: a
    thread of this process, returned; ``inline``: now, in this thread; ``off``: not at all,
    the version stays pending)."""
    app = app or current_app._get_current_object()
    mode = rendering_mode(app)
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
