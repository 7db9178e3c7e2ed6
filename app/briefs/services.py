"""The life of a brief: draft, review, approval, publication, supersession, correction.

Every service takes the acting user (``by``), asks the policy (``app.auth.policy``) about the
object, adds and flushes, never commits, and audits the transition. Two writes are
compare-and-set statements, so that concurrent requests cannot both win (SECURITY.md 2.4):
saving the narrative (``WHERE edit_version = :expected``, else ``EditConflict``, 409) and
publishing (``WHERE status = 'approved' AND edit_version = :v AND author_id <> :publisher``,
rowcount 1 or a refusal).

The outputs of a published version are rendered after the publication is committed
(``app.briefs.rendering``) and stored once (``store_outputs``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import defer, joinedload

from app.audit.services import record
from app.auth.models import Role, User
from app.auth.policy import Act, authorize
from app.briefs.models import (
    NARRATIVE_FIELDS,
    Brief,
    BriefArtefact,
    BriefComment,
    BriefStatus,
    BriefVersion,
    ChangeClass,
    RenderStatus,
    root_language,
)
from app.briefs.queries import Selection
from app.briefs.render import LANGUAGES as BRIEF_LANGUAGES
from app.briefs.snapshot import assemble_content, figure_keys
from app.consultations.models import Consultation, ConsultationStatus, RoundStatus
from app.database import utcnow
from app.errors import BriefStateError, InvalidInput, NotAllowed, NotFound
from app.extensions import db
from app.formatting import N_
from app.problems import Problem
from app.text import LINE_BREAKS_AND_TABS, has_control_characters

#: Longest brief title, contact and narrative text (characters).
MAX_TITLE_LENGTH = 300
MAX_CONTACT_LENGTH = 500
MAX_TEXT_LENGTH = 20_000
MAX_NOTE_LENGTH = 4_000
MAX_COMMENT_LENGTH = 10_000


class EditConflict(BriefStateError):
    """Someone saved the draft since the form was opened (409). ``theirs`` is what is stored
    now (narrative, annotations, contact, change note, edit version), for the merge view."""

    def __init__(self, version: BriefVersion) -> None:
        super().__init__(
            N_(
                "someone else saved version %(n)s while you were editing it; both texts are "
                "shown: merge them and save again"
            ),
            {"n": version.number},
        )
        self.theirs = Draft.of(version)


@dataclass(frozen=True)
class Draft:
    """The secretariat's editable part of a version, as a form holds it."""

    narrative: dict[str, str]
    annotations: dict[str, str]
    contact: str
    change_note: str
    edit_version: int

    @classmethod
    def of(cls, version: BriefVersion) -> Draft:
        return cls(
            narrative={k: str((version.narrative or {}).get(k) or "") for k in NARRATIVE_FIELDS},
            annotations=dict(version.annotations or {}),
            contact=version.contact or "",
            change_note=version.change_note or "",
            edit_version=version.edit_version,
        )


# ----------------------------------------------------------------------------- look-ups


def get_brief_for(user: User | None, brief_id: int, act: Act = Act.view) -> Brief:
    """The brief if the policy lets ``user`` do ``act`` with it; else NotFound/NotAllowed."""
    brief = db.session.get(Brief, brief_id)
    authorize(user, act, brief, what="brief")
    return brief


def get_version_for(
    user: User | None, brief_id: int, number: int, act: Act = Act.view
) -> BriefVersion:
    """Version ``number`` of a brief, checked like ``get_brief_for`` on the version itself
    (a draft is hidden from whoever may not see drafts of the brief)."""
    brief = db.session.get(Brief, brief_id)
    version = brief.version(number) if brief is not None else None
    authorize(user, act, version, what="brief_version")
    return version


#: A version without its large frozen columns (loaded when read): what public pages need
#: to find it, name it and say what happened to it since.
def _light() -> tuple:
    return (
        defer(BriefVersion.content),
        defer(BriefVersion.narrative),
        defer(BriefVersion.annotations),
    )


def published_version(brief_id: int, number: int) -> BriefVersion:
    """A published (or superseded) version, for anyone; drafts and unknown ones: NotFound."""
    version = db.session.scalars(
        select(BriefVersion)
        .where(
            BriefVersion.brief_id == brief_id,
            BriefVersion.number == number,
            BriefVersion.status.in_([BriefStatus.published, BriefStatus.superseded]),
        )
        .options(*_light(), joinedload(BriefVersion.brief))
    ).first()
    if version is None:
        raise NotFound(N_("no such brief version"))
    return version


