"""Stored classifications: NACE Rev. 2 sectors and ISCO-08 occupation groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

if TYPE_CHECKING:
    from app.councils.models import Council


class Sector(db.Model):
    """An economic activity from a classification (NACE Rev. 2 unless stated)."""

    __table_args__ = (UniqueConstraint("classification", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Classification key, e.g. ``nace-rev2``.
    classification: Mapped[str] = mapped_column(String(32), default="nace-rev2")
    code: Mapped[str] = mapped_column(String(16))
    #: 1 section, 2 division, 3 group, 4 class.
    level: Mapped[int]
    parent_code: Mapped[str | None] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(400))
    #: Labels in other languages: {"de": "...", "fr": "..."}.
    labels: Mapped[dict[str, str]] = mapped_column(default=dict)
    description: Mapped[str] = mapped_column(default="")
    isic_ref: Mapped[str | None] = mapped_column(String(16))

    councils: Mapped[list[Council]] = relationship(back_populates="sector")

    def label_for(self, lang: str) -> str:
        return self.labels.get(lang) or self.label


class OccupationGroup(db.Model):
    """An ISCO-08 group (major, sub-major, minor or unit)."""

    __table_args__ = (UniqueConstraint("classification", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    classification: Mapped[str] = mapped_column(String(32), default="isco-08")
    code: Mapped[str] = mapped_column(String(16))
    #: 1 major .. 4 unit group.
    level: Mapped[int]
    parent_code: Mapped[str | None] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(400))
    uri: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(default="")
