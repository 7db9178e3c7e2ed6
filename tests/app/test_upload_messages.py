"""Refused uploads and the problems of a panel file's rows, in the interface language.

The checks run in the web process and the parser in a child process without a language:
both report a message id and its values, and the page shows them translated, with the
numbers written for the reader's locale (2.000.000 in German, 2 000 000 in French).
"""

from __future__ import annotations

import html
import io
import re

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.formatting import count
from app.panels.parse import PanelPreview, parse_panel_file
from app.problems import Bytes, Problem
from app.uploads.checks import MAX_CELLS
from tests import bombs
from tests.app.factories import build_study, sign_in

MIB = 1024 * 1024
NBSP = "\u00a0"
#: What French writes between groups of digits: a (narrow) no-break space, never a comma.
FRENCH_GROUP = "[\u00a0\u202f]"


@pytest.fixture
def app(make_app, tmp_path):
    # no body limit: the upload checks themselves refuse a large file (their own 10 MiB)
    return make_app(UPLOAD_DIR=str(tmp_path / "uploads"), MAX_CONTENT_LENGTH=None)


@pytest.fixture
def study(app):
    return build_study(app, panellists=[{"name": "Existing", "email": "existing@example.org"}])


@pytest.fixture
def staff_client(app, study):
    client = app.test_client()
    sign_in(client, study.secretariat)
    return client


def _upload(client, study, data: bytes, filename: str, lang: str):
    boundary, body = encode_multipart(
        {"upload-file": FileStorage(io.BytesIO(data), filename=filename)}
    )
    return client.post(
        f"/staff/consultations/{study.consultation}/panel/upload",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Accept-Language": lang},
    )


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# ----------------------------------------------------------------------------- refusals

#: lang: the words of each refusal (regular expressions)
REFUSALS = {
    "de": {
        "nothing": "Aus dieser Datei kann nichts importiert werden.",
        "size": r"die Datei ist 12,0 MiB groß; höchstens 10 MiB sind erlaubt",
        "cells": r"die Arbeitsmappe hat mehr als 2\.000\.000 Zellen; höchstens 2\.000\.000 sind "
        r"erlaubt; teilen Sie sie in kleinere Dateien auf",
        "unpacked": r"die Arbeitsmappe ist entpackt 1024,\d MiB groß; höchstens 50 MiB sind "
        "erlaubt",
        "not-text": r"die Datei ist keine Textdatei; speichern Sie sie als CSV \(UTF-8\)",
    },
    "fr": {
        "nothing": "Rien dans ce fichier ne peut être importé.",
        "size": rf"le fichier fait 12,0 Mio{NBSP}; 10 Mio au maximum sont acceptés",
        "cells": rf"le classeur compte plus de 2{FRENCH_GROUP}000{FRENCH_GROUP}000 cellules{NBSP}; "
        rf"2{FRENCH_GROUP}000{FRENCH_GROUP}000 au maximum sont acceptées{NBSP}; divisez-le en "
        "fichiers plus petits",
        "unpacked": rf"une fois décompressé, le classeur fait 1024,\d Mio{NBSP}; 50 Mio au maximum "
        "sont acceptés",
        "not-text": rf"le fichier n’est pas un fichier texte{NBSP}; enregistrez-le au format CSV "
        r"\(UTF-8\)",
    },
}

#: case: (build, file name, status)
FILES = {
    "size": (lambda: b"x" * (12 * MIB), "big.csv", 413),
    "cells": (bombs.many_cells_workbook, "panel.xlsx", 413),
    "unpacked": (bombs.zip_bomb, "panel.xlsx", 413),
    "not-text": (lambda: b"name,email\x00\x01\x02,stakeholder_group\n", "panel.csv", 422),
}


@pytest.mark.parametrize("lang", ["de", "fr"])
@pytest.mark.parametrize("case", list(FILES))
def test_a_refused_file_is_named_in_the_interface_language(staff_client, study, lang, case):
    build, filename, status = FILES[case]
    response = _upload(staff_client, study, build(), filename, lang)
    assert response.status_code == status
    page = _text(response)
    assert f'<html lang="{lang}">' in page
    assert REFUSALS[lang]["nothing"] in page and 'id="upload-file"' in page
    assert re.search(REFUSALS[lang][case], page), page[-3000:]
    # the English words and the English digit grouping are gone
    assert "at most" not in page and "2,000,000" not in page


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", r"At most 200,000 rows and 10 MiB per file\."),
        ("de", r"Höchstens 200\.000 Zeilen und 10 MiB pro Datei\."),
        ("fr", rf"200{FRENCH_GROUP}000 lignes et 10 Mio au maximum par fichier\."),
    ],
)
def test_the_upload_form_states_its_limits_for_the_locale(staff_client, study, lang, words):
    page = staff_client.get(
        f"/staff/consultations/{study.consultation}/panel", headers={"Accept-Language": lang}
    )
    assert re.search(words, _text(page))


