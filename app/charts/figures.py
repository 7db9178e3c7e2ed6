"""Figures of round results: Likert distributions, rankings, choice shares.

Each function returns a new :class:`matplotlib.figure.Figure` (no pyplot, no global figure
state). Labels are taken as plain text: long ones are wrapped and shortened, ``$`` and
braces are drawn as they are.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import FixedLocator, MaxNLocator

from app import formatting

#: Okabe & Ito (2008) colours, distinguishable with the common colour-vision deficiencies.
PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
}
INK = "#1b1b1b"

#: Settings every chart is drawn with: literal text, no TeX, readable sizes.
RC: dict[str, Any] = {
    "text.parse_math": False,
    "text.usetex": False,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.edgecolor": INK,
    "axes.labelcolor": INK,
    "text.color": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.linewidth": 1.0,
}


@dataclass(frozen=True)
class ChartText:
    """The words drawn on charts, as ``%``-format templates (give translations here)."""

    answers_axis: str = "Number of answers"
    median: str = "Median %(value)s"
    iqr: str = "Interquartile range %(low)s–%(high)s"
    total: str = "n = %(n)s"
    no_answers: str = "No answers"
    mean_rank: str = "mean rank %(value)s"
    borda: str = "Borda %(value)s"
    first: str = "first %(value)s"
    borda_axis: str = "Borda points (longer bar = ranked higher)"
    no_rankings: str = "No rankings"
    share_axis: str = "Share of panellists choosing the option (%%)"
    #: Language of the numbers drawn (decimal comma, per-cent spacing).
    locale: str = "en"


ENGLISH = ChartText()

#: Longest label drawn (characters); longer text is shortened with an ellipsis.
MAX_LABEL = 120
MAX_TITLE = 240


@contextmanager
def chart_style():
    """Temporarily apply :data:`RC` (restored afterwards)."""
    with matplotlib.rc_context(RC):
        yield


def literal_text(fig: Figure) -> Figure:
    """Switch off mathtext on every text of ``fig`` (``$...$`` stays literal)."""
    for text in fig.findobj(Text):
        text.set_parse_math(False)
    return fig


def wrap_label(text: Any, width: int = 40, max_lines: int = 3, limit: int = MAX_LABEL) -> str:
    """``text`` as at most ``max_lines`` lines of about ``width`` characters."""
    value = " ".join(str("" if text is None else text).split())
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    lines = textwrap.wrap(value, width=width, break_long_words=True) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(1, width - 1)].rstrip() + "…"
    return "\n".join(lines)


def percent(share: float | None, locale: str = "en") -> str:
    """A 0..1 share as a whole per cent, as everywhere (``app.formatting``); "" when None."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return ""
    return formatting.percent(share, locale=locale)


def number(value: float | None, places: int = 2, locale: str = "en") -> str:
    return formatting.number(value, places, locale=locale)


#: Room kept between the end of a value written beside a bar and the edge of the plot area,
#: as a share of the plot area's width.
BESIDE_MARGIN = 0.02
#: A value written beside a bar that takes more of the plot area's width than this share is
#: broken onto two lines at a " · ", so that the bars keep most of the width.
BESIDE_MAX_SHARE = 0.4
SEPARATOR = " · "


def _in_two_lines(text: str) -> str:
    """``text`` broken at the ``SEPARATOR`` nearest its middle (unchanged without one)."""
    cuts = [i for i in range(len(text)) if text.startswith(SEPARATOR, i)]
    if not cuts or "\n" in text:
        return text
    cut = min(cuts, key=lambda i: abs(len(text) - 2 * i - len(SEPARATOR)))
    return text[:cut] + "\n" + text[cut + len(SEPARATOR) :]


def fit_beside_bars(fig: Figure, ax: Any, texts: Sequence[Text], *, rounds: int = 4) -> None:
    """Widen the x range of ``ax`` until every text in ``texts`` (written left-aligned beside
    a bar, at a data x position) ends inside the plot area.

    The plot area's width depends on the layout (tick labels, legend, title), and the room a
    text needs in data units depends on the x range, so this measures after a layout pass
    and repeats a few times. Texts wider than ``BESIDE_MAX_SHARE`` of the plot area are first
    put on two lines at a " · ". A text wider than the plot area cannot fit: the range is then
    widened as far as is useful, and the export's tight bounding box keeps it on the canvas.
    """
    if not texts:
        return
    renderer = FigureCanvasAgg(fig).get_renderer()
    for _ in range(rounds):
        fig.draw_without_rendering()
        width = ax.get_window_extent(renderer).width
        low, high = ax.get_xlim()
        if width <= 0 or high <= low:
            return
        widths = [text.get_window_extent(renderer).width for text in texts]
        broken = False
        for text, used in zip(texts, widths, strict=True):
            if used > BESIDE_MAX_SHARE * width:
                lines = _in_two_lines(text.get_text())
                broken = broken or lines != text.get_text()
                text.set_text(lines)
        if broken:
            continue
        needed = high
        for text, used in zip(texts, widths, strict=True):
            free = 1.0 - BESIDE_MARGIN - used / width
            needed = max(needed, low + (text.get_position()[0] - low) / max(free, 0.2))
        if needed <= high * (1 + 1e-9):
            return
        ax.set_xlim(low, needed)


