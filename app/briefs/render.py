"""A brief rendered once, in every format, when it is published (and on demand for a preview).

:func:`render_brief` turns one :class:`~app.briefs.content.BriefContent` into the files that are
stored with the published version and served as they are, never re-rendered:

- ``brief.html``: a complete, standalone page (no scripts, styles written into it, charts as
  SVG images inside it, each with its caption, alternative text and data table);
- ``brief.pdf``: the same page through WeasyPrint (A4, page numbers, running header, bundled
  fonts, tagged; nothing fetched but bundled assets, :mod:`app.briefs.pdf`);
- ``data/<table>.csv``: one CSV file per data table (:mod:`app.briefs.brief_tables`), described
  by ``datapackage.json`` (a Frictionless tabular data package), both also in
  ``brief-csv.zip`` (the "csv" download);
- ``brief.xlsx``: one sheet per table and a sheet explaining the columns;
- ``brief.json``: the open API's document of the brief (:mod:`app.briefs.brief_json`);
- ``charts/<name>.svg`` and ``charts/<name>.png``.

Everything a person reads is in ``lang``: words through gettext, numbers and dates through
``app.formatting``. Texts of the content written in another language carry their own ``lang``
attribute. Runs inside an application context (the templates are the app's); outside a request
is fine (a background job, the command line).
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from babel.dates import format_date
from flask import render_template
from flask_babel import force_locale, gettext
from markupsafe import Markup

from app import formatting
from app.briefs import readers, words
from app.briefs.assemble import threshold_band
from app.briefs.brief_json import brief_document
from app.briefs.brief_tables import (
    WITHOUT_ANSWERS_NOTE,
    BriefTables,
    brief_tables,
    fact_value_text,
    flag_words,
    pick_text,
    without_answers_note,
)
from app.briefs.content import (
    BriefContent,
    EscoLink,
    Fact,
    OutlookSettings,
    Rating,
    Source,
    distinct_codes,
    geography_words,
)
from app.briefs.diff import Change, word_diff
from app.briefs.pdf import (
    ASSET_BASE,
    PDF_TABLE_LINES,
    column_shares,
    column_widths,
    html_to_pdf,
    table_parts,
)
from app.briefs.tables import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    Column,
    DataTable,
    Text,
    datapackage,
    json_bytes,
    table_csv,
    tables_xlsx,
)
from app.charts import figure_png, figure_svg
from app.charts.brief import BRIEF_ENGLISH, BriefChartText
from app.charts.brief import brief_charts as chart_list
from app.classifications.esco import hierarchy_code
from app.formatting import N_
from app.text import sentences

STATIC = Path(__file__).resolve().parent.parent / "static" / "css"
#: Languages a brief is rendered in.
LANGUAGES = ("en", "de", "fr", "es")

MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
    "zip": "application/zip",
    "svg": "image/svg+xml",
    "png": "image/png",
    "csv": CSV_MEDIA_TYPE,
    "xlsx": XLSX_MEDIA_TYPE,
}


@dataclass(frozen=True)
class Artefact:
    """One rendered file: its name (a relative path such as ``charts/trend.svg``), exact
    media type and bytes."""

    name: str
    media_type: str
    data: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class RenderedBrief:
    """Every file of one brief in one language. ``formats`` names the file served for each
    download format of the API (html, pdf, csv, xlsx, json)."""

    lang: str
    artefacts: tuple[Artefact, ...]
    formats: Mapping[str, str]
    #: Addresses the PDF's page asked for and was refused (none for a sound brief: its text
    #: is never markup); kept for the log and the tests.
    pdf_refused: tuple[str, ...] = ()
    #: Tables on the PDF's page (each part of a split table counts): what its structure tree
    #: should hold.
    pdf_tables: int = 0

    def __getitem__(self, name: str) -> Artefact:
        for artefact in self.artefacts:
            if artefact.name == name:
                return artefact
        raise KeyError(name)

    def get(self, name: str) -> Artefact | None:
        try:
            return self[name]
        except KeyError:
            return None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.artefacts)

    def format(self, kind: str) -> Artefact:
        return self[self.formats[kind]]


FORMATS = {
    "html": "brief.html",
    "pdf": "brief.pdf",
    "csv": "brief-csv.zip",
    "xlsx": "brief.xlsx",
    "json": "brief.json",
}


# --- what the page shows -------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str
    lang: str | None = None
    num: bool = False
    #: Never broken across lines (years, codes).
    nowrap: bool = False
    #: A column header whose column holds the table's long texts (a question, an occupation):
    #: kept wide enough to read on a screen, the table scrolling in its region instead.
    wide: bool = False


@dataclass(frozen=True)
class PageTable:
    """A data table as the page shows it (formatted), or one part of it in the PDF."""

    id: str
    caption: str
    headers: tuple[Cell, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str | None = None
    empty: str | None = None
    #: Widths of the columns in per cent of the table's (the PDF's; None on the web page,
    #: whose browser lays the table out).
    widths: tuple[float, ...] | None = None


@dataclass(frozen=True)
class ChartView:
    name: str
    src: str
    alt: str
    caption: str
    tables: tuple[PageTable, ...]
    annotations: tuple[str, ...] = ()
    #: The table of the section that holds this chart's figures (id, caption), when the
    #: section shows it already: the chart refers to it instead of repeating it.
    data_in: tuple[str, str] | None = None


#: Columns of codes, which are never broken across lines.
NOWRAP_COLUMNS = frozenset({"code", "sector_code", "item_key", "geography", "vintage"})
#: Characters from which a column's longest text counts as long (a question, not a word).
WIDE_TEXT = 40


def wide_column(headers: tuple[Cell, ...], rows: tuple[tuple[Cell, ...], ...]) -> int | None:
    """The column of a table's long texts: the text column whose longest cell is longest,
    when that is at least :data:`WIDE_TEXT` characters; None when no column's texts are."""
    longest = {
        index: max((len(row[index].text) for row in rows), default=0)
        for index, head in enumerate(headers)
        if not head.num
    }
    index = max(longest, key=lambda i: longest[i], default=None)
    return index if index is not None and longest[index] >= WIDE_TEXT else None


