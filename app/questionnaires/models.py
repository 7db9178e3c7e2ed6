"""Stored copies of the questionnaire versions that consultations use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import utcnow
from app.extensions import db


class QuestionnaireVersion(db.Model):
    """A questionnaire file as it was when a consultation was created from it."""

    __tablename__ = "questionnaire"
    __table_args__ = (UniqueConstraint("key", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: File key (``surveys/<key>.yaml``) and declared version.
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(40))
    format_version: Mapped[int]
    #: SHA-256 of the file bytes.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: The file's text, kept so results stay explainable after the file changes.
    source_text: Mapped[str]
    #: The parsed questionnaire (``Questionnaire.to_dict()``).
    spec: Mapped[dict[str, Any]]
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)
