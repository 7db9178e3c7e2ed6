"""Validators shared by the forms of several packages. They check shape only."""

from __future__ import annotations

import calendar
import re
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from wtforms import DateField
from wtforms.validators import StopValidation

from app.text import LINE_BREAKS_AND_TABS, has_control_characters


class SingleLine:
    """Refuse line breaks, tabs and other control characters in a one-line text field
    (titles, names, labels: they end up in e-mail subjects and one-line displays)."""

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and has_control_characters(field.data):
            raise StopValidation(
                _(
                    "%(field)s must be a single line: remove line breaks, tabs and other "
                    "control characters.",
                    field=field.label.text,
                )
            )


class PlainText:
    """Refuse control characters other than line breaks and tabs in a multi-line text."""

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and has_control_characters(
            field.data, allow=LINE_BREAKS_AND_TABS
        ):
            raise StopValidation(
                _(
                    "%(field)s contains a control character that cannot be shown; remove it.",
                    field=field.label.text,
                )
            )


_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
#: Longest piece of the submitted text repeated in an error message.
_SHOWN = 40


def day_problem(text: str) -> str | None:
    """Why ``text`` is not a day written YYYY-MM-DD (translated), or None when it is one."""
    shown = text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
    match = _DAY.fullmatch(text)
    if match is None:
        return _(
            "“%(value)s” is not a date: write it as YYYY-MM-DD, for example %(example)s.",
            value=shown,
            example="2026-03-31",
        )
    year, month, day = (int(part) for part in match.groups())
    if not 1 <= month <= 12:
        return _(
            "“%(value)s” is not a date: there is no month %(month)s.", value=shown, month=month
        )
    if year < 1:
        return _("“%(value)s” is not a date: there is no year 0.", value=shown)
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return _(
            "“%(value)s” is not a date: %(month)s has %(days)s days.",
            value=shown,
            month=format_date(date(year, month, 1), "LLLL y"),
            days=days,
        )
    return None


class DayField(DateField):
    """A day written YYYY-MM-DD (what a browser's date input sends). Text that is not one is
    refused with a message saying why, e.g. that February 2026 has 28 days.

    Use ``InputRequired`` with it, not ``DataRequired``: that one would replace the message
    with "This field is required"."""

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        text = " ".join(valuelist).strip()
        self.data = None
        if not text:  # only spaces; an empty field is for InputRequired or Optional
            raise ValueError(_("Enter a date as YYYY-MM-DD."))
        problem = day_problem(text)
        if problem is not None:
            raise ValueError(problem)
        self.data = date.fromisoformat(text)