class Formatter:
    """Figures and words of one language, the way every brief reads."""

    def __init__(self, lang: str, translate: Callable[[str], str]) -> None:
        self.lang = lang
        self._ = translate

    def value(self, value: Any, kind: str | None, column_type: str) -> str:
        lang = self.lang
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return self._(words.YES_NO[value])
        if column_type in ("integer", "number"):
            if kind == "year":
                return str(value)
            if kind == "count":
                return formatting.count(value, locale=lang)
            if kind == "share":
                return formatting.percent(value, locale=lang)
            if kind == "p":
                return formatting.p_value(value, locale=lang)
            if kind == "decimal":
                return formatting.number(value, 2, locale=lang)
            return formatting.number(value, 2, trim=True, locale=lang)
        return str(value)

    def cell(self, column: Column, value: Any) -> Cell:
        numeric = column.type in ("integer", "number") and column.kind != "year"
        if isinstance(value, Text):
            return Cell(value.text, value.lang if value.lang not in (None, self.lang) else None)
        nowrap = column.kind == "year" or column.name in NOWRAP_COLUMNS
        return Cell(self.value(value, column.kind, column.type), None, numeric, nowrap)

    def points(self, value: Any, *, signed: bool = False) -> str:
        text = formatting.number(value, 2, trim=True, locale=self.lang)
        if signed and isinstance(value, int | float) and value > 0:
            return "+" + text
        return text

    def fact_value(self, fact: Fact) -> str:
        return fact_value_text(fact, self.lang, self._)

    def date(self, iso: str | None) -> str:
        if not iso:
            return ""
        try:
            return format_date(date.fromisoformat(iso), format="long", locale=self.lang)
        except ValueError:
            return iso

    def source(self, source: Source | None) -> str:
        if source is None:
            return ""
        parts = [source.publisher, source.title]
        text = ", ".join(p for p in parts if p)
        if source.vintage:
            text += f" ({source.vintage})"
        if source.licence:
            text += " · " + self._(N_("licence: %(licence)s")) % {"licence": source.licence}
        return text


def page_table(
    table: DataTable,
    fmt: Formatter,
    *,
    rows: Iterable[tuple] | None = None,
    caption: str | None = None,
    id_: str | None = None,
    note: str | None = None,
) -> PageTable:
    """``table`` formatted for the page: its page columns only, ``rows`` if given."""
    _ = fmt._
    keep = table.page_columns
    columns = [table.columns[i] for i in keep]
    headers = tuple(
        Cell(c.title_text(_), None, c.type in ("integer", "number") and c.kind != "year")
        for c in columns
    )
    chosen = table.rows if rows is None else tuple(rows)
    body = tuple(tuple(fmt.cell(table.columns[i], row[i]) for i in keep) for row in chosen)
    wide = wide_column(headers, body)
    if wide is not None:
        headers = tuple(replace(h, wide=i == wide) for i, h in enumerate(headers))
    note = note if rows is not None else table.note_text(_)
    return PageTable(
        id=id_ or f"table-{table.name.replace('_', '-')}",
        caption=caption or table.caption_text(_),
        headers=headers,
        rows=body,
        note=None if not body else note,
        empty=(note or _(N_("No rows."))) if not body else None,
    )


def split_for_pdf(
    table: PageTable, translate, lines: int = PDF_TABLE_LINES
) -> tuple[PageTable, ...]:
    """``table`` in parts that fit a page of the PDF (``app.briefs.pdf.table_parts``), each
    captioned "(part 2 of 3)", so that no table crosses a page break."""
    texts = [[c.text for c in row] for row in table.rows]
    chars = column_widths([c.text for c in table.headers], texts)
    widths = column_shares(chars) or None if table.rows else None
    bounds = table_parts(texts, len(table.headers), lines=lines, widths=chars)
    if len(bounds) <= 1:
        return (replace(table, widths=widths),)
    label = translate(N_("%(caption)s (part %(part)s of %(parts)s)"))
    return tuple(
        PageTable(
            id=f"{table.id}-{number}",
            caption=label % {"caption": table.caption, "part": number, "parts": len(bounds)},
            headers=table.headers,
            rows=table.rows[start:end],
            note=table.note if number == len(bounds) else None,
            widths=widths,
        )
        for number, (start, end) in enumerate(bounds, start=1)
    )


@dataclass(frozen=True)
class FactView:
    key: str
    label: str
    sentence: str
    flags: str
    source: str
    reliability: str
    reason: str | None
    annotations: tuple[str, ...]
    #: The source in short ("BLS 2024-34") and the number of the sources note under the key
    #: facts that gives it in full with its caveats (``None`` without a source).
    source_short: str = ""
    note: int | None = None
    #: How reliable the figure is, in short (answers, agreement, flags), without the
    #: publisher's caveats, which its sources note carries.
    reliability_short: str = ""


@dataclass(frozen=True)
class SourceNote:
    number: int
    source: str
    caveats: str


def _caveats(fact: Fact) -> str:
    rel = fact.reliability
    if rel is None:
        return ""
    return sentences(rel.caveats)


def _short_source(source: Source | None) -> str:
    if source is None:
        return ""
    return " ".join(p for p in (source.publisher, source.vintage) if p)


def fact_views_with_notes(
    content: BriefContent, fmt: Formatter
) -> tuple[list[FactView], list[SourceNote]]:
    """The key facts, each with its source in short and a reference to a note that states
    the source in full and its caveats once (facts from one source share a note)."""
    views: list[FactView] = []
    notes: dict[tuple[str, str], SourceNote] = {}
    for fact in content.facts():
        view = _fact_view(fact, content, fmt)
        caveats = _caveats(fact)
        if view.source or caveats:
            key = (view.source, caveats)
            if key not in notes:
                notes[key] = SourceNote(len(notes) + 1, view.source, caveats)
            view = replace(
                view,
                source_short=_short_source(fact.source) or view.source,
                note=notes[key].number,
                reliability_short=_reliability(fact, fmt, caveats=False),
            )
        views.append(view)
    return views, list(notes.values())


def _reliability(fact: Fact, fmt: Formatter, *, caveats: bool = True) -> str:
    rel = fact.reliability
    _ = fmt._
    if rel is None:
        return ""
    parts = []
    if rel.n is not None:
        parts.append(_(N_("answers: %(n)s")) % {"n": formatting.count(rel.n, locale=fmt.lang)})
    if rel.response_rate is not None:
        parts.append(
            _(N_("response rate: %(rate)s"))
            % {"rate": formatting.percent(rel.response_rate, locale=fmt.lang)}
        )
    if rel.consensus_status:
        parts.append(_(words.CONSENSUS_SHORT.get(rel.consensus_status, rel.consensus_status)))
    if rel.agreement is not None:
        parts.append(
            _(N_("agreement: %(share)s"))
            % {"share": formatting.percent(rel.agreement, locale=fmt.lang)}
        )
    if rel.interval and None not in rel.interval:
        parts.append(
            _(N_("interval of the median: %(interval)s"))
            % {"interval": formatting.interval(*rel.interval, locale=fmt.lang)}
        )
    if rel.flags:
        parts.append(flag_words(rel.flags, _))
    # the figures as a list, then the publisher's caveats as the sentences they are
    text = "; ".join(p for p in parts if p)
    if not caveats:
        return text
    said = _caveats(fact)
    if text and said:
        return f"{text}. {said}"
    return text or said


