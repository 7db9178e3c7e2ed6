"""Refusals of the staff services in the interface language (German and French).

Each test provokes a service's refusal on its page with the interface in German or in
French and reads the message where the page shows it (beside the field its problem names,
as a flash message, or on the error page): it must be the translation of the message id,
its values formatted for the language, and never the English text.

The expected German and French are written out below (``EXPECTED``) and must be what the
shipped catalogues of ``app/translations`` say.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.auth.passwords import MIN_LENGTH
from app.auth.policy import APPLICABLE, OBJECT_RULES, REFUSALS
from app.classifications.services import ensure_builtin_sectors
from app.consensus.rules import RULE_NAMES
from app.consultations import services as consultations
from app.consultations.models import _ROUND_REFUSALS, Consultation, RoundStatus
from app.councils.geography import geography_problem
from app.curation.models import Theme
from app.errors import InvalidInput
from app.extensions import db
from app.formatting import count
from app.i18n import problem_message
from tests.app.factories import make_consultation, make_council, make_staff, sign_in
from tests.conftest import ROOT

CATALOGUES = ROOT / "app" / "translations"
LANGUAGES = ("de", "fr")

#: The German and French of the message ids these tests read (French with its no-break
#: spaces), as the catalogues hold them.
EXPECTED = {
    "%(message)s: %(problems)s": ("%(message)s: %(problems)s", "%(message)s\u00a0: %(problems)s"),
    "a council named %(name)s exists already": (
        "einen Rat namens %(name)s gibt es bereits",
        "un conseil nommé %(name)s existe déjà",
    ),
    "DE, EU, DE1, FR10 or ITC4": ("DE, EU, DE1, FR10 oder ITC4", "DE, EU, DE1, FR10 ou ITC4"),
    "%(code)s is not a NUTS region code: %(country)s is not a country code": (
        "%(code)s ist kein NUTS-Regionalcode: %(country)s ist kein Ländercode",
        "%(code)s n’est pas un code de région NUTS\u00a0: %(country)s n’est pas un code pays",
    ),
    "%(file)s: not UTF-8 text": (
        "%(file)s: kein UTF-8-Text",
        "%(file)s\u00a0: ce n’est pas du texte UTF-8",
    ),
    "at most %(n)s characters": ("höchstens %(n)s Zeichen", "%(n)s caractères au maximum"),
    "rule %(rule)s: unknown name %(name)s (allowed: %(allowed)s)": (
        "Regel %(rule)s: unbekannter Name %(name)s (erlaubt: %(allowed)s)",
        "règle %(rule)s\u00a0: nom inconnu %(name)s (autorisés\u00a0: %(allowed)s)",
    ),
    "%(value)s must be in %(low)s..%(high)s": (
        "%(value)s muss zwischen %(low)s und %(high)s liegen",
        "%(value)s doit être compris entre %(low)s et %(high)s",
    ),
    "round %(n)s is open; it cannot be opened (only when draft)": (
        "Runde %(n)s ist geöffnet; sie kann nicht geöffnet werden (nur im Entwurf)",
        "le tour %(n)s est ouvert\u00a0; il ne peut pas être ouvert (seulement à l’état de "
        "brouillon)",
    ),
    "the analysis plan was locked when round 1 opened and cannot be changed": (
        "der Analyseplan wurde gesperrt, als Runde 1 begann, und kann nicht mehr geändert werden",
        "le plan d’analyse a été verrouillé à l’ouverture du tour 1 et ne peut plus être modifié",
    ),
    "the theme label needs attention": (
        "die Bezeichnung des Themas muss überprüft werden",
        "le libellé du thème est à revoir",
    ),
    "the label in %(language)s must be a single line; remove line breaks, tabs and other "
    "control characters": (
        "die Bezeichnung auf %(language)s muss eine einzige Zeile sein; entfernen Sie "
        "Zeilenumbrüche, Tabulatoren und andere Steuerzeichen",
        "le libellé en %(language)s doit tenir sur une seule ligne\u00a0; supprimez les retours "
        "à la ligne, tabulations et autres caractères de contrôle",
    ),
    "you cannot deactivate your own account": (
        "Sie können Ihr eigenes Konto nicht deaktivieren",
        "vous ne pouvez pas désactiver votre propre compte",
    ),
    "ask another administrator to deactivate your account": (
        "bitten Sie eine andere Person aus der Administration, Ihr Konto zu deaktivieren",
        "demandez à un autre administrateur de désactiver votre compte",
    ),
    "at least %(n)s characters are needed": (
        "mindestens %(n)s Zeichen sind nötig",
        "il faut au moins %(n)s caractères",
    ),
    "no such consultation": ("diese Befragung gibt es nicht", "cette consultation n’existe pas"),
    "round %(n)s is open: results are shown after it closes": (
        "Runde %(n)s ist geöffnet: Ergebnisse werden gezeigt, wenn sie geschlossen ist",
        "le tour %(n)s est ouvert\u00a0: les résultats sont affichés une fois qu’il est clos",
    ),
}


def _expected(msgid: str, lang: str, **values) -> str:
    text = EXPECTED[msgid][LANGUAGES.index(lang)]
    return text % values if values else text


@pytest.fixture
def catalogue() -> dict[str, str]:
    """Config of an app reading the shipped catalogues (no override)."""
    return {}


@pytest.fixture(params=LANGUAGES)
def lang(request) -> str:
    return request.param


def _field_errors(page: str) -> dict[str, str]:
    """The error shown beside each field, by the field's id."""
    found = re.findall(r'<p class="error-message" id="([^"]+)-error">(.*?)</p>', page, re.S)
    # each error starts with a hidden "Error:" in the page's language
    hidden = re.compile(r'<span class="visually-hidden">.*?</span>', re.S)
    return {name: unescape(hidden.sub("", text)).strip() for name, text in found}


