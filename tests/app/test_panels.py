"""Building the panel: form, CSV/XLSX upload, quotas, export, tracking and access."""

from __future__ import annotations

import ast
import csv
import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.consultations.keys import pseudonym
from app.consultations.models import (
    Consultation,
    Response,
    ResponseStatus,
    RoundStatus,
    StakeholderGroup,
)
from app.database import utcnow
from app.errors import InvalidInput
from app.exports import csv_bytes, safe_cell
from app.extensions import db
from app.panels import services
from app.panels.models import GroupQuota, Invitation, Panellist, Participation
from app.panels.parse import (
    GROUP_VALUES,
    MAX_ZIP_ENTRIES,
    Decisions,
    PanelPreview,
    Problem,
    match_group,
    parse_panel_file,
)
from app.panels.tokens import redeem
from app.panels.tracking import tracking
from tests.app.factories import build_study, sign_in

APP = Path(__file__).resolve().parents[2] / "app"

GOOD_CSV = (
    "name,email,organisation,stakeholder_group,language\n"
    "Anna Schmidt,anna@example.de,Bau AG,employers,de\n"
    "Ben Jones,ben@example.org,Union,Trade union,en\n"
    "Chloé Martin,chloe@example.org,,Education provider,\n"
)

BAD_CSV = (
    "Name;E-Mail;Organisation;Stakeholder Group;Language\n"
    "Anna Schmidt;anna@example.de;Bau AG;Employers;de\n"
    "Broken;x@;;employers;en\n"
    "Carl;carl@example.org;;ministers;en\n"
    "Dora;dora@example.org;;other-experts;es\n"
    "Anna again;ANNA@example.de;;employers;de\n"
    "Eve;eve@example.org;;Workers' representatives;en\n"
)


@pytest.fixture
def app(make_app, tmp_path):
    """Uploaded files wait for confirmation in a temporary folder."""
    return make_app(UPLOAD_DIR=str(tmp_path / "uploads"))


@pytest.fixture
def study(app):
    return build_study(
        app,
        panellists=[
            {"name": "Existing", "email": "existing@example.org"},
        ],
    )


@pytest.fixture
def staff_client(app, study):
    client = app.test_client()
    sign_in(client, study.secretariat)
    return client


def _url(study, tail: str = "") -> str:
    return f"/staff/consultations/{study.consultation}/panel{tail}"