def _fact_view(fact: Fact, content: BriefContent, fmt: Formatter) -> FactView:
    _ = fmt._
    value = fmt.fact_value(fact)
    sentence = _(words.FACT_SENTENCES[fact.key.value]) % {
        "value": value,
        "year": fact.year if fact.year is not None else "",
        "base_year": fact.base_year if fact.base_year is not None else "",
    }
    if not fact.available and fact.key.value not in ("current_conditions", "future_outlook"):
        sentence = _(words.FACT_WORDS[fact.key.value]) + ": " + formatting.MISSING
    return FactView(
        key=fact.key.value,
        label=_(words.FACT_WORDS[fact.key.value]),
        sentence=sentence,
        flags=flag_words(fact.flags, _),
        source=fmt.source(fact.source),
        reliability=_reliability(fact, fmt),
        reason=fact.reason.text(_) if fact.reason else None,
        annotations=tuple(a.text for a in content.annotations_for(fact.key.value)),
    )


@dataclass(frozen=True)
class RatingView:
    kind: str
    title: str
    shown: str
    rule: str
    overridden: bool
    override_reason: str | None
    rule_version: str
    #: The rule in words ("the current-conditions rule, version 1").
    rule_words: str
    indicator: str | None
    #: The rule's inputs and how they make the category, in sentences.
    explanation: tuple[str, ...]
    panel: str | None
    disagrees: bool | None
    published: tuple[str, ...]
    reason: str | None
    source: str
    disclaimer: str


def _signed_percent(value: float, fmt: Formatter) -> str:
    text = formatting.percent(value / 100, 1, locale=fmt.lang)
    return "+" + text if formatting.rounded(value, 1) > 0 else text


def _signed_points(value: float, fmt: Formatter) -> str:
    text = formatting.number(value, 1, trim=True, locale=fmt.lang)
    return "+" + text if formatting.rounded(value, 1) > 0 else text


def _growth_case(sector: float, total: float) -> str:
    """Which of ``words.GROWTH_SENTENCES`` says how ``sector`` compares with ``total``."""
    sector_r, total_r = formatting.rounded(sector, 1), formatting.rounded(total, 1)
    if sector_r == total_r:
        return "same"
    if sector_r >= 0:
        return "faster" if sector_r > total_r else "slower"
    if total_r >= 0:
        return "fall_while_total_grows"
    return "fall_less" if sector_r > total_r else "fall_more"


def _difference(
    value: float, high: float, low: float, fmt: Formatter, *, label: str
) -> tuple[str, str | None]:
    """The sentence on a difference from the total and its class by the rule's thresholds."""
    _ = fmt._
    band = threshold_band(value, high, low)
    sentence = _(
        N_(
            "%(what)s: %(diff)s percentage points, %(band)s by the rule (%(high_word)s at "
            "%(high)s or more, %(low_word)s at %(low)s or less)."
        )
    ) % {
        "what": label,
        "diff": _signed_points(value, fmt),
        "band": _(words.BAND_WORDS[band]) if band else formatting.MISSING,
        "high_word": _(words.BAND_WORDS["high"]),
        "high": fmt.points(high, signed=True),
        "low_word": _(words.BAND_WORDS["low"]),
        "low": fmt.points(low, signed=True),
    }
    return sentence, band


def _rating_explanation(
    rating: Rating, settings: OutlookSettings, fmt: Formatter
) -> tuple[str, ...]:
    """The rule's inputs in plain words, each difference with its class by the thresholds
    the method section prints, and how the classes make the category."""
    _ = fmt._
    inputs = rating.inputs
    category = _(words.RATING_WORDS[rating.category.value])
    if rating.kind.value == "future_outlook":
        sector, total = inputs.get("sector_growth"), inputs.get("total_growth")
        relative = inputs.get("relative_growth")
        if sector is None or total is None or relative is None:
            return ()
        lines = [
            _(words.GROWTH_SENTENCES[_growth_case(sector, total)])
            % {"sector": _signed_percent(sector, fmt), "total": _signed_percent(total, fmt)}
        ]
        text, growth = _difference(
            relative,
            settings.growth_strong,
            settings.growth_weak,
            fmt,
            label=_(N_("Growth compared with the total")),
        )
        lines.append(text)
        rate, total_rate = inputs.get("openings_rate"), inputs.get("total_openings_rate")
        relative_rate = inputs.get("relative_openings_rate")
        if rate is None or total_rate is None or relative_rate is None:
            lines.append(
                _(N_("Under %(rule)s, without openings: growth %(growth)s, so %(category)s."))
                % {
                    "rule": words.rule_words(rating.rule_version, _),
                    "growth": _(words.BAND_WORDS[growth]) if growth else formatting.MISSING,
                    "category": category,
                }
            )
            return tuple(lines)
        lines.append(
            _(
                N_(
                    "Openings each year come to %(sector)s of the sector's employment, "
                    "against %(total)s for all sectors."
                )
            )
            % {
                "sector": formatting.percent(rate / 100, 1, locale=fmt.lang),
                "total": formatting.percent(total_rate / 100, 1, locale=fmt.lang),
            }
        )
        text, openings = _difference(
            relative_rate,
            settings.openings_strong,
            settings.openings_weak,
            fmt,
            label=_(N_("Openings rate compared with the total")),
        )
        lines.append(text)
        lines.append(
            _(N_("Under %(rule)s: growth %(growth)s and openings %(openings)s, so %(category)s."))
            % {
                "rule": words.rule_words(rating.rule_version, _),
                "growth": _(words.BAND_WORDS[growth]) if growth else formatting.MISSING,
                "openings": _(words.BAND_WORDS[openings]) if openings else formatting.MISSING,
                "category": category,
            }
        )
        return tuple(lines)
    sector, total = inputs.get("sector_change"), inputs.get("total_change")
    relative = inputs.get("relative_change")
    sentence = words.CURRENT_SENTENCES.get(rating.primary_indicator or "")
    if sentence is None or sector is None or total is None or relative is None:
        return ()
    ads = rating.primary_indicator == "relative_job_ads_change"
    years = {
        name: str(int(inputs[name])) if inputs.get(name) is not None else formatting.MISSING
        for name in ("from_year", "to_year")
    }
    text, band = _difference(
        relative,
        settings.ads_strong if ads else settings.current_strong,
        settings.ads_weak if ads else settings.current_weak,
        fmt,
        label=_(N_("Change compared with the total")),
    )
    return (
        _(sentence)
        % {"sector": _signed_percent(sector, fmt), "total": _signed_percent(total, fmt), **years},
        text,
        _(N_("Under %(rule)s: a %(band)s difference, so %(category)s."))
        % {
            "rule": words.rule_words(rating.rule_version, _),
            "band": _(words.BAND_WORDS[band]) if band else formatting.MISSING,
            "category": category,
        },
    )