def _flashes(page: str) -> list[str]:
    return [unescape(m) for m in re.findall(r'<p class="flash[^"]*">(.*?)</p>', page, re.S)]


def _error_page_message(page: str) -> str:
    """The message of an error page: the paragraph after its heading."""
    return unescape(re.search(r"</h1>\s*<p>(.*?)</p>", page, re.S).group(1))


def _signed_in(app, role: Role, councils=(), *, lang: str):
    with app.app_context():
        ensure_builtin_sectors()
        email = make_staff(role, [db.session.merge(c) for c in councils]).email
        db.session.commit()
    client = app.test_client()
    sign_in(client, email)
    client.get(f"/?lang={lang}")  # the interface language, kept in the session
    return client, email


def _english_absent(text: str, *english: str) -> None:
    for words in english:
        assert words not in text, (words, text)


# ----------------------------------------------------------------------------- councils


def test_a_duplicate_council_name_is_refused_beside_the_name_in_the_language(
    make_app, catalogue, lang
):
    app = make_app(**catalogue)
    client, _ = _signed_in(app, Role.admin, lang=lang)
    with app.app_context():
        make_council("Building council")
        db.session.commit()
    page = client.post(
        "/staff/admin/councils/new",
        data={"name": "building COUNCIL", "sector": "F", "geography": "DE"},
    )
    assert page.status_code == 422
    errors = _field_errors(page.get_data(as_text=True))
    assert errors == {
        "name": _expected(
            "a council named %(name)s exists already", lang, name="'Building council'"
        )
    }
    _english_absent(errors["name"], "exists already")


def test_a_bad_geography_is_refused_in_the_language_with_translated_examples(
    make_app, catalogue, lang
):
    app = make_app(**catalogue)
    client, _ = _signed_in(app, Role.admin, lang=lang)
    page = client.post(
        "/staff/admin/councils/new", data={"name": "Bau", "sector": "F", "geography": "QQ1"}
    )
    assert page.status_code == 422
    errors = _field_errors(page.get_data(as_text=True))
    assert list(errors) == ["geography"]
    assert errors["geography"].endswith(_expected("DE, EU, DE1, FR10 or ITC4", lang) + ".")
    # the service says the same for the command line and any other caller, in the language
    # of the request that shows it
    with app.test_request_context(f"/?lang={lang}"):
        problem = geography_problem("QQ1")
        assert problem.field == "geography"
        assert problem_message(problem) == _expected(
            "%(code)s is not a NUTS region code: %(country)s is not a country code",
            lang,
            code="'QQ1'",
            country="QQ",
        )
    assert str(problem) == "geography: 'QQ1' is not a NUTS region code: QQ is not a country code"


def test_a_weak_password_is_refused_beside_the_password_in_the_language(make_app, catalogue, lang):
    app = make_app(**catalogue)
    client, _ = _signed_in(app, Role.admin, lang=lang)
    page = client.post(
        "/staff/admin/users/new",
        data={"email": "new@council.eu", "role": "official", "password": "short"},
    )
    assert page.status_code == 422
    errors = _field_errors(page.get_data(as_text=True))
    assert errors == {
        "password": _expected(
            "at least %(n)s characters are needed", lang, n=count(MIN_LENGTH, locale=lang)
        )
    }


