from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.database import utcnow
from app.extensions import db


class AuditEvent(db.Model):
    """One state change or security-relevant event. Rows are never updated or deleted."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Staff user id; NULL for the system, the command line or a panellist.
    actor_id: Mapped[int | None]
    #: Readable actor: an e-mail address, ``cli``, ``system`` or ``panellist``.
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: SHA-256 of the previous event's hash and this event's canonical content.
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