def stored_pages(version: BriefVersion) -> dict[str, BriefArtefact]:
    """The stored page (``brief.html``) of a version in each language it is stored in, the
    default (root) one first, as ``BriefVersion.languages`` orders them; empty before the
    version is rendered. One small query, whatever else is stored."""
    rows = db.session.scalars(
        select(BriefArtefact).where(
            BriefArtefact.version_id == version.id,
            or_(BriefArtefact.name == "brief.html", BriefArtefact.name.like("%/brief.html")),
        )
    ).all()
    by_name = {a.name: a for a in rows}
    root = by_name.get("brief.html")
    if root is None:
        return {}
    pages = {root_language(): root}
    for name in sorted(n for n in by_name if n.count("/") == 1):
        lang = name.split("/", 1)[0]
        if lang != root_language():
            pages[lang] = by_name[name]
    return pages


def briefs_for(user: User) -> list[Brief]:
    """The briefs ``user`` may see on staff pages, newest first: the secretariat's own
    councils', every brief for officials and publishers, published ones for others."""
    query = select(Brief).order_by(Brief.created_at.desc(), Brief.id.desc())
    if user.role is Role.secretariat:
        ids = [c.id for c in user.councils]
        query = query.where(Brief.council_id.in_(ids)) if ids else query.where(False)
    briefs = list(db.session.scalars(query))
    if user.role not in (Role.secretariat, Role.official, Role.publisher):
        briefs = [b for b in briefs if b.is_published]
    return briefs


def versions_in(status: BriefStatus) -> list[BriefVersion]:
    """Versions in ``status``, oldest submission first (the review and approval queues)."""
    return list(
        db.session.scalars(
            select(BriefVersion)
            .where(BriefVersion.status == status)
            .order_by(BriefVersion.submitted_at, BriefVersion.id)
        )
    )


def draftable_consultations(user: User) -> list[Consultation]:
    """The consultations of ``user``'s councils a brief can be drafted from."""
    return [
        c
        for council in getattr(user, "councils", ())
        for c in sorted(council.consultations, key=lambda c: c.id)
        if closed_enough(c)
    ]


def closed_enough(consultation: Consultation) -> bool:
    """A brief reports a consultation that is finished, or whose rounds are all closed (at
    least one with results, none open)."""
    if consultation.status is ConsultationStatus.finished:
        return True
    rounds = consultation.rounds
    closed = (RoundStatus.closed, RoundStatus.released)
    return any(r.status in closed for r in rounds) and not any(
        r.status is RoundStatus.open for r in rounds
    )


# ----------------------------------------------------------------------------- checks


def _single_line(value: str, field: str, limit: int, *, required: bool) -> list[Problem]:
    if has_control_characters(value):
        return [Problem(N_("remove line breaks, tabs and other control characters"), field=field)]
    if required and not value.strip():
        return [Problem(N_("this cannot be empty"), field=field)]
    if len(value) > limit:
        return [Problem(N_("at most %(n)s characters"), field=field, params={"n": limit})]
    return []


def _text(value: str, field: str, limit: int, *, required: bool = False) -> list[Problem]:
    if has_control_characters(value, allow=LINE_BREAKS_AND_TABS):
        return [
            Problem(N_("remove control characters other than line breaks and tabs"), field=field)
        ]
    if required and not value.strip():
        return [Problem(N_("this cannot be empty"), field=field)]
    if len(value) > limit:
        return [Problem(N_("at most %(n)s characters"), field=field, params={"n": limit})]
    return []


def _change_class(value: ChangeClass | str | None) -> ChangeClass:
    try:
        return ChangeClass(value)
    except ValueError:
        raise InvalidInput(
            N_("the kind of change is missing or unknown"),
            [Problem(N_("choose update, improvement or correction"), field="change_class")],
        ) from None


# ----------------------------------------------------------------------------- drafting


