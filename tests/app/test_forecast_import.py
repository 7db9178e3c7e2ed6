"""Importing forecast datasets: all or nothing, once per file, with provenance (SECURITY.md R4).

The parser is replaced here by a small reader of a plain long CSV (``fake_read_table``), so
that these tests are about storage: what is written, when, and that a failure anywhere
writes nothing. The real parser and profiles are tested with real files in
tests/app/test_forecast_cli.py and tests/unit/forecasts/.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.errors import InvalidInput, NotAllowed
from app.extensions import db
from app.forecasts import queries, services
from app.forecasts.models import ForecastDataset, ForecastValue
from app.forecasts.table import DatasetKind, Level, LongRow, Provenance, Status
from app.problems import N_, Problem
from app.unit import unit_of_work
from tests.app.factories import make_staff

PROVENANCE = Provenance(
    publisher="Test Statistics Office",
    title="Test projection 2024-2034",
    licence="CC BY 4.0",
    vintage="2024-34",
    base_year=2024,
    horizon_year=2034,
    unit="thousand jobs",
    kind=DatasetKind.projection,
    source_url="https://stats.example.org/projection",
    caveats=("A projection is not a promise.",),
    sector_classification="NACE Rev. 2",
    occupation_classification="ISCO-08",
)


@dataclass(frozen=True)
class FakeProfile:
    name: str = "test-long"
    provenance: Provenance = PROVENANCE
    description: str = "A long table for tests."


HEADER = "geography,sector,occupation,indicator,year,value,flags\n"


def fake_read_table(data: bytes, filename: str, profile, *, crosswalk=None):
    """Rows of a long CSV; a value that is not a number is a located problem, a value in
    the indicator ``outlook`` a category."""
    reader = csv.DictReader(io.StringIO(data.decode("utf-8")))
    for number, row in enumerate(reader, start=2):
        value, category = None, None
        if row["indicator"] == "outlook":
            category = row["value"]
        else:
            try:
                value = float(row["value"])
            except ValueError:
                yield Problem(
                    N_("%(value)s is not a number"),
                    row=number,
                    column="value",
                    field="value",
                    params={"value": row["value"]},
                )
                continue
        yield LongRow(
            geography=row["geography"],
            sector_code=row["sector"] or None,
            occupation_code=row["occupation"] or None,
            qualification=None,
            indicator=row["indicator"],
            year=int(row["year"]),
            value=value,
            unit="thousand jobs",
            category=category,
            label=f"Label {row['sector']}",
            level=Level.detail if row["occupation"] else Level.aggregate,
            flags=tuple(Status(f) for f in row["flags"].split("|") if f),
            notes=("1",) if row["flags"] else (),
            source_row=number,
        )


def long_csv(rows: int, *, bad_at: int | None = None) -> bytes:
    out = io.StringIO()
    out.write(HEADER)
    for i in range(rows):
        value = "n/a" if bad_at is not None and i == bad_at else f"{i * 0.5:.1f}"
        out.write(f"US,S{i % 50:03d},O{i // 50:05d},employment,2024,{value},\n")
    return out.getvalue().encode()


@pytest.fixture
def fake_parser(monkeypatch):
    monkeypatch.setattr(services, "read_table", fake_read_table)


@pytest.fixture
def official(app):
    with app.app_context():
        user = make_staff(Role.official)
        db.session.commit()
        return user.id


def _counts():
    return (
        db.session.scalar(select(func.count()).select_from(ForecastDataset)),
        db.session.scalar(select(func.count()).select_from(ForecastValue)),
    )


def _user(user_id):
    from app.auth.models import User

    return db.session.get(User, user_id)


SMALL = (
    HEADER
    + "US,230000,,employment,2024,8277.5,\n"
    + "US,230000,,employment,2034,8693.3,provisional|revised\n"
    + "US,230000,47-2111,employment,2034,900.25,\n"
    + "US,230000,47-2111,outlook,2034,shortage,\n"
).encode()


def test_an_import_stores_every_value_and_the_provenance(app, fake_parser, official):
    seen = []
    with app.app_context():
        with unit_of_work():
            report = services.import_dataset(
                SMALL,
                "table.csv",
                FakeProfile(),
                by=_user(official),
                progress=lambda done, total: seen.append((done, total)),
            )
        assert report.written and report.rows == 4
        assert report.counts == {"employment": {2024: 1, 2034: 2}, "outlook": {2034: 1}}
        dataset = db.session.get(ForecastDataset, report.dataset_id)
        assert dataset.provenance() == PROVENANCE
        assert dataset.source_hash == services.file_hash(SMALL)
        assert dataset.source_filename == "table.csv"
        assert dataset.profile == "test-long"
        assert dataset.imported_by_id == official
        assert dataset.imported_at is not None
        assert dataset.row_count == 4
        assert dataset.description == "A long table for tests."
        rows = queries.series(dataset.id, sector_codes=["230000"])
        by_key = {(r.occupation_code, r.indicator, r.year): r for r in rows}
        assert by_key[(None, "employment", 2024)].value == 8277.5
        flagged = by_key[(None, "employment", 2034)]
        assert flagged.flags == (Status.provisional, Status.revised)
        assert flagged.notes == ("1",)
        stored = db.session.scalars(
            select(ForecastValue.flags).where(
                ForecastValue.year == 2034, ForecastValue.value > 8000
            )
        ).one()
        assert stored == ["provisional", "revised"]  # a list, as every reader expects
        assert flagged.level is Level.aggregate
        assert by_key[("47-2111", "employment", 2034)].value == 900.25
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "forecast-imported")
        ).one()
        assert event.object_id == str(dataset.id)
        assert event.details["rows"] == 4 and event.details["sha256"] == dataset.source_hash
    assert seen[-1] == (4, 4)


def test_a_category_is_stored_as_a_category_never_as_a_number(app, fake_parser, official):
    with app.app_context():
        with unit_of_work():
            report = services.import_dataset(SMALL, "t.csv", FakeProfile(), by=_user(official))
        value = db.session.scalars(
            select(ForecastValue).where(
                ForecastValue.dataset_id == report.dataset_id, ForecastValue.indicator == "outlook"
            )
        ).one()
        assert value.category == "shortage"
        assert value.value is None


@pytest.mark.parametrize("kind", list(DatasetKind))
def test_each_kind_of_dataset_is_stored_with_its_caveats(app, fake_parser, official, kind):
    caveats = ("An advertisement is not a vacancy filled.", "Not all hiring is advertised.")
    provenance = Provenance(**{**PROVENANCE.to_json(), "kind": kind, "caveats": caveats})
    with app.app_context():
        with unit_of_work():
            report = services.import_dataset(
                SMALL, "t.csv", FakeProfile(), by=_user(official), provenance=provenance
            )
        dataset = db.session.get(ForecastDataset, report.dataset_id)
        assert dataset.kind is kind
        assert tuple(dataset.caveats) == caveats


def test_a_bad_row_in_the_middle_of_the_file_writes_nothing(app, fake_parser, official):
    data = long_csv(30_000, bad_at=17_000)
    with app.app_context():
        with pytest.raises(InvalidInput) as refused, unit_of_work():
            services.import_dataset(data, "big.csv", FakeProfile(), by=_user(official))
        problems = refused.value.problems
        assert [(p.row, p.column) for p in problems] == [(17_002, "value")]
        assert "row 17002, column `value`: n/a is not a number" in str(problems[0])
        assert _counts() == (0, 0)


def test_a_failure_while_writing_rolls_back_every_batch(app, fake_parser, official):
    def fails_after_two_batches(done, total):
        if total is not None and done >= 2 * services.BATCH_ROWS:
            raise OSError("disk gone")

    with app.app_context():
        with pytest.raises(OSError), unit_of_work():
            services.import_dataset(
                long_csv(30_000),
                "big.csv",
                FakeProfile(),
                by=_user(official),
                progress=fails_after_two_batches,
            )
        assert _counts() == (0, 0)
        assert not db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "forecast-imported")
        ).all()


def test_the_file_is_parsed_once(app, monkeypatch, official):
    calls = []

    def counting(*args, **kwargs):
        calls.append(1)
        yield from fake_read_table(*args, **kwargs)

    monkeypatch.setattr(services, "read_table", counting)
    with app.app_context(), unit_of_work():
        report = services.import_dataset(
            long_csv(12_345), "t.csv", FakeProfile(), by=_user(official)
        )
    assert report.rows == 12_345 and calls == [1]


def test_the_same_file_twice_changes_nothing(app, fake_parser, official):
    with app.app_context():
        with unit_of_work():
            first = services.import_dataset(SMALL, "t.csv", FakeProfile(), by=_user(official))
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
        with unit_of_work():
            again = services.import_dataset(SMALL, "renamed.csv", FakeProfile(), by=_user(official))
        assert again.already_imported and not again.written
        assert again.dataset_id == first.dataset_id
        assert _counts() == (1, 4)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_the_same_file_is_found_before_it_is_parsed(app, monkeypatch, official):
    with app.app_context():
        monkeypatch.setattr(services, "read_table", fake_read_table)
        with unit_of_work():
            services.import_dataset(SMALL, "t.csv", FakeProfile(), by=_user(official))

        def never(*args, **kwargs):
            raise AssertionError("parsed again")

        monkeypatch.setattr(services, "read_table", never)
        report = services.import_dataset(SMALL, "t.csv", FakeProfile(), by=_user(official))
        assert report.already_imported


def test_a_dry_run_writes_nothing(app, fake_parser, official):
    with app.app_context():
        with unit_of_work():
            report = services.import_dataset(
                SMALL, "t.csv", FakeProfile(), by=_user(official), dry_run=True
            )
        assert report.dry_run and not report.written and report.rows == 4
        assert len(report.first) == 4
        assert _counts() == (0, 0)


def test_bad_provenance_is_named_by_field(app, fake_parser, official):
    provenance = Provenance(
        **{**PROVENANCE.to_json(), "horizon_year": 2020, "publisher": " ", "source_url": "ftp://x"}
    )
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            services.import_dataset(
                SMALL, "t.csv", FakeProfile(), by=_user(official), provenance=provenance
            )
        assert {p.field for p in refused.value.problems} == {
            "horizon_year",
            "publisher",
            "source_url",
        }
        assert _counts() == (0, 0)


def test_a_file_without_values_is_refused(app, fake_parser, official):
    with app.app_context(), pytest.raises(InvalidInput):
        services.import_dataset(HEADER.encode(), "t.csv", FakeProfile(), by=_user(official))


@pytest.mark.parametrize("role", [Role.secretariat, Role.publisher, Role.admin])
def test_only_officials_import(app, fake_parser, role):
    with app.app_context():
        user = make_staff(role)
        with pytest.raises(NotAllowed):
            services.import_dataset(SMALL, "t.csv", FakeProfile(), by=user)
        assert _counts() == (0, 0)


def test_many_batches_go_through_the_bulk_path(app, fake_parser, official):
    """More than two batches: executemany on SQLite, COPY on PostgreSQL."""
    data = long_csv(25_001)
    seen = []
    with app.app_context():
        with unit_of_work():
            report = services.import_dataset(
                data,
                "big.csv",
                FakeProfile(),
                by=_user(official),
                progress=lambda done, total: seen.append((done, total)),
            )
        assert _counts() == (1, 25_001)
        assert [s for s in seen if s[1] is not None] == [
            (10_000, 25_001),
            (20_000, 25_001),
            (25_001, 25_001),
        ]
        last = db.session.scalars(
            select(ForecastValue).where(ForecastValue.occupation_code == "O00500")
        ).one()
        assert last.value == 12_500.0 and last.sector_code == "S000"
        assert queries.counts_by_indicator_year(report.dataset_id) == {"employment": {2024: 25_001}}
