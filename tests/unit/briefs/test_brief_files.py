"""A brief's data files without the app: tables, CSV, XLSX, data package, the API document,
the diff between versions, and the PDF writer's fetcher (SECURITY.md 2.5, S2, S11)."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
import zipfile
from dataclasses import replace

import numpy as np
import openpyxl
import pytest

from app.briefs.brief_json import brief_document
from app.briefs.brief_tables import brief_tables
from app.briefs.content import (
    BriefContent,
    Narrative,
    OccupationList,
    OccupationRow,
    sample_content,
)
from app.briefs.diff import diff_contents, word_diff
from app.briefs.pdf import (
    ASSET_BASE,
    BundledFetcher,
    column_widths,
    css_string,
    html_to_pdf,
    page_css,
    table_parts,
)
from app.briefs.record import sample_round_items
from app.briefs.tables import datapackage, json_bytes, table_csv, tables_xlsx

RISKY = '=HYPERLINK("http://evil.example","x")'


def _content(**changes) -> BriefContent:
    return replace(sample_content(), rounds=sample_round_items(), **changes)


def _risky_content() -> BriefContent:
    content = _content()
    occupations = replace(
        content.occupations,
        largest=OccupationList(
            (
                OccupationRow(RISKY, "+SUM(A1:A9)", 10.0, 12.0, 2.0, 20.0, 1.5),
                OccupationRow("-47", "@cmd", 5.0, 4.0, -1.0, -20.0, 0.5),
            )
        ),
    )
    return replace(content, occupations=occupations)


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_every_section_has_its_tables_codes_beside_labels():
    tables = brief_tables(_content(), "en")
    names = [t.name for t in tables]
    for name in (
        "key_facts",
        "ratings",
        "employment_trend",
        "openings",
        "occupations_largest",
        "skill_needs",
        "skill_needs_groups",
        "contested",
        "emerging_skills",
        "triangulation",
        "panel_response",
        "sources",
        "round_items",
    ):
        assert name in names
    groups = tables["skill_needs_groups"]
    columns = [c.name for c in groups.columns]
    assert {"group", "group_label", "cell", "cell_label"} <= set(columns)
    rows = [dict(zip(columns, r, strict=True)) for r in groups.rows]
    withheld = [r for r in rows if r["cell"] == "suppressed"]
    assert withheld and all(r["n"] is None and r["median"] is None for r in withheld)
    assert {r["group_label"] for r in rows} >= {"Employers", "Public authorities"}


def test_csv_neutralises_formula_like_text_and_keeps_numbers_numeric():
    table = brief_tables(_risky_content(), "en")["occupations_largest"]
    rows = _csv_rows(table_csv(table))
    header, first, second = rows[0], rows[1], rows[2]
    code, label = header.index("code"), header.index("label")
    assert first[code] == "'" + RISKY
    assert first[label] == "'+SUM(A1:A9)"
    assert second[code] == "'-47" and second[label] == "'@cmd"
    # numbers stay numbers, negative ones too (S11)
    assert second[header.index("change")] == "-1.0"
    assert float(second[header.index("change_pct")]) == -20.0
    assert not table_csv(table).startswith(b"\xef\xbb\xbf")


def test_only_formula_like_text_is_protected_and_numbers_never():
    """A signed figure's reading ("+74 thousand jobs") starts with "+", which a spreadsheet
    reads as a formula: it is protected; unsigned readings, and every number, are not."""
    rows = _csv_rows(table_csv(brief_tables(_content(), "en")["key_facts"]))
    header = rows[0]
    label, value = header.index("value_label"), header.index("value")
    labels = {r[header.index("fact")]: r[label] for r in rows[1:]}
    assert labels["base_employment"] == "1,200 thousand jobs"
    assert labels["employment_change"].startswith("'+")
    protected = [t for t in labels.values() if t.startswith("'")]
    assert protected and all(t[1] in "=+-@\t\r" for t in protected)
    # numbers are written as numbers, negative ones too (S11)
    assert all(isinstance(float(r[value]), float) for r in rows[1:] if r[value])


def test_caveats_read_as_sentences_one_after_another():
    """Caveats are sentences: written one after another, each ending once, in the key facts'
    and the sources' files alike."""
    content = _content()
    caveats = ("Projections assume no recession in the period.", "  Figures are rounded  ")
    facts = tuple(
        replace(f, reliability=replace(f.reliability, caveats=caveats)) if f.reliability else f
        for f in content.facts()
    )
    content = replace(content, key_facts=replace(content.key_facts, facts=facts))
    tables = brief_tables(content, "en")
    rows = _csv_rows(table_csv(tables["key_facts"]))
    column = rows[0].index("caveats")
    written = {r[column] for r in rows[1:] if r[column]}
    assert written == {"Projections assume no recession in the period. Figures are rounded."}
    for table in tables:
        text = table_csv(table).decode("utf-8")
        assert ".;" not in text and ". ;" not in text and ".." not in text, table.name


