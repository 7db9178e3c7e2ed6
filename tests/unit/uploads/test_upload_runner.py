"""The parser's child process and its limits (SECURITY.md S12, S13): real child processes,
running parsers that misbehave on purpose (app/uploads/probes.py)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.panels.parse import PanelPreview
from app.uploads.checks import MIB, FileRefused
from app.uploads.registry import PARSERS, UnknownParser
from app.uploads.runner import ChildLimits, run_parser

ROOT = Path(__file__).resolve().parents[3]
#: Short limits, so the tests stay quick.
QUICK = ChildLimits(memory_bytes=512 * MIB, seconds=0.5)
#: Limits for a child that is meant to finish: room for a machine busy with other work (a
#: child that imports the parsers can take more than half a second to start there).
ROOMY = ChildLimits(memory_bytes=512 * MIB, seconds=10)


def _refusal(name: str, kwargs: dict, limits: ChildLimits = QUICK) -> tuple[FileRefused, float]:
    started = time.monotonic()
    with pytest.raises(FileRefused) as caught:
        run_parser(name, b"", kwargs, limits=limits)
    return caught.value, time.monotonic() - started


def _workers() -> list[int]:
    """Child processes of this one that still run the worker (zombies included)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b"app.uploads.worker" in cmdline:
            found.append(int(stat.parent.name))
    return found


def test_s12_a_parser_that_behaves_returns_its_result_and_gets_no_secrets(monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", "do-not-pass-on")
    monkeypatch.setenv("DATABASE_URL", "postgresql://secret@db/x")
    result = run_parser("probe-echo", b"12345", {"a": [1, "b"]}, limits=ROOMY)
    assert result["size"] == 5 and result["kwargs"] == {"a": [1, "b"]}
    assert "FLASK_SECRET_KEY" not in result["environment"]
    assert "DATABASE_URL" not in result["environment"]


def test_s12_a_parser_that_asks_for_too_much_memory_is_stopped():
    refused, took = _refusal("probe-allocate", {"mebibytes": 1024})
    assert refused.status == 413 and refused.limit == "memory"
    assert refused.message == (
        "reading the file needed more than 512 MiB of memory; split it into smaller files"
    )
    assert took < 2


def test_s12_a_parser_that_loops_is_stopped_by_its_processor_limit():
    # a wall clock of 10 s: only the child's own processor limit (1 s) can stop it this soon
    limits = ChildLimits(memory_bytes=512 * MIB, seconds=10, cpu_seconds=1)
    refused, took = _refusal("probe-spin", {"seconds": 30}, limits)
    assert refused.status == 413 and refused.limit == "time"
    assert refused.message == (
        "the file took more than 1 s of processor time to read; split it into smaller files"
    )
    assert took < 5
    assert _workers() == []


def test_s12_a_parser_that_hangs_is_killed_at_the_wall_clock_limit():
    refused, took = _refusal("probe-sleep", {"seconds": 30})
    assert refused.status == 413 and refused.limit == "time"
    assert refused.message == "the file took longer than 0.5 s to read; split it into smaller files"
    assert 0.5 <= took < 2
    assert _workers() == []  # killed and reaped


def test_s12_a_result_beyond_the_output_limit_is_refused_and_never_read_whole():
    limits = ChildLimits(memory_bytes=512 * MIB, seconds=5, output_bytes=2 * MIB)
    refused, _took = _refusal("probe-flood", {"mebibytes": 50}, limits)
    assert refused.status == 413 and refused.limit == "output"
    assert "gave more than 2 MiB of results" in refused.message


def test_s13_a_parser_that_crashes_is_a_refusal_and_is_logged(caplog):
    with caplog.at_level(logging.ERROR, logger="app.uploads.runner"):
        refused, _took = _refusal("probe-crash", {})
    assert refused.status == 422 and refused.limit == "parser"
    assert refused.message.startswith("the file could not be read")
    assert "probe-crash failed (exit -6)" in caplog.text


def test_s12_only_allow_listed_parsers_run():
    for name in ("os:system", "app.uploads.probes:crash", "", None):
        with pytest.raises(UnknownParser):
            run_parser(name, b"", {}, limits=QUICK)  # type: ignore[arg-type]
    # the child checks the name too: a request naming a function directly runs nothing
    request = json.dumps({"parser": "app.uploads.probes:crash", "kwargs": {}}).encode()
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "app.uploads.worker", "--memory", str(512 * MIB)]
        + ["--cpu", "2", "--output", str(MIB)],
        input=request + b"\n",
        capture_output=True,
        cwd=ROOT,
        timeout=10,
        check=False,
    )
    assert done.returncode == 0  # no SIGABRT: crash() never ran
    assert json.loads(done.stdout) == {
        "failed": "error",
        "detail": "'app.uploads.probes:crash' is not an allowed parser",
    }
    assert set(PARSERS) >= {"panel-file"}


def test_s12_the_child_imports_neither_pandas_nor_flask_for_panel_files():
    code = (
        "import sys, app.uploads.worker, app.panels.parse;"
        "print(sorted({m.split('.')[0] for m in sys.modules}"
        " & {'pandas', 'numpy', 'matplotlib', 'flask', 'sqlalchemy', 'werkzeug'}))"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=30, check=True
    )
    assert done.stdout.strip() == b"[]"


def test_s12_the_panel_parser_runs_in_the_child_and_its_preview_comes_back_whole():
    data = b"name,email,stakeholder_group\nAnna,ANNA@example.org,employers\nBen,x@,union\n"
    preview = run_parser(
        "panel-file",
        data,
        {"filename": "p.csv", "languages": ["en"], "default_language": "en"},
        limits=ROOMY,
    )
    assert isinstance(preview, PanelPreview)
    assert [r.email for r in preview.valid_rows] == ["ANNA@example.org"]  # as typed
    assert [str(p) for p in preview.problems] == [
        "row 3, column `email`: 'x@' is not an e-mail address"
    ]
    assert (preview.total_rows, preview.problem_count, preview.rows_with_problems) == (2, 1, 1)
