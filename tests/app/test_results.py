"""Results of a closed round for the secretariat: page, charts, CSV/XLSX, moderation.

Checks that every figure is the frozen one, that suppressed groups and small panels never
show a count or a statistic in any format, that nothing is shown while a round is open, that
exports are safe against formula injection, and that no output pairs anyone with an answer.
"""

import csv
import html as htmllib
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.consultations import services
from app.consultations.keys import rationale_seed
from app.consultations.models import (
    Answer,
    Consultation,
    Item,
    Response,
    StakeholderGroup,
)
from app.consultations.queries import rationales
from app.consultations.responses import AnswerInput, save_response
from app.consultations.results import shuffled_rationales
from app.exports import XlsxBook, csv_bytes
from app.extensions import db
from app.panels.models import Panellist
from app.results.exports import COLUMNS_HEADER, SHEETS, column
from app.results.services import rationale_token
from tests.app.factories import PASSWORD, make_council, make_staff, post_login
from tests.conftest import ROOT

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SURVEY = ROOT / "surveys" / "future-skill-needs.yaml"
#: 10 employers, 8 workers' representatives, 8 education providers, 3 public authorities:
#: public authorities are suppressed (3 < 5) and, complementarily, workers' representatives.
SIZES = {
    StakeholderGroup.employers: 10,
    StakeholderGroup.workers_representatives: 8,
    StakeholderGroup.education_providers: 8,
    StakeholderGroup.public_authorities: 3,
}
DIGITAL = {
    StakeholderGroup.employers: [5, 5, 4, 5, 4, 5, 4, 5, 5, 4],
    StakeholderGroup.workers_representatives: [3, 2, 3, 4, 3, 2, 2, 3],
    StakeholderGroup.education_providers: [4, 4, 3, 5, 4, 4, 3, 4],
    StakeholderGroup.public_authorities: [5, 4, 5],
}
DANGEROUS = ['=HYPERLINK("http://evil.example","x")', "+41 22 555", "-2+3 cmd", "@SUM(A1:A9)"]
MATH = "Share of $\\frac{$ answers"
KEY = "digital-data-skills"


def _answers(group, i):
    ratio = DIGITAL[group][i]
    answers = {
        "digital-data-skills": AnswerInput(value=float(ratio)),
        "green-transition-skills": AnswerInput(value=float(4 + i % 2)),
        "automation-maintenance": AnswerInput(value=float(1 + (i * 3) % 5)),
        "employment-change-2033": AnswerInput(
            value=float(i % 7) - 3.5, low=float(i % 7) - 6.0, high=float(i % 7), confidence=50
        ),
        "training-priorities": AnswerInput(
            ranking=("digital-data", "green-transition", "automation-maintenance")
            if i % 3
            else ("green-transition", "digital-data", "customer-communication")
        ),
        "meeting-skill-needs": AnswerInput(
            choices=("upskilling",) if i % 2 else ("hiring", "technology")
        ),
        "skills-needed-most": AnswerInput(text=f"Heat pump installation\nBIM modelling {i}"),
    }
    if group is StakeholderGroup.public_authorities:
        # only this small group answers customer-communication: the panel total is 3 < 5
        answers["customer-communication"] = AnswerInput(value=4.0)
    if group is StakeholderGroup.employers and i < len(DANGEROUS):
        answers["digital-data-skills"] = AnswerInput(value=float(ratio), rationale=DANGEROUS[i])
    if group is StakeholderGroup.education_providers and i == 0:
        answers["digital-data-skills"] = AnswerInput(
            value=float(ratio), rationale="Our college already trains data skills."
        )
    return answers


def _build(app, *, close=True):
    with app.app_context():
        council = make_council("Construction council")
        other = make_council("Care council", sector_code="Q")
        sec = make_staff(Role.secretariat, [council], email="sec@example.org")
        make_staff(Role.secretariat, [other], email="out@example.org")
        consultation = services.create_consultation(
            council, SURVEY, title="Construction skills 2030", by=sec
        )
        panel = []
        for group, size in SIZES.items():
            for i in range(size):
                p = Panellist(
                    consultation=consultation,
                    name=f"Zelda Quorum{len(panel)}",
                    email=f"zq{len(panel)}@panel.example",
                    organisation=f"Orgname{len(panel)}",
                    stakeholder_group=group,
                    language="en",
                )
                db.session.add(p)
                panel.append((p, group, i))
        db.session.commit()
        r1 = consultation.rounds[0]
        services.open_round(r1, by=sec, as_of=T0, deadline=T0 + timedelta(days=14))
        db.session.commit()
        for number, (p, group, i) in enumerate(panel):
            save_response(r1, p, _answers(group, i), submission_id=f"s{number}", submit=True)
            db.session.commit()
        if close:
            services.close_round(r1, by=sec, as_of=T0 + timedelta(days=10))
            db.session.commit()
        return consultation.id


