"""Speed and memory of a forecast import of 1,000,000 values (not a timed unit test).

Run with ``pytest -m benchmark tests/benchmarks/test_forecast_import_benchmark.py -s`` (and
with ``TEST_DATABASE_URL`` set to a PostgreSQL database for the COPY path). A long CSV of
1,000,000 rows (code, label, indicator, year, value) is generated in a temporary folder.
The full import (reading and checking every row with the profile, the checked values kept
on disk in batches, then the database write in batches) is timed against
``pandas.read_csv`` of the same file in the same run.

Issue 7's target is 4x pandas. The check (``dry_run``: the vectorised reader,
``app.forecasts.fastpath``, with every rule of the profile) is about at it, some 3-4x pandas
(CPU). The whole import is not, because of the database write of a million rows with their
index (``executemany`` on SQLite, where the wall time beyond the processor time is the disk;
``COPY`` on PostgreSQL, where the server's work is most of the time: measured alone, COPY of
1,000,000 rows takes 3.7 s into the bare table, 7.4 s with the lookup index and 16.2 s with
the index and the foreign key to ``forecast_dataset``). Measured 2026-12-04 on a shared
2-core machine (load 2-5; figures vary by a factor of two between runs):

==========  ========  ===============  ======================  ==========================
database    pandas    check (dry run)  import (check + write)  ratio import: wall / CPU
==========  ========  ===============  ======================  ==========================
SQLite      0.46 s    3.1 s (1.6 CPU)  18.5 s (9.3 CPU)       40 / 26 (check: 6.7 / 4.4)
PostgreSQL  0.43 s    1.9 s (1.6 CPU)  14.4 s (3.2 CPU)       33 / 7.6 (check: 4.3 / 3.8)
==========  ========  ===============  ======================  ==========================

(Before the vectorised reader: 84x CPU on SQLite, 54x on PostgreSQL.) The test prints the
figures of its run; it fails when the check is beyond ``CHECK_LIMIT`` times pandas or the
import beyond ``REGRESSION_LIMIT`` (CPU), to catch either getting slower. Run it once with
SQLite and once with ``TEST_DATABASE_URL`` set to a PostgreSQL database.
"""

from __future__ import annotations

import resource
import time

import pandas as pd
import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from app.forecasts import services
from app.forecasts.models import ForecastValue
from app.forecasts.profile import load_profile_text
from app.forecasts.progress import ImportProgress
from app.unit import unit_of_work
from tests.app.factories import make_staff
from tests.app.test_forecast_cli import LONG_PROFILE
from tests.benchmarks.report import record

ROWS = 1_000_000
#: Issue 7's target, and the ratios beyond which the test fails (see the module docstring).
TARGET_RATIO, CHECK_LIMIT, REGRESSION_LIMIT = 4.0, 8.0, 60.0
MEMORY_LIMIT_BYTES = 1.5 * 1024**3
INDICATORS = ("employment", "openings", "openings_expansion", "openings_replacement")


def _write_csv(path) -> None:
    """1,000,000 rows: 25,000 sectors x 4 indicators x 10 years."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("code,label,indicator,year,value\n")
        n = 0
        sector = 0
        while n < ROWS:
            code = f"{100000 + sector:06d}"
            label = f"Industry {sector}"
            for indicator in INDICATORS:
                for year in range(2024, 2034):
                    out.write(f"{code},{label},{indicator},{year},{(n % 9973) * 1.25:.2f}\n")
                    n += 1
            sector += 1


@pytest.mark.benchmark
def test_import_of_a_million_values_against_pandas(app, tmp_path):
    path = tmp_path / "long.csv"
    _write_csv(path)
    data = path.read_bytes()
    profile = load_profile_text(LONG_PROFILE, source="test-long.yaml")
    with app.app_context():
        official = make_staff(Role.official)
        dialect = db.engine.dialect.name
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        start, start_cpu = time.perf_counter(), time.process_time()
        checked = services.import_dataset(data, path.name, profile, by=official, dry_run=True)
        check, check_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        assert checked.rows == ROWS and not checked.written
        progress = ImportProgress(say=lambda line: print("  " + line))
        start, start_cpu = time.perf_counter(), time.process_time()
        with unit_of_work():
            report = services.import_dataset(
                data, path.name, profile, by=official, progress=progress
            )
        seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        stored = db.session.scalar(
            select(func.count())
            .select_from(ForecastValue)
            .where(ForecastValue.dataset_id == report.dataset_id)
        )
        assert report.rows == stored == ROWS

        again = services.import_dataset(data, "again.csv", profile, by=official)
        assert again.already_imported  # the same bytes: found before parsing

    best, best_cpu = float("inf"), float("inf")
    for _ in range(3):
        s, c = time.perf_counter(), time.process_time()
        frame = pd.read_csv(path, dtype={"code": str})
        best, best_cpu = min(best, time.perf_counter() - s), min(best_cpu, time.process_time() - c)
    assert len(frame) == ROWS

    ratio, ratio_cpu = seconds / best, cpu / best_cpu
    check_ratio, check_ratio_cpu = check / best, check_cpu / best_cpu
    print(f"\nvalues: {ROWS:,} ({len(data) / 1024**2:.1f} MiB of CSV), database: {dialect}")
    print("seconds                       wall      cpu")
    print(f"pandas.read_csv (best of 3)  {best:7.2f}  {best_cpu:7.2f}")
    print(f"check only (dry run)         {check:7.2f}  {check_cpu:7.2f}")
    print(f"import (check + write)       {seconds:7.2f}  {cpu:7.2f}")
    print(
        f"ratio check / pandas         {check_ratio:7.1f}  {check_ratio_cpu:7.1f}"
        f"   (target {TARGET_RATIO})"
    )
    print(f"ratio import / pandas        {ratio:7.1f}  {ratio_cpu:7.1f}   (target {TARGET_RATIO})")
    print(
        f"process peak RSS before / after the import: {rss_before / 1024**2:.0f} / "
        f"{rss_after / 1024**2:.0f} MiB (the file itself: {len(data) / 1024**2:.0f} MiB)"
    )
    for name, figure, ratio_of in (
        ("check (dry run)", check_cpu, check_ratio_cpu),
        ("import (check + write)", cpu, ratio_cpu),
    ):
        record(
            f"forecast {name}, 1,000,000 values, {dialect} (CPU)",
            figure,
            best_cpu,
            "s",
            f"<= {TARGET_RATIO:g} x pandas.read_csv",
            rss_after / 1024**2,
            met=ratio_of <= TARGET_RATIO,
        )
    assert check_ratio_cpu <= CHECK_LIMIT
    assert ratio_cpu <= REGRESSION_LIMIT
    assert rss_after < MEMORY_LIMIT_BYTES
