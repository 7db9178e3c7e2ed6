"""The demo's published brief as a reader sees it (both versions: the first and its
correction): the outlook in words that the printed rules explain, every rule of the plan,
groups without answers, ESCO labels, quotes in another language, and a compact PDF with
every table once."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from html import unescape

import openpyxl
import pytest
from pdfminer.high_level import extract_text
from pypdf import PdfReader

from app.briefs.content import BriefContent
from app.briefs.models import Brief, BriefVersion
from app.briefs.render import render_brief
from app.demo.seed import DEMO_BRIEF
from app.extensions import db
from tests.app.test_brief_render import _struct_elements

BASE = "https://briefs.example.org/briefs/1/v2/"
#: Pages the demo brief's PDF may take (it took 42 when tables were laid out in equal
#: columns and charts' tables printed twice).
MOST_PAGES = 22

_RENDERED: dict = {}


@pytest.fixture
def demo(make_demo_app):
    """The demo brief's version ``number`` rendered in ``lang`` (rendered once per run)."""
    app = make_demo_app()

    def get(number: int = 2, lang: str = "en"):
        if (number, lang) not in _RENDERED:
            with app.app_context():
                version = db.session.scalar(
                    db.select(BriefVersion)
                    .join(Brief)
                    .where(Brief.title == DEMO_BRIEF, BriefVersion.number == number)
                )
                content = BriefContent.from_json(version.content)
                _RENDERED[number, lang] = (content, render_brief(content, lang=lang, base_url=BASE))
        return _RENDERED[number, lang]

    return get


def _html(result) -> str:
    return result["brief.html"].data.decode("utf-8")


def _plain(html: str) -> str:
    """The page's text as read: tags dropped, entities of quotes undone, spaces joined."""
    text = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split())


def _section(html: str, anchor: str) -> str:
    start = html.index(f'<section id="{anchor}"')
    return html[start : html.index("</section>", start)]


@pytest.mark.parametrize("number", [1, 2])
def test_the_outlook_reads_in_words_that_the_printed_rule_explains(demo, number):
    content, result = demo(number)
    html = _html(result)
    key_facts = _plain(_section(html, "key-facts"))
    # no raw rule inputs
    for raw in ("Inputs:", "sector_growth", "relative_openings_rate", "total_growth"):
        assert raw not in key_facts
    assert (
        "Employment is projected to grow faster than the all-sector total (+4.7% vs +3.0%)."
        in key_facts
    )
    assert (
        "Growth compared with the total: +1.7 percentage points, middling by the rule "
        "(high at +2 or more, low at -2 or less)." in key_facts
    )
    assert "Openings each year come to 3.3% of the sector's employment" in key_facts
    assert (
        "Under the future-outlook rule, version 1: growth middling and openings middling, "
        "so moderate." in key_facts
    )
    assert "Future outlook: moderate" in key_facts
    # the method section prints the rule with the same thresholds and category words
    method = _plain(_section(html, "method-sources"))
    assert "Future outlook (the future-outlook rule, version 1)" in method
    assert "high at +2 or more, low at -2 or less, middling in between" in method
    assert "high at +1 or more, low at -1 or less, middling in between" in method
    assert "strong: growth high and openings not low, or growth middling and openings high." in (
        method
    )
    assert "moderate: every other case." in method
    assert "undetermined: without the sector's or the total's growth." in method
    assert "Current conditions (the current-conditions rule, version 1)" in method


@pytest.mark.parametrize("number", [1, 2])
def test_the_rules_used_list_every_rule_of_the_plan_in_words(demo, number):
    content, result = demo(number)
    method = _plain(_section(_html(result), "method-sources"))
    rules = method[method.index("Rules used") : method.index("Small cells")]
    assert content.method_sources.plan.consensus_mid == "iqr <= 1 and middle >= 0.70"
    assert (
        "Consensus on a middle position The interquartile range is at most 1 and the share "
        "answering in the middle of the scale is at least 70% (iqr <= 1 and middle >= 0.70)"
    ) in rules
    assert (
        "Consensus that an item matters The interquartile range is at most 1 and the share "
        "answering in the top band of the scale is at least 70%"
    ) in rules
    assert "Consensus that an item does not matter" in rules
    assert "is below 15% and the p-value of the Wilcoxon test" in rules
    assert "An item's figures are shown from 5 answers." in rules
    assert "p below 0.05, or when the group medians lie 2 or more scale points apart" in rules
    plan = json.loads(result["brief.json"].data)["consultation"]["plan"]
    assert plan["consensus_mid_rule"] == "iqr <= 1 and middle >= 0.70"