def _rating_view(rating: Rating, fmt: Formatter, settings: OutlookSettings) -> RatingView:
    _ = fmt._
    panel = None
    if rating.panel_view is not None:
        view = rating.panel_view
        panel = _(N_("The panel's view: %(category)s")) % {
            "category": _(words.RATING_WORDS[view.category.value])
        }
        if view.median is not None:
            panel += (
                " ("
                + _(N_("median %(median)s"))
                % {
                    "median": fmt.points(view.median)
                    + (f" {words.unit_words(view.unit, _)[0]}" if view.unit else "")
                }
                + ")"
            )
    return RatingView(
        kind=rating.kind.value,
        title=_(words.RATING_KIND_WORDS[rating.kind.value]),
        shown=_(words.RATING_WORDS[rating.shown.value]),
        rule=_(words.RATING_WORDS[rating.category.value]),
        overridden=rating.overridden,
        override_reason=rating.override.reason if rating.override else None,
        rule_version=rating.rule_version,
        rule_words=words.rule_words(rating.rule_version, _),
        indicator=rating.primary_indicator,
        explanation=_rating_explanation(rating, settings, fmt),
        panel=panel,
        disagrees=rating.disagrees,
        published=tuple(
            f"{p.label}: {p.category}"
            + (f" ({p.year})" if p.year else "")
            + " — "
            + fmt.source(p.source)
            for p in rating.published
        ),
        reason=rating.reason.text(_) if rating.reason else None,
        source=fmt.source(rating.source),
        disclaimer=_(rating.disclaimer),
    )


_RULE_TOKEN = re.compile(
    r"\s*(?:(?P<cmp>[a-z_][a-z0-9_]*\s*(?:<=|>=|==|!=|<|>)\s*-?\d+(?:\.\d+)?)"
    r"|(?P<join>and|or|not)\b|(?P<paren>[()]))"
)
_RULE_COMPARISON = re.compile(
    r"(?P<name>[a-z_][a-z0-9_]*)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<value>-?\d+(?:\.\d+)?)"
)


def rule_words(expression: str | None, fmt: Formatter) -> str | None:
    """A rule of the analysis plan (``iqr <= 1 and agreement >= 0.70``) in words, then the
    rule as written: "The interquartile range is at most 1 and the share answering in the top
    band of the scale is at least 70% (iqr <= 1 and agreement >= 0.70)". An expression these
    words do not cover is printed as written."""
    if expression is None:
        return None
    _ = fmt._
    written = " ".join(expression.split())
    parts: list[str] = []
    position = 0
    while position < len(written):
        match = _RULE_TOKEN.match(written, position)
        if match is None or match.end() == position:
            return written
        position = match.end()
        if match.group("cmp"):
            comparison = _RULE_COMPARISON.fullmatch(match.group("cmp").strip())
            name, op, value = comparison.group("name", "op", "value")
            if name not in words.RULE_NAME_WORDS:
                return written
            number = float(value)
            shown = (
                formatting.percent(number, locale=fmt.lang)
                if name in words.RULE_SHARE_NAMES and 0 <= number <= 1
                else formatting.number(number, 2, trim=True, locale=fmt.lang)
            )
            parts.append(
                _(words.RULE_COMPARISONS[op])
                % {"name": _(words.RULE_NAME_WORDS[name]), "value": shown}
            )
        elif match.group("join"):
            parts.append(_(words.RULE_JOINS[match.group("join")]))
        else:
            parts.append(match.group("paren"))
    text = " ".join(parts).replace("( ", "(").replace(" )", ")")
    return f"{text[:1].upper()}{text[1:]} ({written})"


def _plan_rules(plan, method, fmt: Formatter) -> list[tuple[str, str]]:
    """Every rule of the analysis plan, with its thresholds, in words."""
    _ = fmt._
    if plan is None:
        return []
    rules: list[tuple[str, str | None]] = [
        (_(words.PLAN_RULE_LABELS["consensus_in"]), rule_words(plan.consensus_in, fmt)),
        (
            _(words.PLAN_RULE_LABELS["consensus_out"]),
            rule_words(plan.consensus_out, fmt)
            or _(N_("No rule: agreement that an item does not matter is not reported.")),
        ),
        (
            _(words.PLAN_RULE_LABELS["consensus_mid"]),
            rule_words(plan.consensus_mid, fmt)
            or _(
                N_(
                    "No rule: agreement on a middle position is not reported (such items "
                    "count as without consensus)."
                )
            ),
        ),
        (_(words.PLAN_RULE_LABELS["stability_rule"]), rule_words(plan.stability_rule, fmt)),
        (
            _(N_("Minimum answers")),
            _(N_("An item's figures are shown from %(n)s answers.")) % {"n": plan.min_n}
            if plan.min_n is not None
            else None,
        ),
        (
            _(N_("Contested between groups")),
            _(
                N_(
                    "An item is contested when the Kruskal-Wallis test across the stakeholder "
                    "groups gives p below %(alpha)s, or when the group medians lie %(diff)s "
                    "or more scale points apart."
                )
            )
            % {
                "alpha": formatting.number(plan.contested_alpha, 3, trim=True, locale=fmt.lang),
                "diff": formatting.number(
                    plan.contested_median_diff, 2, trim=True, locale=fmt.lang
                ),
            }
            if plan.contested_alpha is not None and plan.contested_median_diff is not None
            else None,
        ),
        (_(N_("Maximum rounds")), str(plan.max_rounds) if plan.max_rounds is not None else None),
        (_(N_("Quantile method")), plan.quantile_method or method.quantile_method),
        (_(N_("Analysis plan (SHA-256)")), plan.sha256 or None),
        (_(N_("Plan amended")), plan.amended_reason),
    ]
    return [(label, value) for label, value in rules if value is not None]


def _outlook_rules(settings: OutlookSettings, fmt: Formatter) -> list[tuple[str, str]]:
    """The rules of the two ratings with their thresholds and category words."""
    _ = fmt._
    category = {code: _(message) for code, message in words.RATING_WORDS.items()}
    band = {code: _(message) for code, message in words.BAND_WORDS.items()}

    def points(value: float) -> str:
        return fmt.points(value, signed=True)

    return [
        (
            _(N_("Future outlook (%(rule)s)"))
            % {"rule": words.rule_words(settings.outlook_version, _)},
            _(words.OUTLOOK_RULE)
            % {
                **category,
                **band,
                "growth_high": points(settings.growth_strong),
                "growth_low": points(settings.growth_weak),
                "openings_high": points(settings.openings_strong),
                "openings_low": points(settings.openings_weak),
            },
        ),
        (
            _(N_("Current conditions (%(rule)s)"))
            % {"rule": words.rule_words(settings.current_version, _)},
            _(words.CURRENT_RULE)
            % {
                **category,
                "high": points(settings.current_strong),
                "low": points(settings.current_weak),
                "ads_high": points(settings.ads_strong),
                "ads_low": points(settings.ads_weak),
            },
        ),
        (_(N_("The panel's view")), _(words.PANEL_VIEW_RULE) % category),
    ]