def test_deactivating_ones_own_account_is_refused_in_the_language(make_app, catalogue, lang):
    app = make_app(**catalogue)
    client, email = _signed_in(app, Role.admin, lang=lang)
    with app.app_context():
        from app.auth.services import find_user

        user_id = find_user(email).id
    refused = client.post(f"/staff/admin/users/{user_id}/deactivate", data={})
    assert refused.status_code == 303
    flashes = _flashes(client.get(refused.headers["Location"]).get_data(as_text=True))
    assert flashes == [
        _expected(
            "%(message)s: %(problems)s",
            lang,
            message=_expected("you cannot deactivate your own account", lang),
            problems=_expected("ask another administrator to deactivate your account", lang),
        )
    ]


# ----------------------------------------------------------------------------- consultations


@pytest.fixture
def secretariat(make_app, catalogue, lang, tmp_path):
    """An app in the test's catalogue, a council and its signed-in secretariat's client."""
    app = make_app(STUDY_KEY_DIR=str(tmp_path / "keys"), **catalogue)
    with app.app_context():
        ensure_builtin_sectors()
        council = make_council("Construction council")
        db.session.commit()
        council_id = council.id
    with app.app_context():
        client, email = _signed_in(app, Role.secretariat, [council], lang=lang)
    return app, client, council_id, email


def _new_consultation(client, council_id) -> str:
    created = client.post(
        "/staff/consultations/new",
        data={
            "council": council_id,
            "questionnaire": "future-skill-needs.yaml",
            "title": "Construction skills 2030",
        },
    )
    assert created.status_code == 303
    return created.headers["Location"].rsplit("/", 1)[1]


def test_a_questionnaire_broken_since_it_was_listed_is_refused_at_its_field(
    secretariat, lang, monkeypatch
):
    app, client, council_id, _ = secretariat
    monkeypatch.setattr(
        "app.questionnaires.services.read_questionnaire_file", lambda path: b"\xff\xfe"
    )
    page = client.post(
        "/staff/consultations/new",
        data={
            "council": council_id,
            "questionnaire": "future-skill-needs.yaml",
            "title": "Construction skills 2030",
        },
    )
    assert page.status_code == 422
    errors = _field_errors(page.get_data(as_text=True))
    assert errors == {
        "questionnaire": _expected("%(file)s: not UTF-8 text", lang, file="future-skill-needs.yaml")
    }
    with app.app_context():
        assert db.session.scalars(select(Consultation)).all() == []


def test_a_title_problem_of_the_service_is_shown_in_the_language(secretariat, lang):
    """The form refuses a long title first; the service's own refusal reads the same way."""
    app, _client, council_id, email = secretariat
    with app.test_request_context(f"/?lang={lang}"):
        from app.auth.services import find_user
        from app.councils.models import Council

        with pytest.raises(InvalidInput) as refused:
            consultations.create_consultation(
                db.session.get(Council, council_id),
                ROOT / "surveys" / "future-skill-needs.yaml",
                title="T" * 301,
                by=find_user(email),
            )
        [problem] = refused.value.problems
        assert problem.field == "title"
        assert problem_message(problem) == _expected(
            "at most %(n)s characters", lang, n=count(300, locale=lang)
        )
    assert refused.value.message == "the title is too long"
    assert problem.what() == "at most 300 characters"


def test_plan_rule_and_value_problems_are_shown_beside_their_fields_in_the_language(
    secretariat, lang
):
    app, client, council_id, _ = secretariat
    cid = _new_consultation(client, council_id)
    data = {
        "consensus_in": "happiness > 3",
        "consensus_out": "iqr <= 1 and disagreement >= 0.70",
        "min_n": 5,
        "stability_rule": "net_change < 0.15 and wilcoxon_p >= 0.05",
        "max_rounds": 3,
        "scope": "panel",
        "min_group_n": 5,
        "contested_alpha": "0.05",
        "contested_median_diff": "2",
        "weighting": "balanced",
        "bootstrap_b": 2000,
        "bootstrap_seed": 12345,
    }
    page = client.post(f"/staff/consultations/{cid}/plan", data=data)
    assert page.status_code == 422
    errors = _field_errors(page.get_data(as_text=True))
    assert errors == {
        "consensus_in": _expected(
            "rule %(rule)s: unknown name %(name)s (allowed: %(allowed)s)",
            lang,
            rule="'happiness > 3'",
            name="'happiness'",
            allowed=", ".join(sorted(RULE_NAMES["likert"])),
        )
    }
    too_big = client.post(
        f"/staff/consultations/{cid}/plan",
        data={**data, "consensus_in": "iqr <= 1", "bootstrap_seed": 2**63},
    )
    assert too_big.status_code == 422
    # the bounds are numbers read in the language (9.223.372.036.854.775.807)
    assert _field_errors(too_big.get_data(as_text=True)) == {
        "bootstrap_seed": _expected(
            "%(value)s must be in %(low)s..%(high)s",
            lang,
            value=str(2**63),
            low=count(0, locale=lang),
            high=count(2**63 - 1, locale=lang),
        )
    }


