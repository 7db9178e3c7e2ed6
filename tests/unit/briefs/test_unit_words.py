"""A dataset's unit in the reader's language: common units through the catalogue, any
other as published."""

from app.briefs.brief_tables import fact_value_text
from app.briefs.content import FactKey, sample_content
from app.briefs.words import unit_words

GERMAN = {"thousand jobs": "Tausend Arbeitsplätze", "persons": "Personen"}.get


def _german(text: str) -> str:
    return GERMAN(text, text)


def test_a_common_unit_is_looked_up_whatever_its_case():
    assert unit_words("Thousand Jobs", _german) == ("Tausend Arbeitsplätze", True)
    assert unit_words(" persons ", _german) == ("Personen", True)


def test_an_unknown_unit_is_printed_as_published():
    assert unit_words("FTE (full-time equivalents)", _german) == (
        "FTE (full-time equivalents)",
        False,
    )


def test_a_key_fact_reads_its_unit_in_the_pages_language():
    fact = next(f for f in sample_content().key_facts.facts if f.key is FactKey.base_employment)
    assert fact_value_text(fact, "de", _german) == "1.200 Tausend Arbeitsplätze"
    assert fact_value_text(fact, "en") == "1,200 thousand jobs"
