from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from app.forms import DayField, PlainText, SingleLine


class NewConsultationForm(FlaskForm):
    council = SelectField(_l("Council"), coerce=int, validators=[InputRequired()])
    questionnaire = SelectField(_l("Questionnaire"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), SingleLine(), Length(max=300)])
    description = TextAreaField(
        _l("Description for panellists"),
        validators=[Optional(), PlainText(), Length(max=4000)],
    )
    submit = SubmitField(_l("Create consultation"))


def _finite(form, field) -> None:
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_l("Enter an ordinary number."))


class PlanForm(FlaskForm):
    consensus_in = StringField(
        _l("Consensus rule (agreement that an item matters)"),
        validators=[DataRequired(), SingleLine(), Length(max=300)],
    )
    consensus_out = StringField(
        _l("Consensus rule (agreement that an item does not matter)"),
        validators=[Optional(), SingleLine(), Length(max=300)],
    )
    min_n = IntegerField(
        _l("Minimum answers for a consensus decision"),
        validators=[InputRequired(), NumberRange(min=1, max=10000)],
    )
    stability_rule = StringField(
        _l("Stability rule between rounds"),
        validators=[DataRequired(), SingleLine(), Length(max=300)],
    )
    max_rounds = IntegerField(
        _l("Maximum number of rounds"), validators=[InputRequired(), NumberRange(min=1, max=20)]
    )
    carry_settled = BooleanField(_l("Ask settled items again in the next round"))
    confirm_consensus = BooleanField(_l("Count consensus as settled only when also stable"))
    scope = SelectField(
        _l("Consensus must hold"),
        choices=[
            ("panel", _l("in the whole panel")),
            ("panel_and_groups", _l("in the panel and in every published stakeholder group")),
        ],
    )
    min_group_n = IntegerField(
        _l("Smallest stakeholder group shown (disclosure control)"),
        validators=[InputRequired(), NumberRange(min=3, max=1000)],
    )
    contested_alpha = DecimalField(
        _l("Significance level for contested items"),
        places=None,
        validators=[InputRequired(), _finite, NumberRange(min=0.0001, max=0.5)],
    )
    contested_median_diff = DecimalField(
        _l("Median difference between groups that marks an item contested"),
        places=None,
        validators=[InputRequired(), _finite, NumberRange(min=0.1, max=10)],
    )
    weighting = SelectField(
        _l("Stakeholder weighting"),
        choices=[
            ("balanced", _l("show balanced figures (equal weight per group) beside the others")),
            ("none", _l("no balanced figures")),
        ],
    )
    group_feedback = BooleanField(
        _l("Show panellists the figures of each published stakeholder group in their feedback"),
        default=True,
    )
    bootstrap_b = IntegerField(
        _l("Bootstrap replicates"), validators=[InputRequired(), NumberRange(min=100, max=100000)]
    )
    bootstrap_seed = IntegerField(
        _l("Bootstrap seed"), validators=[InputRequired(), NumberRange(min=0)]
    )
    submit = SubmitField(_l("Save analysis plan"))

    FIELDS = (
        "consensus_in",
        "consensus_out",
        "min_n",
        "stability_rule",
        "max_rounds",
        "carry_settled",
        "confirm_consensus",
        "scope",
        "min_group_n",
        "contested_alpha",
        "contested_median_diff",
        "weighting",
        "group_feedback",
        "bootstrap_b",
        "bootstrap_seed",
    )

    def plan_data(self, base: dict) -> dict:
        data = dict(base)
        for name in self.FIELDS:
            value = self[name].data
            if name in ("contested_alpha", "contested_median_diff"):
                value = float(value)
            if name == "consensus_out":
                value = (value or "").strip() or None
            elif isinstance(value, str):
                value = value.strip()
            data[name] = value
        return data


class DeadlineForm(FlaskForm):
    deadline = DayField(
        _l("Deadline (answers accepted until the end of this day, UTC)"),
        validators=[InputRequired(_l("Enter the date of the deadline."))],
    )
    submit = SubmitField(_l("Confirm"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))


def texts_form(languages: tuple[str, ...], names: dict[str, str], **kwargs):
    """A form with a title and a description per language (``title-de``, ``description-de``);
    the first language is the main one, whose title is required."""

    class TextsForm(FlaskForm):
        submit = SubmitField(_l("Save titles and descriptions"))

    for index, lang in enumerate(languages):
        name = names.get(lang, lang)
        title_checks = [SingleLine(), Length(max=300)]
        title_checks.insert(0, DataRequired() if index == 0 else Optional())
        setattr(
            TextsForm,
            f"title-{lang}",
            StringField(_l("Title in %(language)s", language=name), validators=title_checks),
        )
        setattr(
            TextsForm,
            f"description-{lang}",
            TextAreaField(
                _l("Description for panellists in %(language)s", language=name),
                validators=[Optional(), PlainText(), Length(max=4000)],
            ),
        )
    return TextsForm(**kwargs)
