"""The parsers a child process may run: an allow-list, by name.

A parser is a pure function called as ``function(data=<the file's bytes>, **kwargs)`` with
JSON keyword arguments. Its result goes back to the web process as JSON: through the result
class's ``to_json()`` and ``from_json()`` when ``result`` names one, else as it is. Entries
name their modules as text, so the child imports only the parser it runs (no pandas or
matplotlib unless that parser needs them).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ParserSpec:
    #: ``module:function`` of the parser.
    function: str
    #: ``module:Class`` of its result (``to_json``/``from_json``); None: plain JSON values.
    result: str | None = None


PARSERS: dict[str, ParserSpec] = {
    "panel-file": ParserSpec("app.panels.parse:parse_panel_file", "app.panels.parse:PanelPreview"),
    # kwargs: filename, profile (the profile's YAML text), crosswalk (text or None), first
    "forecast-table": ParserSpec(
        "app.forecasts.parse:preview_forecast_table", "app.forecasts.parse:ForecastPreview"
    ),
    # Parsers that misbehave on purpose, to show that the child's limits hold on this host
    # (``flask uploads check-limits`` and the tests).
    "probe-echo": ParserSpec("app.uploads.probes:echo"),
    "probe-allocate": ParserSpec("app.uploads.probes:allocate"),
    "probe-spin": ParserSpec("app.uploads.probes:spin"),
    "probe-sleep": ParserSpec("app.uploads.probes:sleep"),
    "probe-flood": ParserSpec("app.uploads.probes:flood"),
    "probe-crash": ParserSpec("app.uploads.probes:crash"),
}


class UnknownParser(LookupError):
    """A name that is not on the allow-list."""


def parser_spec(name: str) -> ParserSpec:
    """The allow-listed parser ``name``; UnknownParser for any other name."""
    spec = PARSERS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise UnknownParser(f"{name!r} is not an allowed parser")
    return spec


def resolve(path: str) -> Any:
    """The object a ``module:name`` path of this allow-list names."""
    module, _sep, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)
