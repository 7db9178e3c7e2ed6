"""Importing a real council's panel file: members whose language the questionnaire does not
offer, one address twice in the file or already on the panel, and the staff pages' panel
messages in the interface language."""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.consultations.models import Consultation, RoundStatus, StakeholderGroup
from app.errors import InvalidInput
from app.extensions import db
from app.i18n import problem_message
from app.panels import services
from app.panels.models import Panellist
from app.panels.parse import (
    Conflict,
    Decisions,
    PanelPreview,
    PanelRow,
    match_language,
    parse_panel_file,
    recheck_preview,
)
from tests.app.factories import LocalSmtp, build_study, sign_in

ROOT = Path(__file__).resolve().parents[2]

#: A typical EU council's file for a questionnaire in English and German.
EU_PANEL = (
    "name,email,organisation,stakeholder_group,language\n"
    "Eleni Papadopoulou,eleni@example.gr,ΣΕΒ,employers,el\n"
    "Jean Dupont,Jean.Dupont@Example.FR,CGT,Trade union,Français\n"
    "Ola Nowak,ola@example.pl,,Education provider,pl-PL\n"
    "Anna Schmidt,anna@example.de,Bau AG,employers,de\n"
)


@pytest.fixture
def app(make_app, tmp_path):
    return make_app(UPLOAD_DIR=str(tmp_path / "uploads"))


@pytest.fixture
def study(app):
    """Round 1 prepared, not open yet (an open round fixes the panellists' groups)."""
    return build_study(
        app,
        rounds=(RoundStatus.draft,),
        panellists=[{"name": "Existing", "email": "existing@example.org", "language": "de"}],
    )


@pytest.fixture
def staff_client(app, study):
    client = app.test_client()
    sign_in(client, study.secretariat)
    return client


def _url(study, tail: str = "") -> str:
    return f"/staff/consultations/{study.consultation}/panel{tail}"


def _upload(client, study, data: bytes, filename: str = "panel.csv", lang: str = "en"):
    return client.post(
        _url(study, "/upload"),
        data={"upload-file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        headers={"Accept-Language": lang},
    )


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _people(app, study) -> list[tuple]:
    with app.app_context():
        return [
            (p.name, p.email, p.stakeholder_group.value, p.language, p.stated_language)
            for p in db.session.scalars(
                select(Panellist)
                .where(Panellist.consultation_id == study.consultation)
                .order_by(Panellist.email_key)
            )
        ]


# ----------------------------------------------------------------------------- languages (pure)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("el", "el"),
        ("EL", "el"),
        ("fr-BE", "fr"),
        ("pt_BR", "pt"),
        ("Greek", "el"),
        ("Griechisch", "el"),
        ("grec", "el"),
        ("Ελληνικά", "el"),
        ("polski", "pl"),
        (" Français ", "fr"),
        ("GERMAN", "de"),
        ("xx", None),
        ("Klingonish", None),
        ("", None),
    ],
)
def test_a_language_is_named_by_its_code_or_its_name(value, code):
    assert match_language(value) == code


def test_members_whose_language_is_not_offered_are_valid_rows_with_a_fallback():
    preview = parse_panel_file(
        "panel.csv", EU_PANEL.encode(), languages=("en", "de"), default_language="en"
    )
    assert preview.problems == () and preview.ok
    assert [(r.row, r.language) for r in preview.valid_rows] == [
        (2, "el"),
        (3, "fr"),
        (4, "pl"),
        (5, "de"),
    ]
    assert [r.row for r in preview.fallback_rows()] == [2, 3, 4]
    assert preview.offered == ("en", "de")
    # the address as typed (its domain in lower case)
    assert preview.valid_rows[1].email == "Jean.Dupont@example.fr"


def test_a_value_that_names_no_language_is_still_a_problem():
    data = b"name,email,stakeholder_group,language\nA,a@example.org,employers,Klingonish\n"
    preview = parse_panel_file("p.csv", data, languages=("en",), default_language="en")
    assert [str(p) for p in preview.problems] == [
        "row 2, column `language`: 'Klingonish' is not a language code"
    ]


# ----------------------------------------------------------------------------- duplicates (pure)

