"""Which e-mail addresses a staff account may have: one rule for the sign-in form and for
``create_user``, so no account is created that could never sign in."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from app.problems import N_, Problem

#: Longest address accepted (RFC 5321 path limit).
MAX_EMAIL_LENGTH = 254


def email_problem(address: str, field: str = "email") -> Problem | None:
    """Why ``address`` cannot be a staff sign-in (a problem of ``field``: its message id and
    values, English as ``str``), or None. No DNS look-up is made."""
    if not address:
        return Problem(N_("enter an e-mail address"), field=field)
    if len(address) > MAX_EMAIL_LENGTH:
        return Problem(
            N_("%(start)s... is longer than %(n)s characters"),
            field=field,
            params={"start": repr(address[:40]), "n": MAX_EMAIL_LENGTH},
        )
    try:
        validate_email(
            address, check_deliverability=False, allow_smtputf8=True, allow_empty_local=False
        )
    except EmailNotValidError as exc:
        # the validator's reason is English: it stays a value of the message
        return Problem(
            N_("%(address)s is not an e-mail address that can sign in: %(reason)s"),
            field=field,
            params={"address": repr(address), "reason": str(exc)},
        )
    return None


class StaffEmail:
    """Form validator: the address must pass ``email_problem``."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        if email_problem(field.data or "") is not None:
            raise ValidationError(self.message or _l("Enter a valid e-mail address."))
