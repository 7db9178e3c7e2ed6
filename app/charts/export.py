"""Writing figures to SVG or PNG bytes (in memory, no files, no global figure state)."""

from __future__ import annotations

import io

import matplotlib
from matplotlib.figure import Figure

from app.charts.figures import RC, literal_text

#: The canvas is cut to what is drawn plus this margin (inches), so that no text can fall
#: outside it, even one too wide for the figure's own layout.
PAD_INCHES = 0.1
_FIT = {"bbox_inches": "tight", "pad_inches": PAD_INCHES}

#: SVG text stays text (searchable, readable by assistive technology), and ids are stable.
_SVG_RC = {**RC, "svg.fonttype": "none", "svg.hashsalt": "skillsdelphi"}


def figure_svg(fig: Figure) -> bytes:
    """``fig`` as a UTF-8 SVG document without a creation date, cut to what is drawn."""
    literal_text(fig)
    buffer = io.BytesIO()
    with matplotlib.rc_context(_SVG_RC):
        fig.savefig(buffer, format="svg", metadata={"Date": None}, **_FIT)
    return buffer.getvalue()


def figure_png(fig: Figure, *, dpi: int = 150) -> bytes:
    """``fig`` as a PNG image at ``dpi``, cut to what is drawn."""
    literal_text(fig)
    buffer = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None}, **_FIT)
    return buffer.getvalue()
