"""Forms of the forecast pages. They check shape only; the services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from app.forecasts.table import DatasetKind

#: Labels of the kinds of dataset.
KIND_LABELS = {
    DatasetKind.projection: _l("Projection"),
    DatasetKind.statistics: _l("Official statistics (history)"),
    DatasetKind.job_ads: _l("Online job advertisements"),
}

#: The profile choice that means "the profile file uploaded below".
UPLOADED_PROFILE = "__uploaded__"


def kind_label(kind: DatasetKind | str) -> str:
    return str(KIND_LABELS.get(DatasetKind(kind), kind))


class ImportForm(FlaskForm):
    file = FileField(
        _l("Forecast table (.csv or .xlsx, as published)"),
        validators=[FileRequired(_l("Choose a file to upload."))],
    )
    profile = SelectField(_l("Import profile"), render_kw={"class": "fit"})
    profile_file = FileField(_l("Or upload a profile (.yaml)"))
    crosswalk = FileField(_l("Crosswalk from labels to codes (.csv, optional)"))
    # corrections of the profile's provenance; empty: as the profile says
    publisher = StringField(_l("Publisher"), validators=[Optional(), Length(max=300)])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=500)])
    licence = StringField(_l("Licence"), validators=[Optional(), Length(max=300)])
    vintage = StringField(_l("Vintage (edition)"), validators=[Optional(), Length(max=40)])
    base_year = IntegerField(
        _l("Base year"), validators=[Optional(), NumberRange(min=1900, max=2200)]
    )
    horizon_year = IntegerField(
        _l("Horizon year"), validators=[Optional(), NumberRange(min=1900, max=2200)]
    )
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=80)])
    source_url = StringField(_l("Source address (URL)"), validators=[Optional(), Length(max=500)])
    kind = SelectField(
        _l("Kind of data"),
        choices=[("", _l("As the profile says"))] + [(k.value, v) for k, v in KIND_LABELS.items()],
        validators=[Optional()],
    )
    caveats = TextAreaField(
        _l("Caveats (one sentence per line; empty: as the profile says)"),
        validators=[Optional(), Length(max=5000)],
    )
    submit = SubmitField(_l("Check the file"))


class ActionForm(FlaskForm):
    """A button that changes something: carries the CSRF token only."""


class BindingForm(FlaskForm):
    dataset = SelectField(_l("Forecast dataset"), coerce=str)
    sector_codes = TextAreaField(
        _l("Sector codes (separated by commas)"), validators=[Optional(), Length(max=20_000)]
    )
    occupation_codes = TextAreaField(
        _l("Occupation codes (separated by commas)"), validators=[Optional(), Length(max=20_000)]
    )
    crosswalk = FileField(_l("Or upload a crosswalk (.csv)"))
    total_code = StringField(
        _l("Code of the all-sector total (optional)"), validators=[Optional(), Length(max=32)]
    )
    geography = StringField(_l("Geography (empty: all)"), validators=[Optional(), Length(max=16)])
    submit = SubmitField(_l("Bind these series"))