def test_xlsx_one_sheet_per_table_typed_numbers_and_no_formulas():
    tables = list(brief_tables(_risky_content(), "en"))
    data = tables_xlsx(tables, title="Brief", about=[("Sector", "=1+1")])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode()
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[0] == "About" and book.sheetnames[-1] == "Columns"
    assert set(book.sheetnames[1:-1]) == {t.name for t in tables}
    sheet = book["occupations_largest"]
    headers = [c.value for c in sheet[1]]
    assert "Code" in headers and "Occupation" in headers  # codes and labels apart
    code = sheet.cell(2, headers.index("Code") + 1)
    assert code.value == "'" + RISKY and code.data_type == "s"
    change = sheet.cell(3, headers.index("Change") + 1)
    assert change.value == -1.0 and change.data_type == "n"
    assert book["About"]["B3"].value == "'=1+1"
    columns = book["Columns"]
    described = {(r[0].value, r[1].value) for r in columns.iter_rows(min_row=2)}
    assert ("occupations_largest", "change_pct") in described
    assert ("skill_needs_groups", "group") in described


def test_xlsx_refuses_to_cut_a_text():
    content = _content(implications=replace(_content().implications))
    table = brief_tables(content, "en")["sources"]
    long = replace(table, rows=((*table.rows[0][:-1], "x" * 40_000),))
    with pytest.raises(ValueError, match="longer than a workbook cell"):
        tables_xlsx([long])


def test_data_package_validates_with_frictionless(tmp_path):
    frictionless = pytest.importorskip("frictionless")
    tables = list(brief_tables(_risky_content(), "de"))
    (tmp_path / "data").mkdir()
    for table in tables:
        (tmp_path / table.csv_path).write_bytes(table_csv(table))
    package = datapackage(
        tables,
        name="construction-v1",
        title="Construction",
        version="1",
        created="2026-11-30",
        licenses=[{"name": "CC-BY-4.0", "title": "CC BY 4.0"}],
    )
    (tmp_path / "datapackage.json").write_bytes(json_bytes(package))
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert {r["path"] for r in package["resources"]} == {t.csv_path for t in tables}


def _type7(counts: dict[str, int], p: float) -> float:
    values = np.repeat([float(k) for k in counts], list(counts.values()))
    return float(np.quantile(values, p, method="linear"))