@pytest.fixture
def study(make_app, tmp_path):
    app = make_app(STUDY_KEY_DIR=str(tmp_path / "keys"))
    return app, _build(app)


def _client(app, email="sec@example.org"):
    client = app.test_client()
    assert post_login(client, email, PASSWORD).status_code in (302, 303)
    return client


def _url(cid, tail="results", number=1):
    return f"/staff/consultations/{cid}/rounds/{number}/{tail}"


def _results(app, cid):
    with app.app_context():
        return db.session.get(Consultation, cid).rounds[0].results


def _section(html: str, key: str) -> str:
    start = html.index(f'<section id="item-{key}"')
    return html[start : html.index("</section>", start)]


def _rows(section: str) -> dict[str, str]:
    """Table rows keyed by their row header text."""
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", section, flags=re.S):
        head = re.search(r'<th scope="row">(.*?)</th>', row, flags=re.S)
        if head:
            rows[htmllib.unescape(re.sub(r"<[^>]+>", "", head.group(1))).strip()] = row
    return rows


def _csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _xlsx(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def _codes(book, title: str) -> list[str]:
    """The codes of a sheet's columns, in order, as a program reads them from ``Columns``."""
    listing = list(book["Columns"].iter_rows(min_row=2, values_only=True))
    return [code for sheet, _letter, code, _label, _meaning in listing if sheet == title]


def _sheet_rows(book, title: str) -> list[dict]:
    """A sheet's rows keyed by column code (its header row holds readable labels)."""
    rows = list(book[title].iter_rows(values_only=True))
    codes = _codes(book, title)
    assert len(codes) == len(rows[0]), title
    return [dict(zip(codes, r, strict=True)) for r in rows[1:]]


# --- the page -------------------------------------------------------------------------------


def test_results_page_shows_the_frozen_figures(study):
    app, cid = study
    results = _results(app, cid)
    page = _client(app).get(_url(cid))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    e = results["items"]["digital-data-skills"]
    rows = _rows(_section(html, "digital-data-skills"))
    assert f">{e['n']}<" in rows["Answers"]
    assert f"{e['median']:.2f}" in rows["Median"]
    assert f"{e['q1']:.2f} – {e['q3']:.2f}" in rows["Quartiles (Q1 – Q3)"]
    assert f"{e['mean']:.2f}" in rows["Mean"] and f"{e['sd']:.2f}" in rows["Standard deviation"]
    assert f"{round(e['agreement'] * 100)}%" in rows["Agreement"]
    assert f"{round(e['balanced']['balanced_agreement'] * 100)}%" in rows["Agreement"]
    low, high = e["intervals"]["median"]
    assert f"{low:.2f} – {high:.2f}" in rows["Median"]
    employers = next(g for g in e["groups"] if g["group"] == "employers")
    assert f">{employers['n']}<" in rows["Employers"]
    assert f"{employers['median']:.2f}" in rows["Employers"]
    section = _section(html, "digital-data-skills")
    assert e["contested"] is True
    assert "Contested between stakeholder groups" in section
    h, p = e["divergence"]["kw_h"], e["divergence"]["kw_p"]
    # "p < 0.001", never "p = < 0.001"
    assert f"H = {h:.2f}, " + ("p &lt; 0.001" if p < 0.001 else f"p = {p:.3f}") in section
    assert "p = &lt;" not in html
    green = _section(html, "green-transition-skills")
    assert results["items"]["green-transition-skills"]["consensus_status"] == "in"
    assert "the panel agrees that this matters (in)" in green
    assert "Stability not assessable" in green
    stopping = results["stopping"]
    assert stopping["reason"] in html
    assert "Continue: run another round" in html


def test_other_item_types_show_their_statistics(study):
    app, cid = study
    results = _results(app, cid)["items"]
    html = _client(app).get(_url(cid)).get_data(as_text=True)
    est = results["employment-change-2033"]
    rows = _rows(_section(html, "employment-change-2033"))
    assert f"{est['median']:.2f}" in rows["Median"]
    assert (
        f"{est['low_median']:.2f} – {est['high_median']:.2f}"
        in rows["Typical range given (median lowest – median highest)"]
    )
    ranking = results["training-priorities"]
    section = _section(html, "training-priorities")
    assert f"Kendall's W): {ranking['w']:.2f}" in section.replace("&#39;", "'")
    first = ranking["options"][0]
    assert f"{first['mean_rank']:.2f}" in section and f">{first['borda']:g}<" in section
    choice = results["meeting-skill-needs"]
    rows = _rows(_section(html, "meeting-skill-needs"))
    assert f"{round(choice['shares']['upskilling'] * 100)}%" in rows["Training their current staff"]
    text = _section(html, "skills-needed-most")
    assert "29 written answers." in text


def test_chart_is_an_image_with_alt_text_and_a_data_table(study):
    app, cid = study
    html = _client(app).get(_url(cid)).get_data(as_text=True)
    section = _section(html, "digital-data-skills")
    img = re.search(r'<img src="([^"]+)" alt="([^"]+)"', section)
    assert img and img.group(1).endswith("/results/charts/digital-data-skills.svg")
    assert "median" in img.group(2)
    assert re.search(r"<caption[^>]*>Answers per scale point</caption>", section)


def test_suppressed_groups_and_small_panels_never_show_counts_or_statistics(study):
    app, cid = study
    results = _results(app, cid)["items"]
    html = _client(app).get(_url(cid)).get_data(as_text=True)
    rows = _rows(_section(html, "digital-data-skills"))
    for group in ("Public authorities", "Workers' representatives"):
        cells = htmllib.unescape(re.sub(r"<[^>]+>", " ", rows[group]))
        # the same words whether the group is small or withheld to protect a smaller one
        assert (
            "not shown: fewer than 5 answers, or withheld so that a smaller group cannot be "
            "worked out from the others"
        ) in cells
        assert re.findall(r"\d+", cells) == ["5"]
    small = _section(html, "customer-communication")
    assert results["customer-communication"]["suppressed"] is True
    assert "suppressed (fewer than 5 answers)" in small
    assert "<table" not in small and "<img" not in small and ">3<" not in small
    client = _client(app)
    chart = client.get(_url(cid, "results/charts/customer-communication.svg"))
    assert chart.status_code == 404

    suppressed = {"public-authorities", "workers-representatives"}
    records = _csv(client.get(_url(cid, "results.csv")).data)
    groups = {r["group"] for r in records if r["record"] == "group"}
    assert groups == {"employers", "education-providers"}
    assert not suppressed & {r["group"] for r in records}
    small_row = next(
        r for r in records if r["record"] == "item" and r["item_key"] == "customer-communication"
    )
    assert small_row["suppressed"] == "true" and small_row["n"] == "" and small_row["median"] == ""

    book = _xlsx(client.get(_url(cid, "results.xlsx")).data)
    group_rows = _sheet_rows(book, "Groups")
    assert {r["group"] for r in group_rows} == {"employers", "education-providers"}
    item_rows = {r["item_key"]: r for r in _sheet_rows(book, "Items")}
    assert item_rows["customer-communication"]["suppressed"] is True
    assert item_rows["customer-communication"]["n"] is None
    rationale_groups = {r["group"] for r in _sheet_rows(book, "Rationales")}
    assert not suppressed & rationale_groups


# --- open rounds, scope, sign-in ----------------------------------------------------------


def test_open_round_answers_403_everywhere_and_shows_no_figure(make_app, tmp_path):
    app = make_app(STUDY_KEY_DIR=str(tmp_path / "keys"))
    cid = _build(app, close=False)
    client = _client(app)
    for tail in (
        "results",
        "results.csv",
        "results.xlsx",
        "results/charts/digital-data-skills.svg",
        "results/charts/digital-data-skills.png",
        "rationales",
    ):
        response = client.get(_url(cid, tail))
        assert response.status_code == 403, tail
        body = response.get_data(as_text=True)
        assert "round 1 is open: results are shown after it closes" in body
        # no statistic and no count of answers (29 were submitted)
        assert "Median" not in body and ">29<" not in body and "29 " not in body
    post = client.post(_url(cid, "rationales"), data={"item": "digital-data-skills"})
    assert post.status_code == 403


def test_another_councils_secretariat_gets_404(study):
    app, cid = study
    client = _client(app, "out@example.org")
    for tail in ("results", "results.csv", "results.xlsx", "rationales"):
        assert client.get(_url(cid, tail)).status_code == 404, tail
    assert client.get(_url(cid, "results/charts/digital-data-skills.svg")).status_code == 404
    assert client.get(_url(cid, "results", number=7)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(study):
    app, cid = study
    client = app.test_client()
    for tail in ("results", "results.csv", "rationales"):
        response = client.get(_url(cid, tail))
        assert response.status_code == 302
        assert "/login?next=" in response.headers["Location"]


# --- downloads ----------------------------------------------------------------------------


def test_downloads_have_exact_headers(study):
    app, cid = study
    client = _client(app)
    csv_response = client.get(_url(cid, "results.csv"))
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert csv_response.headers["X-Content-Type-Options"] == "nosniff"
    xlsx = client.get(_url(cid, "results.xlsx"))
    assert xlsx.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="' in xlsx.headers["Content-Disposition"]
    assert xlsx.headers["Content-Disposition"].endswith('.xlsx"')
    assert xlsx.headers["X-Content-Type-Options"] == "nosniff"


def test_exports_equal_the_frozen_results(study):
    app, cid = study
    results = _results(app, cid)["items"]
    client = _client(app)
    records = _csv(client.get(_url(cid, "results.csv")).data)
    items = {r["item_key"]: r for r in records if r["record"] == "item"}
    e = results["digital-data-skills"]
    assert float(items["digital-data-skills"]["median"]) == e["median"]
    assert float(items["digital-data-skills"]["agreement"]) == e["agreement"]
    assert items["digital-data-skills"]["contested"] == "true"
    book = _xlsx(client.get(_url(cid, "results.xlsx")).data)
    rows = {r["item_key"]: r for r in _sheet_rows(book, "Items")}
    assert rows["digital-data-skills"]["sd"] == e["sd"]
    assert rows["employment-change-2033"]["median"] == results["employment-change-2033"]["median"]
    options = [r for r in _sheet_rows(book, "Options") if r["item_key"] == "training-priorities"]
    assert [o["option"] for o in options] == [
        o["option"] for o in results["training-priorities"]["options"]
    ]
    assert options[0]["borda"] == results["training-priorities"]["options"][0]["borda"]
    assert book.sheetnames == ["About", "Items", "Options", "Groups", "Rationales", "Columns"]


def test_exports_neutralise_formulas_and_keep_numbers_numeric(study):
    app, cid = study
    with app.app_context():
        item = db.session.scalars(select(Item).where(Item.key == "green-transition-skills")).one()
        item.text = {**item.text, "en": "=1+2 green label"}
        db.session.commit()
    client = _client(app)
    records = _csv(client.get(_url(cid, "results.csv")).data)
    texts = {r["text"] for r in records if r["record"] == "rationale"}
    for danger in DANGEROUS:
        assert "'" + danger in texts
    assert "Our college already trains data skills." in texts
    green = next(r for r in records if r["item_key"] == "green-transition-skills")
    assert green["text"] == "'=1+2 green label"
    estimate = next(
        r for r in records if r["record"] == "item" and r["item_key"] == "employment-change-2033"
    )
    assert float(estimate["low_median"]) < 0 and not estimate["low_median"].startswith("'")

    data = client.get(_url(cid, "results.xlsx")).data
    book = _xlsx(data)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    # neutralised: no text cell starts with a formula character
                    assert cell.value.lstrip(" ")[:1] not in tuple("=+-@\t\r"), cell.value
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode() and "<f " not in (
                    archive.read(name).decode()
                ), name
    # as typed after the apostrophe, as in the CSV (SECURITY.md S11)
    rationale_texts = {r["text"] for r in _sheet_rows(book, "Rationales")}
    assert {"'" + t for t in DANGEROUS} <= rationale_texts
    items = {r["item_key"]: r for r in _sheet_rows(book, "Items")}
    assert items["green-transition-skills"]["text"] == "'=1+2 green label"
    assert isinstance(items["digital-data-skills"]["n"], int | float)
    assert items["employment-change-2033"]["low_median"] < 0


def test_xlsx_hyperlink_typed_by_a_panellist_arrives_as_text():
    """A ``=HYPERLINK(...)`` reason arrives as text after an apostrophe, never a formula or
    a link."""
    typed = DANGEROUS[0]
    book = XlsxBook()
    sheet = book.sheet("Rationales")
    book.write(sheet, 0, 0, typed, "text")
    book.write(sheet, 1, 0, "plain reason", "text")
    data = book.bytes()
    cell = _xlsx(data)["Rationales"]["A1"]
    assert cell.value == "'" + typed and cell.data_type == "s"
    assert cell.hyperlink is None
    assert _xlsx(data)["Rationales"]["A2"].value == "plain reason"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
        strings = archive.read("xl/sharedStrings.xml").decode()
    assert "<f" not in xml and "HYPERLINK" not in xml and "hyperlink" not in xml
    assert htmllib.escape(typed, quote=False) in strings.replace("&quot;", '"')
    # the CSV keeps its apostrophe
    assert csv_bytes(["text"], [[typed]]).decode("utf-8-sig").splitlines()[1] == (
        '"\'=HYPERLINK(""http://evil.example"",""x"")"'
    )


def _header(book, title: str) -> list[str]:
    return [c.value for c in next(book[title].iter_rows(max_row=1))]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_xlsx_headers_are_readable_labels_in_the_request_language(study, lang):
    app, cid = study
    book = _xlsx(_client(app).get(_url(cid, "results.xlsx") + f"?lang={lang}").data)
    with app.test_request_context(f"/?lang={lang}"):
        from flask_babel import gettext, refresh

        refresh()
        for title, kind, codes in SHEETS:
            labels = _header(book, title)
            assert labels == [gettext(column(kind, code).label) for code in codes], title
            assert len(set(labels)) == len(labels), title  # filters and programs need unique names
            assert not set(codes) & {"item_key", "iqr", "rwg", "n_dk"} & set(labels)
            assert _codes(book, title) == list(codes)
        listing = list(book["Columns"].iter_rows(values_only=True))
        assert listing[0] == tuple(gettext(h) for h in COLUMNS_HEADER)
        assert all(meaning for *_rest, meaning in listing[1:])
        about = list(book["About"].iter_rows(values_only=True))
        assert about[0][0] == gettext("Consultation") and about[0][2] == "consultation"
    items = _header(book, "Items")
    expected = {
        "en": ["Question key", "Median", "Interquartile range", "Standard deviation", "Mean"],
        "de": ["Median", "Interquartilsabstand", "Standardabweichung", "Mittelwert"],
    }[lang]
    assert set(expected) <= set(items)
    if lang == "de":
        assert "Standard deviation" not in items and "Zustimmung" in items
        assert "Begründung" in _header(book, "Rationales")
        assert "Interessengruppe" in _header(book, "Groups")


def test_xlsx_figures_are_numbers_shown_rounded_and_stored_exactly(study):
    app, cid = study
    results = _results(app, cid)["items"]
    book = _xlsx(_client(app).get(_url(cid, "results.xlsx")).data)
    codes = _codes(book, "Items")
    ws = book["Items"]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    digital = {code: cell for code, cell in zip(codes, rows[KEY], strict=True)}
    e = results[KEY]
    expected = {
        "n": "#,##0",
        "median": "#,##0.00",
        "iqr": "#,##0.00",
        "mean": "#,##0.00",
        "sd": "#,##0.00",
        "rwg": "#,##0.00",
        "agreement": "0%",
        "disagreement": "0%",
        "balanced_agreement": "0%",
        "agreement_ci_low": "0%",
        "kw_p": "0.000",
    }
    for code, number_format in expected.items():
        cell = digital[code]
        assert cell.data_type == "n", code
        assert cell.number_format == number_format, code
    for code in ("median", "q1", "q3", "iqr", "mean", "sd", "cv", "agreement", "rwg", "ad_md"):
        assert digital[code].value == e[code], code  # unrounded, to the last digit
    assert digital["agreement"].value == e["agreement"]
    assert digital["contested"].data_type == "b" and digital["contested"].value is True
    estimate = dict(zip(codes, rows["employment-change-2033"], strict=True))
    assert estimate["low_median"].data_type == "n" and estimate["low_median"].value < 0
    assert estimate["confidence_median"].number_format == "General"
    ranking = dict(zip(codes, rows["training-priorities"], strict=True))
    assert ranking["w"].number_format == "#,##0.00" and ranking["p"].number_format == "0.000"
    assert ranking["df"].number_format == "#,##0"
    option_codes = _codes(book, "Options")
    first = dict(zip(option_codes, next(book["Options"].iter_rows(min_row=2)), strict=True))
    assert first["mean_rank"].number_format == "#,##0.00"
    assert first["share_first"].number_format == "0%"
    assert first["borda"].number_format == "General"
    choice = [
        dict(zip(option_codes, r, strict=True))
        for r in book["Options"].iter_rows(min_row=2)
        if r[0].value == "meeting-skill-needs"
    ]
    assert choice and all(c["share"].number_format == "0%" for c in choice)
    assert all(c["count"].number_format == "#,##0" for c in choice)
    for ws in book.worksheets:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and cell.value:
                    # numbers are never text
                    assert not re.fullmatch(r"-?\d+(\.\d+)?", cell.value), (ws.title, cell.value)
    about = {r[2].value: r for r in book["About"].iter_rows()}
    assert about["closed_at"][1].is_date
    assert about["round"][1].value == 1 and about["round"][1].data_type == "n"


# --- charts -------------------------------------------------------------------------------


def test_chart_svg_is_valid_xml_and_math_stays_literal(study):
    app, cid = study
    with app.app_context():
        item = db.session.scalars(select(Item).where(Item.key == "digital-data-skills")).one()
        item.text = {**item.text, "en": MATH}
        db.session.commit()
    client = _client(app)
    response = client.get(_url(cid, "results/charts/digital-data-skills.svg"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    root = ET.fromstring(response.data)
    text = " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert MATH in text
    assert "Median" in text
    for key in ("training-priorities", "meeting-skill-needs"):
        ET.fromstring(client.get(_url(cid, f"results/charts/{key}.svg")).data)
    png = client.get(_url(cid, "results/charts/digital-data-skills.png"))
    assert png.headers["Content-Type"] == "image/png" and png.data.startswith(b"\x89PNG")
    assert client.get(_url(cid, "results/charts/skills-needed-most.svg")).status_code == 404
    assert client.get(_url(cid, "results/charts/no-such-item.svg")).status_code == 404


# --- anonymity ----------------------------------------------------------------------------


def test_no_output_names_anyone_or_carries_a_response_handle(study):
    app, cid = study
    client = _client(app)
    with app.app_context():
        pseudonyms = db.session.scalars(select(Response.respondent_pseudonym)).all()
        response_ids = db.session.scalars(select(Response.id)).all()
    outputs = {
        "page": client.get(_url(cid)).get_data(as_text=True),
        "rationales": client.get(_url(cid, "rationales")).get_data(as_text=True),
        "csv": client.get(_url(cid, "results.csv")).data.decode("utf-8-sig"),
        "svg": client.get(_url(cid, "results/charts/digital-data-skills.svg")).data.decode(),
    }
    with zipfile.ZipFile(io.BytesIO(client.get(_url(cid, "results.xlsx")).data)) as archive:
        outputs["xlsx"] = " ".join(
            archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
        )
    for name, text in outputs.items():
        assert "Zelda" not in text and "Quorum" not in text, name
        assert "panel.example" not in text and "Orgname" not in text, name
        for handle in pseudonyms + response_ids:
            assert handle not in text, name


# --- moderation ---------------------------------------------------------------------------


def test_rationales_are_listed_shuffled_and_can_be_hidden_and_shown_again(study):
    app, cid = study
    client = _client(app)
    html = client.get(_url(cid, "rationales")).get_data(as_text=True)
    section = _section(html, "digital-data-skills")
    shown = re.findall(r'<td class="rationale-text"[^>]*>(.*?)</td>', section, flags=re.S)
    assert len(shown) == 5
    assert "Education and training providers" in section  # published group label
    assert "Workers" not in section
    token = re.search(r'name="rationale" value="([0-9a-f]{64})"', section).group(1)
    with app.app_context():
        item = db.session.scalars(select(Item).where(Item.key == "digital-data-skills")).one()
        answers = db.session.scalars(
            select(Answer).where(Answer.item_id == item.id, Answer.rationale.is_not(None))
        ).all()
        target = next(
            a
            for a in answers
            if rationale_token(app.config["SECRET_KEY"], a.response_id, item.id) == token
        )
        target_text, response_id = target.rationale, target.response_id
    response = client.post(
        _url(cid, "rationales"),
        data={"item": "digital-data-skills", "rationale": token, "action": "hide"},
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Answer, (response_id, item.id)).rationale_hidden is True
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "rationale-hidden")
        ).one()
        assert response_id not in str(event.details) and token not in str(event.details)
        assert event.details == {
            "round": 1,
            "item": "digital-data-skills",
            "feedback_frozen": False,
        }
    page = client.get(_url(cid, "rationales")).get_data(as_text=True)
    assert "Show again" in page and "The rationale is hidden from feedback." in page
    records = _csv(client.get(_url(cid, "results.csv")).data)
    exported = {r["text"].lstrip("'") for r in records if r["record"] == "rationale"}
    assert target_text not in exported
    client.post(
        _url(cid, "rationales"),
        data={"item": "digital-data-skills", "rationale": token, "action": "show"},
    )
    with app.app_context():
        assert db.session.get(Answer, (response_id, item.id)).rationale_hidden is False
        assert db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "rationale-shown")
        ).one()


