"""The translation catalogues: complete, placeholders intact, French typography kept."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

CATALOGUES = Path(__file__).resolve().parents[2] / "app" / "translations"
LANGUAGES = sorted(p.name for p in CATALOGUES.iterdir() if (p / "LC_MESSAGES").is_dir())
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


def _messages(lang: str):
    with (CATALOGUES / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        yield message, ids, strings


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_is_translated_and_keeps_its_placeholders(lang):
    missing, fuzzy, broken = [], [], []
    for message, ids, strings in _messages(lang):
        if not all(strings):
            missing.append(ids[0])
        elif message.fuzzy:
            fuzzy.append(ids[0])
        elif set(PLACEHOLDER.findall(ids[-1])) != set(PLACEHOLDER.findall(strings[-1])):
            broken.append(ids[0])
    assert (missing, fuzzy, broken) == ([], [], [])


def test_french_texts_use_no_break_spaces_before_double_punctuation_and_in_quotes():
    """French typography: « texte », « : », « ; », « ! », « ? » take a no-break space."""
    wrong = []
    for _message, ids, strings in _messages("fr"):
        for text in strings:
            plain = re.sub(r"https?://\S+", "", PLACEHOLDER.sub("X", text))
            if re.search(r"(?<![\u00a0\u202f])[;:!?](?=\s|$)", plain) or re.search(
                r"«(?![\u00a0\u202f])|(?<![\u00a0\u202f])»", plain
            ):
                wrong.append((ids[0], text))
    assert wrong == []


def test_every_text_of_the_interface_is_in_the_catalogues(tmp_path):
    """A text added to the code or a template without ``make messages`` and a translation
    would show in English to German and French readers."""
    template = tmp_path / "messages.pot"
    root = CATALOGUES.parents[1]
    subprocess.run(  # noqa: S603 - the virtual environment's own pybabel
        [str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg"]
        + ["-k", "_l", "-k", "lazy_gettext", "-o", str(template), "."],
        cwd=root,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as fh:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    for lang in LANGUAGES:
        have = {ids[0] for _m, ids, _s in _messages(lang)}
        assert sorted(wanted - have) == [], lang


#: A per cent sign that is neither a placeholder nor an escaped ``%%``.
LONE_PERCENT = re.compile(r"%(?!\([a-z_]+\)[sd]|%)")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_translation_has_a_bare_per_cent_sign_only_where_its_text_has_one(lang):
    """Templates format every text (``{% trans %}``, ``_()`` with the new-style gettext), so
    a translation that writes "200%" where the text says "200 percent" breaks its page."""
    stray = []
    for _message, ids, strings in _messages(lang):
        for text, string in zip((ids[0], ids[-1]), (strings[0], strings[-1]), strict=True):
            if len(LONE_PERCENT.findall(string)) > len(LONE_PERCENT.findall(text)):
                stray.append(string)
    assert stray == []
