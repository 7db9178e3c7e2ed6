"""Figures of the benchmarks, gathered into one table by ``tools/bench.py`` (``make bench``).

Each benchmark calls ``record`` for every figure it measures, beside its own printed output
and asserts. When ``BENCH_RECORDS`` names a file, each call appends one JSON line to it;
otherwise nothing is written, so the benchmarks run as before on their own.
"""

from __future__ import annotations

import json
import os
import resource
import tracemalloc
from collections.abc import Callable
from pathlib import Path

#: The environment variable naming the file of records (JSON lines).
RECORDS_ENV = "BENCH_RECORDS"


def record(
    name: str,
    value: float,
    baseline: float | None,
    unit: str,
    target: str,
    peak_mib: float | None,
    *,
    met: bool | None = None,
    higher_is_better: bool = False,
) -> None:
    """Note one figure: ``value`` in ``unit`` against its same-run ``baseline`` (None when
    the figure has none), the ``target`` in words (``"<= 4x pandas"``), whether the target
    was met (None when the figure has no target of its own) and the peak memory in MiB
    belonging to the figure (in-process traced or resident memory, or the server's largest
    worker). The ratio is ``value / baseline``; ``higher_is_better`` marks throughputs."""
    path = os.environ.get(RECORDS_ENV)
    if not path:
        return
    line = {
        "name": name,
        "value": value,
        "baseline": baseline,
        "unit": unit,
        "target": target,
        "met": met,
        "peak_mib": peak_mib,
        "higher_is_better": higher_is_better,
    }
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


def self_peak_mib() -> float:
    """This process's peak resident memory so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def traced_peak_mib(function: Callable[[], object]) -> float:
    """The peak of the memory Python (and numpy) allocated while ``function`` ran, in MiB."""
    tracemalloc.start()
    try:
        function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024**2


def process_tree_peak_mib(pid: int) -> float | None:
    """The largest peak resident memory (``VmHWM``) of ``pid`` and its descendants, in MiB:
    for gunicorn, its largest worker. None where /proc does not tell (not Linux)."""
    peaks: list[float] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
        todo += [int(child) for child in children]
    return max(peaks) if peaks else None