def test_unknown_rationale_token_changes_nothing(study):
    app, cid = study
    client = _client(app)
    response = client.post(
        _url(cid, "rationales"),
        data={"item": "digital-data-skills", "rationale": "0" * 64, "action": "hide"},
        follow_redirects=True,
    )
    assert "no such rationale" in response.get_data(as_text=True)
    with app.app_context():
        assert not db.session.scalars(select(Answer).where(Answer.rationale_hidden)).all()
        assert not db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "rationale-hidden")
        ).all()


def test_rationale_order_is_the_seeded_feedback_order(study):
    app, cid = study
    client = _client(app)

    def shown():
        section = _section(client.get(_url(cid, "rationales")).get_data(as_text=True), KEY)
        cells = re.findall(r'<td class="rationale-text"[^>]*>(.*?)</td>', section, flags=re.S)
        return [htmllib.unescape(c) for c in cells]

    first = shown()
    assert first == shown()
    with app.app_context():
        item = db.session.scalars(select(Item).where(Item.key == KEY)).one()
        by_pseudonym = [t for t, _g, _h in rationales(item, include_hidden=True)]
        seed = rationale_seed(cid, KEY)
        assert seed != str(db.session.get(Consultation, cid).plan["bootstrap_seed"])
    expected = shuffled_rationales([(t, "", False) for t in by_pseudonym], seed, KEY)
    assert first == [t for t, _g, _h in expected]
    assert sorted(first) == sorted(by_pseudonym)