def test_json_has_the_api_shape_and_recomputes_from_counts():
    document = brief_document(_content(), lang="en", url="https://example.org/b/1/")
    json.dumps(document, allow_nan=False)
    for key in ("key_facts", "forecasts", "themes", "triangulation", "sources", "consultation"):
        assert key in document
    for series in document["forecasts"]:
        assert set(series["source"]) >= {"publisher", "title", "licence", "vintage"}
    consultation = document["consultation"]
    assert consultation["plan"]["consensus_rule"] == "iqr <= 1 and agreement >= 0.70"
    assert consultation["plan"]["min_group_n"] == 5
    rounds = consultation["rounds"]
    assert [r["number"] for r in rounds] == [1, 2]
    assert rounds[1]["invited"] == 30 and rounds[1]["responded"] == 24
    assert rounds[1]["responded_by_group"] == {"employers": 8, "education-providers": 7}
    checked = 0
    for round_ in rounds:
        for item in round_["items"]:
            if item.get("suppressed"):
                assert set(item) <= {
                    "key",
                    "type",
                    "scale",
                    "text",
                    "suppressed",
                    "consensus",
                    "consensus_status",
                }
                continue
            for key in (
                "key",
                "type",
                "scale",
                "text",
                "counts",
                "n",
                "median",
                "q1",
                "q3",
                "iqr",
                "mean",
                "sd",
                "cv",
                "agreement",
                "consensus",
                "stable",
                "groups",
                "contested",
            ):
                assert key in item, key
            counts = item["counts"]
            k = item["scale"]
            band = int(np.ceil(0.4 * k))
            assert sum(counts.values()) == item["n"]
            assert round(_type7(counts, 0.5), 4) == item["median"]
            assert round(_type7(counts, 0.75) - _type7(counts, 0.25), 4) == item["iqr"]
            agree = sum(v for c, v in counts.items() if int(c) >= k - band + 1) / item["n"]
            assert round(agree, 4) == item["agreement"]
            for cell in item["groups"]:
                if cell.get("suppressed"):
                    assert cell == {"group": cell["group"], "suppressed": True}
                elif cell.get("n"):
                    assert round(_type7(cell["counts"], 0.5), 4) == cell["median"]
            checked += 1
    assert checked == 2


def test_json_texts_fall_back_to_the_default_language():
    document = brief_document(_content(), lang="fr")
    skill = document["skill_needs"][0]
    assert skill["text"] == "Digital and data skills will matter more"
    document = brief_document(_content(), lang="de")
    assert document["skill_needs"][0]["text"] == "Digitale Kompetenzen werden wichtiger"


def test_diff_reports_a_changed_figure_and_changed_narrative():
    old = _content()
    facts = tuple(
        replace(f, value=1300.5) if f.key.value == "projected_employment" else f
        for f in old.facts()
    )
    new = replace(old, key_facts=replace(old.key_facts, facts=facts)).with_narrative(
        Narrative(
            summary="Demand grows much faster than in the economy as a whole.",
            ministries=old.narrative.ministries,
            education_providers=old.narrative.education_providers,
            guidance_practitioners="",
        )
    )
    changes = diff_contents(old, new)
    by_what = {c.what: c for c in changes}
    figure = by_what["Projected employment"]
    assert figure.section == "key_facts"
    assert figure.old.startswith("1,273.2") and figure.new.startswith("1,300.5")
    summary = by_what["Summary"]
    assert summary.narrative and summary.kind == "changed"
    assert ("ins", " much") in word_diff(summary.old, summary.new)
    gone = by_what["For guidance practitioners"]
    assert gone.old == "Electricians remain in demand." and gone.new == ""
    assert diff_contents(old, old) == []
    german = diff_contents(old, new, locale="de")
    assert any(c.new and c.new.startswith("1.300,5") for c in german)


def test_diff_orders_changes_by_section():
    old = _content()
    new = replace(
        old,
        header=replace(old.header, citation="Another citation"),
    ).with_narrative(replace(old.narrative, summary="Changed."))
    sections = [c.section for c in diff_contents(old, new)]
    assert sections == ["header", "implications"]


# --- the PDF writer's fetcher (S2) ----------------------------------------------------------