def _paragraphs(text: str) -> tuple[str, ...]:
    return tuple(
        p.strip() for p in str(text or "").replace("\r\n", "\n").split("\n\n") if p.strip()
    )


def _safe_url(url: str | None) -> str | None:
    """``url`` if it is http, https or mailto (SECURITY.md 2.5), else None."""
    if not url:
        return None
    lowered = url.strip().lower()
    if lowered.startswith(("http://", "https://", "mailto:")):
        return url.strip()
    return None


#: What marks a short text as written in one of the languages a brief is rendered in: its
#: most common small words, and letters the others do not use.
_LANGUAGE_SIGNS: dict[str, tuple[frozenset[str], str]] = {
    "en": (
        frozenset(
            [
                "the",
                "and",
                "of",
                "to",
                "with",
                "for",
                "on",
                "is",
                "are",
                "from",
                "about",
                "when",
                "their",
                "they",
                "this",
                "that",
                "be",
                "will",
                "more",
                "how",
            ]
        ),
        "",
    ),
    "de": (
        frozenset(
            [
                "und",
                "der",
                "die",
                "das",
                "mit",
                "für",
                "von",
                "auf",
                "den",
                "dem",
                "ein",
                "eine",
                "einer",
                "zu",
                "bei",
                "nicht",
                "ist",
                "sind",
                "wir",
                "werden",
                "mehr",
                "wie",
                "auch",
                "oder",
            ]
        ),
        "äöüß",
    ),
    "fr": (
        frozenset(
            [
                "et",
                "les",
                "des",
                "le",
                "la",
                "du",
                "pour",
                "avec",
                "sur",
                "une",
                "un",
                "au",
                "aux",
                "est",
                "sont",
                "nous",
                "plus",
                "comme",
                "aussi",
                "ou",
                "dans",
            ]
        ),
        "éèêàçùœâîô",
    ),
}


def text_language(text: str) -> str | None:
    """The language (``en``, ``de``, ``fr``) a short text such as a panellist's quote is
    written in, when its words say so clearly; None when they do not (too short, mixed, or
    another language)."""
    found = re.findall(r"[^\W\d_]+", text.casefold())
    scores = {
        lang: sum(w in small for w in found) + sum(any(c in letters for c in w) for w in found)
        for lang, (small, letters) in _LANGUAGE_SIGNS.items()
    }
    ranked = sorted(scores.items(), key=lambda pair: pair[1], reverse=True)
    best, score = ranked[0]
    if score == 0 or score == ranked[1][1]:
        return None
    return best


def quote_text(quote: str, lang: str, default: str) -> Text:
    """A moderated quote with the language to mark it with on a page in ``lang``: the one
    its words show, else the consultation's default; None when that is the page's."""
    written = text_language(quote) or default
    return Text(quote, written if written and written != lang else None)


def esco_view(link: EscoLink, lang: str, default: str) -> dict[str, Any]:
    """An ESCO link as the page prints it: the skill's label (in ``lang`` where the loaded
    classification has it, marked with its language otherwise) linking to its URI; a skill
    group's code beside its label ("working with computers (S5)"), which an individual
    skill's opaque identifier is not."""
    label, label_lang = link.label_in(lang, default)
    code = hierarchy_code(link.uri)
    if not link.has_label:
        # no classification loaded knows the skill: say what the code is
        label = gettext(N_("ESCO skill %(code)s")) % {"code": label}
    elif code and code not in label:
        label = f"{label} ({code})"
    return {
        "url": _safe_url(link.uri),
        "label": Text(label, label_lang if label_lang not in (None, lang) else None),
    }


def _section_reason(section: Any, fmt: Formatter) -> str | None:
    reason = getattr(section, "reason", None)
    return reason.text(fmt._) if reason else None