def test_texts_are_withheld_while_fewer_than_min_group_n_submitted(make_app, tmp_path):
    """The secretariat sees who submitted: one or two texts would point to their authors."""
    from app.consultations.queries import rationales as rationales_query
    from app.consultations.queries import text_answers
    from app.consultations.responses import AnswerInput

    app = make_app(STUDY_KEY_DIR=str(tmp_path / "keys"))
    with app.app_context():
        council = make_council("Construction council")
        sec = make_staff(Role.secretariat, [council], email="sec@example.org")
        consultation = services.create_consultation(council, SURVEY, title="Solo", by=sec)
        solo = Panellist(
            consultation=consultation,
            name="Solo",
            email="solo@panel.example",
            stakeholder_group=list(SIZES)[0],
        )
        db.session.add(solo)
        r1 = consultation.rounds[0]
        services.open_round(r1, by=sec, as_of=T0, deadline=None)
        answers = {
            "skills-needed-most": AnswerInput(text="only I would write this"),
            "digital-data-skills": AnswerInput(value=4, rationale="my very own reason"),
        }
        save_response(r1, solo, answers, submission_id="solo", submit=True)
        services.close_round(r1, by=sec, as_of=T0 + timedelta(days=1))
        db.session.commit()
        rated = next(i for i in r1.items if i.key == "digital-data-skills")
        assert text_answers(r1).empty
        assert rationales_query(rated) == []
        assert r1.results["items"]["skills-needed-most"]["n"] == 1
        cid = consultation.id
    client = _client(app)
    for tail in ("rationales", "themes", "results.csv"):
        body = client.get(_url(cid, tail)).get_data(as_text=True)
        assert "only I would write this" not in body, tail
        assert "my very own reason" not in body, tail


