from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    RadioField,
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

from app.consultations.rule_choices import (
    CUSTOM,
    OPTIONAL_RULES,
    RULE_CHOICES,
    choice_for,
    expression_of,
    select_choices,
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


def _rule_choice(label, name: str) -> RadioField:
    # not sent (a client of the expression form): the expression box is used
    return RadioField(label, choices=select_choices(name), default=None, validators=[Optional()])


def _expression(label) -> StringField:
    return StringField(label, validators=[Optional(), SingleLine(), Length(max=300)])


class PlanForm(FlaskForm):
    consensus_in_choice = _rule_choice(
        _l("Consensus rule (agreement that an item matters)"), "consensus_in"
    )
    consensus_in = _expression(_l("Custom expression for agreement that an item matters"))
    consensus_out_choice = _rule_choice(
        _l("Consensus rule (agreement that an item does not matter)"), "consensus_out"
    )
    consensus_out = _expression(_l("Custom expression for agreement that an item does not matter"))
    consensus_mid_choice = _rule_choice(
        _l("Consensus rule (agreement on a middle position)"), "consensus_mid"
    )
    consensus_mid = _expression(_l("Custom expression for agreement on a middle position"))
    min_n = IntegerField(
        _l("Minimum answers for a consensus decision"),
        validators=[InputRequired(), NumberRange(min=1, max=10000)],
    )
    stability_rule_choice = _rule_choice(_l("Stability rule between rounds"), "stability_rule")
    stability_rule = _expression(_l("Custom expression for stability between rounds"))
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

    #: The plan's fields on this form (each a form field of the same name).
    FIELDS = (
        "consensus_in",
        "consensus_out",
        "consensus_mid",
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

    def show_rules(self, plan: dict) -> None:
        """Select the common rule each rule of ``plan`` is; the expression box stays empty
        unless the rule is a custom expression (a plan without a field: its default)."""
        for name in RULE_CHOICES:
            expression = plan.get(name, None if name in OPTIONAL_RULES else "")
            key = choice_for(name, expression)
            self[f"{name}_choice"].data = key
            self[name].data = expression if key == CUSTOM else ""

    def rule_field(self, name: str):
        """The form field where a problem of the plan's rule ``name`` is shown: the expression
        box when it is used, else the choice."""
        choice = self[f"{name}_choice"].data
        return self[name] if choice in (None, "", CUSTOM) else self[f"{name}_choice"]

    def _rule(self, name: str, base: dict) -> str | None:
        choice, box = self[f"{name}_choice"], self[name]
        text = (box.data or "").strip()
        if choice.errors or box.errors:
            return base.get(name)
        if choice.data not in (None, "", CUSTOM):
            preset = expression_of(name, choice.data)
            if text and text != (preset or ""):
                box.errors = [
                    *box.errors,
                    _l(
                        "This expression is used only with “Custom expression”: choose that "
                        "above, or empty this box to use the rule chosen."
                    ),
                ]
            return preset
        if not text:
            if choice.data == CUSTOM or name not in OPTIONAL_RULES:
                box.errors = [
                    *box.errors,
                    _l("Write the expression, or choose one of the common rules above."),
                ]
                return base.get(name)
            return None
        return text

    def plan_data(self, base: dict) -> dict:
        """The plan as entered, over ``base`` (the stored plan): a field with a problem keeps
        its stored value, so that the rest can still be checked. Problems found here (a rule
        chosen and written at once, a custom rule left empty) are added to the fields."""
        data = dict(base)
        for name in self.FIELDS:
            if name in RULE_CHOICES:
                data[name] = self._rule(name, base)
                continue
            field = self[name]
            if field.errors:
                continue
            value = field.data
            if name in ("contested_alpha", "contested_median_diff"):
                value = float(value)
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