def page_context(
    content: BriefContent,
    *,
    lang: str,
    tables: BriefTables,
    charts: Mapping[str, ChartView],
    for_pdf: bool = False,
    links: Mapping[str, str] | None = None,
    lines: int = PDF_TABLE_LINES,
) -> dict[str, Any]:
    """What the brief's templates need (``briefs/_body.html``), already formatted."""
    fmt = Formatter(lang, gettext)
    _ = gettext
    header = content.header
    default = header.languages[0] if header.languages else "en"
    content_lang = None if default == lang else default

    def table(name: str, **kwargs) -> tuple[PageTable, ...]:
        shown = page_table(tables[name], fmt, **kwargs)
        return split_for_pdf(shown, _, lines) if for_pdf else (shown,)

    def text(value) -> Text:
        picked = pick_text(value, lang, default)
        return Text(picked.text, picked.lang if picked.lang != lang else None)

    sections = [
        (s, _(words.SECTION_TITLES[s]))
        for s in (
            "key_facts",
            "guidance",
            "trend",
            "openings",
            "occupations",
            "skill_needs",
            "contested",
            "emerging_skills",
            "triangulation",
            "implications",
            "method_sources",
        )
    ]
    contested = []
    for number, point in enumerate(content.contested.points, start=1):
        rows = [r for r in tables["contested"].rows if r[0] == point.key]
        without = without_answers_note([(text(point.text), point.groups)], _)
        caption = _(N_("Positions of the stakeholder groups: %(item)s")) % {
            "item": text(point.text).text
        }
        contested.append(
            {
                "text": text(point.text),
                "tables": table(
                    "contested",
                    rows=rows,
                    caption=caption,
                    id_=f"table-contested-{number}",
                    note=_(WITHOUT_ANSWERS_NOTE) % without if without else None,
                ),
                "withheld": [_(words.GROUP_WORDS.get(g, g)) for g in point.suppressed_groups],
                "kw": _(
                    N_("Kruskal-Wallis test across %(groups)s published groups: H = %(h)s, %(p)s")
                )
                % {
                    "groups": point.groups_compared or "–",
                    "h": formatting.number(point.kw_h, 2, locale=lang),
                    "p": formatting.p_clause(point.kw_p, locale=lang),
                }
                if point.kw_h is not None
                else None,
                "diff": _(N_("The group medians differ by up to %(diff)s points."))
                % {"diff": formatting.number(point.max_median_diff, 2, locale=lang)}
                if point.max_median_diff is not None
                else None,
                "chart": charts.get(f"group_positions_{point.key}"),
            }
        )
    narrative = content.narrative
    method = content.method_sources
    plan = method.plan
    facts, source_notes = fact_views_with_notes(content, fmt)
    return {
        "lang": lang,
        "content_lang": content_lang,
        "title": header.title,
        "for_pdf": for_pdf,
        "sections": sections,
        "header": {
            "sector": header.sector_label,
            "codes": [
                f"{c.classification} {c.code}"
                + (f" {c.label}" if c.label else "")
                + (
                    " → " + f"{c.maps_to_classification or ''} {', '.join(c.maps_to)}".strip()
                    # a code that stands for itself needs no arrow
                    if c.maps_to and tuple(c.maps_to) != (c.code,)
                    else ""
                )
                for c in distinct_codes(header.sector_codes)
            ],
            "geography": geography_words(header.geography_label, header.geography),
            "consultation": header.consultation_title,
            "rounds": formatting.word_list([str(r) for r in header.rounds], locale=lang)
            if header.rounds
            else "",
            "vintages": [fmt.source(s) for s in header.forecast_vintages],
            "date": fmt.date(header.date),
            "version": header.version,
            "citation": header.citation,
            "contact": header.contact,
            "contact_email": _safe_url(f"mailto:{header.contact.email}")
            if header.contact and header.contact.email
            else None,
        },
        "summary": _paragraphs(narrative.summary),
        "facts": facts,
        "source_notes": source_notes,
        "facts_reason": _section_reason(content.key_facts, fmt),
        "ratings": [
            _rating_view(content.ratings.current_conditions, fmt, method.outlook),
            _rating_view(content.ratings.future_outlook, fmt, method.outlook),
        ],
        "key_facts_tables": table("key_facts"),
        "trend_reason": _section_reason(content.trend, fmt),
        "trend_chart": charts.get("employment_trend"),
        "trend_notes": [a.text for a in content.annotations_for("trend")],
        "openings_reason": _section_reason(content.openings, fmt),
        "openings_chart": charts.get("openings"),
        "openings_source": fmt.source(content.openings.source),
        "openings_annual": content.openings.annual_average,
        "occupations_reason": _section_reason(content.occupations, fmt),
        "occupations_source": fmt.source(content.occupations.source),
        "occupation_lists": [
            table(name)
            for name in ("occupations_largest", "occupations_growing", "occupations_declining")
        ],
        "skills_reason": _section_reason(content.skill_needs, fmt),
        "skills_tables": table("skill_needs"),
        "skills_groups_tables": table("skill_needs_groups"),
        "skills_chart": charts.get("skill_ratings"),
        "withheld_items": [
            text(content.skill_needs.withheld_text.get(k) or k)
            for k in content.skill_needs.withheld
        ],
        "contested_reason": _section_reason(content.contested, fmt),
        "contested": contested,
        "emerging_reason": _section_reason(content.emerging_skills, fmt),
        "emerging": [
            {
                "label": text(s.label),
                "esco": [esco_view(e, lang, default) for e in s.esco],
                "quotes": [quote_text(q, lang, default) for q in s.quotes],
                "rated": _(N_("Rated by the panel: median %(median)s, %(status)s"))
                % {
                    "median": formatting.number(s.median, 2, locale=lang),
                    "status": _(words.CONSENSUS_SHORT.get(s.consensus_status or "", "–")),
                }
                if s.median is not None
                else None,
            }
            for s in content.emerging_skills.skills
        ],
        "triangulation_reason": _section_reason(content.triangulation, fmt),
        "triangulation_tables": table("triangulation"),
        "triangulation_chart": charts.get("triangulation"),
        "triangulation_flagged": [
            _(
                N_(
                    "%(item)s: the forecast (%(forecast)s) lies outside the panel's middle half "
                    "(%(q1)s to %(q3)s); gap %(gap)s."
                )
            )
            % {
                "item": text(r.text).text,
                "forecast": fmt.points(r.forecast),
                "q1": formatting.number(r.q1, 2, locale=lang),
                "q3": formatting.number(r.q3, 2, locale=lang),
                "gap": formatting.number(r.gap, 2, locale=lang),
            }
            for r in content.triangulation.flagged
        ],
        "implications_reason": _section_reason(content.implications, fmt),
        "audiences": [
            (_(words.AUDIENCE_WORDS[a]), _paragraphs(narrative.for_audience(a)))
            for a in narrative.AUDIENCES
            if a != "guidance_practitioners"
        ],
        # the secretariat's words for guidance practitioners, right after the key facts
        "guidance": _paragraphs(narrative.guidance_practitioners),
        "method_reason": _section_reason(method, fmt),
        "panel_tables": table("panel_response"),
        "plan": _plan_rules(plan, method, fmt),
        "small_cells": [
            _(rule) % {"min_group_n": method.min_group_n} if "%(" in rule else _(rule)
            for rule in method.small_cell_rules
        ],
        "outlook_rules": _outlook_rules(method.outlook, fmt),
        "sources": [
            {
                "text": fmt.source(d.source),
                "kind": _(words.KIND_WORDS.get(d.source.kind, d.source.kind)),
                "url": _safe_url(d.source.url),
                "years": f"{d.source.base_year}–{d.source.horizon_year}"
                if d.source.base_year and d.source.horizon_year
                else None,
                "caveats": d.caveat_texts(_),
                "online_share": formatting.percent(d.online_share, locale=lang)
                if d.online_share is not None
                else None,
            }
            for d in method.sources
        ],
        "codes_tables": table("codes_used"),
        "annotations": {a.target: a.text for a in content.annotations},
        "links": dict(links or {}),
    }


# --- charts ----------------------------------------------------------------------------------


@dataclass
class BriefChart:
    """A chart of the brief, drawn: its figure, caption and alt text in the language
    rendered, and the data table beside it (``table``, the rows for which ``rows`` holds)."""

    name: str
    caption: str
    alt: str
    figure: Any
    table: str
    rows: Callable[[tuple], bool] | None = None

    def close(self) -> None:
        self.figure.clear()


def chart_text(lang: str, translate: Callable[[str], str]) -> BriefChartText:
    """The words of the brief's charts in ``lang``."""
    words_ = {
        f.name: translate(getattr(BRIEF_ENGLISH, f.name))
        for f in fields(BRIEF_ENGLISH)
        if f.name != "locale" and isinstance(getattr(BRIEF_ENGLISH, f.name), str)
    }
    groups = {g: translate(m) for g, m in words.GROUP_WORDS.items()}
    return replace(BRIEF_ENGLISH, **words_, groups=groups, locale=lang)