def test_the_locale_writes_the_numbers():
    assert count(MAX_CELLS, locale="de") == "2.000.000"
    assert re.fullmatch(rf"2{FRENCH_GROUP}000{FRENCH_GROUP}000", count(MAX_CELLS, locale="fr"))


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("de", r"Die Datei ist 10,\d MiB groß; höchstens 10 MiB sind erlaubt\."),
        ("fr", rf"Le fichier fait 10,\d Mio{NBSP}; 10 Mio au maximum sont acceptés\."),
    ],
)
def test_a_body_beyond_the_server_limit_is_refused_in_the_interface_language(
    make_app, tmp_path, lang, words
):
    app = make_app(UPLOAD_DIR=str(tmp_path / "uploads"))
    study = build_study(app)
    client = app.test_client()
    sign_in(client, study.secretariat)
    response = _upload(client, study, b"x" * (10 * MIB + 1), "big.csv", lang)
    assert response.status_code == 413
    page = _text(response)
    assert re.search(words, page), page[-3000:]
    assert 'id="upload-file"' in page


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("de", "würde das Kontingent von 1,8 KiB pro Rat überschreiten"),
        ("fr", "dépasserait le quota de 1,8 Kio par conseil"),
    ],
)
def test_the_quota_is_named_in_the_interface_language(make_app, tmp_path, lang, words):
    app = make_app(UPLOAD_DIR=str(tmp_path / "uploads"), UPLOAD_QUOTA_BYTES=1800)
    study = build_study(app)
    first, second = app.test_client(), app.test_client()
    sign_in(first, study.secretariat)
    sign_in(second, study.secretariat)
    data = ROWS.replace(b"Bau AG", b"Bau AG " + b"x" * 250)
    assert _upload(first, study, data, "panel.csv", lang).status_code == 303
    refused = _upload(second, study, data, "panel.csv", lang)
    assert refused.status_code == 413
    assert words in _text(refused)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("de", "das Lesen der Datei dauerte länger als 0,5 Sek.; teilen Sie sie in kleinere"),
        ("fr", f"la lecture du fichier a pris plus de 0,5 s{NBSP}; divisez-le en fichiers"),
    ],
)
def test_the_time_limit_is_named_in_the_interface_language(make_app, tmp_path, lang, words):
    app = make_app(UPLOAD_DIR=str(tmp_path / "uploads"), UPLOAD_PARSE_SECONDS=0.5)
    study = build_study(app)
    client = app.test_client()
    sign_in(client, study.secretariat)
    rows = b"".join(b"P%d,p%d@example.org,employers,en\n" % (i, i) for i in range(150_000))
    data = b"name,email,stakeholder_group,language\n" + rows
    response = _upload(client, study, data, "p.csv", lang)
    assert response.status_code == 413
    assert words in _text(response)


# ----------------------------------------------------------------------------- rows

ROWS = (
    b"name,email,organisation,stakeholder_group,language,notes\n"
    b"Anna Schmidt,anna@example.de,Bau AG,employers,de,\n"
    b"Ben,x@,,employers,en,\n"
    b"Carla,carla@example.org,,ministers,en,\n"
    b"Dora,dora@example.org,,employers,xx,\n"
)

