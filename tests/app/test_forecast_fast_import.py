"""An import read by the vectorised reader stores exactly what the row-by-row reader would
have stored, in file order; a file with a problem is refused with the problem located; the
same file again changes nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.errors import InvalidInput
from app.extensions import db
from app.forecasts import fastpath, services
from app.forecasts.models import ForecastValue
from app.forecasts.parse import read_table
from app.i18n import problem_text
from app.unit import unit_of_work
from tests.app.factories import make_staff
from tests.unit.test_forecast_fastpath import _long_csv, _profile

VALUES = ["12.5", "..", '"1,234.5"', "-3", "7 p", "4 [2]", ""]


def _stored(dataset_id: int):
    values = db.session.scalars(
        select(ForecastValue)
        .where(ForecastValue.dataset_id == dataset_id)
        .order_by(ForecastValue.id)
    )
    return [v.long_row() for v in values]


def test_the_values_stored_are_those_the_row_by_row_reader_reads(app):
    profile = _profile(table="  flags: {p: provisional}\n")
    data = _long_csv(3000, value=lambda n: VALUES[n % len(VALUES)])
    assert sum(c.n for c in fastpath.read_columns(data, profile)) > 0  # the fast path reads it
    expected = [replace(r, source_row=None) for r in read_table(data, "t.csv", profile)]
    with app.app_context():
        official = make_staff(Role.official)
        with unit_of_work():
            report = services.import_dataset(data, "t.csv", profile, by=official)
        assert report.rows == len(expected)
        assert _stored(report.dataset_id) == expected
        assert [replace(r, source_row=None) for r in report.first] == expected[:20]
        assert report.first[0].source_row == 2
        # the same file again: found before reading, nothing changes
        with unit_of_work():
            again = services.import_dataset(data, "again.csv", profile, by=official)
        assert again.already_imported
        assert db.session.scalar(select(func.count()).select_from(ForecastValue)) == len(expected)


def test_a_file_with_a_problem_is_refused_with_the_row_and_column(app):
    profile = _profile()
    data = _long_csv(3000).replace(b"Industry 7,openings,2029,", b"Industry 7,openings,2029,lots")
    with app.app_context():
        official = make_staff(Role.official)
        with pytest.raises(InvalidInput) as refused, unit_of_work():
            services.import_dataset(data, "t.csv", profile, by=official)
        texts = [problem_text(p) for p in refused.value.problems]
        assert len(texts) == 1 and texts[0].startswith("row 48, column `E (value)`: lots")
        assert db.session.scalar(select(func.count()).select_from(ForecastValue)) == 0
