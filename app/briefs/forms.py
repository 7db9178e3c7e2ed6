"""Forms of the brief pages. They check shape only; the services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.briefs.models import ChangeClass
from app.briefs.services import (
    MAX_COMMENT_LENGTH,
    MAX_CONTACT_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
)
from app.forms import PlainText, SingleLine

CHANGE_CLASS_LABELS = {
    ChangeClass.update: _l("Update: new data (a later forecast, a further round)"),
    ChangeClass.improvement: _l("Improvement: a better method or presentation"),
    ChangeClass.correction: _l(
        "Correction: an error in the published version (it will carry a dated notice)"
    ),
}

NARRATIVE_LABELS = {
    "summary": _l("Summary"),
    "ministries": _l("Implications for ministries"),
    "education_providers": _l("Implications for education and training providers"),
    "guidance_practitioners": _l("Implications for guidance practitioners"),
}


class NewBriefForm(FlaskForm):
    consultation = SelectField(_l("Consultation"), coerce=int, validators=[InputRequired()])
    title = StringField(
        _l("Title of the brief"),
        validators=[DataRequired(), SingleLine(), Length(max=MAX_TITLE_LENGTH)],
    )
    contact = StringField(
        _l("Contact for questions"),
        validators=[Optional(), SingleLine(), Length(max=MAX_CONTACT_LENGTH)],
    )
    submit = SubmitField(_l("Draft the brief"))


class NarrativeForm(FlaskForm):
    """The secretariat's text; notes on figures are added per figure (``narrative_form``)."""

    edit_version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    summary = TextAreaField(
        NARRATIVE_LABELS["summary"], validators=[PlainText(), Length(max=MAX_TEXT_LENGTH)]
    )
    ministries = TextAreaField(
        NARRATIVE_LABELS["ministries"], validators=[PlainText(), Length(max=MAX_TEXT_LENGTH)]
    )
    education_providers = TextAreaField(
        NARRATIVE_LABELS["education_providers"],
        validators=[PlainText(), Length(max=MAX_TEXT_LENGTH)],
    )
    guidance_practitioners = TextAreaField(
        NARRATIVE_LABELS["guidance_practitioners"],
        validators=[PlainText(), Length(max=MAX_TEXT_LENGTH)],
    )
    contact = StringField(
        _l("Contact for questions"),
        validators=[Optional(), SingleLine(), Length(max=MAX_CONTACT_LENGTH)],
    )
    change_note = TextAreaField(
        _l("What changed since the previous version, and why"),
        validators=[Optional(), PlainText(), Length(max=MAX_NOTE_LENGTH)],
    )
    submit = SubmitField(_l("Save the draft"))

    #: note field name -> annotation target, set by ``narrative_form``.
    NOTE_TARGETS: dict[str, str] = {}

    def note_fields(self):
        return [(self[name], target) for name, target in self.NOTE_TARGETS.items()]


def narrative_form(targets: dict[str, str], labels: dict[str, str], **kwargs) -> NarrativeForm:
    """A narrative form with one note field per annotation target (``note_0``, ...), its
    label from ``labels``."""
    fields = {}
    names = {}
    for index, target in enumerate(targets):
        name = f"note_{index}"
        names[name] = target
        fields[name] = TextAreaField(
            labels.get(target, target),
            validators=[Optional(), PlainText(), Length(max=MAX_NOTE_LENGTH)],
        )
    form_class = type("BriefNarrativeForm", (NarrativeForm,), {**fields, "NOTE_TARGETS": names})
    return form_class(**kwargs)


class CommentForm(FlaskForm):
    text = TextAreaField(
        _l("Comment"),
        validators=[DataRequired(), PlainText(), Length(max=MAX_COMMENT_LENGTH)],
    )
    submit = SubmitField(_l("Add the comment"))


class ReturnForm(FlaskForm):
    text = TextAreaField(
        _l("Why it goes back to its author"),
        validators=[DataRequired(), PlainText(), Length(max=MAX_COMMENT_LENGTH)],
    )
    submit = SubmitField(_l("Return to the author"))


class ApproveForm(FlaskForm):
    confirm = BooleanField(
        _l("I have read this version and approve it for publication"),
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("Approve for publication"))


class NewVersionForm(FlaskForm):
    change_class = RadioField(
        _l("Kind of change"),
        choices=[(c.value, label) for c, label in CHANGE_CLASS_LABELS.items()],
        validators=[InputRequired()],
    )
    change_note = TextAreaField(
        _l("What changes, and why"),
        validators=[DataRequired(), PlainText(), Length(max=MAX_NOTE_LENGTH)],
    )
    submit = SubmitField(_l("Start the new version"))


class PublishForm(FlaskForm):
    edit_version = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    confirm = BooleanField(
        _l("I understand that this version becomes public and can never be changed"),
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("Publish"))


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (send for review, approve, retry)."""

    submit = SubmitField(_l("Confirm"))
