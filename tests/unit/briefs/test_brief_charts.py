"""The charts of a brief: render to SVG and PNG with hostile text; tables are the content's."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from app.briefs.assemble import ItemInfo, assemble
from app.briefs.content import sample_content
from app.charts.brief import brief_charts
from app.charts.export import figure_png, figure_svg
from tests.unit.briefs.fixtures import ITEMS, brief_inputs, empty_inputs, projection_series

HOSTILE = ["$\\frac{$", "{" * 10_000, "file:///etc/passwd", "http://127.0.0.1:9/"]


@pytest.fixture(scope="module")
def content():
    return assemble(brief_inputs())


def _svg_text(svg: bytes) -> str:
    root = ET.fromstring(svg)
    return " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))


def test_a_full_brief_has_its_five_kinds_of_chart(content):
    names = [chart.name for chart in brief_charts(content)]
    assert names == [
        "employment_trend",
        "openings",
        "skill_ratings",
        "group_positions_digital",
        "triangulation",
    ]
    for chart in brief_charts(content):
        assert chart.caption and chart.alt and chart.columns
        assert all(len(row) == len(chart.columns) for row in chart.rows)


def test_an_empty_brief_has_no_charts():
    assert brief_charts(assemble(empty_inputs())) == ()


def test_tables_hold_the_contents_numbers(content):
    charts = {c.name: c for c in brief_charts(content)}
    trend = charts["employment_trend"]
    expected = [(s.name, p.year, p.value) for s in content.trend.series for p in s.points]
    assert [(r[0], r[5], r[6]) for r in trend.rows] == expected
    openings = dict((r[0], r[1]) for r in charts["openings"].rows)
    assert openings == {
        "expansion": content.openings.expansion,
        "replacement": content.openings.replacement,
        "total": content.openings.total,
    }
    ratings = charts["skill_ratings"].rows
    assert [(r[0], r[2], r[4], r[5], r[6]) for r in ratings] == [
        (i.key, f.round, f.median, f.q1, f.q3) for i in content.skill_needs.items for f in i.history
    ]
    groups = charts["group_positions_digital"].rows
    (point,) = content.contested.points
    assert [(r[0], r[1], r[2]) for r in groups] == [
        (c.group, c.n, c.stats["median"]) for c in point.positions
    ]
    # withheld groups are absent from the table and named as withheld in the alt text
    assert {r[0] for r in groups} == {"employers", "education-providers"}
    assert (
        "Workers' representatives and Public authorities" in charts["group_positions_digital"].alt
    )
    (row,) = content.triangulation.rows
    tri = charts["triangulation"].rows[0]
    assert tri[4] == row.forecast and tri[6] == row.median and tri[9] == row.gap
    assert tri[11] is True and tri[12] == row.range_coverage


def test_figures_draw_the_contents_values(content):
    charts = {c.name: c for c in brief_charts(content)}
    texts = _svg_text(figure_svg(charts["triangulation"].build()))
    assert "Forecast 4.20 · forecast outside the panel's IQR" in texts
    texts = _svg_text(figure_svg(charts["group_positions_digital"].build()))
    assert "Employers (n = 8)" in texts and "Workers" in texts  # named as withheld only
    assert "Public authorities (n =" not in texts
    texts = _svg_text(figure_svg(charts["openings"].build()))
    assert "115.8" in texts and "97%" in texts


def _hostile_content(label: str):
    items = dict(ITEMS)
    items["digital"] = replace(items["digital"], text={"en": label})
    items["employment-change-2034"] = replace(
        items["employment-change-2034"], text={"en": label}, unit=label
    )
    series = tuple(
        replace(s, label=label, unit=label, provenance=replace(s.provenance, title=label))
        for s in projection_series()
    )
    return assemble(brief_inputs(items=items, series=series, sector_label=label))


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_text_stays_literal_and_renders_fast(label):
    content = _hostile_content(label)
    started = time.perf_counter()
    for chart in brief_charts(content):
        fig = chart.build()
        assert isinstance(fig, Figure)
        assert all(not t.get_parse_math() for t in fig.findobj(Text))
        svg = figure_svg(fig)
        root = ET.fromstring(svg)
        # nothing is linked or fetched: no images or references outside the document
        for element in root.iter():
            for name, value in element.attrib.items():
                if name.endswith("href"):
                    assert value.startswith("#") or value.startswith("data:"), value
        assert figure_png(fig, dpi=72).startswith(b"\x89PNG")
    assert time.perf_counter() - started < 10


def test_a_math_label_is_drawn_as_typed():
    content = _hostile_content("Share of $\\frac{$ answers")
    charts = {c.name: c for c in brief_charts(content)}
    texts = _svg_text(figure_svg(charts["group_positions_digital"].build()))
    assert "Share of $\\frac{$ answers" in texts


def test_the_hand_typed_sample_renders_too():
    for chart in brief_charts(sample_content()):
        assert figure_svg(chart.build()).startswith(b"<?xml")


def test_unused_item_info_is_harmless():
    items = dict(ITEMS, extra=ItemInfo("extra", "likert", {"en": "Never asked"}))
    content = assemble(brief_inputs(items=items))
    assert "extra" not in {i.key for i in content.skill_needs.items}
