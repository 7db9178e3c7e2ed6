from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import user_council
from app.database import utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.auth.models import User
    from app.classifications.models import Sector
    from app.consultations.models import Consultation


class Council(db.Model):
    """A sector skills council: one sector in one geography."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    sector_id: Mapped[int] = mapped_column(ForeignKey("sector.id"))
    #: Where the council works: an ISO 3166 country code, ``EU``, or a NUTS region code.
    geography: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sector: Mapped[Sector] = relationship(back_populates="councils")
    staff: Mapped[list[User]] = relationship(secondary=user_council, back_populates="councils")
    consultations: Mapped[list[Consultation]] = relationship(
        back_populates="council", order_by="Consultation.id"
    )
