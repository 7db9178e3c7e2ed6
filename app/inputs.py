"""Text from the outside world, as every view receives it.

Form fields and URL parameters lose the invisible C0 control characters (NUL and the like;
tab, line feed and carriage return stay) before any view sees them: PostgreSQL cannot store a
NUL in text at all, and none of these characters means anything a person typed. The request
notes how many were removed, and the page says so (SECURITY.md R7).

Line endings are written as one line feed (browsers send a textarea's lines ended by CRLF):
every stored multi-line text has the same paragraphs whichever browser sent it.
"""

from __future__ import annotations

import re

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.utils import cached_property

from app.text import unix_lines

#: C0 controls except TAB, LF and CR; DEL.
INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_controls(value: str) -> tuple[str, int]:
    """(value without invisible controls, how many were removed)."""
    cleaned, removed = INVISIBLE.subn("", value)
    return cleaned, removed


def _cleaned(data) -> tuple[ImmutableMultiDict, int]:
    removed = 0
    pairs = []
    for key, value in data.items(multi=True):
        key, n_key = without_controls(key)
        value, n_value = without_controls(value)
        removed += n_key + n_value
        pairs.append((key, unix_lines(value)))
    return ImmutableMultiDict(pairs), removed


class InputRequest(Request):
    """A request whose ``form`` and ``args`` hold no invisible control characters."""

    #: How many control characters were removed from form fields and URL parameters.
    controls_removed: int = 0

    def _load_form_data(self) -> None:
        already = "form" in self.__dict__
        super()._load_form_data()
        if already:
            return
        form, removed = _cleaned(self.__dict__["form"])
        self.__dict__["form"] = form
        self.controls_removed += removed
        for upload in self.__dict__["files"].values():
            if upload.filename:
                upload.filename, _n = without_controls(upload.filename)

    @cached_property
    def args(self):  # type: ignore[override]
        args, removed = _cleaned(super().args)
        self.controls_removed += removed
        return args
