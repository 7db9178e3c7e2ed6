"""Brief -> numbered BriefVersion (draft -> in review -> approved -> published -> superseded),
with the reviewers' comments and the outputs rendered once at publication.

A brief is permanently addressable by its id and a version number (``/briefs/<id>/v/<n>``).
A published version is frozen: its content, narrative and artefacts never change again, and
a later version supersedes it (never overwrites it). Publication itself is one
compare-and-set statement in ``app.briefs.services.publish`` (SECURITY.md 2.4), not a model
method, so that two publishers clicking at once cannot both win.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.database import utcnow
from app.errors import BriefStateError
from app.extensions import db
from app.formatting import N_

if TYPE_CHECKING:
    from app.auth.models import User
    from app.consultations.models import Consultation
    from app.councils.models import Council


class BriefStatus(enum.StrEnum):
    draft = "draft"
    in_review = "in_review"
    approved = "approved"
    published = "published"
    superseded = "superseded"


class ChangeClass(enum.StrEnum):
    """What kind of change a version after the first one is (DESIGN.md, revisions)."""

    #: New data (a later forecast vintage, a further round).
    update = "update"
    #: A better method or presentation; the data are the same.
    improvement = "improvement"
    #: An error in an earlier version is corrected: the superseded version says so.
    correction = "correction"


class RenderStatus(enum.StrEnum):
    """Where the outputs of a published version are (rendered once, after publication)."""

    #: Not published yet: nothing to render.
    none = "none"
    pending = "pending"
    rendering = "rendering"
    ready = "ready"
    failed = "failed"


#: The secretariat's narrative: the only text of a brief it writes (figures are annotated,
#: never edited). Keys in the order the brief shows them.
#: The same names as ``app.briefs.content.Narrative``.
NARRATIVE_FIELDS = ("summary", "ministries", "education_providers", "guidance_practitioners")

#: Why a version in a state cannot take an action: one whole sentence per action, so that
#: each language says it in its own words (the state is not a value of the message).
_REFUSALS = {
    "edit": N_("version %(n)s is not a draft; only a draft can be edited"),
    "submit": N_("version %(n)s is not a draft; only a draft can be sent for review"),
    "comment": N_("version %(n)s is not in review; comments are made during the review"),
    "return": N_("version %(n)s is not in review; only a version in review can be returned"),
    "approve": N_("version %(n)s is not in review; only a version in review can be approved"),
    "publish": N_("version %(n)s is not approved; only an approved version can be published"),
}


def root_language() -> str:
    """The language whose files are stored at the root of a version (the app's default)."""
    from flask import current_app, has_app_context

    return current_app.config["BABEL_DEFAULT_LOCALE"] if has_app_context() else "en"


def stored_in_language(
    stored: Callable[[str], BriefArtefact | None], name: str, lang: str | None
) -> BriefArtefact | None:
    """The one rule for finding a version's file ``name`` in ``lang``, ``stored`` finding a
    file by its stored name. The default language's files are stored at the root
    (``brief.pdf``), every other language's under ``<lang>/`` (``de/brief.pdf``); a file
    that reads the same in every language (identical bytes) is stored once, at the root, and
    found there for each language the version is stored in (the version has a
    ``<lang>/brief.html``). None when there is no such file or the version is not stored in
    ``lang``."""
    if lang is None or lang == root_language():
        return stored(name)
    own = stored(f"{lang}/{name}")
    if own is not None:
        return own
    if stored(f"{lang}/brief.html") is None:
        return None
    return stored(name)


class Brief(db.Model):
    """A sector brief; its content lives in numbered versions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id"))
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    council: Mapped[Council] = relationship()
    consultation: Mapped[Consultation | None] = relationship()
    versions: Mapped[list[BriefVersion]] = relationship(
        back_populates="brief", order_by="BriefVersion.number", cascade="all, delete-orphan"
    )

    @property
    def is_published(self) -> bool:
        """Some version is published or was (superseded versions stay public)."""
        return any(v.is_published for v in self.versions)

    @property
    def latest(self) -> BriefVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def current(self) -> BriefVersion | None:
        """The version published now (None before the first publication)."""
        return next((v for v in self.versions if v.status is BriefStatus.published), None)

    def version(self, number: int) -> BriefVersion | None:
        return next((v for v in self.versions if v.number == number), None)


class BriefVersion(db.Model):
    __table_args__ = (UniqueConstraint("brief_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brief_id: Mapped[int] = mapped_column(ForeignKey("brief.id", ondelete="CASCADE"), index=True)
    #: 1, 2, ... per brief.
    number: Mapped[int]
    status: Mapped[BriefStatus] = mapped_column(default=BriefStatus.draft)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    publisher_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: The assembled brief (sections, figures, sources) as data; frozen once published.
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The secretariat's text, by ``NARRATIVE_FIELDS`` key.
    narrative: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Notes on figures: figure key -> note (figures themselves are never edited).
    annotations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Who answers questions about this version (a name, an office, an address).
    contact: Mapped[str] = mapped_column(String(500), default="")
    #: What kind of change this version is; NULL for the first version.
    change_class: Mapped[ChangeClass | None]
    #: What changed since the previous version and why; required from version 2 on.
    change_note: Mapped[str | None]
    #: On a superseded version whose successor corrected an error: the notice shown on it.
    correction_notice: Mapped[str | None]
    #: When the correcting successor was published (the notice's date).
    corrected_at: Mapped[datetime | None]
    #: Edit counter compared on save to surface concurrent edits (and on publication).
    edit_version: Mapped[int] = mapped_column(default=1)
    #: The last comment with which a reviewer returned the version to its author.
    review_comment: Mapped[str | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]
    render_status: Mapped[RenderStatus] = mapped_column(default=RenderStatus.none)
    #: What the renderer is doing or did last ("brief.pdf"), or why it failed.
    render_note: Mapped[str] = mapped_column(String(500), default="")
    render_started_at: Mapped[datetime | None]
    rendered_at: Mapped[datetime | None]

    brief: Mapped[Brief] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    publisher: Mapped[User | None] = relationship(foreign_keys=[publisher_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    comments: Mapped[list[BriefComment]] = relationship(
        back_populates="version", order_by="BriefComment.id", cascade="all, delete-orphan"
    )
    artefacts: Mapped[list[BriefArtefact]] = relationship(
        back_populates="version", order_by="BriefArtefact.name", cascade="all, delete-orphan"
    )

    @property
    def is_published(self) -> bool:
        """Published, or superseded by a later version: permanently public either way."""
        return self.status in (BriefStatus.published, BriefStatus.superseded)

    @property
    def is_frozen(self) -> bool:
        """Approved or later: nothing of the version's text changes any more."""
        return self.status in (BriefStatus.approved, BriefStatus.published, BriefStatus.superseded)

    def artefact(self, name: str, lang: str | None = None) -> BriefArtefact | None:
        """The stored file ``name`` in ``lang`` (``stored_in_language``), from the loaded
        artefacts."""
        return stored_in_language(self._stored, name, lang)

    def _stored(self, name: str) -> BriefArtefact | None:
        return next((a for a in self.artefacts if a.name == name), None)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the outputs are stored in, the default (root) one first; none before
        they are rendered. A version rendered before briefs were stored in every language
        has the default language only."""
        names = {a.name for a in self.artefacts}
        if "brief.html" not in names:
            return ()
        others = sorted(
            name.split("/", 1)[0]
            for name in names
            if name.count("/") == 1 and name.endswith("/brief.html")
        )
        return (root_language(), *(lang for lang in others if lang != root_language()))

    def require(self, action: str, *allowed: BriefStatus) -> None:
        """Raise BriefStateError unless the version is in one of ``allowed``."""
        if self.status not in allowed:
            raise BriefStateError(_REFUSALS[action], {"n": self.number})

    def submit(self, as_of: datetime) -> None:
        self.require("submit", BriefStatus.draft)
        self.status, self.submitted_at = BriefStatus.in_review, as_of

    def return_to_draft(self, comment: str) -> None:
        self.require("return", BriefStatus.in_review)
        self.status, self.review_comment = BriefStatus.draft, comment

    def approve(self, by: User, as_of: datetime) -> None:
        self.require("approve", BriefStatus.in_review)
        self.status, self.approved_by_id, self.approved_at = BriefStatus.approved, by.id, as_of


class BriefComment(db.Model):
    """A reviewer's comment on a version in review (or the note it was returned with)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("brief_version.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    text: Mapped[str]
    #: True when the version was returned to its author with this comment.
    returned: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    version: Mapped[BriefVersion] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship()


class BriefArtefact(db.Model):
    """One output of a published version (brief.html, brief.pdf, data files, charts), rendered
    once after publication and stored as it was served; never changed or removed after."""

    __table_args__ = (UniqueConstraint("version_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("brief_version.id", ondelete="CASCADE"), index=True
    )
    #: File name, unique per version ("brief.pdf", "data/key_facts.csv").
    name: Mapped[str] = mapped_column(String(200))
    #: Exact Content-Type served, with its charset for text ("text/csv; charset=utf-8").
    media_type: Mapped[str] = mapped_column(String(100))
    #: Loaded only when read: a version has many files, and finding one needs none of them.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    #: Hex SHA-256 of ``data``.
    sha256: Mapped[str] = mapped_column(String(64))
    #: Bytes.
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    version: Mapped[BriefVersion] = relationship(back_populates="artefacts")


#: Columns of a version that never change once it is approved (the text that was approved is
#: the text published) and, for content, once it is published.
FROZEN_COLUMNS = ("content", "narrative", "annotations", "contact", "change_class", "change_note")


@event.listens_for(Session, "before_flush")
def _published_briefs_are_frozen(session: Session, _context: Any, _instances: Any) -> None:
    """Refuse, on every code path, changes to the frozen parts of approved and published
    versions and any change to stored artefacts."""
    for obj in session.dirty:
        if isinstance(obj, BriefArtefact) and session.is_modified(obj):
            raise BriefStateError(N_("the stored outputs of a published brief never change"))
        if isinstance(obj, BriefVersion):
            state = inspect(obj)
            status_history = state.attrs.status.history
            was = status_history.deleted[0] if status_history.deleted else obj.status
            if BriefStatus(was) not in (
                BriefStatus.approved,
                BriefStatus.published,
                BriefStatus.superseded,
            ):
                continue
            changed = [c for c in FROZEN_COLUMNS if state.attrs[c].history.has_changes()]
            if changed:
                raise BriefStateError(
                    N_("version %(n)s is approved or published; its text cannot change"),
                    {"n": obj.number},
                )
    for obj in session.deleted:
        if isinstance(obj, BriefArtefact):
            raise BriefStateError(N_("the stored outputs of a published brief never change"))