DUPLICATES = (
    "name,email,stakeholder_group,language\n"
    "Anna Schmidt,anna@example.de,employers,de\n"  # row 2
    "Ben Jones,ben@example.org,employers,en\n"  # row 3
    "Old Friend,Existing@Example.org,public authority,en\n"  # row 4: on the panel
    "Anna S.,ANNA@example.de,Trade union,en\n"  # row 5: the same as row 2
)


def _row(number: int, email: str) -> PanelRow:
    return PanelRow(number, f"P{number}", email, "", "employers", "en")


def test_an_address_twice_in_the_file_or_on_the_panel_is_a_conflict_naming_its_rows():
    preview = parse_panel_file(
        "p.csv",
        DUPLICATES.encode(),
        languages=("en", "de"),
        existing_emails=["existing@example.org"],
    )
    assert preview.problems == () and not preview.ok and preview.importable
    assert [r.row for r in preview.valid_rows] == [3]
    assert [(c.first_row, [r.row for r in c.rows], c.on_panel) for c in preview.conflicts] == [
        (2, [2, 5], False),
        (4, [4], True),
    ]
    assert preview.conflicts[0].address == "anna@example.de"
    assert preview.conflicts[0].rows[1].email == "ANNA@example.de"  # kept as typed
    assert preview.conflict_rows == 3
    assert PanelPreview.from_json(json.loads(json.dumps(preview.to_json()))) == preview


@pytest.mark.parametrize(
    ("decisions", "add", "update", "undecided"),
    [
        (Decisions(), [3], [], [2, 4]),
        (Decisions(rows={2: 2, 4: None}), [2, 3], [], []),
        (Decisions(rows={2: 5, 4: 4}), [3, 5], [4], []),
        (Decisions(rows={2: None}, on_panel="update"), [3], [4], []),
        (Decisions(repeated="first", on_panel="skip"), [2, 3], [], []),
        (Decisions(repeated="last"), [3, 5], [], [4]),
        (Decisions(repeated="skip", on_panel="skip"), [3], [], []),
        (Decisions(rows={2: 9, 4: None}), [3], [], [2]),  # row 9 is not one of its rows
    ],
)
def test_decisions_say_which_row_of_each_conflict_is_taken(decisions, add, update, undecided):
    preview = parse_panel_file(
        "p.csv",
        DUPLICATES.encode(),
        languages=("en", "de"),
        existing_emails=["existing@example.org"],
    )
    resolution = preview.resolve(decisions)
    assert [r.row for r in resolution.add] == add
    assert [r.row for r in resolution.update] == update
    assert [c.first_row for c in resolution.undecided] == undecided


@pytest.mark.parametrize(
    ("decisions", "decided", "row"),
    [
        (Decisions(repeated="first"), False, None),  # on the panel: update or skip?
        (Decisions(on_panel="update"), False, None),  # which of the two rows?
        (Decisions(repeated="last", on_panel="update"), True, 7),
        (Decisions(repeated="first", on_panel="skip"), True, None),
        (Decisions(on_panel="skip"), True, None),
        (Decisions(rows={3: 3}), True, 3),
    ],
)
def test_an_address_repeated_and_on_the_panel_needs_a_row_and_whether_to_update(
    decisions, decided, row
):
    conflict = Conflict((_row(3, "x@example.org"), _row(7, "X@example.org")), on_panel=True)
    choice = decisions.choice(conflict)
    assert (choice[0], choice[1].row if choice[1] else None) == (decided, row)


def test_rows_added_to_the_panel_since_the_preview_become_conflicts():
    preview = parse_panel_file("p.csv", DUPLICATES.encode(), languages=("en", "de"))
    assert [c.first_row for c in preview.conflicts] == [2]
    assert recheck_preview(preview, existing_emails=()) is preview
    again = recheck_preview(preview, existing_emails=["BEN@example.org"])
    assert [(c.first_row, c.on_panel) for c in again.conflicts] == [(2, False), (3, True)]
    assert [r.row for r in again.valid_rows] == [4]


# ----------------------------------------------------------------------------- fallback language