def create_draft(
    consultation: Consultation,
    *,
    by: User,
    title: str,
    contact: str = "",
    selections: Iterable[Selection] | None = None,
    as_of: datetime | None = None,
) -> BriefVersion:
    """Start a brief of a closed consultation: the brief and its version 1 as a draft, its
    content assembled from the consultation and the forecast values of ``selections`` (None:
    the series the consultation binds).
    Only the council's secretariat. Raises NotFound, InvalidInput, BriefStateError.
    Flushes; audited (``brief-created``)."""
    authorize(by, Act.run, consultation, what="consultation")
    title, contact = (title or "").strip(), (contact or "").strip()
    problems = _single_line(title, "title", MAX_TITLE_LENGTH, required=True)
    problems += _single_line(contact, "contact", MAX_CONTACT_LENGTH, required=False)
    if problems:
        raise InvalidInput(N_("the brief cannot be started with these details"), problems)
    if not closed_enough(consultation):
        raise BriefStateError(
            N_(
                "a brief reports a closed consultation: close its rounds (none open, at least "
                "one with results) or finish it first"
            )
        )
    as_of = as_of or utcnow()
    brief = Brief(
        council_id=consultation.council_id, consultation=consultation, title=title, created_at=as_of
    )
    version = BriefVersion(
        brief=brief,
        number=1,
        author_id=by.id,
        content=assemble_content(consultation, title=title, as_of=as_of, selections=selections),
        narrative={k: "" for k in NARRATIVE_FIELDS},
        annotations={},
        contact=contact,
        created_at=as_of,
    )
    db.session.add_all([brief, version])
    db.session.flush()
    record(
        "brief-created",
        actor=by,
        object_type="brief",
        object_id=brief.id,
        details={"consultation": consultation.id, "version": version.id},
    )
    return version


def new_version(
    brief: Brief,
    *,
    by: User,
    change_class: ChangeClass | str,
    change_note: str,
    selections: Iterable[Selection] | None = None,
    as_of: datetime | None = None,
) -> BriefVersion:
    """A new draft after the published version: the narrative, annotations and contact
    copied, the content assembled again from the consultation (with ``selections``).
    ``change_note`` says what changes and why. Only the council's secretariat, only when no
    version is in progress. Raises NotFound, InvalidInput, BriefStateError. Flushes; audited."""
    authorize(by, Act.run, brief)
    kind = _change_class(change_class)
    note = (change_note or "").strip()
    problems = _text(note, "change_note", MAX_NOTE_LENGTH, required=True)
    if problems:
        raise InvalidInput(N_("say what changes in the new version and why"), problems)
    latest = brief.latest
    if latest is None or not latest.is_published:
        raise BriefStateError(
            N_(
                "version %(n)s is not published yet; a new version starts after the "
                "publication of the last one"
            ),
            {"n": latest.number if latest else 0},
        )
    as_of = as_of or utcnow()
    consultation = brief.consultation
    content = (
        assemble_content(
            consultation,
            title=brief.title,
            as_of=as_of,
            version=latest.number + 1,
            selections=selections,
        )
        if consultation is not None
        else dict(latest.content)
    )
    keys = set(figure_keys(content))
    version = BriefVersion(
        brief=brief,
        number=latest.number + 1,
        author_id=by.id,
        content=content,
        narrative=dict(latest.narrative or {}),
        annotations={k: v for k, v in (latest.annotations or {}).items() if k in keys},
        contact=latest.contact,
        change_class=kind,
        change_note=note,
        created_at=as_of,
    )
    db.session.add(version)
    db.session.flush()
    record(
        "brief-version-created",
        actor=by,
        object_type="brief_version",
        object_id=version.id,
        details={"brief": brief.id, "number": version.number, "change_class": kind.value},
    )
    return version


