"""Free-text answers → one row per statement.

A panellist's answer to an open question often lists several skill needs at once: a bulleted
or numbered list, sentences, items separated by semicolons or line breaks. Theme suggestion
and ESCO matching work on single statements, so answers are split first.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from app.themes._text import normalise_space

#: Columns of the frame returned by :func:`split_statements`.
STATEMENT_COLUMNS: tuple[str, ...] = ("statement_id", "response", "item", "text", "language")

#: Abbreviations (case-folded, inner dots removed) after which a full stop does not end a
#: sentence. Single letters ("z. B.", initials) and one- or two-digit ordinals ("3. Lehrjahr")
#: are handled by rule, not listed.
ABBREVIATIONS: frozenset[str] = frozenset(
    [
        "eg",
        "ie",
        "cf",
        "approx",
        "incl",
        "excl",
        "esp",
        "dept",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "no",
        "nr",
        "vs",
        "resp",
        "min",
        "max",
        "ca",
        "bzw",
        "vgl",
        "ggf",
        "inkl",
        "evtl",
        "zb",
        "dh",
        "ua",
        "usw",
        "sog",
        "bspw",
        "insb",
        "mind",
        "max",
        "abt",
        "pex",
        "cad",
        "env",
        "ex",
        "mme",
        "mlle",
        "ej",
        "aprox",
    ]
)

#: Answers (or fragments) that say nothing; compared case-folded, without punctuation.
PLACEHOLDERS: frozenset[str] = frozenset(
    """
    na none nothing nil idem ditto same dito keine nichts ka kA rien aucun aucune néant
    ninguno ninguna nada no non nein
    """.casefold().split()
)

_BULLET_CHARS = "•●▪◦‣■□➢➤►‐"
_LINE_MARKER = re.compile(
    r"^\s*(?:[-*+–—>" + _BULLET_CHARS + r"]+|\(?\d{1,2}[.)]|\(?[a-z]\))\s+",
)
_INLINE_BULLET = re.compile(r"\s*[" + _BULLET_CHARS + r"]\s*")
_INLINE_NUMBER = re.compile(r"(?:(?<=\s)|^)\(?(\d{1,2})[.)]\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])([\"'»”’)\]]*)\s+")
_TOKEN_BEFORE = re.compile(r"(\S+)$")
_WORD_CHAR = re.compile(r"[^\W_]")
_NON_WORD = re.compile(r"[\W_]+")
_LEADING_JUNK = re.compile(r"^[\s\-–—*+:;,·" + _BULLET_CHARS + r"]+")
_TRAILING_JUNK = re.compile(r"[\s,;–—-]+$")


def split_statements(
    texts: pd.DataFrame,
    *,
    min_chars: int = 3,
) -> pd.DataFrame:
    """Split free-text answers into single statements.

    Splits on line breaks, bulleted and numbered list items (``-``, ``•``, ``1.``, ``2)``,
    ``a)``; inline ``1) … 2) …`` when numbered from 1), semicolons and sentence ends
    (``.``, ``!``, ``?``, ``…`` followed by a space; after ``.`` only when the next
    sentence starts with a capital, digit or quote, and not after abbreviations such as
    "e.g.", "z. B.", "bzw.", single letters or ordinals like "3."). Whitespace is
    collapsed, list markers and trailing separators are removed. Dropped: empty fragments,
    fragments with fewer than ``min_chars`` letters or digits, placeholders ("n/a", "none",
    "keine", "rien", ...), and lead-ins ending with a colon that are followed by further
    statements ("We will need:").

    Args:
        texts: one row per answer, columns ``response``, ``item``, ``text`` and optionally
            ``language``. ``text`` may be missing (None/NaN: no statements).
        min_chars: fragments with fewer letters or digits than this are dropped.

    Returns:
        DataFrame with columns ``statement_id`` (``"<response>:<item>:<n>"``, n counting
        from 1 within an answer), ``response``, ``item``, ``text``, ``language`` (None where
        the input has no ``language`` column or value), sorted by response, item and
        position in the answer, with a fresh RangeIndex. Empty input gives an empty frame
        with these columns. The input is not modified.

    Raises:
        ValueError: `texts` is not a DataFrame, lacks a required column, a ``text`` value
            is neither a string nor missing, or ``min_chars`` is negative.
    """
    _check_texts(texts, min_chars)
    if texts.empty:
        return _empty_statements()

    has_language = "language" in texts.columns
    frame = pd.DataFrame(
        {
            "response": texts["response"].to_numpy(),
            "item": texts["item"].to_numpy(),
            "text": texts["text"].to_numpy(),
            "language": texts["language"].to_numpy() if has_language else None,
            "_row": range(len(texts)),
        }
    )
    frame = _sorted_answers(frame)

    rows: list[dict[str, object]] = []
    counters: dict[tuple[str, str], int] = {}
    for record in frame.itertuples(index=False):
        text = record.text
        if not isinstance(text, str):  # validated above: a missing answer
            continue
        language = None if _is_missing(record.language) else record.language
        key = (str(record.response), str(record.item))
        for statement in split_text(text, min_chars=min_chars):
            counters[key] = counters.get(key, 0) + 1
            rows.append(
                {
                    "statement_id": f"{key[0]}:{key[1]}:{counters[key]}",
                    "response": record.response,
                    "item": record.item,
                    "text": statement,
                    "language": language,
                }
            )
    if not rows:
        return _empty_statements()
    return pd.DataFrame(rows, columns=list(STATEMENT_COLUMNS))


def split_text(text: str, *, min_chars: int = 3) -> list[str]:
    """Statements of one answer, in order; the rules are those of :func:`split_statements`.

    Raises:
        ValueError: `text` is not a string.
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    fragments: list[str] = []
    for line in re.split(r"\r\n|[\n\r\u2028\u2029\v\f]", text):
        line = _LINE_MARKER.sub("", line, count=1)
        for part in _INLINE_BULLET.split(line):
            for numbered in _split_inline_numbers(part):
                for clause in numbered.split(";"):
                    fragments.extend(_split_sentences(clause))

    cleaned = [_clean(f) for f in fragments]
    kept = [f for f in cleaned if _is_content(f, min_chars)]
    return [f for i, f in enumerate(kept) if not (f.endswith(":") and i < len(kept) - 1)]