def test_eu_members_are_imported_with_the_chosen_fallback_and_invited_in_it(make_app, tmp_path):
    with LocalSmtp() as smtp:
        app = make_app(UPLOAD_DIR=str(tmp_path / "uploads"), **smtp.config())
        study = build_study(app)
        client = app.test_client()
        sign_in(client, study.secretariat)
        response = _upload(client, study, EU_PANEL.encode())
        assert response.status_code == 303
        preview_url = response.headers["Location"]
        page = client.get(preview_url)
        assert page.status_code == 200
        text = _text(page)
        # a warning, not an error
        assert "error-summary" not in text
        assert "3 rows name a language the questionnaire does not offer" in text
        assert "The file names French, Greek, and Polish; the questionnaire offers English" in (
            text
        )
        assert "Row 2: Eleni Papadopoulou gives Greek, which is not offered." in text
        assert "Language for panellists whose language is not offered" in text
        assert re.search(r'<option value="en" selected>English</option>', text)
        assert "Warning: not offered; receives English" in text
        assert "Import all 4 panellists" in text

        done = client.post(preview_url + "/import", data={"mode": "all", "fallback_language": "de"})
        assert done.status_code == 303
        panel = _text(client.get(_url(study)))
        assert "4 panellists were imported." in panel
        assert "3 panellists receive German, because the questionnaire does not offer" in panel
        assert (
            "3 panellists read French, Greek, or Polish; the questionnaire offers English and "
            "German: they receive German." in panel
        )
        assert "(their language: Greek)" in panel
        assert _people(app, study) == [
            ("Anna Schmidt", "anna@example.de", "employers", "de", None),
            ("Eleni Papadopoulou", "eleni@example.gr", "employers", "de", "el"),
            ("Jean Dupont", "Jean.Dupont@example.fr", "workers-representatives", "de", "fr"),
            ("Ola Nowak", "ola@example.pl", "education-providers", "de", "pl"),
        ]

        assert client.post(_url(study, "/invitations/send"), data={"scope": "all"}).status_code
        mails = {m.recipients[0]: m for m in smtp.received}
    assert set(mails) == {
        "anna@example.de",
        "eleni@example.gr",
        "Jean.Dupont@example.fr",
        "ola@example.pl",
    }
    eleni = mails["eleni@example.gr"]
    assert eleni.message["Subject"].startswith("Einladung: ")
    assert eleni.message["Content-Language"] == "de"
    assert "Guten Tag Eleni Papadopoulou," in eleni.text
    assert '<html lang="de">' in eleni.html
    # the link opens the answering pages in German
    token = eleni.text.split("/i?t=")[1].split()[0]
    panellist = app.test_client()
    assert panellist.get(f"/i?t={token}").status_code == 303
    with panellist.session_transaction() as sess:
        assert sess["lang"] == "de"
    assert '<html lang="de">' in panellist.get("/r").get_data(as_text=True)


def test_without_a_choice_the_fallback_is_the_questionnaires_default_language(
    app, staff_client, study
):
    preview_url = _upload(staff_client, study, EU_PANEL.encode()).headers["Location"]
    assert staff_client.post(preview_url + "/import", data={"mode": "all"}).status_code == 303
    people = {p[1]: p for p in _people(app, study)}
    assert people["eleni@example.gr"][3:] == ("en", "el")
    assert people["anna@example.de"][3:] == ("de", None)


def test_a_fallback_the_questionnaire_does_not_offer_is_refused(app, study):
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        preview = services.preview_panel_file(consultation, "p.csv", EU_PANEL.encode())
        with pytest.raises(InvalidInput) as caught:
            services.import_panel(
                consultation, preview, only_valid=False, by="test", fallback_language="fr"
            )
        assert caught.value.problems[1].field == "fallback_language"
        assert str(caught.value.problems[1]) == (
            "fallback_language: 'fr' is not one of the questionnaire's languages (en, de)"
        )


# ----------------------------------------------------------------------------- duplicates


