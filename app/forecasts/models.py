"""Statistical labour-market forecasts with their provenance, and the series a consultation
binds for its brief."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import utcnow
from app.extensions import db
from app.forecasts.table import DatasetKind, Level, LongRow, Provenance, Status

if TYPE_CHECKING:
    from app.auth.models import User
    from app.consultations.models import Consultation


class ForecastDataset(db.Model):
    """One imported forecast publication, with the provenance printed on every brief."""

    # one file read with one profile is one dataset; a workbook of several tables is read
    # once per table, each with its own profile
    __table_args__ = (
        UniqueConstraint("source_hash", "profile", name="uq_forecast_dataset_file_profile"),
    )

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
    #: SHA-256 of the imported file: the same file is not imported twice with one profile.
    source_hash: Mapped[str] = mapped_column(String(64), index=True)
    #: Name of the import profile used.
    profile: Mapped[str] = mapped_column(String(100))
    #: What the dataset is: a projection, official statistics, online job advertisements.
    kind: Mapped[DatasetKind] = mapped_column(default=DatasetKind.projection)
    #: The publisher's caveats, as sentences, shown wherever the dataset is used.
    caveats: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: Classification of the sector codes (``NEM``, ``NAICS``, ``NACE``...); None: no sectors.
    sector_classification: Mapped[str | None] = mapped_column(String(60))
    #: Classification of the occupation codes (``SOC 2018``, ``ISCO-08``...).
    occupation_classification: Mapped[str | None] = mapped_column(String(60))
    #: Values imported (rows of the long table).
    row_count: Mapped[int] = mapped_column(default=0)
    #: What the profile or the importing official says about the table (years, scope).
    description: Mapped[str] = mapped_column(Text, default="")
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    imported_by: Mapped[User | None] = relationship()
    values: Mapped[list[ForecastValue]] = relationship(
        back_populates="dataset", cascade="all, delete-orphan", passive_deletes=True
    )
    bindings: Mapped[list[ForecastBinding]] = relationship(
        back_populates="dataset", cascade="all, delete-orphan", passive_deletes=True
    )

    def provenance(self) -> Provenance:
        """The dataset's provenance as the long-table type briefs read."""
        return Provenance(
            publisher=self.publisher,
            title=self.title,
            licence=self.licence,
            vintage=self.vintage,
            base_year=self.base_year,
            horizon_year=self.horizon_year,
            unit=self.unit,
            kind=DatasetKind(self.kind),
            source_url=self.source_url,
            caveats=tuple(self.caveats or ()),
            sector_classification=self.sector_classification,
            occupation_classification=self.occupation_classification,
        )


class ForecastValue(db.Model):
    """One value of the long table: geography x sector x occupation x indicator x year."""

    __table_args__ = (
        Index("ix_forecast_value_lookup", "dataset_id", "indicator", "sector_code", "year"),
        # only the values of occupations (a table of sectors writes nothing to it)
        Index(
            "ix_forecast_value_occupation",
            "dataset_id",
            "indicator",
            "occupation_code",
            "year",
            postgresql_where=text("occupation_code IS NOT NULL"),
            sqlite_where=text("occupation_code IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("forecast_dataset.id", ondelete="CASCADE"))
    geography: Mapped[str] = mapped_column(String(16))
    sector_code: Mapped[str | None] = mapped_column(String(32))
    occupation_code: Mapped[str | None] = mapped_column(String(32))
    #: ISCED level or band; NULL for all qualifications.
    qualification: Mapped[str | None] = mapped_column(String(32))
    #: e.g. ``employment``, ``openings``, ``openings_replacement``.
    indicator: Mapped[str] = mapped_column(String(64))
    year: Mapped[int]
    #: The number in ``unit``; NULL for a categorical indicator or a value the publisher
    #: marks as missing.
    value: Mapped[float | None]
    #: A categorical indicator's value as published (``shortage``); never a number.
    category: Mapped[str | None] = mapped_column(String(80))
    unit: Mapped[str | None] = mapped_column(String(80))
    #: Label of the sector or occupation as published, and in the second label language.
    label: Mapped[str | None] = mapped_column(String(400))
    label_alt: Mapped[str | None] = mapped_column(String(400))
    #: Aggregate (a total or subtotal) or detail; NULL when the table does not say.
    level: Mapped[Level | None]
    #: Status flags: a list of ``app.forecasts.table.Status`` values; NULL for none.
    flags: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))
    #: Footnote marks of the cell or label (``["1", "a"]``); NULL for none.
    notes: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True))

    dataset: Mapped[ForecastDataset] = relationship(back_populates="values")

    def long_row(self) -> LongRow:
        """The value as the long-table type (without its source row)."""
        return LongRow(
            geography=self.geography,
            sector_code=self.sector_code,
            occupation_code=self.occupation_code,
            qualification=self.qualification,
            indicator=self.indicator,
            year=self.year,
            value=self.value,
            unit=self.unit,
            category=self.category,
            label=self.label,
            label_alt=self.label_alt,
            level=Level(self.level) if self.level else None,
            flags=tuple(Status(f) for f in self.flags or ()),
            notes=tuple(str(n) for n in self.notes or ()),
        )


class ForecastBinding(db.Model):
    """The series of one dataset a consultation uses: sector and/or occupation codes of the
    forecast's own classification, and how they map to NACE / ISCO (a crosswalk)."""

    __table_args__ = (UniqueConstraint("consultation_id", "dataset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("forecast_dataset.id", ondelete="CASCADE"), index=True
    )
    #: Sector codes of the dataset used, as the dataset writes them.
    sector_codes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: Occupation codes of the dataset used.
    occupation_codes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: How the dataset's codes map to NACE / ISCO: [{"kind": "sector" | "occupation",
    #: "code": forecast code, "label": its published label, "classification": "nace-rev2" |
    #: "isco-08", "target_code": ..., "target_label": ...}]; empty: no crosswalk.
    crosswalk: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: File name of the uploaded crosswalk, if any.
    crosswalk_filename: Mapped[str | None] = mapped_column(String(255))
    #: The dataset's code of the all-sector total (``TE1000``, ``00-0000``), which an
    #: outlook rule compares the sector with; None: not named.
    total_code: Mapped[str | None] = mapped_column(String(32))
    #: Geography of the series used; None: the dataset's own (all of it).
    geography: Mapped[str | None] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    dataset: Mapped[ForecastDataset] = relationship(back_populates="bindings")
    consultation: Mapped[Consultation] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def council_id(self) -> int | None:
        return self.consultation.council_id if self.consultation is not None else None


class ImportState:
    """Where a web import is: waiting, reading, writing, then done or failed."""

    waiting = "waiting"
    reading = "reading"
    writing = "writing"
    done = "done"
    failed = "failed"
    RUNNING = (waiting, reading, writing)


class ForecastImport(db.Model):
    """An import an official confirmed on the web, run after the request: how far it has
    got (recorded as it goes) and how it ended."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The kept upload the import reads (``app.uploads``).
    upload_id: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    profile: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), default=ImportState.waiting)
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_written: Mapped[int] = mapped_column(default=0)
    #: Values the preview counted.
    rows_total: Mapped[int | None]
    dataset_id: Mapped[int | None] = mapped_column(
        ForeignKey("forecast_dataset.id", ondelete="SET NULL")
    )
    #: The file had been imported before as ``dataset_id``; nothing changed.
    already_imported: Mapped[bool] = mapped_column(default=False)
    #: Why it failed (a message id with its values) and the problems found, as
    #: ``Problem.to_json`` gives them; translated where they are shown.
    message: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    @property
    def running(self) -> bool:
        return self.state in ImportState.RUNNING
