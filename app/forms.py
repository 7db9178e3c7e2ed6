"""Validators shared by the forms of several packages. They check shape only."""

from __future__ import annotations

from flask_babel import gettext as _
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
