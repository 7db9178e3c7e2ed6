"""A brief rendered once in every format (``app.briefs.render``): the page, the PDF and its
structure tree, the data files, the JSON; in English, German and French; text that looks like
markup, an address or a formula stays text (SECURITY.md 2.5, S2, S11)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import replace
from html.parser import HTMLParser

import openpyxl
import pytest
from pdfminer.high_level import extract_text
from pypdf import PdfReader

from app import create_app
from app.briefs.brief_json import brief_document
from app.briefs.content import (
    EmergingSkill,
    EmergingSkillsSection,
    EscoLink,
    Narrative,
    OccupationList,
    OccupationRow,
    Rating,
    RatingCategory,
    RatingKind,
    sample_content,
)
from app.briefs.diff import diff_contents
from app.briefs.record import sample_round_items
from app.briefs.render import (
    diff_html,
    esco_view,
    preview_context,
    render_brief,
    text_language,
)
from tests.conftest import _compile_translations, base_config

BASE = "https://briefs.example.org/briefs/7/v1/"
SECTION_TITLES = [
    "Key facts",
    "Employment trend",
    "Job openings",
    "Occupations",
    "Skill needs by expert consensus",
    "Contested points",
    "Emerging skills",
    "Panel estimates beside the statistical forecast",
    "Implications",
    "Method and sources",
]
MARKUP = "<img src=file:///etc/passwd>"
LOCAL = "http://127.0.0.1:9/"
FORMULA = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture(scope="module")
def app():
    _compile_translations()
    return create_app(base_config("sqlite://"))


def _content():
    return replace(sample_content(), rounds=sample_round_items())


def _risky():
    content = _content()
    occupations = replace(
        content.occupations,
        largest=OccupationList(
            (
                OccupationRow("47-2061", MARKUP, 1000.0, 1050.0, 50.0, 5.0, 110.0),
                OccupationRow(FORMULA, LOCAL, 800.0, 780.0, -20.0, -2.5, 80.0),
            )
        ),
    )
    skills = EmergingSkillsSection(
        (
            EmergingSkill(
                {"en": "$\\frac{$ " + "{" * 200},
                (EscoLink("javascript:alert(1)", "bad link"), EscoLink(LOCAL, "local")),
                (MARKUP, "{{7*7}}"),
            ),
        )
    )
    narrative = Narrative(summary=f"{MARKUP} {LOCAL} file:///etc/passwd", ministries=FORMULA)
    return replace(content, occupations=occupations, emerging_skills=skills).with_narrative(
        narrative
    )


_RENDERED: dict = {}


@pytest.fixture
def rendered(app):
    def get(lang: str = "en", which: str = "sample"):
        if (lang, which) not in _RENDERED:
            content = _content() if which == "sample" else _risky()
            with app.app_context():
                _RENDERED[lang, which] = render_brief(content, lang=lang, base_url=BASE)
        return _RENDERED[lang, which]

    return get


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.h2: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "h2":
            self._in_h2, self._text = True, ""

    def handle_endtag(self, tag):
        if tag == "h2" and self._in_h2:
            self.h2.append(self._text.strip())
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2:
            self._text += data


def _page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def test_page_is_standalone_accessible_and_in_design_order(rendered):
    result = rendered("en")
    html = result["brief.html"].data.decode("utf-8")
    page = _page(html)
    assert html.startswith("<!doctype html>") and '<html lang="en">' in html
    names = [t for t, _ in page.tags]
    assert "script" not in names and "<script" not in html
    assert "style" in names
    assert not [a for t, a in page.tags if t == "link" and a.get("rel") == "stylesheet"]
    for landmark in ("header", "nav", "main", "footer"):
        assert landmark in names
    assert names.count("h1") == 1
    shown = [h for h in page.h2 if h in SECTION_TITLES]
    assert shown == SECTION_TITLES
    images = [a for t, a in page.tags if t == "img"]
    assert len(images) == 5 and all(a.get("alt") for a in images)
    assert all(a["src"].startswith("data:image/svg+xml;base64,") for a in images)
    assert names.count("figcaption") == len(images)
    assert names.count("table") == names.count("caption")
    scopes = [a.get("scope") for t, a in page.tags if t == "th"]
    assert scopes and all(s in ("col", "row") for s in scopes)
    for fact in (
        "In 2024, employment in the sector was 1,200 thousand jobs.",
        "By 2034, employment is projected at 1,273.2 thousand jobs.",
        "That is a change of +73.2 thousand jobs from 2024 to 2034.",
        "95% of the openings come from replacing people who leave.",
        "Future outlook: strong.",
    ):
        assert fact in html
    for part in (
        "Example Skills Council (2026)",
        "secretariat@example.org",
        "CC BY 4.0",
        "provisional",
        "How reliable is this?",
        "Employers report steady hiring",
    ):
        assert part in html
    assert f'href="{BASE}brief.pdf"' in html
    assert "PDF/UA" not in html


def test_a_tables_long_texts_keep_a_readable_column_on_a_screen(rendered):
    """A table of many columns does not squeeze its question column into a strip a word
    wide: that column keeps a width to read on a screen, and the table scrolls in its
    region instead; columns of figures and short words are left to the browser."""
    html = rendered("en")["brief.html"].data.decode()
    tables = re.findall(r'<table class="data" id="([^"]+)">(.*?)</table>', html, re.S)
    wide = {}
    for table_id, body in tables:
        heads = re.findall(r"<th scope=\"col\"([^>]*)>([^<]*)</th>", body)
        wide[table_id] = [text for attrs, text in heads if 'class="wide"' in attrs]
    assert wide["table-skill-needs"] == ["Skill need"]
    assert all(len(names) <= 1 for names in wide.values())
    assert wide["table-panel-response"] == []  # groups and figures only
    # the region scrolls, the column keeps its width on screens only (the PDF lays out its
    # columns by their texts, app.briefs.pdf.column_widths)
    before = html[: html.index('<table class="data" id="table-skill-needs">')]
    assert '<div class="table-scroll"' in before[before.rindex("<div") :]
    style = html[html.index("<style>") : html.index("</style>")]
    assert re.search(
        r"@media screen \{ \.brief table\.data th\.wide \{ min-width: \d+rem; \} \}", style
    )
    assert ".table-scroll { position: relative; max-width: 100%; overflow-x: auto;" in style


def test_every_chart_has_its_data_table_beside_it(rendered):
    html = rendered("en")["brief.html"].data.decode()
    for name in ("employment_trend", "openings", "skill_ratings"):
        figure = html.index(f'id="chart-{name}"')
        table = html.index(f'id="table-chart-{name.replace("_", "-")}"')
        assert 0 < table - figure < 30_000
    # a chart whose figures are the section's own table refers to it, just above, instead
    # of printing the same table a second time
    figure = html.index('id="chart-triangulation"')
    table = html.index('id="table-triangulation"')
    assert 0 < figure - table < 30_000
    assert 'id="table-chart-triangulation"' not in html
    assert (
        'The figures of this chart are in the table above: <a href="#table-triangulation">' in html
    )
    for number in (1,):  # the sample has one contested point
        assert html.count(f'id="table-contested-{number}"') == 1
        assert f'href="#table-contested-{number}"' in html
    assert "table-chart-group-positions" not in html


def test_pages_in_german_and_french_format_for_their_language(rendered):
    german = rendered("de")["brief.html"].data.decode()
    assert '<html lang="de">' in german
    assert "1.273,2" in german and "30. November 2026" in german
    # the item's German text is used without a mark; the English narrative is marked
    assert "Digitale Kompetenzen werden wichtiger" in german
    assert '<div class="narrative" lang="en">' in german
    french = rendered("fr")["brief.html"].data.decode()
    assert '<html lang="fr">' in french and "1\u202f273,2" in french
    # no French text: the default language's text, marked as English
    assert re.search(r'lang="en"[^>]*>Digital and data skills will matter more<', french)


def _struct_elements(reader: PdfReader):
    root = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    stack = [root]
    while stack:
        node = stack.pop()
        if hasattr(node, "get_object"):
            node = node.get_object()
        if isinstance(node, dict):
            if node.get("/Type") == "/StructElem" or "/S" in node:
                yield node
            kids = node.get("/K")
            if kids is not None:
                kids = kids.get_object() if hasattr(kids, "get_object") else kids
                stack.extend(kids if isinstance(kids, list) else [kids])


def test_pdf_has_the_key_facts_language_title_and_a_structure_tree(rendered):
    result = rendered("en")
    data = result["brief.pdf"].data
    text = extract_text(io.BytesIO(data))
    for fact in (
        "1,200 thousand jobs",
        "1,273.2 thousand jobs",
        "Key facts",
        "Page 1 of",
        "Construction: skills outlook",
    ):
        assert fact in text
    assert "PDF/UA" not in text
    reader = PdfReader(io.BytesIO(data))
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "en"
    assert reader.metadata.title == "Construction: skills outlook"
    assert "/StructTreeRoot" in catalog
    elements = list(_struct_elements(reader))
    figures = [e for e in elements if e["/S"] == "/Figure"]
    tables = [e for e in elements if e["/S"] == "/Table"]
    assert len(figures) == 5 and all(str(e.get("/Alt", "")).strip() for e in figures)
    # every table is on one page: one Table element per table of the page (split tables
    # count their captioned parts)
    assert len(tables) == result.pdf_tables > 10
    assert result.pdf_refused == ()
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in (page["/Resources"].get("/Font") or {}).values()
    }
    assert any("Brief-Sans" in f for f in fonts)


def test_artefacts_carry_media_type_hash_and_size(rendered):
    result = rendered("en")
    names = set(result.names)
    assert {
        "brief.html",
        "brief.pdf",
        "brief.json",
        "brief.xlsx",
        "brief-csv.zip",
        "datapackage.json",
    } <= names
    for name in ("employment_trend", "openings", "skill_ratings", "triangulation"):
        assert f"charts/{name}.svg" in names and f"charts/{name}.png" in names
    for artefact in result.artefacts:
        assert artefact.sha256 == hashlib.sha256(artefact.data).hexdigest()
        assert artefact.size == len(artefact.data) > 0
    assert result["brief.html"].media_type == "text/html; charset=utf-8"
    assert result["brief.pdf"].media_type == "application/pdf"
    assert result["data/key_facts.csv"].media_type == "text/csv; charset=utf-8"
    assert result.format("csv").name == "brief-csv.zip"
    assert result["charts/openings.png"].data.startswith(b"\x89PNG")


def test_json_is_the_api_document(rendered):
    result = rendered("en")
    document = json.loads(result["brief.json"].data)
    assert document == json.loads(
        json.dumps(
            brief_document(
                _content(),
                lang="en",
                url=BASE,
                formats={k: BASE + v for k, v in result.formats.items()},
            )
        )
    )
    assert document["formats"]["pdf"] == BASE + "brief.pdf"
    item = document["consultation"]["rounds"][1]["items"][0]
    assert item["counts"] == {"1": 0, "2": 2, "3": 5, "4": 9, "5": 8}
    assert {"group": "public-authorities", "suppressed": True} in item["groups"]


def test_data_package_in_the_zip_validates(rendered, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    result = rendered("de")
    with zipfile.ZipFile(io.BytesIO(result["brief-csv.zip"].data)) as archive:
        archive.extractall(tmp_path)
        assert archive.read("datapackage.json") == result["datapackage.json"].data
    package = json.loads((tmp_path / "datapackage.json").read_text("utf-8"))
    for resource in package["resources"]:
        data = (tmp_path / resource["path"]).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert data == result[resource["path"]].data
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_markup_addresses_and_formulas_stay_text(rendered):
    result = rendered("en", "risky")
    html = result["brief.html"].data.decode()
    assert MARKUP not in html and "&lt;img src=file:///etc/passwd&gt;" in html
    page = _page(html)
    sources = [a.get("src", "") for t, a in page.tags if t == "img"]
    assert all(s.startswith("data:image/svg+xml") for s in sources)
    hrefs = [a.get("href", "") for t, a in page.tags if t == "a"]
    assert not [h for h in hrefs if h.startswith("javascript:")]
    assert "{{7*7}}" in html  # never evaluated as a template
    # the PDF fetched nothing: the text was never markup
    assert result.pdf_refused == ()
    text = extract_text(io.BytesIO(result["brief.pdf"].data))
    assert "file:///etc/passwd" in text
    # CSV and XLSX: the apostrophe before formula-like text, numbers numeric
    rows = list(csv.reader(io.StringIO(result["data/occupations_largest.csv"].data.decode())))
    header = rows[0]
    assert rows[2][header.index("code")] == "'" + FORMULA
    assert float(rows[2][header.index("change")]) == -20.0
    book = openpyxl.load_workbook(io.BytesIO(result["brief.xlsx"].data))
    sheet = book["occupations_largest"]
    titles = [c.value for c in sheet[1]]
    code = sheet.cell(3, titles.index("Code") + 1)
    assert code.value == "'" + FORMULA and code.data_type == "s"
    change = sheet.cell(3, titles.index("Change") + 1)
    assert change.value == -20.0 and change.data_type == "n"


def test_an_unknown_language_is_refused(app):
    with app.app_context(), pytest.raises(ValueError, match="not 'it'"):
        render_brief(_content(), lang="it", base_url=BASE)


def test_preview_shows_the_same_body_inside_the_app(app):
    with app.test_request_context("/?lang=de"):
        from flask import render_template

        context = preview_context(_content(), lang="de")
        html = render_template("briefs/preview.html", brief_notice="Entwurf", **context)
    assert 'href="/static/css/brief.css"' in html
    assert "Digitale Kompetenzen werden wichtiger" in html
    assert html.count("<h1") == 1 and 'id="key-facts"' in html
    assert "<style" not in html  # the app's CSP allows no inline styles


def test_diff_renders_for_the_version_history(app):
    old = _content()
    new = old.with_narrative(replace(old.narrative, summary="Demand grows much faster."))
    changes = diff_contents(old, new)
    with app.test_request_context("/"):
        html = str(diff_html(changes, lang="en"))
    assert "<caption" in html and "Implications" in html
    assert "<ins>" in html and "<del>" in html
    with app.test_request_context("/"):
        assert "Nothing changed" in str(diff_html([], lang="en"))


def _preview(app, content, lang="en"):
    with app.test_request_context(f"/?lang={lang}"):
        from flask import render_template

        return render_template("briefs/_body.html", **preview_context(content, lang=lang))


def _text(html: str) -> str:
    from html import unescape

    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_current_conditions_read_in_words_against_their_thresholds(app):
    content = _content()
    current = Rating(
        kind=RatingKind.current_conditions,
        category=RatingCategory.strong,
        rule_version="current-1",
        primary_indicator="relative_employment_change",
        inputs={
            "sector_change": 2.5,
            "total_change": 0.5,
            "relative_change": 2.0,
            "from_year": 2023.0,
            "to_year": 2024.0,
        },
    )
    ratings = replace(content.ratings, current_conditions=current)
    content = replace(content, key_facts=replace(content.key_facts, ratings=ratings))
    text = _text(_preview(app, content))
    assert "Current conditions: strong" in text
    assert "Employment changed by +2.5% from 2023 to 2024, against +0.5% for all sectors." in text
    assert (
        "Change compared with the total: +2 percentage points, high by the rule (high at +1 or "
        "more, low at -1 or less). Under the current-conditions rule, version 1: a high "
        "difference, so strong." in text
    )
    # the method section's rule: the same thresholds, the same word
    assert "strong at +1 or more, weak at -1 or less, moderate in between" in text


@pytest.mark.parametrize(
    ("sector", "total", "words"),
    [
        (1.0, 3.0, "grow more slowly than the all-sector total (+1% vs +3%)"),
        (-2.0, 1.5, "fall while the all-sector total grows (-2% vs +1.5%)"),
        (-1.0, -3.0, "fall less than the all-sector total (-1% vs -3%)"),
        (-4.0, -3.0, "fall more than the all-sector total (-4% vs -3%)"),
        (3.0, 3.0, "change at the same pace as the all-sector total (+3% vs +3%)"),
    ],
)
def test_the_outlook_says_how_the_sector_compares_with_the_total(app, sector, total, words):
    content = _content()
    outlook = replace(
        content.ratings.future_outlook,
        inputs={"sector_growth": sector, "total_growth": total, "relative_growth": sector - total},
    )
    ratings = replace(content.ratings, future_outlook=outlook)
    content = replace(content, key_facts=replace(content.key_facts, ratings=ratings))
    text = _text(_preview(app, content))
    assert f"Employment is projected to {words}." in text.replace(".0%", "%")
    assert "Under the future-outlook rule, version 1, without openings: growth" in text


def test_a_plan_without_a_middle_rule_and_a_custom_rule_are_said_plainly(app):
    content = _content()
    plan = replace(
        content.method_sources.plan,
        consensus_mid=None,
        consensus_in="median >= 4 and (iqr <= 1 or sd <= 1.5)",
        stability_rule="mystery(x) > 1",
    )
    content = replace(content, method_sources=replace(content.method_sources, plan=plan))
    text = _text(_preview(app, content))
    assert (
        "Consensus on a middle position No rule: agreement on a middle position is not "
        "reported (such items count as without consensus)." in text
    )
    assert (
        "Consensus that an item matters The median is at least 4 and (the interquartile range "
        "is at most 1 or the standard deviation is at most 1.5) (median >= 4 and (iqr <= 1 or "
        "sd <= 1.5))" in text
    )
    # words this page does not know: the rule as written
    assert "Stability mystery(x) > 1" in text


@pytest.mark.parametrize(
    ("quote", "lang"),
    [
        ("Wärmepumpen einbauen und warten; Sanierung von Altbauten.", "de"),
        ("Ölheizungen einbauen.", "de"),
        ("Installer des pompes à chaleur dans les bâtiments rénovés.", "fr"),
        ("Working with drones and laser scanners for surveying.", "en"),
        ("BIM", None),
    ],
)
def test_a_quote_is_told_by_its_words(quote, lang):
    assert text_language(quote) == lang


@pytest.mark.parametrize(
    ("link", "shown"),
    [
        # an individual skill: its label, without its opaque identifier
        (
            EscoLink(
                "http://data.europa.eu/esco/skill/14832d87-2f2f-4895-b290-e4760ebae42a",
                labels={"en": "solve technical problems"},
            ),
            "solve technical problems",
        ),
        # a skill group: its label, and its code beside it
        (
            EscoLink("http://data.europa.eu/esco/skill/S1.2", labels={"en": "presenting"}),
            "presenting (S1.2)",
        ),
        # a skill that no classification loaded knows: what the code is
        (EscoLink("http://data.europa.eu/esco/skill/S9"), "ESCO skill S9"),
    ],
)
def test_an_esco_link_reads_its_label_and_a_groups_code(app, link, shown):
    with app.test_request_context():
        assert esco_view(link, "en", "en")["label"].text == shown


def test_quotes_in_another_language_are_marked_on_the_page(app):
    content = _content()
    skills = EmergingSkillsSection(
        (
            EmergingSkill(
                {"en": "Heat pumps"},
                (EscoLink("http://data.europa.eu/esco/skill/S5", labels={"de": "mit Computern"}),),
                ("Wärmepumpen einbauen und warten.", "Servicing heat pumps for the customers."),
            ),
        )
    )
    content = replace(content, emerging_skills=skills)
    html = _preview(app, content)
    assert '<blockquote class="quote" lang="de"><p>Wärmepumpen einbauen und warten.</p>' in html
    assert '<blockquote class="quote"><p>Servicing heat pumps for the customers.</p>' in html
    # an ESCO label only in German, on an English page: marked as German
    assert '<a href="http://data.europa.eu/esco/skill/S5" lang="de">mit Computern (S5)</a>' in html
    german = _preview(app, content, "de")
    assert '<blockquote class="quote"><p>Wärmepumpen einbauen und warten.</p>' in german
    assert '<blockquote class="quote" lang="en"><p>Servicing heat pumps' in german
