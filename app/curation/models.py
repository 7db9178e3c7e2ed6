"""Themes curated from a round's free-text answers; approved themes become rating items.

Beside the curation code that makes them. A theme holds statements as text only: never a
response id or anything else that leads back to whoever wrote them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.consultations.models import Consultation


class Theme(db.Model):
    """A theme curated from free-text answers; approved themes become rating items."""

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    #: The round whose free text the theme came from.
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id", ondelete="SET NULL"))
    #: Label per language: {"en": "...", "de": "..."}.
    label: Mapped[dict[str, str]]
    #: Anonymised statements supporting the theme (text only, no respondent).
    statements: Mapped[list[Any]] = mapped_column(default=list)
    #: Linked ESCO skill URIs.
    esco_uris: Mapped[list[Any]] = mapped_column(default=list)
    approved: Mapped[bool] = mapped_column(default=False)
    #: Key of the rating item made from this theme in the next round.
    item_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    consultation: Mapped[Consultation] = relationship(back_populates="themes")
