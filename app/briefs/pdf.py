"""A brief's HTML as a tagged PDF (WeasyPrint), fetching nothing but bundled assets.

SECURITY.md 2.5 and S2: the page is rendered with a URL fetcher that serves only the assets
handed to it (the charts of this brief, the bundled fonts and style sheets) under one made-up
address, :data:`ASSET_BASE`, and refuses every other address — ``file:``, ``http:`` to the
local network, ``data:`` alike — so that text in a brief can never make the server read a file
or call a service. Refused addresses are recorded on the fetcher (tests read them).

The PDF is made with ``pdf_variant="pdf/ua-1"``, which makes WeasyPrint write a structure tree
(headings, paragraphs, lists, tables, figures with their alternative text), the document
language and its title. WeasyPrint's tagging is incomplete: it builds the tree page by page,
so a table that runs over a page break becomes two tables. Briefs therefore keep each table
on one page (``break-inside: avoid``) and split long ones into captioned parts that fit a page
(:func:`table_parts`), and the HTML and CSV stay the accessible route. This module
does not claim conformance to any standard; no validator has checked the files.

Pure: no Flask, no database.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.pdf import tags as _tags
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcherResponse

#: The made-up address under which bundled assets are served to WeasyPrint (``.invalid`` can
#: never resolve, RFC 2606); any other address is refused.
ASSET_BASE = "https://assets.skillsdelphi.invalid/"
#: The folder of the fonts shipped in the package (DejaVu Sans: Latin, Greek, Cyrillic).
FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONTS = {
    "fonts/DejaVuSans.ttf": FONT_DIR / "DejaVuSans.ttf",
    "fonts/DejaVuSans-Bold.ttf": FONT_DIR / "DejaVuSans-Bold.ttf",
}
#: Most rows of a table part in the PDF; a longer table is split into captioned parts so that
#: no table crosses a page break (see the module docstring).
PDF_TABLE_ROWS = 30
#: Lines of text a table part may take, by the estimate of :func:`table_parts` (an A4 page
#: holds about 55 lines of table text beside its header and caption; each row's padding
#: counts as half a line).
PDF_TABLE_LINES = 40
#: Characters of table text across the width of the page (8 pt on 174 mm).
_PAGE_CHARACTERS = 106
#: Characters a cell's padding takes.
_CELL_PADDING = 1.2
#: Longest word of a cell, and of a column header, that sets a column's narrowest width;
#: longer words hyphenate (at syllables, in the page's language).
_LONGEST_WORD = 14
_LONGEST_HEADER_WORD = 10
#: How much wider than an average character of table text a header's bold letters, and a
#: cell's letters, run in the page's font (DejaVu Sans is wide; capitals wider still).
_BOLD = 1.2
_PLAIN = 1.0


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[float]:
    """Widths of a table's columns on the page, in characters, the way a browser's automatic
    table layout shares the width out: every column as wide as its longest text if the page
    has room; if not, each at least as wide as its longest word (a header's words hyphenate),
    the rest of the page shared in proportion to how much wider each column's longest text
    is. A column of long texts (a question, an occupation) thus takes the room the columns
    of figures beside it leave, instead of an equal share that wraps it one word a line."""
    count = len(headers)
    if not count:
        return []
    available = max(_PAGE_CHARACTERS - _CELL_PADDING * count, 4.0 * count)
    narrowest, widest = [], []
    for index in range(count):
        cells = [str(row[index] or "") for row in rows if index < len(row)]
        word = max((len(w) for t in cells for w in t.split()), default=1)
        head = max((len(w) for w in str(headers[index] or "").split()), default=1)
        low = max(min(word, _LONGEST_WORD) * _PLAIN, min(head, _LONGEST_HEADER_WORD) * _BOLD, 3.0)
        narrowest.append(low)
        widest.append(max(low, float(max((len(c) for c in cells), default=0))))
    if sum(widest) <= available:
        scale = available / sum(widest)
        return [w * scale for w in widest]
    if sum(narrowest) >= available:
        scale = available / sum(narrowest)
        return [w * scale for w in narrowest]
    share = (available - sum(narrowest)) / (sum(widest) - sum(narrowest))
    return [n + (w - n) * share for n, w in zip(narrowest, widest, strict=True)]


def column_shares(widths: Sequence[float]) -> tuple[float, ...]:
    """Percentages of the table's width for columns of ``widths`` characters (from
    :func:`column_widths`), each with its cell's padding, so that a column keeps room for
    its longest word beside the padding."""
    total = sum(widths) + _CELL_PADDING * len(widths)
    if not widths or total <= 0:
        return ()
    return tuple(round(100 * (w + _CELL_PADDING) / total, 1) for w in widths)


def _lines(text: str, width: float) -> int:
    """Lines ``text`` takes wrapped at words in a column ``width`` characters wide (a word
    longer than the column breaks across lines)."""
    width = max(1.0, width * 0.95)  # bold row headers and wide letters take a little more
    lines, used = 1, 0.0
    for word in text.split():
        size = len(word)
        if used and used + 1 + size > width:
            lines += 1
            used = 0.0
        if size > width:
            lines += math.ceil(size / width) - 1
            used = size % width
        else:
            used += size + (1 if used else 0)
    return lines


def table_parts(
    rows: Sequence[Sequence[str]],
    columns: int,
    *,
    lines: int = PDF_TABLE_LINES,
    most: int = PDF_TABLE_ROWS,
    widths: Sequence[float] | None = None,
) -> list[tuple[int, int]]:
    """Where to split a table's ``rows`` (texts of its cells) so that each part fits a page:
    (start, end) index pairs, at most ``most`` rows and about ``lines`` lines of text each (a
    cell's text wraps in its column's width of ``widths``, in characters, else in an equal
    share of the page width)."""
    equal = max(4, _PAGE_CHARACTERS // max(1, columns) - 1)
    parts: list[tuple[int, int]] = []
    start, used = 0, 0.0
    for index, row in enumerate(rows):
        height = 0.5 + max(
            (
                _lines(str(cell), widths[i] if widths and i < len(widths) else equal)
                for i, cell in enumerate(row)
            ),
            default=1,
        )
        if index > start and (used + height > lines or index - start >= most):
            parts.append((start, index))
            start, used = index, 0.0
        used += height
    if start < len(rows) or not parts:
        parts.append((start, len(rows)))
    return parts


MEDIA_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ttf": "font/ttf",
    ".css": "text/css",
}

#: The fonts of the PDF, declared under both names used: the brief's text and the charts'
#: SVG text (matplotlib writes "DejaVu Sans"), so that neither depends on system fonts.
FONT_FACES = "\n".join(
    f'@font-face {{ font-family: "{family}"; src: url("{ASSET_BASE}{path}"); '
    f"font-weight: {weight}; font-style: normal; }}"
    for family in ("Brief Sans", "DejaVu Sans")
    for path, weight in (("fonts/DejaVuSans.ttf", 400), ("fonts/DejaVuSans-Bold.ttf", 700))
)


class AssetRefused(ValueError):
    """An address outside the bundled assets was asked for."""


class BundledFetcher:
    """Serves ``assets`` (relative name → bytes) under :data:`ASSET_BASE`, refuses the rest.

    Not built on urllib at all (unlike WeasyPrint's own fetcher): nothing is ever opened
    through the network or the file system, whatever the address. ``refused`` lists every
    address asked for and refused, in order."""

    #: A refused address leaves the image or font out; it does not stop the rendering.
    _fail_on_errors = False

    def __init__(self, assets: Mapping[str, bytes] | None = None) -> None:
        self.assets = dict(assets or {})
        self.refused: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        name = url[len(ASSET_BASE) :] if url.startswith(ASSET_BASE) else None
        if name is not None and "?" not in name and "#" not in name:
            body = self.assets.get(name)
            if body is None and name in FONTS:
                body = FONTS[name].read_bytes()
            if body is not None:
                media_type = MEDIA_TYPES.get(Path(name).suffix, "application/octet-stream")
                return URLFetcherResponse(url, body, {"Content-Type": media_type})
        self.refused.append(url)
        raise AssetRefused(f"not a bundled asset: {url[:200]}")

    def __call__(self, url: str) -> URLFetcherResponse:
        return self.fetch(url)


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string (quotes, backslashes, line breaks escaped)."""
    out = []
    for char in text:
        if char in '"\\' or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def page_css(page_label: str) -> str:
    """The page rules of the PDF: A4, a running header with the brief's title (taken from
    the element with class ``running-title``) and "Page 3 of 12" at the foot.

    ``page_label`` is the translated template with ``%(page)s`` and ``%(pages)s``."""
    parts = []
    rest = page_label
    while rest:
        cut = min(
            (i for i in (rest.find("%(page)s"), rest.find("%(pages)s")) if i >= 0), default=-1
        )
        if cut < 0:
            parts.append(css_string(rest))
            break
        if cut:
            parts.append(css_string(rest[:cut]))
        if rest.startswith("%(pages)s", cut):
            parts.append("counter(pages)")
            rest = rest[cut + len("%(pages)s") :]
        else:
            parts.append("counter(page)")
            rest = rest[cut + len("%(page)s") :]
    return f"""
@page {{
  size: A4;
  margin: 22mm 18mm 20mm 18mm;
  @top-left {{
    content: string(brief-title);
    font-family: "Brief Sans"; font-size: 8pt; color: #4a4a4a;
    width: 100%; vertical-align: bottom; padding-bottom: 3mm;
    border-bottom: 0.5pt solid #b1b4b6;
  }}
  @bottom-right {{
    content: {" ".join(parts) or '""'};
    font-family: "Brief Sans"; font-size: 8pt; color: #4a4a4a;
  }}
}}
.running-title {{ string-set: brief-title content(text); }}
"""


@dataclass(frozen=True)
class PdfResult:
    data: bytes
    #: Addresses the page asked for that were refused (nothing outside the bundle is read).
    refused: tuple[str, ...]


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _language_of_elements(build):
    """WeasyPrint's builder of the structure tree (``weasyprint.pdf.tags._build_box_tree``),
    writing the ``lang`` of an HTML element other than the root into its structure element
    (``/Lang``), so that a quote in German on an English page is read out in German from the
    PDF as from the HTML. The builder calls itself through the module, so every element
    passes through here."""

    def built(box, parent, *args):
        element = getattr(box, "element", None)
        lang = None
        if element is not None and getattr(box, "element_tag", None) not in ("html", "body"):
            lang = element.get("lang")
        for structure in build(box, parent, *args):
            if lang and "Lang" not in structure:
                structure["Lang"] = _tags.pydyf.String(lang)
            yield structure

    built.writes_language = True
    return built


# WeasyPrint writes the document's language only (68.1); without the builder (another
# version), the PDF keeps that and the HTML remains the route for each text's language.
if hasattr(_tags, "_build_box_tree") and not getattr(
    _tags._build_box_tree, "writes_language", False
):
    _tags._build_box_tree = _language_of_elements(_tags._build_box_tree)


def html_to_pdf(
    html: str,
    *,
    assets: Mapping[str, bytes],
    stylesheets: tuple[str, ...] = (),
    page_label: str = "Page %(page)s of %(pages)s",
) -> PdfResult:
    """``html`` (a complete page with ``lang`` on its root and a ``<title>``) as a PDF.

    Addresses in the page are resolved against :data:`ASSET_BASE`; ``assets`` are the files
    served there (``"charts/trend.svg"`` → bytes), besides the bundled fonts. ``stylesheets``
    are CSS texts applied after the page's own. WeasyPrint's complaints (a refused address,
    an image without alternative text) are kept off the application log; refused addresses
    are returned."""
    logger = logging.getLogger("weasyprint")
    capture = _Capture()
    logger.addHandler(capture)
    propagate, logger.propagate = logger.propagate, False
    try:
        fetcher = BundledFetcher(assets=assets)
        fonts = FontConfiguration()
        css = [
            CSS(string=FONT_FACES, font_config=fonts, url_fetcher=fetcher, base_url=ASSET_BASE),
            CSS(string=page_css(page_label), font_config=fonts, url_fetcher=fetcher),
        ]
        css += [
            CSS(string=s, font_config=fonts, url_fetcher=fetcher, base_url=ASSET_BASE)
            for s in stylesheets
        ]
        document = HTML(string=html, base_url=ASSET_BASE, url_fetcher=fetcher)
        buffer = io.BytesIO()
        document.write_pdf(
            buffer,
            stylesheets=css,
            font_config=fonts,
            pdf_variant="pdf/ua-1",
            uncompressed_pdf=False,
            custom_metadata=False,
        )
    finally:
        logger.removeHandler(capture)
        logger.propagate = propagate
    return PdfResult(buffer.getvalue(), tuple(fetcher.refused))