def test_duplicates_are_named_with_their_rows_and_imported_as_decided(app, staff_client, study):
    response = _upload(staff_client, study, DUPLICATES.encode())
    assert response.status_code == 303
    preview_url = response.headers["Location"]
    text = _text(staff_client.get(preview_url))
    assert "2 e-mail addresses need a decision" in text
    assert "Rows 2 and 5 have the same e-mail address anna@example.de." in text
    assert "Row 4: the e-mail address Existing@example.org is already on the panel (Existing)." in (
        text
    )
    assert "Keep row 5: Anna S. · Workers' representatives · English" in text
    assert "Update Existing from row 4: Old Friend · Public authorities · English" in text
    assert "Rows that need a decision: 3." in text
    assert "Import as chosen" in text

    # nothing is imported until every address is decided
    refused = staff_client.post(preview_url + "/import", data={"mode": "all", "address-2": "5"})
    assert refused.status_code == 422
    text = _text(refused)
    assert (
        "panel.csv: nothing was imported; choose what to do with each e-mail address that "
        "appears in several rows or is already on the panel" in text
    )
    assert 'id="address-4" class="field field-error"' in text
    assert re.search(r'id="address-2-5" name="address-2" value="5" checked', text)
    assert len(_people(app, study)) == 1

    done = staff_client.post(
        preview_url + "/import", data={"mode": "all", "address-2": "5", "address-4": "4"}
    )
    assert done.status_code == 303
    panel = _text(staff_client.get(_url(study)))
    assert "2 panellists were imported." in panel
    assert "1 panellist was updated from the file." in panel
    assert _people(app, study) == [
        ("Anna S.", "ANNA@example.de", "workers-representatives", "en", None),
        ("Ben Jones", "ben@example.org", "employers", "en", None),
        ("Old Friend", "Existing@example.org", "public-authorities", "en", None),
    ]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Panellist)) == 3


def test_one_choice_for_every_duplicate(app, staff_client, study):
    preview_url = _upload(staff_client, study, DUPLICATES.encode()).headers["Location"]
    done = staff_client.post(
        preview_url + "/import", data={"mode": "all", "repeated": "first", "on_panel": "skip"}
    )
    assert done.status_code == 303
    assert _people(app, study) == [
        ("Anna Schmidt", "anna@example.de", "employers", "de", None),
        ("Ben Jones", "ben@example.org", "employers", "en", None),
        ("Existing", "existing@example.org", "employers", "de", None),
    ]


def test_a_file_of_people_all_on_the_panel_can_update_them(app, staff_client, study):
    data = b"name,email,stakeholder_group,language\nNew Name,EXISTING@example.org,expert,el\n"
    response = _upload(staff_client, study, data)
    assert response.status_code == 303  # not "nothing can be imported"
    preview_url = response.headers["Location"]
    done = staff_client.post(preview_url + "/import", data={"mode": "all", "on_panel": "update"})
    assert done.status_code == 303
    assert _people(app, study) == [
        ("New Name", "EXISTING@example.org", "other-experts", "en", "el"),
    ]


def test_while_a_round_is_open_an_update_keeps_the_panellists_group(app):
    """METHOD.md 5: a panellist's group is fixed for the round; the rest is updated and the
    secretariat is told why the group stayed."""
    study = build_study(
        app, panellists=[{"name": "Existing", "email": "existing@example.org", "language": "de"}]
    )
    client = app.test_client()
    sign_in(client, study.secretariat)
    data = b"name,email,stakeholder_group,language\nNew Name,existing@example.org,expert,de\n"
    preview_url = _upload(client, study, data).headers["Location"]
    done = client.post(preview_url + "/import", data={"mode": "all", "on_panel": "update"})
    assert done.status_code == 303
    assert _people(app, study) == [("New Name", "existing@example.org", "employers", "de", None)]
    page = html.unescape(client.get(_url(study)).get_data(as_text=True))
    assert "1 panellist keeps their stakeholder group while the round is open" in page