def _title(fig: Figure, title: str, subtitle: str | None = None) -> None:
    text = wrap_label(title, width=70, max_lines=3, limit=MAX_TITLE)
    if subtitle:
        text = f"{text}\n{subtitle}" if text else subtitle
    if text:
        fig.suptitle(text, fontsize=11, ha="left", x=0.01)


def _ordered_keys(counts: Mapping[str, Any]) -> list[str]:
    keys = [str(k) for k in counts]
    try:
        return sorted(keys, key=lambda k: float(k))
    except ValueError:
        return keys


def _type7(values: np.ndarray, counts: np.ndarray, p: float) -> float | None:
    if counts.sum() == 0:
        return None
    return float(np.quantile(np.repeat(values, counts), p, method="linear"))


def likert_distribution(
    counts: Mapping[str, int],
    labels: Sequence[str] | None,
    title: str,
    *,
    median: float | None = None,
    q1: float | None = None,
    q3: float | None = None,
    text: ChartText = ENGLISH,
) -> Figure:
    """Horizontal bars of the answers per scale point, with the median and IQR marked.

    Args:
        counts: answers per scale point, keyed by the point ("1".."k"); numeric keys are
            drawn in scale order, others in the order given.
        labels: the scale points' labels in the same order, or None for the points alone.
        title: chart title (plain text).
        median, q1, q3: the frozen statistics to mark; when None they are computed from the
            counts (Hyndman-Fan type 7). Marks need numeric keys.
        text: the words drawn (axis, legend), e.g. translated.

    Returns:
        A Figure: one bar per scale point with its count and share written beside it, a
        dashed line at the median and a hatched band over the interquartile range, both
        named with their values in the legend.
    """
    keys = _ordered_keys(counts)
    values = np.array([int(counts[k] or 0) for k in keys], dtype=np.int64)
    total = int(values.sum())
    numeric = all(_is_number(k) for k in keys)
    positions = np.array([float(k) for k in keys]) if numeric else np.arange(1, len(keys) + 1.0)
    if numeric and total:
        median = _type7(positions, values, 0.5) if median is None else median
        q1 = _type7(positions, values, 0.25) if q1 is None else q1
        q3 = _type7(positions, values, 0.75) if q3 is None else q3
    label_list = list(labels or [])
    tick_labels = []
    for i, key in enumerate(keys):
        label = label_list[i] if i < len(label_list) and label_list[i] else ""
        tick_labels.append(wrap_label(f"{key} {label}".strip() if label else key, width=28))

    with chart_style():
        fig = Figure(figsize=(7.5, 1.9 + 0.5 * max(len(keys), 2)), layout="constrained")
        ax = fig.add_subplot()
        ax.barh(positions, values, height=0.6, color=PALETTE["blue"], edgecolor=INK, zorder=2)
        top = max(int(values.max()) if len(values) else 0, 1)
        beside = []
        for pos, count in zip(positions, values, strict=True):
            share = percent(count / total, text.locale) if total else ""
            note = ax.text(
                count + top * 0.02,
                pos,
                f"{count} ({share})" if share else str(count),
                va="center",
                ha="left",
                fontsize=9,
                zorder=5,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0},
            )
            beside.append(note)
        handles: list[Any] = []
        if numeric and median is not None:
            if q1 is not None and q3 is not None:
                low, high = (q1, q3) if q3 > q1 else (q1 - 0.06, q3 + 0.06)
                ax.axhspan(
                    low,
                    high,
                    facecolor=PALETTE["orange"],
                    alpha=0.3,
                    hatch="///",
                    edgecolor=PALETTE["vermillion"],
                    zorder=1,
                )
                handles.append(
                    Patch(
                        facecolor=PALETTE["orange"],
                        alpha=0.3,
                        hatch="///",
                        edgecolor=PALETTE["vermillion"],
                        label=text.iqr
                        % {
                            "low": number(q1, locale=text.locale),
                            "high": number(q3, locale=text.locale),
                        },
                    )
                )
            ax.axhline(median, color=INK, linestyle="--", linewidth=2, zorder=4)
            handles.append(
                Line2D(
                    [],
                    [],
                    color=INK,
                    linestyle="--",
                    linewidth=2,
                    label=text.median % {"value": number(median, locale=text.locale)},
                )
            )
        ax.set_yticks(positions, labels=tick_labels)
        ax.set_ylim(
            positions.max() + 0.6 if len(positions) else 1,
            positions.min() - 0.6 if len(positions) else 0,
        )
        ax.set_xlim(0, top * 1.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(text.answers_axis)
        ax.grid(axis="x", color="#d0d0d0", linewidth=0.8, zorder=0)
        ax.set_axisbelow(True)
        if not total:
            ax.text(0.5, 0.5, text.no_answers, transform=ax.transAxes, ha="center", va="center")
        if handles:
            fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
        _title(fig, title, text.total % {"n": total})
        fit_beside_bars(fig, ax, beside)
    return literal_text(fig)


def ranking_chart(
    options: Sequence[Mapping[str, Any]],
    *,
    title: str = "",
    labels: Mapping[str, str] | None = None,
    text: ChartText = ENGLISH,
) -> Figure:
    """Options of a ranking item as bars of Borda points, in the order given.

    Args:
        options: one mapping per option with ``option`` (key), ``mean_rank``, ``borda`` and
            optionally ``share_first`` (0..1) and ``label``; give them best first (the
            frozen results list them by mean rank).
        title: chart title.
        labels: option key -> display text (overrides ``label``).
        text: the words drawn, e.g. translated.

    Returns:
        A Figure with one bar per option (longer = ranked higher), its mean rank, Borda
        points and share ranked first written beside it.
    """
    rows = list(options)
    names = []
    for row in rows:
        key = str(row.get("option", ""))
        name = (labels or {}).get(key) or row.get("label") or key
        names.append(wrap_label(name, width=30))
    borda = np.array([float(r.get("borda") or 0.0) for r in rows])
    positions = np.arange(1, len(rows) + 1)
    with chart_style():
        fig = Figure(figsize=(7.5, 1.9 + 0.55 * max(len(rows), 2)), layout="constrained")
        ax = fig.add_subplot()
        top = max(float(borda.max()) if len(borda) else 0.0, 1.0)
        ax.barh(positions, borda, height=0.6, color=PALETTE["green"], edgecolor=INK, zorder=2)
        beside = []
        for pos, row, points in zip(positions, rows, borda, strict=True):
            parts = [
                text.mean_rank % {"value": number(row.get("mean_rank"), locale=text.locale)},
                text.borda % {"value": formatting.number(points, trim=True, locale=text.locale)},
            ]
            if row.get("share_first") is not None:
                parts.append(text.first % {"value": percent(row.get("share_first"), text.locale)})
            beside.append(
                ax.text(
                    points + top * 0.02,
                    pos,
                    SEPARATOR.join(parts),
                    va="center",
                    ha="left",
                    fontsize=9,
                )
            )
        ax.set_yticks(positions, labels=names)
        ax.set_ylim(len(rows) + 0.6, 0.4)
        ax.set_xlim(0, top * 1.75)
        ax.set_xlabel(text.borda_axis)
        ax.grid(axis="x", color="#d0d0d0", linewidth=0.8, zorder=0)
        ax.set_axisbelow(True)
        if not rows:
            ax.text(0.5, 0.5, text.no_rankings, transform=ax.transAxes, ha="center", va="center")
        _title(fig, title)
        fit_beside_bars(fig, ax, beside)
    return literal_text(fig)


def choice_chart(
    shares: Mapping[str, float | None],
    *,
    title: str = "",
    labels: Mapping[str, str] | None = None,
    counts: Mapping[str, int] | None = None,
    text: ChartText = ENGLISH,
) -> Figure:
    """Share of panellists choosing each option, in the order given.

    Args:
        shares: option key -> share 0..1 (None when undefined); with multiple choice the
            shares may add up to more than 1.
        title: chart title.
        labels: option key -> display text.
        counts: option key -> number of panellists, written beside the share.
        text: the words drawn, e.g. translated.

    Returns:
        A Figure with one bar per option and its share (whole per cent) and count as text.
    """
    keys = [str(k) for k in shares]
    values = np.array([100.0 * float(shares[k] or 0.0) for k in keys])
    names = [wrap_label((labels or {}).get(k) or k, width=30) for k in keys]
    positions = np.arange(1, len(keys) + 1)
    with chart_style():
        fig = Figure(figsize=(7.5, 1.9 + 0.5 * max(len(keys), 2)), layout="constrained")
        ax = fig.add_subplot()
        ax.barh(positions, values, height=0.6, color=PALETTE["sky"], edgecolor=INK, zorder=2)
        beside = []
        for pos, key, value in zip(positions, keys, values, strict=True):
            note = percent(shares[key], text.locale) or "–"
            if counts is not None and key in counts:
                note = f"{note} ({int(counts[key])})"
            beside.append(ax.text(value + 1.5, pos, note, va="center", ha="left", fontsize=9))
        ax.set_yticks(positions, labels=names)
        ax.set_ylim(len(keys) + 0.6, 0.4)
        full = max(100.0, float(values.max()) if len(values) else 0.0)
        ax.set_xlim(0, full * 1.15)
        # the room for the values beside the bars is no share: ticks stop at the full scale
        ax.xaxis.set_major_locator(FixedLocator(np.arange(0.0, full + 1e-9, 20.0)))
        ax.set_xlabel(text.share_axis % {})
        ax.grid(axis="x", color="#d0d0d0", linewidth=0.8, zorder=0)
        ax.set_axisbelow(True)
        _title(fig, title)
        fit_beside_bars(fig, ax, beside)
    return literal_text(fig)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