def test_opening_a_round_twice_and_changing_a_locked_plan_are_refused_in_the_language(
    secretariat, lang
):
    app, client, council_id, _ = secretariat
    cid = _new_consultation(client, council_id)
    deadline = (date.today() + timedelta(days=14)).isoformat()
    url = f"/staff/consultations/{cid}/rounds/1/open"
    assert client.post(url, data={"deadline": deadline}).status_code == 303
    client.get(f"/staff/consultations/{cid}")  # the success message is shown once
    again = client.post(url, data={"deadline": deadline})
    flashes = _flashes(client.get(again.headers["Location"]).get_data(as_text=True))
    assert flashes == [
        _expected("round %(n)s is open; it cannot be opened (only when draft)", lang, n="1")
    ]
    locked = client.post(f"/staff/consultations/{cid}/plan", data={"consensus_in": "iqr <= 1"})
    # the plan page, which also says in a notice since when the plan is locked
    flashes = _flashes(client.get(locked.headers["Location"]).get_data(as_text=True))
    assert flashes[0] == _expected(
        "the analysis plan was locked when round 1 opened and cannot be changed", lang
    )


def test_a_consultation_out_of_scope_is_not_found_in_the_language(secretariat, lang):
    _app, client, *_ = secretariat
    page = client.get("/staff/consultations/999999")
    assert page.status_code == 404
    assert _error_page_message(page.get_data(as_text=True)) == _expected(
        "no such consultation", lang
    )


def test_results_of_an_open_round_are_refused_in_the_language(secretariat, lang):
    app, client, council_id, _ = secretariat
    with app.app_context():
        from app.councils.models import Council

        cid = make_consultation(db.session.get(Council, council_id)).id
        db.session.commit()
    page = client.get(f"/staff/consultations/{cid}/rounds/1/results")
    assert page.status_code == 403
    assert _error_page_message(page.get_data(as_text=True)) == _expected(
        "round %(n)s is open: results are shown after it closes", lang, n="1"
    )


# ----------------------------------------------------------------------------- curation


def test_a_theme_label_problem_is_flashed_in_the_language(secretariat, lang):
    app, client, council_id, _ = secretariat
    with app.app_context():
        from app.councils.models import Council

        consultation = make_consultation(
            db.session.get(Council, council_id), rounds=(RoundStatus.closed,)
        )
        theme = Theme(
            consultation=consultation,
            round_id=consultation.rounds[0].id,
            label={"en": "Data skills"},
            statements=["we need data skills"],
            esco_uris=[],
            approved=False,
        )
        db.session.add(theme)
        db.session.commit()
        cid, theme_id = consultation.id, theme.id
    url = f"/staff/consultations/{cid}/rounds/1/themes"
    refused = client.post(
        url, data={"action": "rename", "theme": theme_id, "label-en": "Data\nskills"}
    )
    assert refused.status_code == 303
    flashes = _flashes(client.get("/staff/consultations/").get_data(as_text=True))
    assert flashes == [
        _expected(
            "%(message)s: %(problems)s",
            lang,
            message=_expected("the theme label needs attention", lang),
            problems=_expected(
                "the label in %(language)s must be a single line; remove line breaks, tabs "
                "and other control characters",
                lang,
                language="English (en)",
            ),
        )
    ]


# ----------------------------------------------------------------------------- the tables


def test_every_kind_of_object_and_every_refused_round_action_has_its_own_sentence():
    assert set(REFUSALS) == set(OBJECT_RULES) == set(APPLICABLE)
    allowed = {"open": "draft", "extend": "open", "close": "open", "release": "closed"}
    assert set(_ROUND_REFUSALS) == {
        (action, status)
        for action in allowed
        for status in RoundStatus
        if status != allowed[action]
    }
