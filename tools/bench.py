"""Run every benchmark and print one table of their figures (``make bench``).

``python tools/bench.py [PYTEST ARGS...]`` runs ``pytest -m benchmark tests/benchmarks -s``
(each benchmark prints its own figures and checks its limits as before), with
``BENCH_RECORDS`` naming a temporary file into which each benchmark records its figures
(``tests/benchmarks/report.py``), then prints them in one table: the figure, its same-run
baseline, the ratio of the two, the target, whether it was met, and the peak memory. Tests
that were skipped are listed below the table with their reason (PostgreSQL not reachable,
reference data absent). Extra arguments go to pytest, e.g. ``-k portal``; set
``TEST_DATABASE_URL`` to a PostgreSQL database to measure the forecast import and the portal
on PostgreSQL too. The exit status is pytest's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET  # noqa: S405 (pytest's own report)
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.report import RECORDS_ENV  # noqa: E402


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(records: list[dict]) -> list[str]:
    """The lines of the table of ``records`` (as written by ``report.record``)."""
    header = ("figure", "value", "baseline", "ratio", "target", "met", "peak MiB")
    rows = []
    for r in records:
        unit = f" {r['unit']}" if r["unit"] else ""
        ratio = r["value"] / r["baseline"] if r["baseline"] else None
        met = {True: "yes", False: "NO", None: ""}[r["met"]]
        rows.append(
            (
                r["name"],
                _number(r["value"]) + unit,
                _number(r["baseline"]) + (unit if r["baseline"] is not None else ""),
                f"{ratio:.2f}" if ratio is not None else "-",
                r["target"] or "-",
                met,
                _number(r["peak_mib"]),
            )
        )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for n, row in enumerate([header, *rows]):
        cells = [
            str(cell).ljust(width) if i in (0, 4, 5) else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def skipped(junit: Path) -> list[str]:
    """``test: reason`` of each skipped test in pytest's JUnit XML report."""
    if not junit.exists():
        return []
    found = []
    for case in ET.parse(junit).getroot().iter("testcase"):  # noqa: S314
        skip = case.find("skipped")
        if skip is not None:
            found.append(f"{case.get('name')}: {skip.get('message', '')}")
    return found


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        records_file, junit = Path(folder) / "records.jsonl", Path(folder) / "junit.xml"
        env = {**os.environ, RECORDS_ENV: str(records_file)}
        command = [sys.executable, "-m", "pytest", "-m", "benchmark", "-s", "-p"]
        command += ["no:cacheprovider", f"--junitxml={junit}", "tests/benchmarks", *argv]
        status = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode  # noqa: S603
        records = []
        if records_file.exists():
            with records_file.open(encoding="utf-8") as lines:
                records = [json.loads(line) for line in lines if line.strip()]
        print("\n" + "=" * 30 + " all benchmarks " + "=" * 30)
        print(
            "ratio = value / baseline (both measured in the same run). peak MiB: memory traced "
            "while the figure was measured (engine, themes, bootstrap, brief render); the test "
            "process's resident high-water mark, earlier benchmarks included (forecast "
            "import); the largest process of the server (portal, submission)."
        )
        print("\n".join(table(records)) if records else "no figures were recorded")
        for line in skipped(junit):
            print(f"skipped: {line}")
        print(f"pytest exit status: {status}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
