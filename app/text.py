"""Text as it is written out: one-line text (a title, a label, a name or an e-mail header),
paragraphs, and sentences written one after another.

A line break in a consultation title would end the ``Subject`` header of every invitation,
and other control characters garble one-line displays. Forms and services refuse them with
``has_control_characters``; code that writes headers also passes text through ``one_line``,
so that text stored before the check cannot break a message either.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: C0 controls (tab, line feed and carriage return among them), DEL, C1 controls (NEL
#: among them) and the Unicode line and paragraph separators.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: Control characters that a multi-line text (a description, an answer) may hold.
LINE_BREAKS_AND_TABS = frozenset("\t\n\r")
_RUN = re.compile(r"(?:[\x00-\x1f\x7f-\x9f\u2028\u2029]|\s)+")


def has_control_characters(text: str, *, allow: frozenset[str] = frozenset()) -> bool:
    """Whether ``text`` holds a control character other than those in ``allow``."""
    return any(ch not in allow for ch in CONTROL_CHARACTERS.findall(text))


def one_line(text: str) -> str:
    """``text`` with each run of control characters and white space turned into one space,
    trimmed at both ends."""
    return _RUN.sub(" ", text).strip()


_LINE_ENDING = re.compile(r"\r\n?")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def unix_lines(text: str) -> str:
    """``text`` with every line ending (CRLF, as browsers send a textarea, or a lone CR)
    written as one line feed."""
    return _LINE_ENDING.sub("\n", text)


def paragraphs(text: str | None) -> list[str]:
    """The paragraphs of a multi-line text: the pieces between blank lines, trimmed, the
    empty ones left out (whatever line endings the text was stored with)."""
    pieces = _BLANK_LINE.split(unix_lines(text or ""))
    return [piece.strip() for piece in pieces if piece.strip()]


#: The end of a sentence: a full stop, question or exclamation mark or ellipsis, and the
#: closing quotation marks or brackets after it.
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u00bb\u201d\u2019)\]]*$")


def sentences(texts: Iterable[str | None]) -> str:
    """``texts`` written one after another as sentences: each trimmed, the empty ones left
    out, a full stop after one that ends without a mark of its own, one space between
    them ("It is illustrative. A projection is a scenario.")."""
    out = []
    for text in texts:
        text = (text or "").strip()
        if text:
            out.append(text if _SENTENCE_END.search(text) else text + ".")
    return " ".join(out)
