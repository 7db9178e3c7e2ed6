"""One way to say what is wrong with some input, and where (pure: no Flask, no database).

Every parser (questionnaire files, panel files, classifications, forecast tables) and every
service that refuses input reports ``Problem`` values: a message for people, and the location
as data — the file, its line or row and column, and a machine-readable ``field`` key. Views put
a problem beside the form field its ``field`` names; they never read the message, which is
translated (STYLE.md 12).

``field`` is the name a form or file knows the value by: a form field (``"title"``), a column
(``"email"``), a dotted key path in a questionnaire file (``"items[digital].labels.de"``), or
an item key with the part of the answer after a slash (``"employment-change-2033/low"``; the
location shown to people stops at the slash).

Pure code (parsers, upload checks, the upload child process) has no interface language: its
message is an English message id marked with ``N_``, with ``%(name)s`` placeholders whose
values are in ``params``, raw (a count, a ``Bytes`` size). Whoever shows the problem
translates it and formats the values for the reader's locale (``Problem.text`` with a
gettext; ``app.i18n.problem_text`` in a request); ``str(problem)`` is the English.

Services write their problems the same way, and the summary of a refusal too
(``app.errors.DomainError`` takes a message id and its values; ``app.i18n.refusal_text``
shows it): a service does not know who reads its refusal, a page or the command line, which
stays in English. A value that is a word (a status, a role) has no place among the values:
each such case is a sentence of its own, so that every language can say it in its own words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from app.formatting import N_, count, data_size, number

__all__ = [
    "N_",
    "Bytes",
    "Problem",
    "Translate",
    "Value",
    "as_problems",
    "for_field",
    "message_text",
    "params_from_json",
    "params_to_json",
]

Translate = Callable[[str], str]


@dataclass(frozen=True)
class Bytes:
    """A size in bytes among a message's values, read in KiB, MiB or GiB."""

    size: int
    #: A limit reads whole when it is ("10 MiB"); an actual size with one decimal, rounded up.
    limit: bool = False


#: A message's value: text (shown as it is), a count (int) or a decimal (float) formatted for
#: the locale, or a size.
Value = str | int | float | Bytes


def _same(message: str) -> str:
    return message


def _value_text(value: Value, translate: Translate, locale: str) -> str:
    if isinstance(value, Bytes):
        return data_size(value.size, limit=value.limit, locale=locale, translate=translate)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return count(value, locale=locale)
    return number(value, 2, trim=True, locale=locale)


def message_text(
    message: str,
    params: Mapping[str, Value] | None = None,
    *,
    translate: Translate | None = None,
    locale: str = "en",
) -> str:
    """``message`` translated by ``translate`` (a gettext for ``locale``; none: English), its
    placeholders filled with ``params`` formatted for ``locale``."""
    translate = translate or _same
    text = translate(message)
    if not params:
        return text
    values = {name: _value_text(value, translate, locale) for name, value in params.items()}
    try:
        return text % values
    except (KeyError, ValueError, TypeError):  # a translation that lost a placeholder
        return message % values


def params_to_json(params: Mapping[str, Value] | None) -> dict[str, Any] | None:
    """A message's values as JSON values (a size as ``{"bytes": n, "limit": bool}``)."""
    if not params:
        return None
    return {
        name: {"bytes": v.size, "limit": v.limit} if isinstance(v, Bytes) else v
        for name, v in params.items()
    }


def params_from_json(doc: Mapping[str, Any] | None) -> dict[str, Value] | None:
    """The values ``params_to_json`` wrote; TypeError for a malformed document."""
    if not doc:
        return None
    if not isinstance(doc, Mapping):
        raise TypeError("message values must be an object")
    return {
        str(name): Bytes(int(v["bytes"]), bool(v.get("limit"))) if isinstance(v, Mapping) else v
        for name, v in doc.items()
    }


@dataclass(frozen=True)
class Problem:
    """Why an input cannot be taken, and where."""

    message: str
    #: Machine-readable key of the value at fault (see the module docstring); None for the
    #: input as a whole.
    field: str | None = None
    #: The file, for problems of a file.
    file: str | None = None
    #: Line of a text file (1-based).
    line: int | None = None
    #: Row of a table as a spreadsheet numbers it (the header is row 1).
    row: int | None = None
    #: Column of a table, as its header names it.
    column: str | None = None
    #: Values of the message's ``%(name)s`` placeholders; None when it has none.
    params: Mapping[str, Value] | None = dataclass_field(default=None, hash=False)

    def where(self, translate: Translate | None = None) -> str:
        """The location in words: "surveys/x.yaml:12: key", "row 14, column `email`",
        "title"; "" for the input as a whole. ``translate``: see ``text``."""
        words = translate or _same
        if self.file is not None and self.line is not None:
            place = f"{self.file}:{self.line}"
            return f"{place}: {self.key}" if self.field else place
        if self.row is not None:
            # row and line numbers as the spreadsheet or editor shows them: not grouped
            if self.line is not None and self.line != self.row:  # a CSV row over several lines
                place = words(N_("row %(row)s (line %(line)s)")) % {
                    "row": self.row,
                    "line": self.line,
                }
            else:
                place = words(N_("row %(row)s")) % {"row": self.row}
            if not self.column:
                return place
            return words(N_("%(place)s, column `%(column)s`")) % {
                "place": place,
                "column": self.column,
            }
        if self.column is not None:
            return words(N_("column `%(column)s`")) % {"column": self.column}
        if self.file is not None:
            return self.file
        return self.key or ""

    def what(self, translate: Translate | None = None, locale: str = "en") -> str:
        """The message alone, its values filled in (see ``text``)."""
        return message_text(self.message, self.params, translate=translate, locale=locale)

    def text(self, translate: Translate | None = None, locale: str = "en") -> str:
        """The location, then the message: in English, or translated by ``translate`` (a
        gettext for ``locale``) with the values formatted for ``locale``."""
        where = self.where(translate)
        what = self.what(translate, locale)
        if not where:
            return what
        return (translate or _same)(N_("%(where)s: %(message)s")) % {
            "where": where,
            "message": what,
        }

    def __str__(self) -> str:
        return self.text()

    @property
    def part(self) -> str | None:
        """The part after the slash of ``field`` ("low" of "estimate/low"), if any."""
        if not self.field or "/" not in self.field:
            return None
        return self.field.split("/", 1)[1]

    @property
    def key(self) -> str | None:
        """``field`` up to its slash (an item key, a form field, a key path)."""
        return self.field.split("/", 1)[0] if self.field else None

    def to_json(self) -> dict[str, Any]:
        """The problem as JSON values: ``message`` is the message id when ``params`` fill it
        (``str(problem)`` is the English text)."""
        doc = {
            "message": self.message,
            "field": self.field,
            "file": self.file,
            "line": self.line,
            "row": self.row,
            "column": self.column,
            "params": params_to_json(self.params),
        }
        return {k: v for k, v in doc.items() if v is not None}


def as_problems(values: Iterable[Problem | str] | None) -> list[Problem]:
    """Problems from a list that may still hold plain messages."""
    return [v if isinstance(v, Problem) else Problem(str(v)) for v in values or ()]


def for_field(problems: Iterable[Problem], field: str) -> list[Problem]:
    """The problems of one field (exact key, or a part of it: "q/low" belongs to "q")."""
    return [p for p in problems if p.field == field or p.key == field]