def brief_charts(
    content: BriefContent, lang: str, translate: Callable[[str], str]
) -> list[BriefChart]:
    """The charts ``content`` has (``app.charts.brief``), drawn, each with the data table
    the page shows beside it."""
    charts = []
    keys = {f"group_positions_{p.key}": p.key for p in content.contested.points}
    tables = {
        "employment_trend": "employment_trend",
        "openings": "openings",
        "skill_ratings": "skill_needs_rounds",
        "triangulation": "triangulation",
    }
    for chart in chart_list(content, lang=lang, text=chart_text(lang, translate)):
        rows = None
        if chart.name in keys:
            table = "contested"
            rows = (lambda key: lambda row: row[0] == key)(keys[chart.name])
        else:
            table = tables.get(chart.name)
        if table is None:
            continue
        charts.append(BriefChart(chart.name, chart.caption, chart.alt, chart.build(), table, rows))
    return charts


# --- files -----------------------------------------------------------------------------------


def _data_uri(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64," + base64.b64encode(data).decode("ascii")


def _chart_views(
    charts: Iterable[BriefChart],
    tables: BriefTables,
    fmt: Formatter,
    src: Callable[[str], str],
    *,
    for_pdf: bool,
    content: BriefContent,
    lines: int = PDF_TABLE_LINES,
) -> dict[str, ChartView]:
    views = {}
    _ = fmt._
    default = content.header.languages[0] if content.header.languages else "en"
    # charts whose figures are a table the section shows already: that table's id and caption
    shown_in = {"triangulation": ("table-triangulation", tables["triangulation"].caption_text(_))}
    for number, point in enumerate(content.contested.points, start=1):
        shown_in[f"group_positions_{point.key}"] = (
            f"table-contested-{number}",
            _(N_("Positions of the stakeholder groups: %(item)s"))
            % {"item": pick_text(point.text, fmt.lang, default).text},
        )
    for chart in charts:
        table = tables[chart.table]
        if chart.name in shown_in and table.rows:
            views[chart.name] = ChartView(
                name=chart.name,
                src=src(chart.name),
                alt=chart.alt,
                caption=chart.caption,
                tables=(),
                annotations=tuple(a.text for a in content.annotations_for(chart.name)),
                data_in=shown_in[chart.name],
            )
            continue
        rows = None
        if chart.rows is not None:
            rows = [r for r in table.rows if chart.rows(r)]
        shown = page_table(
            table,
            fmt,
            rows=rows,
            caption=fmt._(N_("Data of the chart: %(caption)s")) % {"caption": chart.caption},
            id_=f"table-chart-{chart.name.replace('_', '-')}",
        )
        views[chart.name] = ChartView(
            name=chart.name,
            src=src(chart.name),
            alt=chart.alt,
            caption=chart.caption,
            tables=split_for_pdf(shown, fmt._, lines) if for_pdf else (shown,),
            annotations=tuple(a.text for a in content.annotations_for(chart.name)),
        )
    return views


def _stylesheet() -> str:
    return (STATIC / "brief.css").read_text(encoding="utf-8")


def _zip(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _about(content: BriefContent, fmt: Formatter, url: str) -> list[tuple[str, str]]:
    _ = fmt._
    header = content.header
    return [
        (_(N_("Sector")), header.sector_label),
        (_(N_("Geography")), geography_words(header.geography_label, header.geography)),
        (_(N_("Version")), str(header.version)),
        (_(N_("Date")), fmt.date(header.date)),
        (_(N_("Suggested citation")), header.citation),
        (_(N_("Address")), url),
        (
            _(N_("Contact")),
            ", ".join(
                p
                for p in (
                    header.contact.name if header.contact else "",
                    header.contact.organisation if header.contact else "",
                    header.contact.email if header.contact else "",
                )
                if p
            ),
        ),
        (
            _(N_("Sources")),
            "; ".join(fmt.source(d.source) for d in content.method_sources.sources),
        ),
    ]


def link_from(page_url: str, url: str) -> str:
    """``url`` as a link on the page at ``page_url``: relative to the page's folder when both
    are on the same site (``2/brief.pdf`` from ``https://example.org/briefs/7/v/2``), so that
    the link leads to the same site wherever that is served; ``url`` unchanged otherwise."""
    page, target = urlsplit(page_url), urlsplit(url)
    folder = page.path.rsplit("/", 1)[0] + "/"
    if (page.scheme, page.netloc) != (target.scheme, target.netloc):
        return url
    if not target.path.startswith(folder) or target.path == folder:
        return url
    relative = target.path.removeprefix(folder)
    if ":" in relative.split("/", 1)[0]:
        relative = "./" + relative  # would read as a scheme
    return relative + (f"?{target.query}" if target.query else "")


def render_brief(
    content: BriefContent, *, lang: str, base_url: str, page_url: str | None = None
) -> RenderedBrief:
    """Every file of ``content`` in ``lang`` (``en``, ``de``, ``fr``).

    ``base_url`` is the address the brief version's files are published under (e.g.
    ``https://example.org/briefs/7/v/2/``); the data package, the JSON and the workbook name
    it, as documents read apart from the site must. ``page_url`` is the address the HTML pages
    are read at (``https://example.org/briefs/7/v/2``): they link the downloads relative to
    it, so that the links hold on whatever address the site is served (without it, at
    ``base_url``). Pure of side effects: nothing is stored, nothing fetched.
    Raises ValueError for a language the brief is not rendered in."""
    if lang not in LANGUAGES:
        raise ValueError(f"briefs are rendered in {', '.join(LANGUAGES)}, not {lang!r}")
    base = base_url if base_url.endswith("/") else base_url + "/"
    with force_locale(lang):
        _ = gettext
        fmt = Formatter(lang, _)
        tables = brief_tables(content, lang, _)
        charts = brief_charts(content, lang, _)
        files: dict[str, tuple[str, bytes]] = {}

        svgs: dict[str, bytes] = {}
        for chart in charts:
            svgs[chart.name] = figure_svg(chart.figure)
            files[f"charts/{chart.name}.svg"] = (MEDIA_TYPES["svg"], svgs[chart.name])
            files[f"charts/{chart.name}.png"] = (MEDIA_TYPES["png"], figure_png(chart.figure))

        csvs = {table.csv_path: table_csv(table) for table in tables}
        for path, data in csvs.items():
            files[path] = (CSV_MEDIA_TYPE, data)
        package = datapackage(
            tables,
            name=_package_name(content),
            title=content.header.title,
            version=str(content.header.version),
            created=content.header.date or None,
            description=content.header.citation,
            homepage=base,
            licenses=_licences(content),
            sources=[
                {"title": fmt.source(d.source), **({"path": d.source.url} if d.source.url else {})}
                for d in content.method_sources.sources
            ],
            contributors=[
                {
                    "title": content.header.contact.organisation or content.header.contact.name,
                    "role": "publisher",
                }
            ]
            if content.header.contact
            else [],
            keywords=[content.header.sector_label, content.header.geography],
            translate=_,
            hashes={p: hashlib.sha256(d).hexdigest() for p, d in csvs.items()},
            sizes={p: len(d) for p, d in csvs.items()},
        )
        package_bytes = json_bytes(package)
        files["datapackage.json"] = (MEDIA_TYPES["json"], package_bytes)
        files["brief-csv.zip"] = (
            MEDIA_TYPES["zip"],
            _zip({"datapackage.json": package_bytes, **csvs}),
        )
        files["brief.xlsx"] = (
            XLSX_MEDIA_TYPE,
            tables_xlsx(
                list(tables),
                translate=_,
                title=content.header.title,
                about=_about(content, fmt, base),
            ),
        )
        formats = {kind: base + name for kind, name in FORMATS.items()}
        document = brief_document(content, lang=lang, url=base, formats=formats, translate=_)
        files["brief.json"] = (MEDIA_TYPES["json"], json_bytes(document))

        links = {kind: base + name for kind, name in FORMATS.items()}
        links["datapackage"] = base + "datapackage.json"
        # the PDF is read apart from the site: absolute addresses; the pages: relative ones
        pdf_links = dict(links)
        if page_url:
            links = {kind: link_from(page_url, url) for kind, url in links.items()}
        page_views = _chart_views(
            charts,
            tables,
            fmt,
            lambda n: _data_uri(MEDIA_TYPES["svg"], svgs[n]),
            for_pdf=False,
            content=content,
        )
        html = render_template(
            "briefs/page.html",
            stylesheet=Markup(_stylesheet().replace("</", "<\\/")),  # noqa: S704 - our own file
            **page_context(content, lang=lang, tables=tables, charts=page_views, links=links),
        )
        files["brief.html"] = (MEDIA_TYPES["html"], html.encode("utf-8"))
        for view, name in readers.VIEW_FILES.items():
            if view == readers.DEFAULT_VIEW:
                continue
            page = render_template(
                "briefs/reader.html",
                stylesheet=Markup(_stylesheet().replace("</", "<\\/")),  # noqa: S704 - our own file
                **readers.reader_context(
                    content,
                    view=view,
                    lang=lang,
                    fmt=fmt,
                    translate=_,
                    links={**links, "detailed": f"?view=detailed&lang={lang}"},
                    esco_view=esco_view,
                ),
            )
            files[name] = (MEDIA_TYPES["html"], page.encode("utf-8"))

        result, pdf_tables = _pdf(content, lang, tables, charts, svgs, pdf_links, fmt)
        files["brief.pdf"] = (MEDIA_TYPES["pdf"], result.data)
        for chart in charts:
            chart.close()

    order = [
        "brief.html",
        *(n for n in readers.VIEW_FILES.values() if n != "brief.html"),
        "brief.pdf",
        "brief.json",
        "brief.xlsx",
        "brief-csv.zip",
        "datapackage.json",
    ]
    names = order + sorted(n for n in files if n not in order)
    return RenderedBrief(
        lang=lang,
        artefacts=tuple(Artefact(n, files[n][0], files[n][1]) for n in names),
        formats=dict(FORMATS),
        pdf_refused=result.refused,
        pdf_tables=pdf_tables,
    )


#: Line budgets of table parts tried in turn (``app.briefs.pdf.table_parts``): when WeasyPrint's
#: tagging meets a table part that its layout still broke across pages (a caption left alone
#: at the foot of a page), the PDF is made again with smaller parts.
PDF_LINE_BUDGETS = (PDF_TABLE_LINES, 24, 12)


def _pdf(content, lang, tables, charts, svgs, links, fmt):
    """The PDF and the number of tables on its page."""
    _ = fmt._
    for lines in PDF_LINE_BUDGETS:
        views = _chart_views(
            charts,
            tables,
            fmt,
            lambda n: f"{ASSET_BASE}charts/{n}.svg",
            for_pdf=True,
            content=content,
            lines=lines,
        )
        html = render_template(
            "briefs/page.html",
            stylesheet=None,
            **page_context(
                content,
                lang=lang,
                tables=tables,
                charts=views,
                for_pdf=True,
                links=links,
                lines=lines,
            ),
        )
        try:
            result = html_to_pdf(
                html,
                assets={f"charts/{name}.svg": data for name, data in svgs.items()},
                stylesheets=(_stylesheet(), (STATIC / "brief-print.css").read_text("utf-8")),
                page_label=_(N_("Page %(page)s of %(pages)s")),
            )
        except ValueError as error:
            if "Table wrapper without a table" not in str(error) or lines == PDF_LINE_BUDGETS[-1]:
                raise
            continue
        return result, html.count("<table")
    raise AssertionError("unreachable")  # pragma: no cover


def _package_name(content: BriefContent) -> str:
    raw = f"{content.header.title}-v{content.header.version}".lower()
    name = "".join(c if c.isalnum() else "-" for c in raw if c.isascii())
    while "--" in name:
        name = name.replace("--", "-")
    return name.strip("-") or "sector-brief"


def _licences(content: BriefContent) -> list[dict[str, str]]:
    seen = dict.fromkeys(
        d.source.licence for d in content.method_sources.sources if d.source.licence
    )
    return [{"name": name.replace(" ", "-"), "title": name} for name in seen]


# --- preview and version history -----------------------------------------------------------


def preview_context(content: BriefContent, *, lang: str) -> dict[str, Any]:
    """The context of ``briefs/_body.html`` for a page of the web app (the staff preview of a
    draft): the same body as the published page, charts as SVG images inside it. Call in a
    request whose language is ``lang``."""
    with force_locale(lang):
        fmt = Formatter(lang, gettext)
        tables = brief_tables(content, lang, gettext)
        charts = brief_charts(content, lang, gettext)
        svgs = {c.name: figure_svg(c.figure) for c in charts}
        views = _chart_views(
            charts,
            tables,
            fmt,
            lambda n: _data_uri(MEDIA_TYPES["svg"], svgs[n]),
            for_pdf=False,
            content=content,
        )
        for chart in charts:
            chart.close()
        return page_context(content, lang=lang, tables=tables, charts=views)


def diff_html(changes: list[Change], *, lang: str) -> Markup:
    """The changes between two versions as an HTML fragment (``briefs/_diff.html``): a table
    per section, narrative changes word by word (``<del>``/``<ins>``)."""
    with force_locale(lang):
        sections: dict[str, list[dict[str, Any]]] = {}
        for change in changes:
            sections.setdefault(change.section, []).append(
                {
                    "what": change.what,
                    "old": change.old,
                    "new": change.new,
                    "words": word_diff(change.old or "", change.new or "")
                    if change.narrative
                    else None,
                }
            )
        return Markup(  # noqa: S704 - rendered by Jinja with autoescape
            render_template(
                "briefs/_diff.html",
                sections=[
                    (gettext(words.SECTION_TITLES.get(s, s)), rows) for s, rows in sections.items()
                ],
            )
        )
