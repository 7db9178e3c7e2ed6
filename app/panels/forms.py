"""Forms of the panel pages. They check shape only; the services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.consultations.models import StakeholderGroup

#: Labels of the stakeholder groups, for pages and forms.
GROUP_LABELS = {
    StakeholderGroup.employers: _l("Employers"),
    StakeholderGroup.workers_representatives: _l("Workers' representatives"),
    StakeholderGroup.education_providers: _l("Education and training providers"),
    StakeholderGroup.public_authorities: _l("Public authorities"),
    StakeholderGroup.other_experts: _l("Other experts"),
}

MAX_QUOTA = 100_000


def group_label(group: StakeholderGroup | str) -> str:
    return str(GROUP_LABELS.get(StakeholderGroup(group), group))


class PanellistForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[InputRequired(_l("Enter the panellist's name.")), Length(max=200)],
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[InputRequired(_l("Enter an e-mail address.")), Length(max=254)],
    )
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=300)])
    stakeholder_group = SelectField(
        _l("Stakeholder group"),
        choices=[(g.value, label) for g, label in GROUP_LABELS.items()],
        validators=[InputRequired(_l("Choose a stakeholder group."))],
    )
    language = SelectField(
        _l("Language of invitations and questions"),
        validators=[InputRequired(_l("Choose a language."))],
    )
    submit = SubmitField(_l("Add panellist"))


class EditPanellistForm(PanellistForm):
    submit = SubmitField(_l("Save changes"))


class UploadForm(FlaskForm):
    file = FileField(
        _l("Panel file (.csv or .xlsx)"),
        validators=[FileRequired(_l("Choose a file to upload."))],
    )
    submit = SubmitField(_l("Check the file"))


class ActionForm(FlaskForm):
    """A button that changes something: carries the CSRF token only."""


class QuotaForm(FlaskForm):
    submit = SubmitField(_l("Save targets"))


for _group, _label in GROUP_LABELS.items():
    setattr(
        QuotaForm,
        f"target_{_group.name}",
        IntegerField(
            _label,
            validators=[
                Optional(),
                NumberRange(
                    min=0,
                    max=MAX_QUOTA,
                    message=_l("Enter a whole number from %(min)s to %(max)s."),
                ),
            ],
        ),
    )


def quota_field(form: QuotaForm, group: StakeholderGroup):
    return form[f"target_{group.name}"]
