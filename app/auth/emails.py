"""Which e-mail addresses a staff account may have: one rule for the sign-in form and for
``create_user``, so no account is created that could never sign in."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

#: Longest address accepted (RFC 5321 path limit).
MAX_EMAIL_LENGTH = 254


def email_problem(address: str) -> str | None:
    """Why ``address`` cannot be a staff sign-in (English, for services and the command
    line), or None. No DNS look-up is made."""
    if not address:
        return "enter an e-mail address"
    if len(address) > MAX_EMAIL_LENGTH:
        return f"{address[:40]!r}... is longer than {MAX_EMAIL_LENGTH} characters"
    try:
        validate_email(
            address, check_deliverability=False, allow_smtputf8=True, allow_empty_local=False
        )
    except EmailNotValidError as exc:
        return f"{address!r} is not an e-mail address that can sign in: {exc}"
    return None


class StaffEmail:
    """Form validator: the address must pass ``email_problem``."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        if email_problem(field.data or "") is not None:
            raise ValidationError(self.message or _l("Enter a valid e-mail address."))
