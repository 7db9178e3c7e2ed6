"""Charts of round results (pure: matplotlib ``Figure`` objects, never pyplot).

- :func:`likert_distribution` answers per scale point with the median and IQR marked;
- :func:`ranking_chart` options by mean rank, with Borda points;
- :func:`choice_chart` share of panellists choosing each option;
- :func:`figure_svg`, :func:`figure_png` export a figure to bytes.

Every text is drawn literally: ``text.parse_math`` is off, so ``$...$`` in a label is never
read as mathematics, and nothing is fetched from anywhere. Colours come from the Okabe-Ito
palette (safe for colour-blind readers), and every value is also written as text, so no
reading depends on colour.
"""

from app.charts.export import figure_png, figure_svg
from app.charts.figures import (
    ENGLISH,
    PALETTE,
    ChartText,
    choice_chart,
    likert_distribution,
    ranking_chart,
)

__all__ = [
    "ENGLISH",
    "PALETTE",
    "ChartText",
    "choice_chart",
    "figure_png",
    "figure_svg",
    "likert_distribution",
    "ranking_chart",
]