def _upload(client, study, data: bytes, filename: str):
    return client.post(
        _url(study, "/upload"),
        data={"upload-file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _emails(app, study) -> list[str]:
    with app.app_context():
        return sorted(
            db.session.scalars(
                select(Panellist.email).where(Panellist.consultation_id == study.consultation)
            )
        )


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    workbook.close()
    return out.getvalue()


# ----------------------------------------------------------------------------- parsing (pure)


def test_parse_is_pure():
    """STYLE.md 2: the parser imports no Flask, SQLAlchemy or extensions."""
    tree = ast.parse((APP / "panels" / "parse.py").read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names] + [
        n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
    ]
    assert not [n for n in names if n.split(".")[0] in ("flask", "sqlalchemy", "werkzeug")]
    assert not [n for n in names if n.startswith(("app.extensions", "app.consultations"))]


def test_group_values_match_the_model():
    assert set(GROUP_VALUES) == {g.value for g in StakeholderGroup}


@pytest.mark.parametrize(
    ("label", "group"),
    [
        ("Employers", "employers"),
        ("employers", "employers"),
        ("Trade union", "workers-representatives"),
        ("Workers’ representatives", "workers-representatives"),
        ("WORKERS-REPRESENTATIVES", "workers-representatives"),
        ("Education provider", "education-providers"),
        ("Education and training providers", "education-providers"),
        ("Public authorities", "public-authorities"),
        ("Other experts", "other-experts"),
        ("Gewerkschaft", "workers-representatives"),
        ("ministers", None),
        ("", None),
    ],
)
def test_stakeholder_groups_by_value_or_label(label, group):
    assert match_group(label) == group


def test_problems_name_row_and_column():
    preview = parse_panel_file("panel.csv", BAD_CSV.encode(), languages=("en", "de"))
    messages = [str(p) for p in preview.problems]
    assert messages == [
        "row 3, column `email`: 'x@' is not an e-mail address",
        "row 4, column `stakeholder_group`: 'ministers' is not a stakeholder group (use one "
        "of employers, workers-representatives, education-providers, public-authorities, "
        "other-experts)",
    ]
    # Spanish is not offered: a fallback at import, no problem; rows 2 and 6 share an address
    assert [r.email for r in preview.valid_rows] == ["dora@example.org", "eve@example.org"]
    assert [r.row for r in preview.fallback_rows()] == [5]
    assert [[r.row for r in c.rows] for c in preview.conflicts] == [[2, 6]]
    assert preview.valid_rows[1].stakeholder_group == "workers-representatives"
    assert preview.total_rows == 6 and preview.rows_with_problems == 2
    # the message is a message id with its values, translated where it is shown
    assert preview.problems[0] == Problem(
        "'%(value)s' is not an e-mail address",
        field="email",
        row=3,
        column="email",
        params={"value": "x@"},
    )


def test_csv_with_bom_semicolons_and_quoted_fields():
    data = (
        "\ufeffNAME;Email;Group;Lang\r\n"
        '"Smith; John";john@example.org;Employers;EN\r\n'
        "\r\n"
        "Jane;jane@example.org;Public authority;de\r\n"
    ).encode()
    preview = parse_panel_file("p.csv", data, languages=("en", "de"))
    assert preview.problems == ()
    assert [(r.row, r.name, r.language) for r in preview.valid_rows] == [
        (2, "Smith; John", "en"),
        (4, "Jane", "de"),
    ]
    assert preview.valid_rows[0].organisation == ""


def test_blank_language_means_the_default_language():
    preview = parse_panel_file(
        "p.csv", GOOD_CSV.encode(), languages=("en", "de"), default_language="en"
    )
    assert preview.ok
    assert preview.valid_rows[2].language == "en"


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("p.csv", b"", "the file is empty"),
        ("p.csv", b"name,email,stakeholder_group\n", "a header row but no panellists"),
        ("p.csv", "name,email\nAnna,ä@x.org\n".encode("latin-1"), "not UTF-8 text"),
        ("p.csv", b"PK\x03\x04rest", "not CSV text"),
        ("p.txt", b"name\n", "must be a .csv (UTF-8) or an .xlsx workbook"),
        ("p.xlsm", b"PK\x03\x04", "macro-enabled workbooks (.xlsm) are not accepted"),
        ("p.xlsx", b"name,email\n", "not an .xlsx workbook"),
        ("p.xlsx", b"\xd0\xcf\x11\xe0rest", "old Excel workbook (.xls)"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(filename, data, message):
    preview = parse_panel_file(filename, data, languages=("en",))
    assert not preview.valid_rows
    assert len(preview.problems) == 1 and message in str(preview.problems[0])


def test_missing_required_column_is_named():
    preview = parse_panel_file("p.csv", b"name,mail address,language\nA,a@example.org,en\n")
    assert [str(p) for p in preview.problems] == [
        "row 1, column `stakeholder_group`: the column is missing; the header row needs "
        "`name`, `email`, `organisation`, `stakeholder_group`, `language`"
    ]


def test_unknown_columns_are_noted_not_refused():
    data = b"name,email,stakeholder_group,notes\nA,a@example.org,employers,x\n"
    preview = parse_panel_file("p.csv", data, languages=("en",), default_language="en")
    assert preview.ok and [str(n) for n in preview.notes] == ["column `notes` is not used"]


def test_row_limit():
    data = (
        "name,email,stakeholder_group\n"
        + "".join(f"P{i},p{i}@example.org,employers\n" for i in range(4))
    ).encode()
    preview = parse_panel_file("p.csv", data, default_language="en", max_rows=3)
    assert not preview.valid_rows
    assert "more than 3 rows" in str(preview.problems[-1])


def test_s12_a_file_of_many_bad_rows_lists_the_first_problems_and_counts_all():
    """The preview that travels back from the parser's child process stays small."""
    data = (
        "name,email,stakeholder_group\n"
        + "".join(f"P{i},bad{i}@,employers\n" for i in range(1500))
        + "Ok,ok@example.org,employers\n"
    ).encode()
    preview = parse_panel_file("p.csv", data, default_language="en", max_problems=1000)
    assert len(preview.problems) == 1000 and preview.problems[-1].row == 1001
    assert (preview.problem_count, preview.rows_with_problems) == (1500, 1500)
    assert [r.email for r in preview.valid_rows] == ["ok@example.org"]
    assert PanelPreview.from_json(json.loads(json.dumps(preview.to_json()))) == preview
    with pytest.raises(ValueError):
        PanelPreview.from_json({**preview.to_json(), "schema": 99})


def test_xlsx_rows_and_problems():
    data = _xlsx(
        [
            ["Name", "E-mail", "Organisation", "Stakeholder group", "Language"],
            ["Anna", "anna@example.de", "Bau AG", "Employers", "de"],
            ["Ben", "not-an-address", None, "employers", "en"],
            [None, None, None, None, None],
            ["Cleo", "cleo@example.org", 4711, "Other experts", "EN"],
        ]
    )
    preview = parse_panel_file("panel.xlsx", data, languages=("en", "de"))
    assert [str(p) for p in preview.problems] == [
        "row 3, column `email`: 'not-an-address' is not an e-mail address"
    ]
    assert [(r.row, r.email, r.organisation) for r in preview.valid_rows] == [
        (2, "anna@example.de", "Bau AG"),
        (5, "cleo@example.org", "4711"),
    ]


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_xlsx_with_too_many_entries_is_refused_before_opening():
    data = _zip({f"xl/part{i}.xml": b"<x/>" for i in range(MAX_ZIP_ENTRIES + 1)})
    preview = parse_panel_file("bomb.xlsx", data)
    assert "holds 201 parts; at most 200 are accepted" in str(preview.problems[0])


def test_xlsx_unpacking_to_more_than_50_mib_is_refused():
    data = _zip({"[Content_Types].xml": b"", "xl/workbook.xml": b"\0" * (51 * 1024 * 1024)})
    assert len(data) < 1024 * 1024
    preview = parse_panel_file("bomb.xlsx", data)
    assert "unpacks to 51.0 MiB; at most 50 MiB are accepted" in str(preview.problems[0])


def test_xlsx_with_macros_or_symlinks_is_refused():
    good = _xlsx([["name", "email", "stakeholder_group"], ["A", "a@example.org", "employers"]])
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        entries = {i.filename: archive.read(i) for i in archive.infolist()}
    macro = _zip({**entries, "xl/vbaProject.bin": b"\0"})
    assert "contains macros" in str(parse_panel_file("renamed.xlsx", macro).problems[0])

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
        link = zipfile.ZipInfo("xl/link")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
    assert "symbolic link" in str(parse_panel_file("link.xlsx", out.getvalue()).problems[0])


def test_damaged_xlsx_is_a_problem_not_an_exception():
    data = _zip({"[Content_Types].xml": b"<broken", "xl/workbook.xml": b"<broken"})
    preview = parse_panel_file("broken.xlsx", data)
    assert "not a readable .xlsx workbook" in str(preview.problems[0])


# ----------------------------------------------------------------------------- pages


def test_panel_page_lists_groups_quotas_and_panellists(staff_client, study):
    page = staff_client.get(_url(study))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Existing" in html and "existing@example.org" in html
    assert "<caption" in html and 'scope="col"' in html
    assert 'for="add-email"' in html and 'for="upload-file"' in html
    assert page.headers["Cache-Control"] == "no-store"
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "duplicate element ids"


def test_add_panellist_by_form(app, staff_client, study):
    response = staff_client.post(
        _url(study, "/add"),
        data={
            "add-name": "Maria Rossi",
            "add-email": " Maria@Example.ORG ",
            "add-organisation": "Edilizia",
            "add-stakeholder_group": "public-authorities",
            "add-language": "de",
        },
    )
    assert response.status_code == 303
    assert "Maria Rossi was added to the panel." in staff_client.get(_url(study)).get_data(
        as_text=True
    )
    with app.app_context():
        maria = db.session.scalars(select(Panellist).where(Panellist.name == "Maria Rossi")).one()
        assert (maria.email, maria.email_key) == ("Maria@example.org", "maria@example.org")
        assert maria.stakeholder_group is StakeholderGroup.public_authorities


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("add-email", "x@", "&#39;x@&#39; is not an e-mail address"),
        ("add-email", "existing@example.org", "existing@example.org&#39; is already on the panel"),
        ("add-language", "fr", "Not a valid choice"),
        ("add-name", "", "Enter the panellist's name."),
    ],
)
def test_add_panellist_errors_name_the_field(app, staff_client, study, field, value, message):
    data = {
        "add-name": "Someone",
        "add-email": "someone@example.org",
        "add-stakeholder_group": "employers",
        "add-language": "en",
        field: value,
    }
    response = staff_client.post(_url(study, "/add"), data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "There is a problem" in html
    assert f'href="#{field}"' in html
    assert _emails(app, study) == ["existing@example.org"]


def test_an_address_is_kept_as_typed_and_on_the_panel_once_whatever_its_case(
    app, staff_client, study
):
    from tests.app.factories import make_panellist

    response = staff_client.post(
        _url(study, "/add"),
        data={
            "add-name": "Shouting",
            "add-email": "EXISTING@Example.ORG",
            "add-stakeholder_group": "employers",
            "add-language": "en",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "EXISTING@example.org" in html and "is already on the panel" in html
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        with pytest.raises(IntegrityError), db.session.begin_nested():
            make_panellist(consultation, email="Existing@EXAMPLE.org")
        person = make_panellist(consultation, email="Maria@Example.org")
        assert (person.email, person.email_key) == ("Maria@Example.org", "maria@example.org")
    assert _emails(app, study) == ["existing@example.org"]


def test_add_panellist_service_checks_the_questionnaire_languages(app, study):
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        with pytest.raises(InvalidInput) as caught:
            services.add_panellist(
                consultation, "A", "a@example.org", "", "Trade union", "fr", by="test"
            )
        assert [str(p) for p in caught.value.problems] == [
            "language: 'fr' is not one of the questionnaire's languages (en, de)"
        ]
        assert caught.value.problems[0].field == "language"
        added = services.add_panellist(
            consultation, "A", "a@example.org", "", "Trade union", "de", by="test"
        )
        assert added.stakeholder_group is StakeholderGroup.workers_representatives


def test_language_falls_back_to_the_configured_languages(app, study):
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        consultation.questionnaire.spec = {"key": "x"}  # no languages declared
        assert services.consultation_languages(consultation) == tuple(app.config["LANGUAGES"])
        assert "es" in services.consultation_languages(consultation)


def test_upload_clean_csv_preview_then_import(app, staff_client, study):
    response = _upload(staff_client, study, GOOD_CSV.encode(), "panel.csv")
    assert response.status_code == 303
    preview_url = response.headers["Location"]
    preview = staff_client.get(preview_url)
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "Import all 3 panellists" in html and "Chloé Martin" in html
    assert _emails(app, study) == ["existing@example.org"]  # nothing saved by the preview

    done = staff_client.post(preview_url + "/import", data={"mode": "all"})
    assert done.status_code == 303
    assert "3 panellists were imported." in staff_client.get(_url(study)).get_data(as_text=True)
    assert _emails(app, study) == [
        "anna@example.de",
        "ben@example.org",
        "chloe@example.org",
        "existing@example.org",
    ]
    # the kept file is gone: importing again is refused
    again = staff_client.post(preview_url + "/import", data={"mode": "all"})
    assert again.status_code == 303
    assert len(_emails(app, study)) == 4


def test_upload_with_bad_rows_imports_nothing_until_only_valid_is_chosen(app, staff_client, study):
    data = (BAD_CSV + "Frank;existing@example.org;;employers;en\n").encode()
    response = _upload(staff_client, study, data, "panel.csv")
    assert response.status_code == 303
    preview_url = response.headers["Location"]
    html = staff_client.get(preview_url).get_data(as_text=True)
    assert "row 3, column `email`: &#39;x@&#39; is not an e-mail address" in html
    assert "Row 8: the e-mail address existing@example.org is already on the panel" in html
    assert "Import only the valid rows, as chosen" in html

    refused = staff_client.post(preview_url + "/import", data={"mode": "all"})
    assert refused.status_code == 422
    assert "nothing was imported, because the file has problems (2 found)" in (
        refused.get_data(as_text=True)
    )
    assert _emails(app, study) == ["existing@example.org"]

    choices = {"mode": "valid", "repeated": "first", "on_panel": "skip"}
    done = staff_client.post(preview_url + "/import", data=choices)
    assert done.status_code == 303
    assert _emails(app, study) == [
        "anna@example.de",
        "dora@example.org",
        "eve@example.org",
        "existing@example.org",
    ]


def test_upload_xlsx(app, staff_client, study):
    data = _xlsx(
        [
            ["name", "email", "organisation", "stakeholder_group", "language"],
            ["Anna", "anna@example.de", "Bau AG", "Employers", "de"],
            ["Bad", "bad@", "", "Employers", "de"],
        ]
    )
    response = _upload(staff_client, study, data, "Panel.XLSX")
    preview_url = response.headers["Location"]
    html = staff_client.get(preview_url).get_data(as_text=True)
    assert "row 3, column `email`: &#39;bad@&#39; is not an e-mail address" in html
    staff_client.post(preview_url + "/import", data={"mode": "valid"})
    assert _emails(app, study) == ["anna@example.de", "existing@example.org"]


@pytest.mark.parametrize(
    ("filename", "data", "status", "message"),
    [
        (
            "panel.xlsm",
            b"PK\x03\x04whatever",
            422,
            "macro-enabled workbooks (.xlsm) are not accepted",
        ),
        (
            "bomb.xlsx",
            _zip({f"x{i}": b"" for i in range(MAX_ZIP_ENTRIES + 1)}),
            413,  # a count beyond a limit (SECURITY.md S12)
            "holds 201 parts; at most 200 are accepted",
        ),
        ("empty.csv", b"", 422, "the file is empty"),
    ],
)
def test_refused_uploads_answer_422_or_413_with_the_reason(
    app, staff_client, study, filename, data, status, message
):
    response = _upload(staff_client, study, data, filename)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert message in html and "Nothing in this file can be imported." in html
    assert _emails(app, study) == ["existing@example.org"]


def test_upload_without_a_file_is_422(staff_client, study):
    response = staff_client.post(_url(study, "/upload"), data={})
    assert response.status_code == 422
    assert "Choose a file to upload." in response.get_data(as_text=True)


def test_oversized_upload_is_413(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    study = build_study(app)
    client = app.test_client()
    sign_in(client, study.secretariat)
    response = _upload(client, study, b"x" * 4096, "big.csv")
    assert response.status_code == 413


def _kept_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != ".lock")


def test_cancel_discards_the_kept_file(app, staff_client, study, tmp_path):
    response = _upload(staff_client, study, GOOD_CSV.encode(), "panel.csv")
    preview_url = response.headers["Location"]
    kept = _kept_files(tmp_path / "uploads")
    upload_id = preview_url.rsplit("/", 1)[1]
    # the file and its preview, in the council's folder, readable by the server only
    assert [p.name for p in kept] == [f"{upload_id}.json", f"{upload_id}.upload"]
    assert {p.parent.name for p in kept} == {f"council-{study.council}"}
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in kept)
    assert staff_client.post(preview_url + "/cancel").status_code == 303
    assert _kept_files(tmp_path / "uploads") == []
    assert staff_client.get(preview_url).status_code == 303
    assert staff_client.post(preview_url + "/import", data={"mode": "all"}).status_code == 303
    assert _emails(app, study) == ["existing@example.org"]


def test_import_service_is_all_or_nothing(app, study):
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        preview = services.preview_panel_file(consultation, "p.csv", BAD_CSV.encode())
        with pytest.raises(InvalidInput, match=r"problems \(2 found\)"):
            services.import_panel(consultation, preview, only_valid=False, by="test")
        with pytest.raises(InvalidInput, match="choose what to do with each e-mail address"):
            services.import_panel(consultation, preview, only_valid=True, by="test")
        first = Decisions(repeated="first")
        report = services.import_panel(
            consultation, preview, only_valid=True, by="test", decisions=first
        )
        assert (report.added, report.updated, report.skipped) == (3, 0, 1)
        # the same preview again: the panel changed, nothing more is imported
        with pytest.raises(InvalidInput, match="panel changed"):
            services.import_panel(
                consultation, preview, only_valid=True, by="test", decisions=first
            )
        db.session.commit()
        count = db.session.scalar(select(func.count()).select_from(Panellist))
        assert count == 4


# ----------------------------------------------------------------------------- quotas


def test_quotas_and_gaps(app, staff_client, study):
    response = staff_client.post(
        _url(study, "/quotas"),
        data={"quota-target_employers": "4", "quota-target_public_authorities": "2"},
    )
    assert response.status_code == 303
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        gaps = {g.group: g for g in services.quota_gaps(consultation)}
        assert (
            gaps[StakeholderGroup.employers].target,
            gaps[StakeholderGroup.employers].current,
        ) == (4, 1)
        assert gaps[StakeholderGroup.employers].gap == 3
        assert gaps[StakeholderGroup.public_authorities].gap == 2
        assert gaps[StakeholderGroup.other_experts].target is None
        assert gaps[StakeholderGroup.other_experts].gap is None
        services.set_quota(consultation, "employers", None, by="test")
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(GroupQuota)) == 1
    html = staff_client.get(_url(study)).get_data(as_text=True)
    assert "The targets were saved." in html


def test_bad_quota_is_422(app, staff_client, study):
    response = staff_client.post(_url(study, "/quotas"), data={"quota-target_employers": "-3"})
    assert response.status_code == 422
    assert "Enter a whole number from 0 to 100000." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(GroupQuota)).all() == []
        with pytest.raises(InvalidInput, match="target"):
            services.set_quota(
                db.session.get(Consultation, study.consultation), "employers", 10**9, by="t"
            )


# ----------------------------------------------------------------------------- export


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("  =cmd", "'  =cmd"),
        ("+49 30 1234", "'+49 30 1234"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\0x", "'\0x"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (-3.5, -3.5),
        (42, 42),
        (None, None),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_csv_bytes_guards_headers_too():
    text = csv_bytes(["=h", "ok"], [["-1", -1]]).decode("utf-8-sig")
    assert text == "'=h,ok\r\n'-1,-1\r\n"


def test_mail_merge_export_is_formula_safe_and_issues_new_links(app, staff_client, study):
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        services.add_panellist(
            consultation,
            '=HYPERLINK("http://evil.example","click")',
            "formula@example.org",
            "",
            "employers",
            "de",
            by="test",
        )
        db.session.commit()
    response = staff_client.post(_url(study, "/invitations/export"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["email"] for r in rows] == ["formula@example.org", "existing@example.org"]
    assert rows[0]["name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows[0]["language"] == "de"
    for row in rows:
        assert row["link"].startswith("http://skillsdelphi.test/i?t=")
    token = rows[1]["link"].split("t=")[1]
    with app.app_context():
        assert redeem(token).email == "existing@example.org"
        assert len(db.session.scalars(select(Invitation)).all()) == 2
        invited = db.session.scalars(select(Participation.invited_on)).all()
        assert invited == [utcnow().date()] * 2
    # downloading again ends the links of the first file
    staff_client.post(_url(study, "/invitations/export"))
    with app.app_context():
        assert redeem(token) is None


# ----------------------------------------------------------------------------- tracking


def test_tracking_counts_per_round_group_and_attrition(make_app):
    app = make_app()
    groups = [StakeholderGroup.employers] * 3 + [StakeholderGroup.other_experts] * 2
    study = build_study(
        app,
        rounds=[RoundStatus.closed, RoundStatus.open],
        panellists=[{"group": g} for g in groups],
    )
    day = utcnow().date()
    r1, r2 = study.rounds
    p = study.panellists
    with app.app_context():
        rows = [
            # round 1 (closed): all invited; 3 started and submitted (p0, p1 employers;
            # p3 expert), as written when the round closed
            *(Participation(panellist_id=i, round_id=r1, invited_on=day) for i in (p[2], p[4])),
            *(
                Participation(
                    panellist_id=i, round_id=r1, invited_on=day, started=True, completed=True
                )
                for i in (p[0], p[1], p[3])
            ),
            # round 2 (open): invited p0, p1, p3; what they did is in their responses only
            *(
                Participation(panellist_id=i, round_id=r2, invited_on=day)
                for i in (p[0], p[1], p[3])
            ),
        ]
        db.session.add_all(rows)
        # round 2: p0 submitted again, p1 only saved a draft, p3 did not come back
        for pid, status in ((p[0], ResponseStatus.submitted), (p[1], ResponseStatus.draft)):
            db.session.add(
                Response(
                    round_id=r2,
                    respondent_pseudonym=pseudonym(study.consultation, pid),
                    stakeholder_group=StakeholderGroup.employers,
                    status=status,
                )
            )
        db.session.commit()
        first, second = tracking(db.session.get(Consultation, study.consultation))
    employers, experts = StakeholderGroup.employers, StakeholderGroup.other_experts
    assert first.number == 1 and first.attrition is None
    assert (first.groups[employers].invited, first.groups[employers].submitted) == (3, 2)
    assert first.groups[employers].response_rate == pytest.approx(2 / 3)
    assert (first.groups[experts].invited, first.groups[experts].submitted) == (2, 1)
    assert first.groups[StakeholderGroup.public_authorities].response_rate is None
    assert (first.total.invited, first.total.started, first.total.submitted) == (5, 3, 3)
    assert (second.total.invited, second.total.started, second.total.submitted) == (3, 2, 1)
    assert second.groups[employers].started == 2 and second.groups[experts].started == 0
    assert (second.attrition[employers].previous, second.attrition[employers].dropped) == (2, 1)
    assert (second.attrition[experts].previous, second.attrition[experts].dropped) == (1, 1)
    assert (second.attrition_total.previous, second.attrition_total.dropped) == (3, 2)

    client = app.test_client()
    sign_in(client, study.secretariat)
    page = client.get(f"/staff/consultations/{study.consultation}/tracking")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Attrition from round 1 to round 2" in html
    assert "67%" in html  # employers' response rate in round 1
    assert "Panellist" not in html  # counts only, no names


# ----------------------------------------------------------------------------- access


def _routes(study):
    c = study.consultation
    p = study.panellists[0]
    base = f"/staff/consultations/{c}"
    gets = [f"{base}/panel", f"{base}/tracking", f"{base}/panel/upload/{'0' * 32}"]
    posts = [
        f"{base}/panel/add",
        f"{base}/panel/quotas",
        f"{base}/panel/upload",
        f"{base}/panel/upload/{'0' * 32}/import",
        f"{base}/panel/upload/{'0' * 32}/cancel",
        f"{base}/panel/invitations/send",
        f"{base}/panel/invitations/remind",
        f"{base}/panel/invitations/export",
        f"{base}/panel/{p}/revoke",
        f"{base}/panel/{p}/reissue",
    ]
    return gets, posts


def test_another_councils_secretariat_gets_404(app, study):
    client = app.test_client()
    sign_in(client, study.other_secretariat)
    gets, posts = _routes(study)
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url, data={"scope": "all", "mode": "all"}).status_code == 404, url
    with app.app_context():
        assert db.session.scalars(select(Invitation)).all() == []


@pytest.mark.parametrize("role", ["official", "admin"])
def test_officials_and_admins_get_403(app, study, role):
    client = app.test_client()
    sign_in(client, getattr(study, role))
    gets, posts = _routes(study)
    for url in gets:
        assert client.get(url).status_code == 403, url
    for url in posts:
        assert client.post(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_sign_in(client, study):
    gets, posts = _routes(study)
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    for url in posts:
        assert client.post(url).status_code == 401


def test_a_panellist_from_another_consultation_is_not_found(app, staff_client, study):
    from tests.app.factories import make_consultation, make_panellist

    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        stranger = make_panellist(make_consultation(consultation.council))
        db.session.commit()
        stranger_id = stranger.id
    url = _url(study, f"/{stranger_id}/revoke")
    assert staff_client.post(url).status_code == 404
    send = staff_client.post(
        _url(study, "/invitations/send"), data={"scope": "selected", "panellist": [stranger_id]}
    )
    assert send.status_code == 404


def test_forms_and_buttons_work_with_csrf_protection(make_app, tmp_path):
    from tests.app.factories import PASSWORD

    app = make_app(WTF_CSRF_ENABLED=True, PANEL_UPLOAD_DIR=str(tmp_path))
    study = build_study(app, panellists=[{"name": "Existing", "email": "existing@example.org"}])
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)[1]
    client.post(
        "/login", data={"email": study.secretariat, "password": PASSWORD, "csrf_token": token}
    )
    page = client.get(_url(study)).get_data(as_text=True)
    person = {
        "add-name": "New",
        "add-email": "new@example.org",
        "add-stakeholder_group": "employers",
        "add-language": "en",
    }
    assert client.post(_url(study, "/add"), data=person).status_code == 400
    assert _emails(app, study) == ["existing@example.org"]
    add_token = re.search(r'name="add-csrf_token" type="hidden" value="([^"]+)"', page)[1]
    added = client.post(_url(study, "/add"), data={**person, "add-csrf_token": add_token})
    assert added.status_code == 303
    assert _emails(app, study) == ["existing@example.org", "new@example.org"]

    button_token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    revoke = _url(study, f"/{study.panellists[0]}/revoke")
    assert client.post(revoke).status_code == 400
    assert client.post(revoke, data={"csrf_token": button_token}).status_code == 303
    upload_token = re.search(r'name="upload-csrf_token" type="hidden" value="([^"]+)"', page)[1]
    uploaded = client.post(
        _url(study, "/upload"),
        data={
            "upload-file": (io.BytesIO(GOOD_CSV.encode()), "p.csv"),
            "upload-csrf_token": upload_token,
        },
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 303


def test_absurd_ids_and_pages_are_404_or_clamped_not_500(staff_client, study):
    huge = "9" * 25
    assert staff_client.get(f"/staff/consultations/{huge}/panel").status_code == 404
    assert staff_client.get(f"/staff/consultations/{huge}/tracking").status_code == 404
    assert staff_client.post(_url(study, f"/{huge}/revoke")).status_code == 404
    assert staff_client.post(_url(study, "/2147483648/reissue")).status_code == 404
    send = staff_client.post(
        _url(study, "/invitations/send"), data={"scope": "selected", "panellist": [huge, "x"]}
    )
    assert send.status_code == 303
    page = staff_client.get(_url(study, f"?page={huge}"))
    assert page.status_code == 200 and "existing@example.org" in page.get_data(as_text=True)
    assert staff_client.get(_url(study, "/upload/..%2F..%2Fetc")).status_code in (303, 404)


def test_a_failed_form_keeps_the_other_forms_filled(staff_client, study):
    staff_client.post(_url(study, "/quotas"), data={"quota-target_employers": "4"})
    response = staff_client.post(_url(study, "/add"), data={"add-name": "No address"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="quota-target_employers"[^>]*value="4"', html)
    assert 'value="No address"' in html
