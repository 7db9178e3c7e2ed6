"""Speed and memory of rendering one sector brief in every format (not a timed unit test).

Run with ``pytest -m benchmark tests/benchmarks/test_brief_render_benchmark.py -s``. One full
render of the sample brief (``render_brief``: HTML page, PDF, charts in SVG and PNG, CSV files,
data package, XLSX, JSON), then the same with its long tables grown (60 occupations per list,
40 rated items), which the PDF splits into captioned parts. Wall and CPU seconds (CPU time
leaves out waiting for a core on this shared 2-core machine), the peak of memory traced by
Python during the render and the process's peak RSS.
"""

from __future__ import annotations

import resource
import time
import tracemalloc
from dataclasses import replace

import pytest

from app import create_app
from app.briefs.content import OccupationList, OccupationRow, sample_content
from app.briefs.record import sample_round_items
from app.briefs.render import render_brief
from tests.benchmarks.report import record
from tests.conftest import base_config

#: A render may take this long (CPU seconds) and hold this much traced memory at its peak.
CPU_LIMIT_S = 30.0
TRACED_LIMIT_BYTES = 512 * 1024**2
RSS_LIMIT_BYTES = 1.5 * 1024**3


def _large():
    content = replace(sample_content(), rounds=sample_round_items())
    rows = tuple(
        OccupationRow(f"47-{2000 + i}", f"Occupation {i}", 100.0 + i, 110.0 + i, 10.0, 10.0, 5.0)
        for i in range(60)
    )
    occupations = replace(
        content.occupations,
        largest=OccupationList(rows),
        fastest_growing=OccupationList(rows),
    )
    first = content.skill_needs.items[0]
    items = tuple(
        replace(first, key=f"skill-{i:02d}", text={"en": f"Skill need {i}"}, rank=i + 1)
        for i in range(40)
    )
    skills = replace(content.skill_needs, items=items)
    return replace(content, occupations=occupations, skill_needs=skills)


def _measure(app, content, lang: str):
    with app.app_context():
        start, start_cpu = time.perf_counter(), time.process_time()
        result = render_brief(content, lang=lang, base_url="https://example.org/briefs/1/v1/")
        wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        tracemalloc.start()
        render_brief(content, lang=lang, base_url="https://example.org/briefs/1/v1/")
        _, traced = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return result, wall, cpu, traced


@pytest.mark.benchmark
def test_full_brief_render():
    app = create_app(base_config("sqlite://"))
    with app.app_context():  # warm up: fonts, templates, matplotlib
        render_brief(sample_content(), lang="en", base_url="https://example.org/")
    cases = {
        "sample brief (en)": (replace(sample_content(), rounds=sample_round_items()), "en"),
        "sample brief (de)": (replace(sample_content(), rounds=sample_round_items()), "de"),
        "long tables (en)": (_large(), "en"),
    }
    print()
    print(
        f"{'render':<22} {'wall s':>7} {'cpu s':>7} {'traced MiB':>11} {'files':>6} "
        f"{'PDF KiB':>8} {'PDF tables':>10}"
    )
    for name, (content, lang) in cases.items():
        result, wall, cpu, traced = _measure(app, content, lang)
        pdf = result["brief.pdf"]
        print(
            f"{name:<22} {wall:7.2f} {cpu:7.2f} {traced / 1024**2:11.1f} "
            f"{len(result.artefacts):6d} {pdf.size / 1024:8.0f} {result.pdf_tables:10d}"
        )
        record(
            f"brief render, {name} (CPU)",
            cpu,
            None,
            "s",
            f"< {CPU_LIMIT_S:g} s",
            traced / 1024**2,
            met=cpu < CPU_LIMIT_S,
        )
        assert cpu < CPU_LIMIT_S
        assert traced < TRACED_LIMIT_BYTES
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"process peak RSS:           {rss_peak / 1024**2:.1f} MiB")
    assert rss_peak < RSS_LIMIT_BYTES
