"""The officials' forecast pages: upload a table and a profile, see the preview with every
problem by row and column, confirm, and read the dataset's provenance; nobody else imports."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from app.forecasts.models import ForecastDataset, ForecastValue
from tests.app.factories import make_staff, sign_in
from tests.app.test_forecast_cli import BAD, GOOD, LONG_PROFILE
from tests.conftest import shared_file


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(UPLOAD_DIR=str(tmp_path / "uploads"))


def _client(app, role=Role.official):
    with app.app_context():
        email = make_staff(role).email
        db.session.commit()
    client = app.test_client()
    sign_in(client, email)
    return client


def _upload(client, data: bytes, filename="table.csv", **fields):
    form = {
        "file": (io.BytesIO(data), filename),
        "profile": "__uploaded__",
        "profile_file": (io.BytesIO(LONG_PROFILE.encode()), "test-long.yaml"),
    }
    form.update(fields)
    return client.post("/staff/forecasts/import", data=form, content_type="multipart/form-data")


def _counts(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(ForecastDataset)),
            db.session.scalar(select(func.count()).select_from(ForecastValue)),
        )


def test_an_official_uploads_previews_and_imports(app):
    client = _client(app)
    assert client.get("/staff").status_code == 200
    assert "/staff/forecasts/import" in client.get("/staff").get_data(as_text=True)
    assert client.get("/staff/forecasts/import").status_code == 200
    response = _upload(client, GOOD.encode(), title="Corrected title", caveats="One.\nTwo.")
    assert response.status_code == 303, response.get_data(as_text=True)
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "3 values read" in page
    assert "Corrected title" in page  # the provenance as it will be stored
    assert "8,277.5" in page
    assert _counts(app) == (0, 0)
    upload_id = preview_url.rsplit("/", 1)[-1]
    response = client.post(f"/staff/forecasts/import/{upload_id}/confirm")
    assert response.status_code == 303
    with app.app_context():
        dataset = db.session.scalars(select(ForecastDataset)).one()
        assert dataset.title == "Corrected title"
        assert dataset.caveats == ["One.", "Two."]
        assert dataset.publisher == "Test Statistics Office"  # as the profile says
    # the import's page: done (it ran after the request; inline under tests)
    assert response.headers["Location"].endswith(f"/import/{upload_id}/progress")
    status = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 values were imported." in status
    assert 'http-equiv="refresh"' not in status  # it has ended
    assert f'href="/staff/forecasts/{dataset.id}"' in status
    page = client.get(f"/staff/forecasts/{dataset.id}").get_data(as_text=True)
    assert "Corrected title" in page and dataset.source_hash in page
    assert "No consultation uses this dataset yet." in page
    assert "Corrected title" in client.get("/staff/forecasts").get_data(as_text=True)
    # the kept upload is gone once imported
    assert client.post(f"/staff/forecasts/import/{upload_id}/confirm").status_code == 303
    assert _counts(app) == (1, 3)


def test_the_preview_names_every_problem_by_row_and_column(app):
    client = _client(app)
    response = _upload(client, BAD.encode())
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 problem found" in page
    assert "row 5, column `E (value)`: lots is not a number" in page
    assert "/confirm" not in page  # nothing to confirm
    upload_id = response.headers["Location"].rsplit("/", 1)[-1]
    refused = client.post(f"/staff/forecasts/import/{upload_id}/confirm")
    assert refused.status_code == 422
    assert "row 5, column `E (value)`" in refused.get_data(as_text=True)
    assert _counts(app) == (0, 0)


def test_a_broken_profile_is_shown_on_the_form(app):
    client = _client(app)
    response = _upload(
        client,
        GOOD.encode(),
        profile_file=(io.BytesIO(b"format_version: 1\nname: x\n"), "x.yaml"),
    )
    assert response.status_code == 422
    assert "There is a problem" in response.get_data(as_text=True)


def test_bad_provenance_corrections_are_problems_of_the_preview(app):
    client = _client(app)
    response = _upload(client, GOOD.encode(), base_year="2040", horizon_year="2030")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "the horizon year comes before the base year" in page
    assert "/confirm" not in page


def test_a_file_imported_before_is_recognised_at_upload(app):
    client = _client(app)
    location = _upload(client, GOOD.encode()).headers["Location"]
    client.post(location + "/confirm")
    again = _upload(client, GOOD.encode(), filename="other-name.csv")
    assert again.status_code == 303
    assert re.search(r"/staff/forecasts/\d+$", again.headers["Location"])
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "already imported with this profile as dataset" in page
    assert _counts(app) == (1, 3)


def test_an_upload_that_is_not_a_table_is_refused(app):
    client = _client(app)
    response = _upload(client, b"PK\x03\x04not really a workbook", filename="t.xlsx")
    assert response.status_code in (413, 422)
    assert "Nothing in this file can be imported." in response.get_data(as_text=True)
    assert _counts(app) == (0, 0)


def test_discarding_an_upload(app):
    client = _client(app)
    location = _upload(client, GOOD.encode()).headers["Location"]
    assert client.post(location + "/cancel").status_code == 303
    gone = client.get(location)
    assert gone.status_code == 404 and "Upload the file again" in gone.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.secretariat, Role.publisher, Role.admin])
def test_nobody_but_officials_imports(app, role):
    client = _client(app, role)
    assert client.get("/staff/forecasts/import").status_code == 403
    assert _upload(client, GOOD.encode()).status_code == 403
    assert client.post("/staff/forecasts/import/" + "a" * 32 + "/confirm").status_code == 403
    assert _counts(app) == (0, 0)


def test_publishers_read_the_datasets_and_others_do_not(app):
    official = _client(app)
    location = _upload(official, GOOD.encode()).headers["Location"]
    official.post(location + "/confirm")
    with app.app_context():
        dataset_url = f"/staff/forecasts/{db.session.scalars(select(ForecastDataset.id)).one()}"
    publisher = _client(app, Role.publisher)
    assert publisher.get("/staff/forecasts").status_code == 200
    assert publisher.get(dataset_url).status_code == 200
    for role in (Role.secretariat, Role.admin):
        assert _client(app, role).get(dataset_url).status_code == 403
    anonymous = app.test_client()
    for url in ("/staff/forecasts", dataset_url, "/staff/forecasts/import"):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert official.get("/staff/forecasts/99999").status_code == 404


def test_a_shipped_profile_reads_a_real_bls_workbook_in_the_browser(app):
    path = shared_file("forecasts", "us_bls_ep", "bls_ep_2024-34_occupation.xlsx")
    client = _client(app)
    response = client.post(
        "/staff/forecasts/import",
        data={
            "file": (io.BytesIO(path.read_bytes()), path.name),
            "profile": "bls-ep-2024-34-table-1-10-xlsx",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "problem" not in page.lower() or "0 problems" in page
    response = client.post(response.headers["Location"] + "/confirm")
    assert response.status_code == 303
    with app.app_context():
        dataset = db.session.scalars(select(ForecastDataset)).one()
        assert dataset.row_count > 1000
        assert dataset.profile == "bls-ep-2024-34-table-1-10-xlsx"


def test_a_file_for_another_profile_says_so_once_and_shows_no_empty_sections(app):
    path = shared_file(
        "forecasts", "us_bls_ep", "bls_ep_2023-33_table_2-11_employment_and_output_by_industry.csv"
    )
    client = _client(app)
    response = client.post(
        "/staff/forecasts/import",
        data={
            "file": (io.BytesIO(path.read_bytes()), path.name),
            "profile": "bls-ep-2024-34-table-1-2-csv",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    items = re.findall(r"<li>(.*?)</li>", page.split('class="problems"')[1].split("</ul>")[0])
    assert items[0].startswith(
        "This file does not match the profile bls-ep-2024-34-table-1-2-csv: the profile "
        "expects the columns “2024 National Employment Matrix title”"
    )
    assert "the file&#39;s header (row 2) has “2023 National Employment Matrix title”" in items[0]
    missing = [i for i in items if "the header has no column" in i]
    assert len(missing) == len(set(missing)) == 15
    assert "row 2: the header has no column “Employment, 2024” (the value column" in page
    assert "`" not in page.split('class="problems"')[1].split("</ul>")[0]
    assert "Provenance that will be stored" not in page
    assert "What the table holds" not in page
    assert "The first 0 values read" not in page


def test_categories_are_shown_in_the_preview_and_on_the_dataset_page(app):
    path = shared_file(
        "forecasts", "us_bls_ep", "bls_ep_2024-34_table_1-2_occupational_projections.csv"
    )
    client = _client(app)
    response = client.post(
        "/staff/forecasts/import",
        data={
            "file": (io.BytesIO(path.read_bytes()), path.name),
            "profile": "bls-ep-2024-34-table-1-2-csv",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "Categories read" in page
    chief = re.search(
        r"<tr>\s*<td>US</td>.*?Chief executives.*?entry_education.*?</tr>", page, re.S
    )
    assert chief is not None
    assert "Bachelor&#39;s degree</span>" in chief.group(0) and "(category)" in chief.group(0)
    assert "work_experience" in page.split("Categories read")[1]
    # the total row publishes no category: it says so rather than showing a dash
    total = re.search(
        r"<tr>\s*<td>US</td>.*?Total, all occupations.*?entry_education.*?</tr>", page, re.S
    )
    assert "not available" in total.group(0)
    response = client.post(preview_url + "/confirm")
    assert response.status_code == 303
    dataset_page = client.get(response.headers["Location"]).get_data(as_text=True)
    if (
        "/staff/forecasts/" not in response.headers["Location"]
        or "import" in response.headers["Location"]
    ):
        with app.app_context():
            dataset_id = db.session.scalars(select(ForecastDataset.id)).one()
        dataset_page = client.get(f"/staff/forecasts/{dataset_id}").get_data(as_text=True)
    section = dataset_page.split('id="categories-title"')[1]
    assert 'Bachelor&#39;s degree</span> <span class="muted">(category)</span>' in section
    assert "on_the_job_training" in section


def test_a_column_footnote_goes_with_the_value_not_the_label(app):
    path = shared_file(
        "forecasts", "us_bls_ep", "bls_ep_2024-34_table_1-2_occupational_projections.csv"
    )
    client = _client(app)
    response = client.post(
        "/staff/forecasts/import",
        data={
            "file": (io.BytesIO(path.read_bytes()), path.name),
            "profile": "bls-ep-2024-34-table-1-2-csv",
        },
        content_type="multipart/form-data",
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    first = page.split('id="first-title"')[1].split("</table>")[0]
    labels = re.findall(r"<td>US</td>\s*<td>[^<]*</td>\s*<td>00-0000</td>\s*<td>(.*?)</td>", first)
    assert labels and set(labels) == {"Total, all occupations"}
    wage = re.search(r"<td class=\"indicator\">median_wage</td>.*?</tr>", first, re.S).group(0)
    assert "49,500" in wage and "(notes 1)" in wage


def test_a_preview_opened_in_another_session_says_why_and_links_to_the_upload(app):
    client = _client(app)
    response = _upload(client, GOOD.encode())
    preview_url = response.headers["Location"]
    other = _client(app)
    response = other.get(preview_url)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "kept only for the signed-in session that uploaded it" in page
    assert "upload it again" in page
    assert re.search(
        r'<a class="button" href="/staff/forecasts/import">Upload the file again</a>', page
    )
    assert _counts(app) == (0, 0)
    assert client.get(preview_url).status_code == 200  # the uploader still sees it
