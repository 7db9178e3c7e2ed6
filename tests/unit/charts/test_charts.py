"""Charts: pure Figures, literal text, readable marks, SVG/PNG export."""

import io
import time
import xml.etree.ElementTree as ET

import matplotlib
import numpy as np
import PIL.Image
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from app.charts import (
    PALETTE,
    ChartText,
    choice_chart,
    figure_png,
    figure_svg,
    likert_distribution,
    ranking_chart,
)
from app.charts.figures import percent, wrap_label

TV1_COUNTS = {"1": 0, "2": 1, "3": 1, "4": 3, "5": 2}
LABELS = [
    "Not important",
    "Slightly important",
    "Moderately important",
    "Very important",
    "Essential",
]
SVG = "{http://www.w3.org/2000/svg}"


def _texts(fig: Figure) -> list[str]:
    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def _svg_text(svg: bytes) -> str:
    root = ET.fromstring(svg)
    return " ".join("".join(node.itertext()) for node in root.iter(f"{SVG}text"))


def _bars(fig: Figure) -> list[Rectangle]:
    return list(fig.axes[0].containers[0])


def test_likert_distribution_draws_a_bar_per_point_with_counts_and_shares():
    fig = likert_distribution(TV1_COUNTS, LABELS, "Digital skills")
    assert isinstance(fig, Figure)
    assert [b.get_width() for b in _bars(fig)] == [0, 1, 1, 3, 2]
    texts = _texts(fig)
    for expected in ("0 (0%)", "1 (14%)", "3 (43%)", "2 (29%)", "4 Very important", "n = 7"):
        assert any(expected in t for t in texts), expected


def test_likert_median_and_iqr_are_named_with_their_values():
    # TV1: median 4, Q1 3.5, Q3 4.5 (type 7) computed from the counts
    texts = _texts(likert_distribution(TV1_COUNTS, LABELS, "Digital skills"))
    assert "Median 4.00" in texts
    assert "Interquartile range 3.50–4.50" in texts


def test_likert_marks_the_given_frozen_statistics():
    fig = likert_distribution(TV1_COUNTS, None, "x", median=4.0, q1=3.0, q3=5.0)
    texts = _texts(fig)
    assert "Median 4.00" in texts and "Interquartile range 3.00–5.00" in texts
    assert "4" in texts  # points without labels


def test_likert_without_answers_says_so():
    texts = _texts(likert_distribution({"1": 0, "2": 0, "3": 0}, None, "Empty"))
    assert "No answers" in texts
    assert not any(t.startswith("Median") for t in texts)


def test_marks_do_not_rely_on_colour_alone():
    fig = likert_distribution(TV1_COUNTS, LABELS, "x")
    legend = fig.legends[0]
    styles = [h.get_linestyle() for h in legend.legend_handles if hasattr(h, "get_linestyle")]
    hatches = [h.get_hatch() for h in legend.legend_handles if hasattr(h, "get_hatch")]
    assert "--" in styles and "///" in hatches


def test_bars_use_the_colour_blind_safe_palette():
    fig = likert_distribution(TV1_COUNTS, LABELS, "x")
    colour = matplotlib.colors.to_hex(_bars(fig)[0].get_facecolor())
    assert colour.lower() == PALETTE["blue"].lower()


def test_ranking_chart_orders_options_as_given_with_mean_rank_and_borda():
    options = [
        {"option": "A", "mean_rank": 1.4, "borda": 13.0, "share_first": 0.6},
        {"option": "B", "mean_rank": 1.8, "borda": 11.0, "share_first": 0.4},
        {"option": "C", "mean_rank": 3.0, "borda": 5.0, "share_first": 0.0},
        {"option": "D", "mean_rank": 3.8, "borda": 1.0, "share_first": 0.0},
    ]
    fig = ranking_chart(options, title="Priorities", labels={"A": "Digital skills"})
    assert [b.get_width() for b in _bars(fig)] == [13.0, 11.0, 5.0, 1.0]
    texts = _texts(fig)
    assert "mean rank 1.40 · Borda 13 · first 60%" in texts
    assert "Digital skills" in texts and "D" in texts


def test_choice_chart_shows_whole_per_cent_and_counts():
    fig = choice_chart(
        {"a": 0.455, "b": 0.3, "c": None}, labels={"a": "Training staff"}, counts={"a": 9, "b": 6}
    )
    assert [round(b.get_width(), 6) for b in _bars(fig)] == [45.5, 30.0, 0.0]
    texts = _texts(fig)
    assert "46% (9)" in texts and "30% (6)" in texts and "–" in texts


