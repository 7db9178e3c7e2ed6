"""Charts of a sector brief (pure: matplotlib ``Figure`` objects, never pyplot).

- :func:`employment_trend_chart` employment history and projection (job advertisements, a
  recent signal, on their own axis beside them);
- :func:`openings_chart` openings split into expansion and replacement demand;
- :func:`skill_ratings_chart` each rating item's median and IQR across rounds;
- :func:`group_positions_chart` the published groups' positions on a contested item (groups
  withheld are absent and the chart says so);
- :func:`triangulation_chart` the panel's estimate (median, IQR) beside the forecast;
- :func:`brief_charts` the charts a ``BriefContent`` has, each with its name, caption, alt
  text and data table (as data: the content's own numbers, unformatted), and a builder.

Text is drawn literally (``text.parse_math`` off); colours are Okabe-Ito and every value is
also written, so no reading depends on colour. Export with ``app.charts.export``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from app import formatting
from app.briefs.content import (
    BriefContent,
    ContestedPoint,
    OpeningsSection,
    Series,
    SkillNeed,
    TriangulationRow,
)
from app.charts.figures import INK, PALETTE, _title, chart_style, literal_text, wrap_label
from app.forecasts.table import DatasetKind
from app.formatting import N_

__all__ = [
    "BRIEF_ENGLISH",
    "BriefChart",
    "BriefChartText",
    "brief_charts",
    "employment_trend_chart",
    "group_positions_chart",
    "openings_chart",
    "skill_ratings_chart",
    "triangulation_chart",
]


@dataclass(frozen=True)
class BriefChartText:
    """The words of the brief's charts, as ``%``-format templates (give translations here).

    The English texts are message ids: a caller translates each (gettext) and passes the
    result; numbers are formatted in ``locale``."""

    trend_title: str = N_("Employment in %(sector)s")
    trend_caption: str = N_("Employment, history and projection (%(unit)s)")
    trend_alt: str = N_("Line chart of employment in %(sector)s, %(unit)s: %(values)s.")
    history: str = N_("History (%(source)s)")
    projection: str = N_("Projection (%(source)s)")
    job_ads: str = N_("Online job advertisements (%(source)s), right axis")
    year_axis: str = N_("Year")
    openings_title: str = N_("Openings in %(sector)s, %(base)s–%(horizon)s")
    openings_caption: str = N_("Openings per year: expansion and replacement demand (%(unit)s)")
    openings_alt: str = N_(
        "Bar chart of openings per year: %(total)s in all, %(expansion)s from expansion "
        "(%(expansion_share)s) and %(replacement)s from replacement (%(replacement_share)s)."
    )
    expansion: str = N_("Expansion demand")
    replacement: str = N_("Replacement demand")
    total: str = N_("All openings")
    total_value: str = N_("All openings: %(total)s")
    ratings_title: str = N_("Skill needs: median and interquartile range by round")
    ratings_caption: str = N_("Panel ratings of each skill need, median and IQR, by round")
    ratings_alt: str = N_("Chart of the panel's ratings by round: %(values)s.")
    ratings_axis: str = N_("Rating (1 = lowest, %(scale)s = highest)")
    round_label: str = N_("Round %(n)s")
    withheld: str = N_("withheld")
    groups_title: str = N_("Positions of the stakeholder groups: %(item)s")
    groups_caption: str = N_("Median and IQR of each published stakeholder group")
    groups_alt: str = N_("Chart of the groups' medians on %(item)s: %(values)s.%(withheld)s")
    groups_withheld: str = N_(
        "Not shown (too few answers, or withheld so that a smaller group cannot be worked "
        "out): %(groups)s"
    )
    groups_none: str = N_("No group's position can be shown")
    triangulation_title: str = N_("The panel's estimate beside the forecast")
    triangulation_caption: str = N_("Panel median and IQR beside the forecast, per question")
    triangulation_alt: str = N_("Chart of the panel's estimates against the forecast: %(values)s.")
    triangulation_axis: str = N_("The panel's estimate and the forecast (%(unit)s)")
    triangulation_axis_units: str = N_(
        "The panel's estimate and the forecast, in each question's unit"
    )
    question_axis: str = N_("Question")
    panel_median: str = N_("Panel median")
    panel_iqr: str = N_("Panel interquartile range")
    group_median: str = N_("Group median")
    group_iqr: str = N_("Group interquartile range")
    forecast: str = N_("Forecast")
    outside: str = N_("forecast outside the panel's IQR")
    no_data: str = N_("No data")
    #: Names shown for the stakeholder groups.
    groups: dict[str, str] = field(
        default_factory=lambda: {
            "employers": "Employers",
            "workers-representatives": "Workers' representatives",
            "education-providers": "Education providers",
            "public-authorities": "Public authorities",
            "other-experts": "Other experts",
        }
    )
    locale: str = "en"

    def group(self, key: str) -> str:
        return self.groups.get(key, key)


BRIEF_ENGLISH = BriefChartText()


@dataclass(frozen=True)
class BriefChart:
    """A chart of a brief: its name (stable, for files and annotations), caption, alt text,
    data table (column names and rows of raw values) and a builder of the figure."""

    name: str
    caption: str
    alt: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    build: Callable[[], Figure]

    @property
    def table(self) -> tuple[tuple[str, ...], tuple[tuple[Any, ...], ...]]:
        return self.columns, self.rows


def _n(value: Any, text: BriefChartText, places: int = 1) -> str:
    return formatting.number(value, places, locale=text.locale)


def _pct(value: Any, text: BriefChartText) -> str:
    return formatting.percent(value, locale=text.locale)


def _text_of(texts: dict[str, str], lang: str) -> str:
    return formatting.localized(texts, lang)


def _empty(ax, text: BriefChartText) -> None:
    ax.text(0.5, 0.5, text.no_data, transform=ax.transAxes, ha="center", va="center")


# --- employment ----------------------------------------------------------------------------


def employment_trend_chart(
    series: Sequence[Series], *, title: str = "", text: BriefChartText = BRIEF_ENGLISH
) -> Figure:
    """Employment history (solid) and projection (dashed) over the years; job advertisements,
    where given, as a dotted line on a second axis (a signal beside the official figures)."""
    styles = {
        DatasetKind.statistics.value: ("-", PALETTE["blue"], "o", text.history),
        DatasetKind.projection.value: ("--", PALETTE["vermillion"], "s", text.projection),
        DatasetKind.job_ads.value: (":", PALETTE["green"], "^", text.job_ads),
    }
    with chart_style():
        fig = Figure(figsize=(7.5, 4.2), layout="constrained")
        ax = fig.add_subplot()
        ads_ax = None
        handles = []
        for s in series:
            points = [(p.year, p.value) for p in s.points if p.value is not None]
            if not points:
                continue
            style, colour, marker, label = styles.get(s.kind, styles[DatasetKind.projection.value])
            target = ax
            if s.kind == DatasetKind.job_ads.value:
                ads_ax = ads_ax or ax.twinx()
                target = ads_ax
            years, values = zip(*points, strict=True)
            (line,) = target.plot(
                years, values, linestyle=style, color=colour, marker=marker, linewidth=2
            )
            line.set_label(wrap_label(label % {"source": s.source.title}, width=60))
            handles.append(line)
            for year, value in points[-1:]:
                target.annotate(
                    _n(value, text),
                    (year, value),
                    textcoords="offset points",
                    xytext=(4, 4),
                    fontsize=8,
                )
        if not handles:
            _empty(ax, text)
        ax.set_xlabel(text.year_axis)
        ax.set_ylabel(wrap_label(series[0].unit if series else "", width=40))
        ax.grid(color="#d0d0d0", linewidth=0.8)
        ax.xaxis.get_major_locator().set_params(integer=True)
        if handles:
            fig.legend(handles=handles, loc="outside lower center", ncols=1, frameon=False)
        _title(fig, title)
    return literal_text(fig)


def openings_chart(
    openings: OpeningsSection, *, title: str = "", text: BriefChartText = BRIEF_ENGLISH
) -> Figure:
    """One stacked bar: openings per year split into expansion and replacement demand, each
    part with its value and share written on it."""
    with chart_style():
        fig = Figure(figsize=(7.5, 2.8), layout="constrained")
        ax = fig.add_subplot()
        parts = [
            (text.expansion, openings.expansion, openings.expansion_share, PALETTE["orange"], "//"),
            (
                text.replacement,
                openings.replacement,
                openings.replacement_share,
                PALETTE["sky"],
                "",
            ),
        ]
        left = 0.0
        handles = []
        if openings.total is None:
            _empty(ax, text)
        else:
            for label, value, share, colour, hatch in parts:
                if value is None:
                    continue
                width = max(float(value), 0.0)
                ax.barh(
                    [0], [width], left=left, color=colour, edgecolor=INK, hatch=hatch, height=0.5
                )
                handles.append(Patch(facecolor=colour, edgecolor=INK, hatch=hatch, label=label))
                ax.text(
                    left + width / 2,
                    0,
                    f"{_n(value, text)}\n{_pct(share, text)}",
                    ha="center",
                    va="center",
                    fontsize=9,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0},
                )
                left += width
            ax.set_xlim(0, max(left, float(openings.total), 1e-9) * 1.05)
            # the bar's name and total above it, inside the axes: a label beside the bar at
            # the figure's edge would be cut off where the viewer's font is wider
            ax.text(
                0,
                0.3,
                text.total_value % {"total": _n(openings.total, text)},
                ha="left",
                va="bottom",
                fontsize=9,
            )
            ax.set_ylim(-0.4, 0.55)
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.set_xlabel(wrap_label(openings.unit or "", width=50))
        if handles:
            fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
        _title(fig, title)
    return literal_text(fig)


# --- the panel -----------------------------------------------------------------------------


def _interval_plot(ax, rows, *, colour, offset=0.0, label_median, label_iqr):
    """Rows of (y, median, q1, q3): a bar from q1 to q3 and a dot at the median."""
    for y, median, q1, q3 in rows:
        if q1 is not None and q3 is not None:
            ax.plot(
                [q1, q3],
                [y + offset, y + offset],
                color=colour,
                linewidth=6,
                alpha=0.45,
                solid_capstyle="butt",
            )
        if median is not None:
            ax.plot([median], [y + offset], marker="o", color=INK, markersize=6, zorder=3)
    return [
        Line2D([], [], color=colour, linewidth=6, alpha=0.45, label=label_iqr),
        Line2D([], [], color=INK, marker="o", linestyle="none", label=label_median),
    ]


def skill_ratings_chart(
    items: Sequence[SkillNeed],
    *,
    title: str = "",
    lang: str = "en",
    text: BriefChartText = BRIEF_ENGLISH,
) -> Figure:
    """Each item's median and IQR in every round it was asked (one row per item, rounds
    offset and labelled); a round whose figures were withheld is written as such."""
    rounds = sorted({f.round for item in items for f in item.history})
    colours = [
        PALETTE["blue"],
        PALETTE["orange"],
        PALETTE["green"],
        PALETTE["purple"],
        PALETTE["sky"],
        PALETTE["vermillion"],
    ]
    scale = max([item.scale or 5 for item in items] or [5])
    with chart_style():
        fig = Figure(figsize=(7.5, 1.8 + 0.6 * max(len(items), 2)), layout="constrained")
        ax = fig.add_subplot()
        handles = []
        spread = 0.5 / max(len(rounds), 1)
        for index, number in enumerate(rounds):
            colour = colours[index % len(colours)]
            offset = (index - (len(rounds) - 1) / 2) * spread
            rows = []
            for y, item in enumerate(items, start=1):
                figure = next((f for f in item.history if f.round == number), None)
                if figure is None:
                    continue
                if figure.suppressed:
                    ax.text(1, y + offset, text.withheld, fontsize=8, va="center")
                    continue
                rows.append((y, figure.median, figure.q1, figure.q3))
                if figure.median is not None:
                    ax.annotate(
                        _n(figure.median, text, 2),
                        (figure.median, y + offset),
                        textcoords="offset points",
                        xytext=(6, -3),
                        fontsize=7,
                    )
            _interval_plot(ax, rows, colour=colour, offset=offset, label_median="", label_iqr="")
            handles.append(
                Line2D(
                    [],
                    [],
                    color=colour,
                    linewidth=6,
                    alpha=0.45,
                    label=text.round_label % {"n": number},
                )
            )
        handles.append(
            Line2D([], [], color=INK, marker="o", linestyle="none", label=text.panel_median)
        )
        labels = [wrap_label(_text_of(item.text, lang), width=34) for item in items]
        ax.set_yticks(range(1, len(items) + 1), labels=labels)
        ax.set_ylim(len(items) + 0.6, 0.4)
        ax.set_xlim(0.8, scale + 0.4)
        ax.set_xticks(range(1, scale + 1))
        ax.set_xlabel(text.ratings_axis % {"scale": scale})
        ax.grid(axis="x", color="#d0d0d0", linewidth=0.8)
        if not items:
            _empty(ax, text)
        fig.legend(
            handles=handles, loc="outside lower center", ncols=min(len(handles), 4), frameon=False
        )
        _title(fig, title)
    return literal_text(fig)


def group_positions_chart(
    point: ContestedPoint,
    *,
    title: str = "",
    text: BriefChartText = BRIEF_ENGLISH,
) -> Figure:
    """The published groups' medians and IQRs on one item; groups withheld are not drawn,
    and a note under the chart names them as withheld (nothing else of them)."""
    cells = point.positions
    scale = point.scale or 5
    with chart_style():
        fig = Figure(figsize=(7.5, 1.9 + 0.55 * max(len(cells), 2)), layout="constrained")
        ax = fig.add_subplot()
        rows = [
            (y, cell.stats.get("median"), cell.stats.get("q1"), cell.stats.get("q3"))
            for y, cell in enumerate(cells, start=1)
        ]
        handles = _interval_plot(
            ax,
            rows,
            colour=PALETTE["purple"],
            label_median=text.group_median,
            label_iqr=text.group_iqr,
        )
        for y, median, _, _ in rows:
            if median is not None:
                ax.annotate(
                    _n(median, text, 2),
                    (median, y),
                    textcoords="offset points",
                    xytext=(6, 4),
                    fontsize=8,
                )
        names = [
            wrap_label(
                f"{text.group(c.group)} (n = {formatting.count(c.n, locale=text.locale)})", width=34
            )
            for c in cells
        ]
        ax.set_yticks(range(1, len(cells) + 1), labels=names)
        ax.set_ylim(len(cells) + 0.6, 0.4)
        ax.set_xlim(0.8, scale + 0.4)
        ax.set_xticks(range(1, scale + 1))
        ax.set_xlabel(text.ratings_axis % {"scale": scale})
        ax.grid(axis="x", color="#d0d0d0", linewidth=0.8)
        if not cells:
            ax.text(0.5, 0.5, text.groups_none, transform=ax.transAxes, ha="center", va="center")
        notes = []
        if point.suppressed_groups:
            names_withheld = formatting.word_list(
                [text.group(g) for g in point.suppressed_groups], locale=text.locale
            )
            notes.append(
                wrap_label(
                    text.groups_withheld % {"groups": names_withheld},
                    width=90,
                    max_lines=4,
                    limit=400,
                )
            )
        if cells:
            fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
        _title(fig, title, "\n".join(notes) or None)
    return literal_text(fig)


def triangulation_chart(
    rows: Sequence[TriangulationRow],
    *,
    title: str = "",
    lang: str = "en",
    text: BriefChartText = BRIEF_ENGLISH,
) -> Figure:
    """Per estimate question: the panel's IQR as a bar, its median as a dot and the forecast
    as a diamond, each value written; a forecast outside the IQR is marked in words."""
    with chart_style():
        fig = Figure(figsize=(7.5, 1.9 + 0.8 * max(len(rows), 2)), layout="constrained")
        ax = fig.add_subplot()
        plotted = [(y, r.median, r.q1, r.q3) for y, r in enumerate(rows, start=1)]
        handles = _interval_plot(
            ax,
            plotted,
            colour=PALETTE["sky"],
            label_median=text.panel_median,
            label_iqr=text.panel_iqr,
        )
        values = []
        notes = []
        for y, row in enumerate(rows, start=1):
            values += [v for v in (row.median, row.q1, row.q3, row.forecast) if v is not None]
            if row.forecast is not None:
                ax.plot(
                    [row.forecast],
                    [y],
                    marker="D",
                    color=PALETTE["vermillion"],
                    markersize=8,
                    linestyle="none",
                    zorder=4,
                )
                note = f"{text.forecast} {_n(row.forecast, text, 2)}"
                if row.flagged:
                    note += f" · {text.outside}"
                notes.append((row.forecast, y, note))
            if row.median is not None:
                ax.annotate(
                    _n(row.median, text, 2),
                    (row.median, y),
                    textcoords="offset points",
                    xytext=(0, 8),
                    fontsize=8,
                    ha="center",
                )
        handles.append(
            Line2D(
                [],
                [],
                marker="D",
                color=PALETTE["vermillion"],
                linestyle="none",
                label=text.forecast,
            )
        )
        labels = [
            wrap_label(
                f"{_text_of(r.text, lang)} ({r.unit})" if r.unit else _text_of(r.text, lang),
                width=34,
            )
            for r in rows
        ]
        ax.set_yticks(range(1, len(rows) + 1), labels=labels)
        ax.set_ylim(len(rows) + 0.7, 0.3)
        if values:
            low, high = float(np.min(values)), float(np.max(values))
            pad = max((high - low) * 0.15, 0.5)
            ax.set_xlim(low - pad, high + pad)
            middle = (low + high) / 2
            for x, y, note in notes:
                # written towards the middle of the axes, so that it never runs off its edge
                ax.annotate(
                    note,
                    (x, y),
                    textcoords="offset points",
                    xytext=(0, -14),
                    fontsize=8,
                    ha="right" if x > middle else "left",
                )
        else:
            _empty(ax, text)
        units = {r.unit for r in rows if r.unit}
        ax.set_xlabel(
            wrap_label(
                text.triangulation_axis % {"unit": next(iter(units))}
                if len(units) == 1
                else text.triangulation_axis_units,
                width=70,
            )
        )
        ax.set_ylabel(text.question_axis)
        ax.grid(axis="x", color="#d0d0d0", linewidth=0.8)
        fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
        _title(fig, title)
    return literal_text(fig)


# --- the charts of a brief -----------------------------------------------------------------


def _values(pairs: Sequence[tuple[str, Any]], text: BriefChartText) -> str:
    return "; ".join(f"{label} {value}" for label, value in pairs) or text.no_data


def brief_charts(
    content: BriefContent, *, lang: str = "en", text: BriefChartText = BRIEF_ENGLISH
) -> tuple[BriefChart, ...]:
    """The charts ``content`` has, in the order of its sections. A chart is listed only when
    its section has data; its table holds the content's own numbers (unformatted)."""
    out: list[BriefChart] = []
    sector = content.header.sector_label
    trend = content.trend
    if trend.series:
        unit = trend.series[0].unit or ""
        rows = tuple(
            (
                s.name,
                s.kind,
                s.code,
                s.label,
                s.unit,
                p.year,
                p.value,
                ",".join(f.value for f in p.flags),
                s.source.title,
                s.source.vintage,
            )
            for s in trend.series
            for p in s.points
        )
        labels = {
            DatasetKind.statistics.value: text.history,
            DatasetKind.projection.value: text.projection,
            DatasetKind.job_ads.value: text.job_ads,
        }
        described = "; ".join(
            (labels.get(s.kind, text.projection) % {"source": s.source.title})
            + ": "
            + ", ".join(f"{p.year} {_n(p.value, text)}" for p in s.points)
            for s in trend.series
        )
        series = trend.series
        out.append(
            BriefChart(
                name="employment_trend",
                caption=text.trend_caption % {"unit": unit},
                alt=text.trend_alt % {"sector": sector, "unit": unit, "values": described},
                columns=(
                    "series",
                    "kind",
                    "code",
                    "label",
                    "unit",
                    "year",
                    "value",
                    "flags",
                    "source",
                    "vintage",
                ),
                rows=rows,
                build=lambda: employment_trend_chart(
                    series, title=text.trend_title % {"sector": sector}, text=text
                ),
            )
        )
    openings = content.openings
    if openings.total is not None:
        out.append(
            BriefChart(
                name="openings",
                caption=text.openings_caption % {"unit": openings.unit or ""},
                alt=text.openings_alt
                % {
                    "total": _n(openings.total, text),
                    "expansion": _n(openings.expansion, text),
                    "replacement": _n(openings.replacement, text),
                    "expansion_share": _pct(openings.expansion_share, text),
                    "replacement_share": _pct(openings.replacement_share, text),
                },
                columns=("part", "value", "share", "unit"),
                rows=(
                    ("expansion", openings.expansion, openings.expansion_share, openings.unit),
                    (
                        "replacement",
                        openings.replacement,
                        openings.replacement_share,
                        openings.unit,
                    ),
                    ("total", openings.total, 1.0, openings.unit),
                ),
                build=lambda: openings_chart(
                    openings,
                    title=text.openings_title
                    % {
                        "sector": sector,
                        "base": openings.base_year,
                        "horizon": openings.horizon_year,
                    },
                    text=text,
                ),
            )
        )
    items = content.skill_needs.items
    if items:
        rows = tuple(
            (
                item.key,
                _text_of(item.text, lang),
                f.round,
                f.n,
                f.median,
                f.q1,
                f.q3,
                f.agreement,
                f.consensus_status,
                f.suppressed,
            )
            for item in items
            for f in item.history
        )
        described = _values(
            [
                (
                    f"{_text_of(item.text, lang)}, " + text.round_label % {"n": f.round},
                    text.withheld if f.suppressed else _n(f.median, text, 2),
                )
                for item in items
                for f in item.history
            ],
            text,
        )
        out.append(
            BriefChart(
                name="skill_ratings",
                caption=text.ratings_caption,
                alt=text.ratings_alt % {"values": described},
                columns=(
                    "item",
                    "text",
                    "round",
                    "n",
                    "median",
                    "q1",
                    "q3",
                    "agreement",
                    "consensus_status",
                    "withheld",
                ),
                rows=rows,
                build=lambda: skill_ratings_chart(
                    items, title=text.ratings_title, lang=lang, text=text
                ),
            )
        )
    for point in content.contested.points:
        label = _text_of(point.text, lang)
        rows = tuple(
            (
                c.group,
                c.n,
                c.stats.get("median"),
                c.stats.get("q1"),
                c.stats.get("q3"),
                c.stats.get("agreement"),
            )
            for c in point.positions
        )
        withheld = ""
        if point.suppressed_groups:
            withheld = (
                " "
                + text.groups_withheld
                % {
                    "groups": formatting.word_list(
                        [text.group(g) for g in point.suppressed_groups], locale=text.locale
                    )
                }
                + "."
            )
        described = _values(
            [(text.group(c.group), _n(c.stats.get("median"), text, 2)) for c in point.positions],
            text,
        )
        out.append(
            BriefChart(
                name=f"group_positions_{point.key}",
                caption=text.groups_caption,
                alt=text.groups_alt % {"item": label, "values": described, "withheld": withheld},
                columns=("group", "n", "median", "q1", "q3", "agreement"),
                rows=rows,
                build=lambda point=point, label=label: group_positions_chart(
                    point, title=text.groups_title % {"item": label}, text=text
                ),
            )
        )
    tri = tuple(r for r in content.triangulation.rows if r.median is not None)
    if tri:
        rows = tuple(
            (
                r.key,
                _text_of(r.text, lang),
                r.unit,
                r.year,
                r.forecast,
                r.n,
                r.median,
                r.q1,
                r.q3,
                r.gap,
                r.distance_to_iqr,
                r.forecast_outside_panel_iqr,
                r.range_coverage,
            )
            for r in tri
        )
        described = _values(
            [
                (
                    _text_of(r.text, lang),
                    f"{text.panel_median} {_n(r.median, text, 2)}, "
                    f"{text.forecast} {_n(r.forecast, text, 2)}",
                )
                for r in tri
            ],
            text,
        )
        out.append(
            BriefChart(
                name="triangulation",
                caption=text.triangulation_caption,
                alt=text.triangulation_alt % {"values": described},
                columns=(
                    "item",
                    "text",
                    "unit",
                    "year",
                    "forecast",
                    "n",
                    "median",
                    "q1",
                    "q3",
                    "gap",
                    "distance_to_iqr",
                    "forecast_outside_panel_iqr",
                    "range_coverage",
                ),
                rows=rows,
                build=lambda: triangulation_chart(
                    tri, title=text.triangulation_title, lang=lang, text=text
                ),
            )
        )
    return tuple(out)