# --- the round at a glance ------------------------------------------------------------------

#: Columns of the overview table, in order.
OVERVIEW_COLUMNS = (
    "Question",
    "Type",
    "Answers",
    "Main figure",
    "Consensus",
    "Stability",
    "Stakeholder groups",
    "Stopping rule",
)


def _text(fragment: str, *, screen_reader: bool = False) -> str:
    """What a sighted reader sees (or, with ``screen_reader``, what is read out)."""
    if screen_reader:
        fragment = re.sub(r'<span aria-hidden="true">.*?</span>', "", fragment, flags=re.S)
    else:
        fragment = re.sub(r'<span class="visually-hidden">.*?</span>', "", fragment, flags=re.S)
    text = htmllib.unescape(re.sub(r"<[^>]+>", "", fragment))
    return re.sub(r"[ \t\r\n]+", " ", text).strip()  # no-break spaces are kept


def _overview(html: str) -> dict[str, dict]:
    """Rows of the overview table by item key: text per column, link and screen-reader text."""
    start = html.index('<section id="overview"')
    section = html[start : html.index("</section>", start)]
    heads = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', section, flags=re.S)
    assert len(heads) == len(OVERVIEW_COLUMNS)
    rows = {}
    for key, row in re.findall(r'<tr data-item="([^"]+)">(.*?)</tr>', section, flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        assert key not in rows, f"{key} is listed twice"
        rows[key] = {
            "cells": [_text(c) for c in cells],
            "spoken": [_text(c, screen_reader=True) for c in cells],
            "href": re.search(r'<a href="([^"]+)"', cells[0]).group(1),
            "order": len(rows),
        }
    rows["_heads"] = [_text(h) for h in heads]
    return rows


def _cell(row: dict, column: str) -> str:
    return row["cells"][OVERVIEW_COLUMNS.index(column)]


def _value(rows: dict[str, str], name: str) -> str:
    """The first value cell of a statistics row of an item's section."""
    return _text(re.search(r"<td[^>]*>(.*?)</td>", rows[name], flags=re.S).group(1))


def _questionnaire_order(app, cid) -> list[str]:
    with app.app_context():
        items = db.session.get(Consultation, cid).rounds[0].items
        return [i.key for i in sorted(items, key=lambda i: i.position)]


def test_overview_lists_every_question_once_in_order_and_links_to_its_section(study):
    app, cid = study
    html = _client(app).get(_url(cid)).get_data(as_text=True)
    rows = _overview(html)
    assert rows.pop("_heads") == list(OVERVIEW_COLUMNS)
    keys = _questionnaire_order(app, cid)
    assert len(keys) == 13
    assert sorted(rows, key=lambda k: rows[k]["order"]) == keys
    # the overview comes before the first question's section
    assert html.index('<section id="overview"') < html.index(f'<section id="item-{keys[0]}"')
    for key, row in rows.items():
        assert row["href"] == f"#item-{key}"
        assert html.count(f'id="item-{key}"') == 1  # the link lands on exactly one section
        title = re.search(r'<h2 id="item-[^"]+-title">(.*?)</h2>', _section(html, key))
        assert _cell(row, "Question") == _text(title.group(1))
        assert 'href="#overview"' in _section(html, key)  # and the section leads back
    assert _cell(rows["skills-needed-most"], "Type") == "open question"
    assert _cell(rows[KEY], "Type") == "rating scale"


def test_overview_figures_are_those_of_the_sections_below(study):
    app, cid = study
    results = _results(app, cid)["items"]
    html = _client(app).get(_url(cid)).get_data(as_text=True)
    rows = _overview(html)

    # a rating item: median and IQR, and the decisions, as in its section
    e, row = results[KEY], rows[KEY]
    detail = _rows(_section(html, KEY))
    assert _cell(row, "Answers") == _value(detail, "Answers") == str(e["n"])
    median, iqr = _value(detail, "Median"), _value(detail, "Interquartile range")
    assert (median, iqr) == (f"{e['median']:.2f}", f"{e['iqr']:.2f}")
    assert _cell(row, "Main figure") == f"Median {median}, IQR {iqr}"
    assert e["contested"] is True and _cell(row, "Stakeholder groups") == "Contested"
    assert _cell(row, "Stability") == "Not assessable"  # round 1: nothing to compare with
    assert (e["label"], e["settled"]) == ("unresolved", False)
    assert _cell(row, "Stopping rule") == "Unresolved · not settled"
    assert "Unresolved · not settled" in _text(_section(html, KEY))
    green = rows["green-transition-skills"]
    assert results["green-transition-skills"]["consensus_status"] == "in"
    assert _cell(green, "Consensus") == "Consensus in"

    # an estimate, with its unit
    e = results["employment-change-2033"]
    detail = _rows(_section(html, "employment-change-2033"))
    figure = _cell(rows["employment-change-2033"], "Main figure")
    assert figure.startswith(
        f"Median {_value(detail, 'Median')}, IQR {_value(detail, 'Interquartile range')}"
    )
    assert f"Median {e['median']:.2f}, IQR {e['iqr']:.2f} (unit: %)" == figure
    assert _cell(rows["employment-change-2033"], "Consensus") == "–"  # no consensus rule
    assert rows["employment-change-2033"]["spoken"][4] == "not applicable"

    # a ranking: the first option of "Options by mean rank", with its mean rank
    first = results["training-priorities"]["options"][0]
    detail = _rows(_section(html, "training-priorities"))
    label, rank_row = next(iter(detail.items()))
    assert first["mean_rank"] < results["training-priorities"]["options"][1]["mean_rank"]
    assert _value(detail, label) == f"{first['mean_rank']:.2f}"
    w = results["training-priorities"]["w"]
    assert _cell(rows["training-priorities"], "Main figure") == (
        f"Ranked first: {label} (mean rank {first['mean_rank']:.2f}); Kendall's W {w:.2f}"
    )

    # a choice: the options marked "most chosen" (two tie here, 15 of 29), with their share
    e = results["meeting-skill-needs"]
    detail = _rows(_section(html, "meeting-skill-needs"))
    marked = [name for name in detail if name.endswith("(most chosen)")]
    assert [e["counts"][k] for k in ("hiring", "technology")] == [15, 15]
    assert len(marked) == 2
    options = ", ".join(name.removesuffix(" (most chosen)") for name in marked)
    shares = {_text(re.findall(r"<td[^>]*>(.*?)</td>", detail[m], flags=re.S)[1]) for m in marked}
    assert shares == {f"{round(e['top_share'] * 100)}%"} == {"52%"}
    assert _cell(rows["meeting-skill-needs"], "Main figure") == (
        f"Most chosen, tied: {options} (52% each)"
    )

    # an open question: its written answers
    assert _cell(rows["skills-needed-most"], "Answers") == "29"
    assert "29 written answers." in _section(html, "skills-needed-most")


def test_overview_shows_no_figure_of_a_suppressed_question(study):
    app, cid = study
    results = _results(app, cid)["items"]
    html = _client(app).get(_url(cid)).get_data(as_text=True)
    row = _overview(html)["customer-communication"]
    e = results["customer-communication"]
    assert e["suppressed"] is True
    assert _cell(row, "Main figure") == "suppressed (fewer than 5 answers)"
    assert row["spoken"][2] == "withheld" and _cell(row, "Answers") == "–"
    assert re.findall(r"\d+", " ".join(row["cells"][1:])) == ["5"]  # the threshold, no count
    # the decision is kept, and the section below shows it too
    section = _text(_section(html, "customer-communication"))
    assert _cell(row, "Consensus") == "Too few answers"
    assert "Too few answers for a consensus decision" in section
    assert _cell(row, "Stopping rule") in section


@pytest.mark.parametrize(
    ("lang", "answers", "median_row"),
    [("de", "Antworten", "Median"), ("fr", "Réponses", "Médiane")],
)
def test_overview_reads_in_german_and_french(study, lang, answers, median_row):
    app, cid = study
    results = _results(app, cid)["items"]
    html = _client(app).get(_url(cid) + f"?lang={lang}").get_data(as_text=True)
    rows = _overview(html)
    assert rows.pop("_heads")[2] == answers
    e = results[KEY]
    median = f"{e['median']:.2f}".replace(".", ",")  # decimal comma
    iqr = f"{e['iqr']:.2f}".replace(".", ",")
    figure = rows[KEY]["cells"][3]
    assert median in figure and iqr in figure and "." not in figure
    detail = _rows(_section(html, KEY))
    assert _value(detail, median_row) == median
    # 52 % with the language's no-break space before the sign, as in the section below
    share = re.search(r"(52\W%)", rows["meeting-skill-needs"]["cells"][3]).group(1)
    assert share[2] in "\u00a0\u202f"
    assert share in _text(_section(html, "meeting-skill-needs"))
    rank = f"{results['training-priorities']['options'][0]['mean_rank']:.2f}".replace(".", ",")
    assert rank in rows["training-priorities"]["cells"][3]
    estimate = results["employment-change-2033"]
    assert f"{estimate['median']:.2f}".replace(".", ",").replace("-", "\u2212") in (
        rows["employment-change-2033"]["cells"][3].replace("-", "\u2212")
    )
