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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any


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

    def where(self) -> str:
        """The location in words: "surveys/x.yaml:12: key", "row 14, column `email`",
        "title"; "" for the input as a whole."""
        if self.file is not None and self.line is not None:
            place = f"{self.file}:{self.line}"
            return f"{place}: {self.key}" if self.field else place
        if self.row is not None:
            place = f"row {self.row}"
            if self.line is not None and self.line != self.row:
                place += f" (line {self.line})"  # a CSV row spread over several lines
            return f"{place}, column `{self.column}`" if self.column else place
        if self.column is not None:
            return f"column `{self.column}`"
        if self.file is not None:
            return self.file
        return self.key or ""

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

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
        return {k: v for k, v in asdict(self).items() if v is not None}


def as_problems(values: Iterable[Problem | str] | None) -> list[Problem]:
    """Problems from a list that may still hold plain messages."""
    return [v if isinstance(v, Problem) else Problem(str(v)) for v in values or ()]


def for_field(problems: Iterable[Problem], field: str) -> list[Problem]:
    """The problems of one field (exact key, or a part of it: "q/low" belongs to "q")."""
    return [p for p in problems if p.field == field or p.key == field]
