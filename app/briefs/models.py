from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import utcnow
from app.errors import BriefStateError, NotAllowed
from app.extensions import db

if TYPE_CHECKING:
    from app.auth.models import User
    from app.consultations.models import Consultation
    from app.councils.models import Council


class BriefStatus(enum.StrEnum):
    draft = "draft"
    in_review = "in_review"
    published = "published"
    superseded = "superseded"


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
    #: Edit counter compared on save to surface concurrent edits.
    edit_version: Mapped[int] = mapped_column(default=1)
    review_comment: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]

    brief: Mapped[Brief] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    publisher: Mapped[User | None] = relationship(foreign_keys=[publisher_id])

    @property
    def is_published(self) -> bool:
        """Published, or superseded by a later version: permanently public either way."""
        return self.status in (BriefStatus.published, BriefStatus.superseded)

    def _require(self, *allowed: BriefStatus, action: str) -> None:
        if self.status not in allowed:
            raise BriefStateError(f"version {self.number} is {self.status}; it cannot be {action}")

    def edit(self, content: dict[str, Any], expected_edit_version: int) -> None:
        self._require(BriefStatus.draft, action="edited")
        if expected_edit_version != self.edit_version:
            raise BriefStateError("someone else saved this draft meanwhile; reload to merge")
        self.content = content
        self.edit_version += 1

    def submit(self, as_of: datetime) -> None:
        self._require(BriefStatus.draft, action="sent for review")
        self.status, self.submitted_at = BriefStatus.in_review, as_of

    def return_to_draft(self, comment: str) -> None:
        self._require(BriefStatus.in_review, action="returned")
        self.status, self.review_comment = BriefStatus.draft, comment

    def publish(self, by: User, as_of: datetime) -> None:
        self._require(BriefStatus.in_review, action="published")
        if by.id is not None and by.id == self.author_id:
            raise NotAllowed("the author of a version cannot publish it")
        self.status, self.publisher_id, self.published_at = BriefStatus.published, by.id, as_of

    def supersede(self, as_of: datetime) -> None:
        self._require(BriefStatus.published, action="superseded")
        self.status, self.superseded_at = BriefStatus.superseded, as_of
