"""What changed between two texts, line by line (pure: the diff pages show it)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    """One line of a comparison: ``kind`` is ``same``, ``removed`` or ``added``."""

    kind: str
    text: str


def text_changes(old: str, new: str) -> list[Change]:
    """The lines of ``old`` and ``new`` in order, each marked same, removed or added (lines
    are split at line breaks; an empty text has no lines)."""
    changes = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        tag, text = line[:2], line[2:]
        if tag == "  ":
            changes.append(Change("same", text))
        elif tag == "- ":
            changes.append(Change("removed", text))
        elif tag == "+ ":
            changes.append(Change("added", text))
    return changes
