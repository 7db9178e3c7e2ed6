from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import utcnow
from app.extensions import db


class ForecastDataset(db.Model):
    """One imported forecast publication, with the provenance printed on every brief."""

    id: Mapped[int] = mapped_column(primary_key=True)
    publisher: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(500))
    licence: Mapped[str] = mapped_column(String(300))
    #: Edition of the forecast, e.g. ``2024-34``.
    vintage: Mapped[str] = mapped_column(String(40))
    base_year: Mapped[int]
    horizon_year: Mapped[int]
    #: Default unit of the values, e.g. ``thousand jobs``.
    unit: Mapped[str] = mapped_column(String(80))
    source_url: Mapped[str | None] = mapped_column(String(500))
    source_filename: Mapped[str] = mapped_column(String(255))
    #: SHA-256 of the imported file: the same file is not imported twice.
    source_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Name of the import profile used.
    profile: Mapped[str] = mapped_column(String(100))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    values: Mapped[list[ForecastValue]] = relationship(
        back_populates="dataset", cascade="all, delete-orphan", passive_deletes=True
    )


class ForecastValue(db.Model):
    """One number of the long table: geography x sector x occupation x indicator x year."""

    __table_args__ = (
        Index("ix_forecast_value_lookup", "dataset_id", "indicator", "sector_code", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("forecast_dataset.id", ondelete="CASCADE"))
    geography: Mapped[str] = mapped_column(String(16))
    sector_code: Mapped[str | None] = mapped_column(String(32))
    occupation_code: Mapped[str | None] = mapped_column(String(32))
    #: ISCED level or band; NULL for all qualifications.
    qualification: Mapped[str | None] = mapped_column(String(32))
    #: e.g. ``employment``, ``openings``, ``replacement_demand``.
    indicator: Mapped[str] = mapped_column(String(64))
    year: Mapped[int]
    value: Mapped[float]
    unit: Mapped[str | None] = mapped_column(String(80))
    #: Label of the sector or occupation as published.
    label: Mapped[str | None] = mapped_column(String(400))

    dataset: Mapped[ForecastDataset] = relationship(back_populates="values")