def test_groups_without_answers_are_named_once_not_rows_of_zeros(demo):
    content, result = demo(2)
    assert any(c.no_answers for s in content.skill_needs.items for c in s.groups)
    html = _html(result)
    page = _plain(html)
    assert not re.search(r"Other experts\s+no answers", page)
    groups = _plain(_section(html, "skill-needs"))
    assert groups.count("No answers were given by: Other experts. These groups have no rows.") == 1
    contested = _plain(_section(html, "contested"))
    assert "No answers were given by: Other experts." in contested
    # the data files and the JSON say the same
    files = zipfile.ZipFile(io.BytesIO(result["brief-csv.zip"].data))
    for name in ("skill_needs_groups", "contested"):
        rows = list(csv.DictReader(io.StringIO(files.read(f"data/{name}.csv").decode())))
        assert rows and not [r for r in rows if r["group"] == "other-experts"]
        assert not [r for r in rows if r["cell"] == "no answers"]
    package = json.loads(files.read("datapackage.json"))
    described = {r["name"]: r.get("description") for r in package["resources"]}
    assert described["skill-needs-groups"] == (
        "No answers were given by: Other experts. These groups have no rows."
    )
    book = openpyxl.load_workbook(io.BytesIO(result["brief.xlsx"].data))
    sheet = book["skill_needs_groups"]
    assert "Other experts" not in {row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    about = [
        " ".join(str(v) for v in row if v) for row in book.worksheets[0].iter_rows(values_only=True)
    ]
    assert any(
        "skill_needs_groups" in r and "No answers were given by: Other experts" in r for r in about
    )
    document = json.loads(result["brief.json"].data)
    for item in document["skill_needs"] + document["contested"]:
        assert "other-experts" not in [g["group"] for g in item["groups"]]
        assert item["groups_without_answers"] == ["other-experts"]


def test_quotes_in_another_language_than_the_page_carry_it(demo):
    _, result = demo(2)
    html = _html(result)
    emerging = _section(html, "emerging-skills")
    german = "Wärmepumpen einbauen und warten; Sanierung von Altbauten."
    assert f'<blockquote class="quote" lang="de"><p>{german}</p></blockquote>' in emerging
    english = "Installing and servicing heat pumps and other low-carbon heating"
    assert f'<blockquote class="quote"><p>{english}' in emerging
    # the PDF is made from that page: its structure tree marks the quote's language too
    data = result["brief.pdf"].data
    assert german in extract_text(io.BytesIO(data)).replace("\n", " ")
    marked = [
        (str(e["/S"]), str(e["/Lang"]))
        for e in _struct_elements(PdfReader(io.BytesIO(data)))
        if "/Lang" in e
    ]
    assert marked and set(marked) == {("/BlockQuote", "de")}


def test_the_demos_esco_skill_group_reads_its_preferred_label_beside_its_code(demo):
    """The demo theme is linked to ESCO's skill group S5, which no skill file lists: the
    brief names it by ESCO's preferred label, the code beside it, in every format."""
    uri = "http://data.europa.eu/esco/skill/S5"
    _, result = demo(2)
    html = _html(result)
    emerging = _section(html, "emerging-skills")
    assert f'<a href="{uri}">working with computers (S5)</a>' in emerging
    assert "ESCO skill S5" not in html
    plain = result["brief-plain.html"].data.decode("utf-8")
    assert f'<a href="{uri}">working with computers (S5)</a>' in plain
    rows = list(csv.DictReader(io.StringIO(result["data/emerging_skills.csv"].data.decode())))
    assert [(r["esco_uri"], r["esco_label"]) for r in rows if r["esco_uri"]] == [
        (uri, "working with computers")
    ]
    document = json.loads(result["brief.json"].data)
    assert document["themes"][0]["esco"] == [{"uri": uri, "label": "working with computers"}]
    # a page in another language marks the English label as English
    _, german = demo(2, "de")
    assert f'<a href="{uri}" lang="en">working with computers (S5)</a>' in _html(german)


@pytest.mark.parametrize("number", [1, 2])
def test_the_pdf_is_compact_every_table_once_and_tagged(demo, number):
    _, result = demo(number)
    data = result["brief.pdf"].data
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) <= MOST_PAGES
    text = extract_text(io.BytesIO(data))
    # the question column is wide enough for a line of several words, not one word a line
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert any(line.startswith("By 2030, how important will") for line in lines)
    # each chart's figures once: the charts drawn from a section's table refer to it
    assert "Data of the chart: Panel median and IQR beside the forecast" not in text
    assert "Data of the chart: Median and IQR of each published stakeholder group" not in text
    # the table's caption, and the chart's reference to it
    assert text.count("Panel estimates beside the forecast") == 2
    assert "The figures of this chart are in the table above" in text
    # tagged: one Table element per table of the page, every figure with its alt text
    elements = list(_struct_elements(reader))
    tables = [e for e in elements if e["/S"] == "/Table"]
    assert len(tables) == result.pdf_tables > 10
    figures = [e for e in elements if e["/S"] == "/Figure"]
    assert figures and all(str(e.get("/Alt", "")).strip() for e in figures)
    assert result.pdf_refused == ()


