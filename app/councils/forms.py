"""Forms of the administration pages. They check shape only; the services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from app.auth.emails import MAX_EMAIL_LENGTH, StaffEmail
from app.auth.models import Role
from app.councils.geography import EXAMPLES, geography_problem, normalise_geography
from app.councils.services import MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH
from app.forms import PlainText, SingleLine

#: Labels of the staff roles, for pages and forms.
ROLE_LABELS = {
    Role.admin: _l("Administrator"),
    Role.secretariat: _l("Secretariat"),
    Role.official: _l("Official"),
    Role.publisher: _l("Publisher"),
}


def role_label(role: Role | str) -> str:
    return str(ROLE_LABELS.get(Role(role), role))


def _geography(form, field) -> None:
    if isinstance(field.data, str) and geography_problem(normalise_geography(field.data)):
        raise StopValidation(
            _l(
                "Enter a two-letter country code, EU, or a NUTS region code, for example "
                "%(examples)s.",
                examples=_l(EXAMPLES),
            )
        )


class CouncilForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(_l("Enter the council's name.")),
            SingleLine(),
            Length(max=MAX_NAME_LENGTH),
        ],
    )
    sector = SelectField(
        _l("Sector (NACE Rev. 2)"),
        validators=[InputRequired(_l("Choose the council's sector."))],
    )
    geography = StringField(
        _l("Geography"),
        validators=[
            InputRequired(_l("Enter where the council works.")),
            Length(max=16),
            _geography,
        ],
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), PlainText(), Length(max=MAX_DESCRIPTION_LENGTH)],
    )
    submit = SubmitField(_l("Create council"))


class EditCouncilForm(CouncilForm):
    submit = SubmitField(_l("Save changes"))


class MemberForm(FlaskForm):
    email = EmailField(
        _l("E-mail address of a secretariat user"),
        validators=[
            InputRequired(_l("Enter an e-mail address.")),
            Length(max=MAX_EMAIL_LENGTH),
        ],
    )
    submit = SubmitField(_l("Add to the secretariat"))


class CheckboxesField(SelectMultipleField):
    """Several choices, one checkbox each."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[
            InputRequired(_l("Enter an e-mail address.")),
            StaffEmail(),
            Length(max=MAX_EMAIL_LENGTH),
        ],
        render_kw={"autocomplete": "off"},
    )
    name = StringField(_l("Name"), validators=[Optional(), SingleLine(), Length(max=200)])
    role = SelectField(
        _l("Role"),
        choices=[(r.value, label) for r, label in ROLE_LABELS.items()],
        default=Role.secretariat.value,
        validators=[InputRequired(_l("Choose a role."))],
    )
    councils = CheckboxesField(_l("Councils (secretariat users only)"), coerce=int)
    password = PasswordField(
        _l("Initial password"),
        validators=[InputRequired(_l("Enter a password.")), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Create user"))


class RoleForm(FlaskForm):
    role = SelectField(
        _l("Role"),
        choices=[(r.value, label) for r, label in ROLE_LABELS.items()],
        validators=[InputRequired(_l("Choose a role."))],
    )
    submit = SubmitField(_l("Change role"))


class UserCouncilsForm(FlaskForm):
    councils = CheckboxesField(_l("Councils"), coerce=int)
    submit = SubmitField(_l("Save councils"))


class ActionForm(FlaskForm):
    """A button that changes something: carries the CSRF token only."""
