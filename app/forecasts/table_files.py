"""Forecast tables uploaded for import: which profile reads them, and their preview, parsed
away from the web process (``app.uploads``, parser ``"forecast-table"``).

A profile travels between the upload, its preview and the confirmed import as a
``ProfileChoice``: a shipped profile by name, or the YAML text an official uploaded (checked
again each time it is read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.errors import InvalidInput
from app.forecasts.profile import (
    Profile,
    ProfileError,
    list_profiles,
    load_profile_text,
    shipped_profile,
)
from app.forecasts.table import TableSummary
from app.problems import N_, Problem, params_from_json
from app.uploads import services as uploads

#: The profile choice that means "the profile file uploaded with the table".
UPLOADED = "__uploaded__"


@dataclass(frozen=True)
class ProfileChoice:
    """The profile an upload is read with."""

    profile: Profile
    #: The shipped profile's name; None for an uploaded profile.
    shipped: str | None = None

    def to_json(self) -> dict[str, Any]:
        if self.shipped:
            return {"name": self.profile.name, "shipped": self.shipped}
        return {"name": self.profile.name, "text": self.profile.text}


def shipped() -> list[tuple[str, str]]:
    """(name, title) of every shipped profile."""
    return [(info.name, info.title) for info in list_profiles()]


def _refused(exc: ProfileError, field: str) -> InvalidInput:
    return InvalidInput(
        N_("the profile cannot be used"),
        [
            Problem(p.message, field=field, file=p.file, line=p.line, params=p.params)
            for p in exc.problems
        ]
        or [Problem(N_("the profile cannot be used"), field=field)],
    )


def choose(selected: str | None, uploaded: bytes | None) -> ProfileChoice:
    """The profile chosen on the import form: an uploaded YAML file when one was given or
    ``selected`` is ``UPLOADED``, else the shipped profile ``selected``. Raises
    InvalidInput naming the form field (``profile`` or ``profile_file``) and every
    problem of the profile by line and key."""
    if uploaded is not None or selected == UPLOADED:
        if not uploaded:
            raise InvalidInput(
                N_("the profile cannot be used"),
                [Problem(N_("choose a profile file to upload"), field="profile_file")],
            )
        try:
            text = uploaded.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(
                N_("the profile cannot be used"),
                [Problem(N_("the file is not UTF-8 text"), field="profile_file")],
            ) from None
        try:
            return ProfileChoice(load_profile_text(text, source="uploaded profile"))
        except ProfileError as exc:
            raise _refused(exc, "profile_file") from None
    try:
        return ProfileChoice(shipped_profile(selected or ""), shipped=selected)
    except ProfileError as exc:
        raise _refused(exc, "profile") from None


def from_json(doc: dict[str, Any]) -> ProfileChoice:
    """A choice as ``ProfileChoice.to_json`` kept it; InvalidInput when it no longer loads."""
    if doc.get("shipped"):
        return choose(str(doc["shipped"]), None)
    return choose(UPLOADED, str(doc.get("text") or "").encode("utf-8"))


def problem_from_json(doc: dict[str, Any]) -> Problem:
    return Problem(
        str(doc.get("message") or ""),
        field=doc.get("field"),
        file=doc.get("file"),
        line=doc.get("line"),
        row=doc.get("row"),
        column=doc.get("column"),
        params=params_from_json(doc.get("params")),
    )


def preview(
    data: bytes, filename: str, choice: ProfileChoice, crosswalk: bytes | None
) -> tuple[TableSummary, list[Problem]]:
    """The table's first values, counts per indicator and year, and every problem, read in
    the child process. Raises UploadRefused (413 beyond a limit, 422 unreadable)."""
    result = uploads.parse_file(
        "forecast-table",
        data,
        filename=filename,
        profile=choice.profile.text,
        crosswalk=None if crosswalk is None else crosswalk.decode("utf-8", "replace"),
    )
    return result.summary, list(result.problems)