def test_the_charts_label_their_axes_and_keep_their_labels_inside(demo):
    _, result = demo(2)
    triangulation = result["charts/triangulation.svg"].data.decode()
    assert "The panel's estimate and the forecast (%)" in triangulation.replace("&#39;", "'")
    assert ">Question<" in triangulation
    openings = result["charts/openings.svg"].data.decode()
    # the bar's name is written inside the axes from its left end, above the bar, with its
    # total: not right-aligned against the figure's edge, where a wider font cuts it off
    labels = re.findall(r"<text [^>]*text-anchor: (\w+)[^>]*>([^<]*)<", openings)
    assert ("start", "All openings: 428.8") in labels
    assert not [text for _, text in labels if text == "All openings"]


def test_the_sector_and_geography_are_written_once_in_every_format(demo):
    _content, result = demo(2)
    html = _plain(_html(result))
    assert "Construction (NACE Rev. 2 F Construction)" in html
    assert "F Construction; NACE" not in html
    assert "EU (EU)" not in html
    first_page = extract_text(io.BytesIO(result["brief.pdf"].data), page_numbers=[0])
    first_page = " ".join(first_page.split())
    assert "NACE Rev. 2 F Construction" in first_page
    assert first_page.count("NACE Rev. 2 F Construction") == 1
    assert "EU (EU)" not in first_page
    document = json.loads(result["brief.json"].data)
    assert [(c["classification"], c["code"]) for c in document["sector_codes"]] == [
        ("NACE Rev. 2", "F")
    ]
    assert document["sector_codes"][0]["maps_to"] == []


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_pdf_tables_headers_keep_their_short_words_whole(demo, lang):
    _content, result = demo(2, lang)
    html = _html(result)
    headers = {
        word
        for th in re.findall(r'<th[^>]*scope="col"[^>]*>(.*?)</th>', html, flags=re.S)
        for word in unescape(re.sub(r"<[^>]+>", " ", th)).split()
    }
    words = set(extract_text(io.BytesIO(result["brief.pdf"].data)).split())
    if lang == "en":
        assert {"Rank", "Code", "Change", "Round", "Base", "Shown"} <= headers
    # a word of up to eight letters never breaks; a longer one only hyphenates
    assert sorted(w for w in headers if len(w) <= 8 and w not in words) == []


def test_no_rule_identifier_is_shown_to_readers(demo):
    _content, result = demo(2)
    text = _plain(_html(result))
    assert "current-1" not in text and "outlook-1" not in text
    assert "the current-conditions rule, version 1" in text
    document = json.loads(result["brief.json"].data)
    assert "current-1" in json.dumps(document)


def test_a_sources_reliability_is_stated_once_under_the_key_facts(demo):
    _content, result = demo(2)
    key_facts = _plain(_section(_html(result), "key-facts"))
    facts = key_facts.split("Sources of the key facts")[0]
    caveat = "Illustrative figures generated by SkillsDelphi for its demonstration"
    assert key_facts.count(caveat) == 1
    # each figure still says how reliable it is, and where it comes from
    assert facts.count("How reliable is this?") >= 6
    assert facts.count("(see note 1)") >= 6
    assert "See note 1." in facts