@pytest.mark.parametrize(
    "label",
    ["$\\frac{$", "$x^2$ and $y$", "{" * 10_000, "file:///etc/passwd", "http://127.0.0.1:9/"],
)
def test_labels_stay_literal_and_render_fast(label):
    started = time.perf_counter()
    figures = [
        likert_distribution(TV1_COUNTS, [label] * 5, label),
        ranking_chart(
            [{"option": "o", "mean_rank": 1.0, "borda": 1.0, "label": label}], title=label
        ),
        choice_chart({"o": 0.5}, labels={"o": label}, title=label),
    ]
    for fig in figures:
        assert all(not t.get_parse_math() for t in fig.findobj(Text))
        svg = figure_svg(fig)
        assert figure_png(fig).startswith(b"\x89PNG")
        text = _svg_text(svg)
        assert wrap_label(label, width=70, max_lines=3, limit=240).split("\n")[0] in text
    assert time.perf_counter() - started < 6


def test_math_label_is_drawn_as_typed_in_the_svg():
    svg = figure_svg(likert_distribution(TV1_COUNTS, LABELS, "Share of $\\frac{$ answers"))
    assert "Share of $\\frac{$ answers" in _svg_text(svg)


def test_svg_is_valid_xml_without_a_date_and_stable():
    fig = likert_distribution(TV1_COUNTS, LABELS, "Digital skills")
    first, second = figure_svg(fig), figure_svg(fig)
    root = ET.fromstring(first)
    assert root.tag == f"{SVG}svg"
    assert b"<dc:date>" not in first
    assert first == second
    assert "Median 4.00" in _svg_text(first)


def test_png_export_is_a_png_of_the_figure():
    data = figure_png(choice_chart({"a": 1.0}), dpi=72)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(io.BytesIO(data).getvalue()) > 1000


def test_export_leaves_global_settings_alone():
    before = matplotlib.rcParams["text.parse_math"], matplotlib.rcParams["svg.fonttype"]
    figure_svg(likert_distribution(TV1_COUNTS, LABELS, "x"))
    assert (matplotlib.rcParams["text.parse_math"], matplotlib.rcParams["svg.fonttype"]) == before


@pytest.mark.parametrize(
    ("share", "text"), [(0.005, "1%"), (0.125, "13%"), (1.0, "100%"), (None, "")]
)
def test_percent_rounds_halves_up(share, text):
    assert percent(share) == text


def test_long_labels_are_wrapped_and_shortened():
    text = wrap_label("word " * 100, width=20, max_lines=2)
    lines = text.split("\n")
    assert len(lines) == 2 and lines[-1].endswith("…")


def test_chart_words_can_be_given_in_another_language():
    words = ChartText(
        answers_axis="Anzahl Antworten",
        median="Median %(value)s",
        iqr="Interquartilsabstand %(low)s–%(high)s",
        total="n = %(n)s",
        share_axis="Anteil (%%)",
    )
    texts = _texts(likert_distribution(TV1_COUNTS, None, "x", text=words))
    assert "Anzahl Antworten" in texts and "Interquartilsabstand 3.50–4.50" in texts
    assert "Anteil (%)" in _texts(choice_chart({"a": 0.5}, text=words))


# --- layout: no text beyond the canvas ----------------------------------------------------

GERMAN = ChartText(
    answers_axis="Anzahl der Antworten",
    median="Median %(value)s",
    iqr="Interquartilsabstand %(low)s–%(high)s",
    total="n = %(n)s",
    no_answers="Keine Antworten",
    mean_rank="mittlerer Rang %(value)s",
    borda="Borda %(value)s",
    first="an erster Stelle %(value)s",
    borda_axis="Borda-Punkte (längerer Balken = höher eingestuft)",
    no_rankings="Keine Rangfolgen",
    share_axis="Anteil der Panellistinnen und Panellisten, die die Option wählen (%%)",
    locale="de",
)
LONG_OPTIONS = {
    "digital": "Digitale Kompetenzen und Datenkompetenzen für Bauleitung und Gebäudetechnik",
    "green": "Kompetenzen für den ökologischen Wandel (Wärmepumpen, energetische Sanierung)",
    "automation": "Instandhaltung automatisierter und vernetzter Fertigungsanlagen",
    "customer": "Kundenkommunikation",
}
LONG_TITLE = (
    "Welche Weiterbildungsschwerpunkte sollten die Betriebe der Bauwirtschaft in den "
    "nächsten fünf Jahren setzen, um den Fachkräftebedarf zu decken?"
)


