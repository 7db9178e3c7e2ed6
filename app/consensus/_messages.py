"""Messages of the engine for people (pure): English message ids, translated where shown.

An invalid plan or rule says why with a message id marked ``N_`` and the values of its
``%(name)s`` placeholders, so that the page showing it can translate it; ``str()`` of the
error is the English text. (``app.formatting.N_`` is the same; the engine imports nothing
of the app.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def N_(message: str) -> str:
    """``message`` as it is, marked for the catalogues: it is translated where it is shown."""
    return message


def english(message: str, params: Mapping[str, Any] | None) -> str:
    """``message`` with its placeholders filled in, as the engine's errors read in English."""
    return message % dict(params) if params else message
