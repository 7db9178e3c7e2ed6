"""One formatter for every figure a person reads (app.formatting)."""

from __future__ import annotations

import math

import pytest

from app import formatting as f


@pytest.mark.parametrize(
    ("value", "places", "locale", "text"),
    [
        (1234.5, 2, "en", "1,234.50"),
        (1234.5, 2, "de", "1.234,50"),
        (1234.5, 2, "fr", "1\u202f234,50"),
        (2.675, 2, "en", "2.68"),  # halves away from zero on the value as written
        (-2.675, 2, "en", "-2.68"),
        (0.1 + 0.2, 2, "en", "0.30"),
        (4.0, 2, "en", "4.00"),
        (None, 2, "en", "–"),
        (math.nan, 2, "en", "–"),
        ("inf", 2, "en", "∞"),
        (math.inf, 2, "de", "∞"),
    ],
)
def test_numbers(value, places, locale, text):
    got = f.number(value, places, locale=locale)
    # French groups with a narrow or ordinary no-break space depending on the CLDR version
    assert got.replace("\xa0", "\u202f") == text


@pytest.mark.parametrize(
    ("share", "locale", "text"),
    [
        (5 / 8, "en", "63%"),  # 62.5 %: one rule, everywhere
        (0.125, "en", "13%"),
        (0.005, "en", "1%"),
        (1.0, "en", "100%"),
        (5 / 8, "de", "63\xa0%"),
        (5 / 8, "fr", "63\xa0%"),
        (None, "en", "–"),
    ],
)
def test_shares_are_whole_per_cent_halves_up(share, locale, text):
    assert f.percent(share, locale=locale).replace("\u202f", "\xa0") == text


def test_points_drop_trailing_zeros():
    assert [f.number(v, trim=True) for v in (13, 13.0, 10.5, 2.675, 55)] == [
        "13",
        "13",
        "10.5",
        "2.68",
        "55",
    ]
    assert f.number(10.5, trim=True, locale="de") == "10,5"


def test_p_values_read_as_clauses():
    assert f.p_clause(0.0004) == "p < 0.001"
    assert f.p_clause(0.0341) == "p = 0.034"
    assert f.p_clause(0.0004, locale="de") == "p < 0,001"
    assert f.p_value(None) == "–"


def test_intervals_and_counts():
    assert f.interval(3, 5) == "3.00 – 5.00"
    assert f.interval(0.43, 0.875, share=True) == "43% – 88%"
    assert f.interval(None, 5) == "–"
    assert f.count(12345.0) == "12,345" and f.count(12345, locale="de") == "12.345"


def test_localized_texts_fall_back_in_one_order():
    texts = {"en": "Digital skills", "de": "Digitale Kompetenzen", "fr": ""}
    assert f.localized(texts, "de", "en") == "Digitale Kompetenzen"
    assert f.localized(texts, "fr", "en") == "Digital skills"  # empty counts as missing
    assert f.localized({"de": "Nur Deutsch"}, "fr", "en") == "Nur Deutsch"
    assert f.localized({}, "fr", "en") == "" and f.localized(None, "fr") == ""
    assert f.localized("plain", "fr") == "plain"


@pytest.mark.parametrize(
    ("code", "locale", "name"),
    [
        ("el", "en", "Greek"),
        ("el", "de", "Griechisch"),
        ("pl", "fr", "polonais"),
        ("zz", "en", "zz"),
    ],
)
def test_language_names_are_in_the_readers_language(code, locale, name):
    assert f.language_name(code, locale=locale) == name


def test_lists_are_joined_as_the_locale_writes_them():
    assert f.word_list(["Greek", "French", "Polish"], style="or") == "Greek, French, or Polish"
    assert f.word_list(["4", "9"], locale="de") == "4 und 9"
    assert f.word_list(["English"]) == "English"


def test_a_date_reads_one_way_per_language_a_datetime_as_its_utc_day():
    from datetime import UTC, date, datetime, timedelta, timezone

    day = date(2026, 3, 5)
    assert f.date_text(day, locale="en") == "March 5, 2026"
    assert f.date_text(day, locale="de") == "5. März 2026"
    assert f.date_text(day, locale="fr") == "5 mars 2026"
    late = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)
    assert f.date_text(late, locale="de") == "5. März 2026"
    # 00:30 in Berlin on the 6th is still the 5th in UTC
    berlin = late.astimezone(timezone(timedelta(hours=1)))
    assert f.date_text(berlin, locale="de") == "5. März 2026"
    assert f.date_text(None) == f.MISSING
