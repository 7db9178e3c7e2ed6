from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.auth.emails import MAX_EMAIL_LENGTH, StaffEmail


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), StaffEmail(), Length(max=MAX_EMAIL_LENGTH)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Sign in"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Sign out"))


_CODE_ATTRS = {
    "autocomplete": "one-time-code",
    "inputmode": "numeric",
    "pattern": "[0-9 ]*",
    "maxlength": "9",
    "spellcheck": "false",
}
_RECOVERY_ATTRS = {
    "autocomplete": "off",
    "autocapitalize": "none",
    "spellcheck": "false",
    "maxlength": "20",
}


def _six_digits(form, field) -> None:
    digits = "".join(ch for ch in field.data or "" if ch not in " -\u00a0\t")
    if field.data and not (len(digits) == 6 and digits.isascii() and digits.isdigit()):
        raise ValidationError(_l("Enter the 6 digits that your authenticator app shows now."))


class _CodeOrRecovery:
    """Mixin: a TOTP code or a recovery code, one of the two."""

    code = StringField(
        _l("Code from your authenticator app"),
        validators=[Optional(), _six_digits],
        render_kw=_CODE_ATTRS,
    )
    recovery_code = StringField(
        _l("Recovery code"),
        validators=[Optional(), Length(max=40)],
        render_kw=_RECOVERY_ATTRS,
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)  # type: ignore[misc]
        code = (self.code.data or "").strip()
        recovery = (self.recovery_code.data or "").strip()
        if ok and not code and not recovery:
            self.code.errors.append(
                _l("Enter the 6-digit code from your authenticator app, or a recovery code.")
            )
            return False
        if ok and code and recovery:
            self.recovery_code.errors.append(
                _l("Enter either a code from your app or a recovery code, not both.")
            )
            return False
        return ok


class SecondStepForm(_CodeOrRecovery, FlaskForm):
    submit = SubmitField(_l("Continue"))


class EnrolForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(_l("Enter the 6-digit code that your app shows.")), _six_digits],
        render_kw=_CODE_ATTRS,
    )
    submit = SubmitField(_l("Turn on two-factor sign-in"))


class ConfirmSecondFactorForm(_CodeOrRecovery, FlaskForm):
    """Password and a code: to turn off or reset one's own second factor."""

    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Confirm"))


class DoneForm(FlaskForm):
    submit = SubmitField(_l("I have kept my recovery codes"))