def test_the_import_service_applies_decisions_and_reports_them(app, study):
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        preview = services.preview_panel_file(consultation, "p.csv", DUPLICATES.encode())
        with pytest.raises(InvalidInput, match="choose what to do") as caught:
            services.import_panel(consultation, preview, only_valid=False, by="test")
        assert [str(p) for p in caught.value.problems[1:]] == [
            "row 2, column `email`: 'anna@example.de' needs a decision (rows 2, 5)",
            "row 4, column `email`: 'Existing@example.org' needs a decision (rows 4)",
        ]
        report = services.import_panel(
            consultation,
            preview,
            only_valid=False,
            by="test",
            decisions=Decisions(repeated="first", on_panel="update"),
        )
        assert (report.added, report.updated, report.skipped, report.fallback) == (2, 1, 1, 0)
        existing = db.session.scalars(
            select(Panellist).where(Panellist.email_key == "existing@example.org")
        ).one()
        assert existing.stakeholder_group is StakeholderGroup.public_authorities
        # the same preview again: the panel has changed
        with pytest.raises(InvalidInput, match="panel changed"):
            services.import_panel(
                consultation,
                preview,
                only_valid=False,
                by="test",
                decisions=Decisions(repeated="first", on_panel="update"),
            )


# ----------------------------------------------------------------------------- German


def test_the_add_form_names_its_problems_in_german(app, staff_client, study):
    response = staff_client.post(
        _url(study, "/add"),
        data={
            "add-name": "Jemand",
            "add-email": "existing@example.org",
            "add-stakeholder_group": "employers",
            "add-language": "de",
        },
        headers={"Accept-Language": "de"},
    )
    assert response.status_code == 422
    text = _text(response)
    assert "„existing@example.org“ ist schon im Panel" in text
    assert "already on the panel" not in text
    with app.test_request_context(headers={"Accept-Language": "de"}):
        consultation = db.session.get(Consultation, study.consultation)
        with pytest.raises(InvalidInput) as caught:
            services.add_panellist(consultation, "", "a@example.org", "", "ministers", "fr", by="t")
        assert [problem_message(p) for p in caught.value.problems] == [
            "ein Name ist erforderlich",
            "„ministers“ ist keine Interessengruppe (verwenden Sie eine von: employers, "
            "workers-representatives, education-providers, public-authorities, other-experts)",
            "„fr“ ist keine Sprache des Fragebogens (en, de)",
        ]
        assert [p.field for p in caught.value.problems] == ["name", "stakeholder_group", "language"]


def test_preview_counts_are_written_for_the_locale(staff_client, study):
    rows = "".join(f"P{i},bad{i}@,employers,en\n" for i in range(1250))
    rows += "".join(f"Q{i},q{i}@example.org,employers,en\n" for i in range(10))
    data = ("name,email,stakeholder_group,language\n" + rows).encode()
    preview_url = _upload(staff_client, study, data, lang="de").headers["Location"]
    text = _text(staff_client.get(preview_url, headers={"Accept-Language": "de"}))
    assert "Gelesene Zeilen: 1.260. Importierbare Zeilen: 10. Zeilen mit Problemen: 1.250." in (
        text
    )
    assert "… und 1.050 weitere Probleme." in text
    english = _text(staff_client.get(preview_url, headers={"Accept-Language": "en"}))
    assert "Rows read: 1,260." in english and "1,250 problems found" in english


def test_a_file_with_nothing_to_import_counts_its_problems_for_the_locale(staff_client, study):
    rows = "".join(f"P{i},bad{i}@,employers,en\n" for i in range(1250))
    data = ("name,email,stakeholder_group,language\n" + rows).encode()
    response = _upload(staff_client, study, data, lang="de")
    assert response.status_code == 422
    assert "… und 1.230 weitere Probleme." in _text(response)


def test_import_failure_and_duplicates_are_in_german(make_app, tmp_path):
    app = make_app(UPLOAD_DIR=str(tmp_path / "uploads"))
    study = build_study(app)
    client = app.test_client()
    sign_in(client, study.secretariat)
    rows = "".join(f"P{i},bad{i}@,employers,en\n" for i in range(1204))
    data = (DUPLICATES + rows).encode()
    preview_url = _upload(client, study, data, lang="de").headers["Location"]
    de = {"Accept-Language": "de"}
    text = _text(client.get(preview_url, headers=de))
    assert "1.204 Probleme gefunden" in text
    assert "Die Zeilen 2 und 5 haben dieselbe E-Mail-Adresse anna@example.de." in text
    refused = client.post(preview_url + "/import", data={"mode": "all"}, headers=de)
    assert refused.status_code == 422
    assert (
        "panel.csv: Es wurde nichts importiert, weil die Datei Probleme hat (1.204 gefunden)"
        in _text(refused)
    )