def _long_figures() -> dict[str, Figure]:
    ranking = [
        {"option": "digital", "mean_rank": 1.4, "borda": 130.0, "share_first": 0.6},
        {"option": "green", "mean_rank": 1.8, "borda": 110.0, "share_first": 0.4},
        {"option": "automation", "mean_rank": 3.0, "borda": 50.0, "share_first": 0.0},
        {"option": "customer", "mean_rank": 3.8, "borda": 0.5, "share_first": 0.0},
    ]
    return {
        "ranking": ranking_chart(ranking, title=LONG_TITLE, labels=LONG_OPTIONS, text=GERMAN),
        "ranking, one option": ranking_chart(
            ranking[:1], title=LONG_TITLE, labels=LONG_OPTIONS, text=GERMAN
        ),
        "choice": choice_chart(
            {"digital": 1.0, "green": 0.455, "automation": 0.3, "customer": None},
            title=LONG_TITLE,
            labels=LONG_OPTIONS,
            counts={"digital": 1234, "green": 561, "automation": 370},
            text=GERMAN,
        ),
        "likert": likert_distribution(
            {"1": 1, "2": 0, "3": 1, "4": 1, "5": 1},
            [
                "Überhaupt nicht wichtig",
                "Wenig wichtig",
                "Mäßig wichtig",
                "Sehr wichtig",
                "Unverzichtbar für die Wettbewerbsfähigkeit der Betriebe",
            ],
            LONG_TITLE,
            text=GERMAN,
        ),
    }


def _drawn_texts(fig: Figure) -> list[Text]:
    """The texts a reader sees: titles, annotations, legends, axis labels and the tick labels
    inside the view (matplotlib keeps labels of ticks beyond the limits, undrawn)."""
    texts = [t for t in fig.texts if t.get_text()]
    for legend in fig.legends:
        texts.extend(legend.get_texts())
    for ax in fig.axes:
        texts.extend(t for t in ax.texts if t.get_text())
        texts.extend(t for t in (ax.xaxis.label, ax.yaxis.label, ax.title) if t.get_text())
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks():
                if low - 1e-9 <= tick.get_loc() <= high + 1e-9 and tick.label1.get_text():
                    texts.append(tick.label1)
    return texts


@pytest.mark.parametrize("kind", ["ranking", "ranking, one option", "choice", "likert"])
def test_no_text_falls_outside_the_figure(kind):
    fig = _long_figures()[kind]
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    page = fig.bbox
    for text in _drawn_texts(fig):
        box = text.get_window_extent(renderer)
        assert box.x0 >= page.x0 - 0.5 and box.x1 <= page.x1 + 0.5, (kind, text.get_text())
        assert box.y0 >= page.y0 - 0.5 and box.y1 <= page.y1 + 0.5, (kind, text.get_text())
    tight = fig.get_tightbbox(renderer)  # inches
    assert tight.x0 >= -0.01 and tight.y0 >= -0.01, kind
    assert tight.x1 <= fig.get_figwidth() + 0.01 and tight.y1 <= fig.get_figheight() + 0.01, kind


def test_values_beside_the_bars_stay_inside_the_plot_area():
    """The figures written beside the bars end within the axes (the grid, not the margin)."""
    for kind, fig in _long_figures().items():
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        right = fig.axes[0].get_window_extent(renderer).x1
        for text in fig.axes[0].texts:
            assert text.get_window_extent(renderer).x1 <= right + 0.5, (kind, text.get_text())


@pytest.mark.parametrize("kind", ["ranking", "ranking, one option", "choice", "likert"])
def test_png_leaves_a_blank_margin_on_every_side(kind):
    fig = _long_figures()[kind]
    image = np.asarray(PIL.Image.open(io.BytesIO(figure_png(fig))).convert("L"))
    for side, pixels in {
        "left": image[:, :3],
        "right": image[:, -3:],
        "top": image[:3],
        "bottom": image[-3:],
    }.items():
        assert pixels.min() >= 250, (kind, side)