ROW_PROBLEMS = {
    "de": [
        "die Spalte „notes“ wird nicht verwendet",
        "Zeile 3, Spalte „email“: „x@“ ist keine E-Mail-Adresse",
        "Zeile 4, Spalte „stakeholder_group“: „ministers“ ist keine Interessengruppe "
        "(verwenden Sie eine von: employers,",
        "Zeile 5, Spalte „language“: „xx“ ist kein Sprachcode",
    ],
    "fr": [
        f"la colonne «{NBSP}notes{NBSP}» n’est pas utilisée",
        f"ligne 3, colonne «{NBSP}email{NBSP}»{NBSP}: «{NBSP}x@{NBSP}» n’est pas une adresse "
        "e-mail",
        f"ligne 4, colonne «{NBSP}stakeholder_group{NBSP}»{NBSP}: «{NBSP}ministers{NBSP}» "
        "n’est pas un groupe de parties prenantes",
        f"ligne 5, colonne «{NBSP}language{NBSP}»{NBSP}: «{NBSP}xx{NBSP}» n’est pas un code de "
        "langue",
    ],
}


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_the_problems_of_rows_parsed_in_the_child_are_shown_translated(staff_client, study, lang):
    response = _upload(staff_client, study, ROWS, "panel.csv", lang)
    assert response.status_code == 303
    page = _text(staff_client.get(response.headers["Location"], headers={"Accept-Language": lang}))
    for words in ROW_PROBLEMS[lang]:
        assert words in page, (words, page[-4000:])
    assert "is not an e-mail address" not in page and "row 3" not in page


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_a_file_without_valid_rows_lists_its_problems_translated_on_the_form(
    staff_client, study, lang
):
    data = b"name,email,stakeholder_group\nBen,x@,employers\n"
    response = _upload(staff_client, study, data, "panel.csv", lang)
    assert response.status_code == 422
    page = _text(response)
    assert ROW_PROBLEMS[lang][1].replace("3", "2", 1) in page
    assert REFUSALS[lang]["nothing"] in page


def test_english_stays_as_it_was(staff_client, study):
    response = _upload(staff_client, study, ROWS, "panel.csv", "en")
    page = _text(staff_client.get(response.headers["Location"]))
    assert "column `notes` is not used" in page
    assert "row 3, column `email`: 'x@' is not an e-mail address" in page
    assert "row 5, column `language`: 'xx' is not a language code" in page


# ----------------------------------------------------------------------------- the carrier


def test_a_problem_is_translated_and_its_values_formatted_where_it_is_shown():
    german = {
        "the file is %(size)s; at most %(most)s are accepted": "die Datei ist %(size)s groß; "
        "höchstens %(most)s sind erlaubt",
        "%(n)s MiB": "%(n)s MiB",
        "row %(row)s": "Zeile %(row)s",
        "%(where)s: %(message)s": "%(where)s: %(message)s",
    }
    problem = Problem(
        "the file is %(size)s; at most %(most)s are accepted",
        row=1234,
        params={"size": Bytes(12 * MIB + 1), "most": Bytes(10 * MIB, limit=True)},
    )
    assert str(problem) == "row 1234: the file is 12.1 MiB; at most 10 MiB are accepted"
    translate = lambda message: german.get(message, message)  # noqa: E731
    assert problem.text(translate, "de") == (
        "Zeile 1234: die Datei ist 12,1 MiB groß; höchstens 10 MiB sind erlaubt"
    )
    # a translation that lost a placeholder falls back to the English, never fails
    broken = {"the file is %(size)s; at most %(most)s are accepted": "zu groß: %(nothing)s"}
    assert problem.what(lambda m: broken.get(m, m), "de") == (
        "the file is 12,1 MiB; at most 10 MiB are accepted"
    )


def test_the_preview_carries_message_ids_and_values_back_from_the_child():
    rows = parse_panel_file("p.csv", ROWS, languages=("en", "de"), default_language="en")
    bomb = parse_panel_file("p.xlsx", bombs.zip_bomb())
    for preview in (rows, bomb):
        assert PanelPreview.from_json(preview.to_json()) == preview
    assert rows.notes[0].params == {"header": "notes"}
    assert rows.problems[0].params == {"value": "x@"}
    size, most = bomb.problems[0].params["size"], bomb.problems[0].params["most"]
    assert size == Bytes(size.size) and size.size > 1024 * MIB
    assert most == Bytes(50 * MIB, limit=True)
    # kept previews of the version before message ids are not read (the upload expires)
    with pytest.raises(ValueError, match="not a panel preview of this version"):
        PanelPreview.from_json({**rows.to_json(), "schema": 1})


def test_the_limits_command_still_answers_in_english(app):
    result = app.test_cli_runner().invoke(args=["uploads", "check-limits"])
    assert result.exit_code == 0, result.output
    assert "probe-allocate: stopped after" in result.output
    assert "of memory; split it into smaller files" in result.output
    assert re.search(r"configured: \d+ (GiB|MiB) of memory, \d+ s per file", result.output)