class _Listener:
    """A TCP port on 127.0.0.1 that counts the connections made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def test_pdf_fetches_only_bundled_assets():
    listener = _Listener()
    try:
        url = f"http://127.0.0.1:{listener.port}/"
        html = f"""<!doctype html><html lang="en"><head><title>T</title>
        <link rel="stylesheet" href="{url}style.css">
        <style>@import url("{url}import.css");
        body {{ background: url("file:///etc/passwd"); }}</style>
        </head><body><main><h1>Brief</h1>
        <p>file:///etc/passwd and {url} as text; $\\frac{{$ {{{{7*7}}}}</p>
        <img src="file:///etc/passwd" alt="a"><img src="{url}x.png" alt="b">
        <img src="charts/trend.svg" alt="c">
        </main></body></html>"""
        svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
        result = html_to_pdf(html, assets={"charts/trend.svg": svg})
    finally:
        listener.close()
    assert listener.connections == 0
    assert result.data.startswith(b"%PDF-")
    assert "file:///etc/passwd" in result.refused
    assert f"{url}x.png" in result.refused and f"{url}style.css" in result.refused
    assert not any(r.endswith("charts/trend.svg") for r in result.refused)


def test_fetcher_serves_fonts_and_assets_only_under_its_base():
    fetcher = BundledFetcher({"charts/a.svg": b"<svg/>"})
    assert fetcher(f"{ASSET_BASE}charts/a.svg").read() == b"<svg/>"
    assert fetcher(f"{ASSET_BASE}fonts/DejaVuSans.ttf").read()[:4] == b"\x00\x01\x00\x00"
    for url in (
        "file:///etc/passwd",
        "data:text/plain,hello",
        f"{ASSET_BASE}../etc/passwd",
        f"{ASSET_BASE}charts/a.svg?x=1",
        "https://assets.skillsdelphi.invalid.evil.example/charts/a.svg",
    ):
        with pytest.raises(ValueError):
            fetcher(url)
    assert len(fetcher.refused) == 5


def test_page_label_and_css_strings_are_escaped():
    assert css_string('a"b\\c\n') == '"a\\22 b\\5c c\\a "'
    css = page_css('Seite %(page)s von %(pages)s "x"')
    assert 'content: "Seite " counter(page) " von " counter(pages) " \\22 x\\22 "' in css


def test_assembled_briefs_carry_every_rounds_published_items():
    from app.briefs.assemble import assemble
    from app.briefs.content import OutlookSettings
    from tests.unit.briefs.fixtures import brief_inputs

    inputs = brief_inputs()
    content = assemble(inputs, OutlookSettings())
    assert [r.round for r in content.rounds] == sorted(r.number for r in inputs.rounds)
    for round_input, published in zip(
        sorted(inputs.rounds, key=lambda r: r.number), content.rounds, strict=True
    ):
        frozen = round_input.results.items
        expected = [k for k, item in frozen.items() if item.type != "text"]
        assert [i.key for i in published.items] == expected
        for item in published.items:
            result = frozen[item.key]
            assert item.suppressed == result.suppressed
            if not item.suppressed:
                assert item.counts == result.counts and item.median == result.median
                assert tuple(item.groups) == tuple(result.groups)
            if item.key in inputs.items:
                assert item.text == inputs.items[item.key].text
    document = brief_document(content, lang="en")
    assert [len(r["items"]) for r in document["consultation"]["rounds"]] == [
        len(r.items) for r in content.rounds
    ]
    assert BriefContent.from_json(json.loads(json.dumps(content.to_json()))) == content


def test_a_column_of_questions_is_wide_and_columns_of_figures_narrow():
    question = "By 2030, how important will digital skills and working with data be in your sector?"
    headers = ["Rank", "Skill need", "Answers", "Median", "Interquartile range", "Agreement"]
    rows = [["1", question, "33", "4.00", "1.00", "82%"]] * 12
    widths = column_widths(headers, rows)
    assert widths[1] == max(widths) and widths[1] > 0.45 * sum(widths)
    # never narrower than a word: neither a header's (hyphenated past 7 letters) nor a cell's
    assert all(w >= 4 for w in widths)
    assert widths[4] >= 7
    # the question wraps in a few lines, so a page takes many rows in one part
    parts = table_parts(rows, len(headers), widths=widths)
    assert parts == [(0, 12)]
    # in equal columns (as before) the same rows take a line a word and split in parts
    assert len(table_parts(rows, len(headers), lines=40)) > 1


def test_a_narrow_table_keeps_every_column_as_wide_as_its_text():
    widths = column_widths(["Round", "Invited"], [["1", "40"], ["2", "38"]])
    assert widths[0] / widths[1] == pytest.approx(5 / 7)
    assert column_widths([], []) == []