def _check_texts(texts: object, min_chars: int) -> None:
    if not isinstance(texts, pd.DataFrame):
        raise ValueError(f"texts must be a pandas DataFrame, got {type(texts).__name__}")
    missing = [c for c in ("response", "item", "text") if c not in texts.columns]
    if missing:
        raise ValueError(f"texts lacks required column(s): {', '.join(missing)}")
    if min_chars < 0:
        raise ValueError(f"min_chars must be >= 0, got {min_chars}")
    for position, value in enumerate(texts["text"].to_numpy()):
        if isinstance(value, str) or _is_missing(value):
            continue
        response, item = texts["response"].iloc[position], texts["item"].iloc[position]
        raise ValueError(
            f"text in row {position} (response {_plain(response)!r}, item {_plain(item)!r}) "
            f"must be a string, got {type(value).__name__}: {_plain(value)!r}"
        )


def _plain(value: object) -> object:
    """numpy scalars as Python scalars, for readable messages."""
    return value.item() if isinstance(value, np.generic) else value


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _sorted_answers(frame: pd.DataFrame) -> pd.DataFrame:
    try:
        return frame.sort_values(["response", "item", "_row"], kind="mergesort")
    except TypeError:
        # Mixed id types (e.g. int and str) cannot be compared; their text form can.
        keys = frame.assign(_r=frame["response"].map(str), _i=frame["item"].map(str))
        return keys.sort_values(["_r", "_i", "_row"], kind="mergesort")


def _empty_statements() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in STATEMENT_COLUMNS})


def _split_inline_numbers(part: str) -> list[str]:
    """Split "1) a 2) b 3) c" (or "1. a 2. b") when the markers count up from 1."""
    markers = list(_INLINE_NUMBER.finditer(part))
    expected, starts = 1, []
    for match in markers:
        if int(match.group(1)) == expected:
            starts.append(match)
            expected += 1
    if len(starts) < 2:
        return [part]
    pieces = [part[: starts[0].start()]]
    for current, following in zip(starts, [*starts[1:], None], strict=True):
        end = following.start() if following is not None else len(part)
        pieces.append(part[current.end() : end])
    return pieces


def _split_sentences(clause: str) -> list[str]:
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(clause):
        end = match.end(1)
        before = clause[start:end]
        after = clause[match.end() :]
        if not after or not before:
            continue
        if _ends_sentence(before, after):
            sentences.append(clause[start:end])
            start = match.end()
    sentences.append(clause[start:])
    return sentences


def _ends_sentence(before: str, after: str) -> bool:
    stripped = before.rstrip("\"'»”’)]")
    first = after[0]
    starts_sentence = first.isupper() or first.isdigit() or first in "\"'«„“(¿¡["
    if stripped.endswith(("!", "?")):
        return True
    if stripped.endswith(("…", "..")):
        return starts_sentence
    token_match = _TOKEN_BEFORE.search(stripped[:-1])
    token = token_match.group(1) if token_match else ""
    bare = token.casefold().lstrip("(\"'«„“").replace(".", "")
    if bare in ABBREVIATIONS:
        return False
    if len(bare) == 1 and bare.isalpha():
        return False
    if bare.isdigit() and len(bare) <= 2:
        return False
    return starts_sentence


def _clean(fragment: str) -> str:
    text = normalise_space(fragment)
    text = _LEADING_JUNK.sub("", text)
    return _TRAILING_JUNK.sub("", text)


def _is_content(fragment: str, min_chars: int) -> bool:
    if len(_WORD_CHAR.findall(fragment)) < max(min_chars, 1):
        return False
    return _NON_WORD.sub("", fragment).casefold() not in PLACEHOLDERS