def save_narrative(
    version: BriefVersion,
    narrative: Mapping[str, str],
    annotations: Mapping[str, str],
    expected_edit_version: int,
    *,
    by: User,
    contact: str | None = None,
    change_note: str | None = None,
) -> BriefVersion:
    """Save the secretariat's text of a draft: the narrative (``NARRATIVE_FIELDS``), notes on
    figures (figure key -> note; empty notes are dropped), and optionally the contact and the
    change note. One compare-and-set on ``edit_version``: a save over a newer one raises
    EditConflict (409, carrying what is stored) and changes nothing. Raises NotFound,
    InvalidInput, BriefStateError. Flushes; audited (``brief-narrative-saved``)."""
    authorize(by, Act.run, version)
    version.require("edit", BriefStatus.draft)
    texts = {k: str(narrative.get(k) or "") for k in NARRATIVE_FIELDS}
    problems = [p for k, v in texts.items() for p in _text(v, k, MAX_TEXT_LENGTH)]
    unknown = sorted(set(narrative) - set(NARRATIVE_FIELDS))
    problems += [Problem(N_("no such part of the narrative"), field=k) for k in unknown]
    keys = set(figure_keys(version.content))
    notes = {}
    for key, note in annotations.items():
        note = str(note or "").strip()
        if key not in keys:
            problems.append(
                Problem(
                    N_("the brief has no figure %(key)s"),
                    field=f"annotation-{key}",
                    params={"key": key},
                )
            )
        elif note:
            problems += _text(note, f"annotation-{key}", MAX_NOTE_LENGTH)
            notes[key] = note
    values: dict[str, Any] = {"narrative": texts, "annotations": notes}
    if contact is not None:
        contact = contact.strip()
        problems += _single_line(contact, "contact", MAX_CONTACT_LENGTH, required=False)
        values["contact"] = contact
    if change_note is not None and version.number > 1:
        change_note = change_note.strip()
        problems += _text(change_note, "change_note", MAX_NOTE_LENGTH, required=True)
        values["change_note"] = change_note
    if problems:
        raise InvalidInput(N_("the draft was not saved"), problems)
    result = db.session.execute(
        update(BriefVersion)
        .where(
            BriefVersion.id == version.id,
            BriefVersion.status == BriefStatus.draft,
            BriefVersion.edit_version == expected_edit_version,
        )
        .values(**values, edit_version=BriefVersion.edit_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(version)
    if result.rowcount != 1:
        version.require("edit", BriefStatus.draft)
        raise EditConflict(version)
    record(
        "brief-narrative-saved",
        actor=by,
        object_type="brief_version",
        object_id=version.id,
        details={"brief": version.brief_id, "edit_version": version.edit_version},
    )
    return version


# ----------------------------------------------------------------------------- review


def submit_for_review(version: BriefVersion, *, by: User, as_of: datetime | None = None) -> None:
    """Send a draft to the officials. From version 2 on it needs its change note. Raises
    NotFound, InvalidInput, BriefStateError. Flushes; audited (``brief-submitted``)."""
    authorize(by, Act.run, version)
    version.require("submit", BriefStatus.draft)
    if version.number > 1 and not (version.change_note or "").strip():
        raise InvalidInput(
            N_("say what changed since the previous version and why before sending it"),
            [Problem(N_("this cannot be empty"), field="change_note")],
        )
    version.submit(as_of or utcnow())
    db.session.flush()
    _audit("brief-submitted", by, version)


def comment(
    version: BriefVersion, text: str, *, by: User, as_of: datetime | None = None
) -> BriefComment:
    """An official's comment on a version in review. Raises NotFound, NotAllowed,
    InvalidInput, BriefStateError. Flushes; audited (``brief-commented``)."""
    authorize(by, Act.review, version)
    version.require("comment", BriefStatus.in_review)
    return _comment(version, text, by=by, returned=False, as_of=as_of)


def return_to_author(
    version: BriefVersion, text: str, *, by: User, as_of: datetime | None = None
) -> BriefComment:
    """Return a version in review to its author as a draft, with a comment saying why.
    Raises NotFound, NotAllowed, InvalidInput, BriefStateError. Flushes; audited."""
    authorize(by, Act.review, version)
    version.require("return", BriefStatus.in_review)
    note = _comment(version, text, by=by, returned=True, as_of=as_of)
    version.return_to_draft(note.text)
    db.session.flush()
    _audit("brief-returned", by, version)
    return note


def _comment(
    version: BriefVersion, text: str, *, by: User, returned: bool, as_of: datetime | None
) -> BriefComment:
    text = (text or "").strip()
    problems = _text(text, "comment", MAX_COMMENT_LENGTH, required=True)
    if problems:
        raise InvalidInput(N_("the comment was not saved"), problems)
    note = BriefComment(
        version=version, author_id=by.id, text=text, returned=returned, created_at=as_of or utcnow()
    )
    db.session.add(note)
    db.session.flush()
    if not returned:
        _audit("brief-commented", by, version, comment=note.id)
    return note


def approve(version: BriefVersion, *, by: User, as_of: datetime | None = None) -> None:
    """An official approves a version in review: it can now be published, and its text no
    longer changes. Raises NotFound, NotAllowed, BriefStateError. Flushes; audited."""
    authorize(by, Act.review, version)
    version.approve(by, as_of or utcnow())
    db.session.flush()
    _audit("brief-approved", by, version)


# ----------------------------------------------------------------------------- publication


def publish(
    version: BriefVersion,
    *,
    by: User,
    expected_edit_version: int | None = None,
    as_of: datetime | None = None,
) -> list[BriefVersion]:
    """Publish an approved version: one compare-and-set statement (SECURITY.md 2.4) that
    succeeds for exactly one of any number of concurrent publishers, never for the
    version's author. ``expected_edit_version`` is the edit counter the publisher saw (the
    current one when None). In the same transaction the brief's previously published version
    becomes superseded, with a dated correction notice when this version corrects an error.
    Returns the superseded versions. The outputs are rendered after commit
    (``app.briefs.rendering``). Raises NotFound, NotAllowed, BriefStateError. Flushes;
    audited (``brief-published``, ``brief-superseded``)."""
    authorize(by, Act.publish, version)
    expected = version.edit_version if expected_edit_version is None else expected_edit_version
    now = as_of or utcnow()
    result = db.session.execute(
        update(BriefVersion)
        .where(
            BriefVersion.id == version.id,
            BriefVersion.status == BriefStatus.approved,
            BriefVersion.edit_version == expected,
            or_(BriefVersion.author_id.is_(None), BriefVersion.author_id != by.id),
        )
        .values(
            status=BriefStatus.published,
            publisher_id=by.id,
            published_at=now,
            render_status=RenderStatus.pending,
            render_note="",
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(version)
    if result.rowcount != 1:
        _publication_refused(version, by, expected)
    superseded = [
        v for v in version.brief.versions if v.status is BriefStatus.published and v is not version
    ]
    correction = version.change_class is ChangeClass.correction
    for old in superseded:
        db.session.execute(
            update(BriefVersion)
            .where(BriefVersion.id == old.id, BriefVersion.status == BriefStatus.published)
            .values(
                status=BriefStatus.superseded,
                superseded_at=now,
                correction_notice=version.change_note if correction else None,
                corrected_at=now if correction else None,
            )
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(old)
    _audit(
        "brief-published",
        by,
        version,
        edit_version=expected,
        superseded=[v.number for v in superseded],
    )
    for old in superseded:
        _audit("brief-superseded", by, old, by_version=version.number, correction=correction)
    return superseded


def _publication_refused(version: BriefVersion, by: User, expected: int) -> None:
    if version.status in (BriefStatus.published, BriefStatus.superseded):
        raise BriefStateError(N_("version %(n)s has been published already"), {"n": version.number})
    version.require("publish", BriefStatus.approved)
    if version.author_id is not None and version.author_id == by.id:
        raise NotAllowed(N_("the author of a version cannot publish it"))
    raise BriefStateError(
        N_(
            "version %(n)s changed since you opened it (edit %(seen)s, now %(now)s); check it again"
        ),
        {"n": version.number, "seen": expected, "now": version.edit_version},
    )


def errata(brief: Brief) -> list[BriefVersion]:
    """The brief's published corrections, oldest first: each version of class correction
    that is or was published, with its note (``change_note``) and date (``published_at``)."""
    query = (
        select(BriefVersion)
        .where(
            BriefVersion.brief_id == brief.id,
            BriefVersion.change_class == ChangeClass.correction,
            BriefVersion.status.in_([BriefStatus.published, BriefStatus.superseded]),
        )
        .options(*_light())
        .order_by(BriefVersion.number)
    )
    return list(db.session.scalars(query))


def successor(version: BriefVersion) -> BriefVersion | None:
    """The published version that superseded ``version`` (None while it is current)."""
    if version.status is not BriefStatus.superseded:
        return None
    query = (
        select(BriefVersion)
        .where(
            BriefVersion.brief_id == version.brief_id,
            BriefVersion.number > version.number,
            BriefVersion.status.in_([BriefStatus.published, BriefStatus.superseded]),
        )
        .options(*_light())
        .order_by(BriefVersion.number)
        .limit(1)
    )
    return db.session.scalars(query).first()


# ----------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Output:
    """One rendered file of a version, before it is stored."""

    name: str
    media_type: str
    data: bytes


#: A render that started this long ago and never finished may be started again.
STALE_RENDER = timedelta(minutes=15)


def render_languages() -> tuple[str, ...]:
    """The languages a published version is rendered in: the default one (stored at the
    root) first, then every other configured language briefs can be rendered in."""
    cfg = current_app.config
    default = cfg["BABEL_DEFAULT_LOCALE"]
    others = [lang for lang in cfg["LANGUAGES"] if lang != default and lang in BRIEF_LANGUAGES]
    return (default, *others)


def missing_languages(version: BriefVersion) -> tuple[str, ...]:
    """The languages a version's outputs are still to be stored in: all of them before its
    first render; those that came after it for a version stored in fewer languages."""
    stored = version.languages
    return tuple(lang for lang in render_languages() if lang not in stored)


def render_due(version: BriefVersion, *, as_of: datetime | None = None) -> bool:
    """Whether the outputs of a published version may be rendered (again): not stored in
    every language yet, and no render running (or one that started ``STALE_RENDER`` ago and
    never finished)."""
    if not version.is_published or not missing_languages(version):
        return False
    if version.render_status is RenderStatus.rendering:
        started = version.render_started_at
        return started is None or (as_of or utcnow()) - started > STALE_RENDER
    # a version stored in fewer languages than there are now is ready, and due
    return bool(version.artefacts) or version.render_status is not RenderStatus.ready


def begin_rendering(
    version: BriefVersion, *, note: str = "", as_of: datetime | None = None
) -> bool:
    """Mark a published version's outputs as being rendered. False (and nothing changed)
    when they are rendered already or being rendered. Flushes."""
    if not render_due(version, as_of=as_of):
        return False
    version.render_status, version.render_note = RenderStatus.rendering, note
    version.render_started_at = as_of or utcnow()
    db.session.flush()
    return True


def rendering_progress(version: BriefVersion, note: str) -> None:
    """Record how far a running render is (``note``, shown on the staff page). Nothing
    changes unless the version is being rendered. Flushes."""
    if version.render_status is RenderStatus.rendering:
        version.render_note = note[:500]
        db.session.flush()


def store_outputs(
    version: BriefVersion, outputs: Iterable[Output], *, as_of: datetime | None = None
) -> list[BriefArtefact]:
    """Store the rendered outputs of a published version, once: refused when some are
    stored already, except for the files of languages it is not stored in yet (under
    ``<lang>/``), which are added beside them. Flushes; audited (``brief-rendered``, with
    each added file's SHA-256)."""
    outputs = list(outputs)
    if version.artefacts:
        missing = tuple(f"{lang}/" for lang in missing_languages(version))
        stored_names = {a.name for a in version.artefacts}
        if not outputs or any(
            o.name in stored_names or not o.name.startswith(missing) for o in outputs
        ):
            raise BriefStateError(N_("the stored outputs of a published brief never change"))
    now = as_of or utcnow()
    stored = []
    for output in outputs:
        stored.append(
            BriefArtefact(
                version=version,
                name=output.name,
                media_type=output.media_type,
                data=output.data,
                sha256=hashlib.sha256(output.data).hexdigest(),
                size=len(output.data),
                created_at=now,
            )
        )
    db.session.add_all(stored)
    version.render_status, version.render_note, version.rendered_at = (
        RenderStatus.ready,
        "",
        now,
    )
    db.session.flush()
    record(
        "brief-rendered",
        actor="system",
        object_type="brief_version",
        object_id=version.id,
        details={"brief": version.brief_id, "files": {a.name: a.sha256 for a in stored}},
    )
    return stored


def rendering_failed(version: BriefVersion, reason: str) -> None:
    """Record that rendering failed (``reason`` is shown to staff). Flushes; audited."""
    version.render_status, version.render_note = RenderStatus.failed, reason[:500]
    db.session.flush()
    record(
        "brief-render-failed",
        actor="system",
        object_type="brief_version",
        object_id=version.id,
        details={"brief": version.brief_id, "reason": reason[:500]},
    )


def retry_rendering(version: BriefVersion, *, by: User) -> None:
    """Allow the outputs of a published version to be rendered again after a failure (or a
    render that never finished). Raises NotFound, NotAllowed, BriefStateError. Flushes;
    audited (``brief-render-retried``)."""
    authorize(by, Act.view, version)
    if by is None or getattr(by, "role", None) not in (Role.publisher, Role.secretariat):
        raise NotAllowed(N_("you may not do this with this brief version"))
    if not render_due(version):
        raise BriefStateError(
            N_("the outputs of version %(n)s are stored already or not due"), {"n": version.number}
        )
    version.render_status, version.render_note = RenderStatus.pending, ""
    db.session.flush()
    _audit("brief-render-retried", by, version)


def _audit(action: str, by: User, version: BriefVersion, **details: Any) -> None:
    record(
        action,
        actor=by,
        object_type="brief_version",
        object_id=version.id,
        details={"brief": version.brief_id, "number": version.number, **details},
    )
