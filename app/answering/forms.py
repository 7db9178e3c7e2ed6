"""The answering form, built from a round's items (STYLE.md 6).

Each item gets a field named ``q_<item key>`` (ranking items: one select per place,
``q_<key>_1`` .. ``q_<key>_<top_m>``), estimates ``q_<key>_low``, ``q_<key>_high`` and
``q_<key>_confidence``, and items asking for reasons ``q_<key>_rationale``. The form checks
shape only (numbers are numbers, known options, lengths, and on "Submit" that every rating
question is answered); the rules of an answer (ranges, bounds, selections) come from
``app.consultations.responses.answer_problems`` through the service and are mapped back to
the fields with :meth:`RoundFormBase.add_problems`.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, ClassVar

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    Field,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from app.consultations.models import Item
from app.consultations.responses import DEFAULT_TEXT_LIMIT, AnswerInput
from app.i18n import problem_message, problem_text
from app.problems import Problem
from app.questionnaires.spec import Item as SpecItem
from app.questionnaires.spec import Rationale

#: Form value of the "cannot assess" choice of a Likert item.
DONT_KNOW = "dk"

_ORDINALS = {
    1: _l("1st place"),
    2: _l("2nd place"),
    3: _l("3rd place"),
    4: _l("4th place"),
    5: _l("5th place"),
}


def place_label(n: int) -> str:
    return str(_ORDINALS[n]) if n in _ORDINALS else _("Place %(n)d", n=n)


def format_number(value: float | int | None) -> str:
    """A stored number as typed in a form: 4 (not 4.0), 12.5, -3."""
    if value is None:
        return ""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


class NumberField(Field):
    """A number typed as text: accepts a decimal comma and the minus sign (−) too.

    Rendered as ``type="text"`` so that no browser silently drops what it cannot parse
    and the panellist sees exactly what they typed when the form comes back.
    """

    widget = TextInput()

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        integer: bool = False,
        negative: bool = True,
        **kwargs,
    ):
        # Phones show a number pad for ``inputmode``; but the decimal and numeric pads of
        # iPhones have no minus sign, so a field that takes negative numbers keeps the full
        # keyboard (the server reads a decimal comma either way).
        if not negative:
            kwargs.setdefault("render_kw", {"inputmode": "numeric" if integer else "decimal"})
        super().__init__(label, validators, **kwargs)
        self.integer = integer

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_number(self.data)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if not valuelist:
            return
        raw = (valuelist[0] or "").strip().replace("\u2212", "-").replace(" ", "")
        if raw == "":
            return
        if "," in raw and "." not in raw:
            raw = raw.replace(",", ".")
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if self.integer:
            if not (math.isfinite(number) and number.is_integer()):
                raise ValueError(_("Enter a whole number, for example 70."))
            self.data = int(number)
        elif not math.isfinite(number):
            raise ValueError(_("Enter a number, for example 12.5 or -3."))
        else:
            self.data = number


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


@dataclass(frozen=True)
class ItemLayout:
    """How one item appears in the form: its fields and texts in the panellist's language."""

    key: str
    kind: str
    number: int
    spec: SpecItem
    question: str
    help: str | None
    #: Field carrying the item's own errors (ranking: the first place).
    main: str
    places: tuple[str, ...] = ()
    low: str | None = None
    high: str | None = None
    confidence: str | None = None
    rationale: str | None = None
    rationale_required: bool = False
    #: The item comes with feedback from the previous round.
    with_feedback: bool = False

    @property
    def fields(self) -> tuple[str, ...]:
        names = [self.main] if self.kind != "ranking" else []
        names += list(self.places)
        names += [n for n in (self.low, self.high, self.confidence, self.rationale) if n]
        return tuple(names)


class RoundFormBase(FlaskForm):
    """Shared part of every round form; :func:`build_round_form` adds the items."""

    class Meta:
        # The answering views check the CSRF token themselves, so that a stale token
        # re-shows the answers instead of failing the whole request (SECURITY.md S9).
        csrf = False

    submission_id = HiddenField()
    #: The stored submission this page was rendered from ("new" when none): a save based on
    #: an older state (another window, a late retry) is refused instead of overwriting.
    base_submission = HiddenField()
    round_id = HiddenField()
    resume = HiddenField()

    layout: ClassVar[tuple[ItemLayout, ...]] = ()

    def item(self, key: str) -> ItemLayout:
        return next(entry for entry in self.layout if entry.key == key)

    def input_id(self, name: str) -> str:
        """The id of the first input of a field (radio groups: the first radio)."""
        field = self[name]
        if isinstance(field, RadioField | CheckboxListField):
            return f"{field.id}-0"
        return field.id

    def check(self, *, submit: bool) -> bool:
        """Shape checks; on submit also that every rating question is answered."""
        self.validate()
        if submit:
            for entry in self.layout:
                self._check_complete(entry)
        return not self.has_errors()

    def has_errors(self) -> bool:
        return any(self[name].errors for entry in self.layout for name in entry.fields)

    def _add(self, name: str, message: str) -> None:
        field = self[name]
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        if message not in field.errors:
            field.errors.append(message)

    def _check_complete(self, entry: ItemLayout) -> None:
        rationale = entry.rationale if entry.rationale_required else None
        if rationale and not (self[rationale].data or "").strip():
            self._add(rationale, _("Give a reason for your answer."))
        if entry.kind == "text":
            return
        if entry.kind == "ranking":
            if not any(self[p].data for p in entry.places) and not self[entry.main].errors:
                self._add(
                    entry.main,
                    _("Choose an option for each of the first %(n)d places.", n=len(entry.places)),
                )
            return
        field = self[entry.main]
        if field.errors or field.data not in (None, "", []):
            return
        if entry.kind == "likert":
            if getattr(entry.spec, "dont_know", False):
                self._add(entry.main, _("Choose an answer, or “Cannot assess”."))
            else:
                self._add(entry.main, _("Choose an answer."))
        elif entry.kind == "estimate":
            self._add(entry.main, _("Enter your estimate."))
        elif entry.kind == "choice":
            if getattr(entry.spec, "multiple", False):
                self._add(entry.main, _("Choose at least one option."))
            else:
                self._add(entry.main, _("Choose an option."))

    def add_problems(self, problems: list[Problem], *, beside: bool = False) -> list[str]:
        """Attach the service's problems to the fields their ``field`` key names (item key,
        and the part of the answer after a slash); returns the messages left over.

        ``beside``: the form's own checks found problems too; a field keeps its own message
        and gets none of the service's (which would only repeat it in other words)."""
        left = []
        keys = {entry.key: entry for entry in self.layout}
        flagged = {n for entry in self.layout for n in entry.fields if self[n].errors}
        for problem in problems:
            entry = keys.get(problem.key or "")
            if entry is None:
                left.append(problem_text(problem))
                continue
            name = _problem_field(entry, problem.part)
            if beside and name in flagged:
                continue
            self._add(name, problem_message(problem))
        return left

    def error_list(self) -> list[tuple[str, str, str]]:
        """(input id, question label, message) of every error, in page order."""
        out = []
        for entry in self.layout:
            for name in entry.fields:
                for message in self[name].errors:
                    out.append(
                        (self.input_id(name), _("Question %(n)d", n=entry.number), str(message))
                    )
        return out


def _problem_field(entry: ItemLayout, part: str | None) -> str:
    """The input of ``entry`` that a problem's part names (the main input by default)."""
    named = {
        "rationale": entry.rationale,
        "confidence": entry.confidence,
        "low": entry.low,
        "high": entry.high,
    }
    return named.get(part or "") or entry.main


def _rationale_field(spec: SpecItem, *, with_feedback: bool) -> tuple[Field | None, bool]:
    mode = spec.rationale
    if mode is Rationale.none and not with_feedback:
        return None, False
    required = mode is Rationale.required
    if with_feedback:
        label = _("If you move away from the group view, please give your reason")
    elif required:
        label = _("Reason for your answer")
    else:
        label = _("Reason for your answer (optional)")
    field = TextAreaField(
        label,
        validators=[Optional(), Length(max=DEFAULT_TEXT_LIMIT)],
        render_kw={"maxlength": DEFAULT_TEXT_LIMIT, "rows": 3},
    )
    return field, required


#: Form classes made, by what they are made of; the least recently used dropped beyond
#: ``_FORMS_KEPT`` (a round's form is the same for every panellist of a language).
_FORMS: OrderedDict[tuple, type] = OrderedDict()
_FORMS_KEPT = 64
_FORMS_LOCK = threading.Lock()


def build_round_form(
    items: list[Item], lang: str, *, feedback_keys: frozenset[str] | set[str] = frozenset()
) -> type[RoundFormBase]:
    """A FlaskForm class for the items of a round, with texts in ``lang``.

    ``feedback_keys`` are the items shown with feedback from the previous round: their
    reason field asks why the panellist moves away from the group view. Made once per
    process for the same items, texts, language and feedback (a 60-item form takes some
    milliseconds to make), then reused.
    """
    key = (
        lang,
        str(get_locale()),
        frozenset(feedback_keys),
        tuple((item.key, json.dumps(item.spec, sort_keys=True, default=str)) for item in items),
    )
    with _FORMS_LOCK:
        found = _FORMS.get(key)
        if found is not None:
            _FORMS.move_to_end(key)
            return found
    made = _make_round_form(items, lang, feedback_keys)
    with _FORMS_LOCK:
        _FORMS[key] = made
        while len(_FORMS) > _FORMS_KEPT:
            _FORMS.popitem(last=False)
    return made


def _make_round_form(
    items: list[Item], lang: str, feedback_keys: frozenset[str] | set[str]
) -> type[RoundFormBase]:
    attrs: dict[str, Any] = {}
    layout: list[ItemLayout] = []
    for number, item in enumerate(items, 1):
        spec = SpecItem.from_dict(item.spec)
        key, kind = item.key, spec.type
        name = f"q_{key}"
        question, help_text = spec.text_for(lang), spec.help_for(lang)
        extra: dict[str, Any] = {}
        if kind == "likert":
            labels = spec.labels_for(lang) or ()
            choices = [
                (str(point), f"{point} – {labels[point - 1]}" if labels else str(point))
                for point in range(1, spec.scale + 1)
            ]
            if spec.dont_know:
                choices.append((DONT_KNOW, _("Cannot assess")))
            attrs[name] = RadioField(question, choices=choices, validators=[Optional()])
        elif kind == "estimate":
            unit = f" ({spec.unit})" if spec.unit else ""
            negative = spec.min is None or spec.min < 0
            attrs[name] = NumberField(_("Your estimate") + unit, negative=negative)
            if spec.range:
                extra["low"], extra["high"] = f"{name}_low", f"{name}_high"
                attrs[extra["low"]] = NumberField(
                    _("Lowest realistic value") + unit, negative=negative
                )
                attrs[extra["high"]] = NumberField(
                    _("Highest realistic value") + unit, negative=negative
                )
            if spec.confidence:
                extra["confidence"] = f"{name}_confidence"
                attrs[extra["confidence"]] = NumberField(
                    _("How sure are you? (0 = just a guess, 100 = very sure)"),
                    integer=True,
                    negative=False,
                )
        elif kind == "choice":
            choices = [(o.key, o.text_for(lang)) for o in spec.options]
            field_cls = CheckboxListField if spec.multiple else RadioField
            attrs[name] = field_cls(question, choices=choices, validators=[Optional()])
        elif kind == "ranking":
            choices = [("", _("— choose —"))] + [(o.key, o.text_for(lang)) for o in spec.options]
            places = tuple(f"{name}_{n}" for n in range(1, min(spec.top_m, len(spec.options)) + 1))
            for n, place in enumerate(places, 1):
                attrs[place] = SelectField(place_label(n), choices=choices, validators=[Optional()])
            extra["places"] = places
        elif kind == "text":
            limit = int(getattr(spec, "max_length", 0) or DEFAULT_TEXT_LIMIT)
            attrs[name] = TextAreaField(
                _("Your answer"),
                validators=[Optional(), Length(max=limit)],
                render_kw={"maxlength": limit, "rows": 5},
            )
        with_feedback = key in feedback_keys
        rationale, required = _rationale_field(spec, with_feedback=with_feedback)
        if rationale is not None:
            extra["rationale"] = f"{name}_rationale"
            attrs[extra["rationale"]] = rationale
        layout.append(
            ItemLayout(
                key=key,
                kind=kind,
                number=number,
                spec=spec,
                question=question,
                help=help_text,
                main=extra["places"][0] if kind == "ranking" else name,
                rationale_required=required,
                with_feedback=with_feedback,
                **extra,
            )
        )
    attrs["layout"] = tuple(layout)
    return type("RoundForm", (RoundFormBase,), attrs)


def _text(value: Any) -> str | None:
    text = (value or "").strip() if isinstance(value, str) else None
    return text or None


def form_to_answers(form: RoundFormBase, items: list[Item]) -> dict[str, AnswerInput]:
    """The answers in a form, one per item (blank ones included: they clear). An input the
    form's checks refused counts as blank, so the rest of the answer can still be checked."""
    answers: dict[str, AnswerInput] = {}

    def data(name: str | None) -> Any:
        return None if name is None or form[name].errors else form[name].data

    for item in items:
        entry = form.item(item.key)
        rationale = _text(data(entry.rationale))
        if entry.kind == "likert":
            raw = data(entry.main)
            answers[item.key] = AnswerInput(
                value=float(raw) if raw not in (None, "", DONT_KNOW) else None,
                dont_know=raw == DONT_KNOW,
                rationale=rationale,
            )
        elif entry.kind == "estimate":
            answers[item.key] = AnswerInput(
                value=data(entry.main),
                low=data(entry.low),
                high=data(entry.high),
                confidence=data(entry.confidence),
                rationale=rationale,
            )
        elif entry.kind == "choice":
            raw = data(entry.main)
            chosen = tuple(raw) if isinstance(raw, list) else ((raw,) if raw else ())
            answers[item.key] = AnswerInput(choices=chosen or None, rationale=rationale)
        elif entry.kind == "ranking":
            order = tuple(form[p].data for p in entry.places if data(p))
            answers[item.key] = AnswerInput(ranking=order or None, rationale=rationale)
        else:
            text = data(entry.main) or ""
            answers[item.key] = AnswerInput(
                text=text if text.strip() else None, rationale=rationale
            )
    return answers


def answers_to_formdata(answers: dict[str, AnswerInput]) -> MultiDict:
    """Form data that fills a round form with stored answers (drafts, revisions)."""
    data: MultiDict = MultiDict()
    for key, answer in answers.items():
        name = f"q_{key}"
        if answer.dont_know:
            data.add(name, DONT_KNOW)
        elif answer.value is not None:
            data.add(name, format_number(answer.value))
        if answer.low is not None:
            data.add(f"{name}_low", format_number(answer.low))
        if answer.high is not None:
            data.add(f"{name}_high", format_number(answer.high))
        if answer.confidence is not None:
            data.add(f"{name}_confidence", format_number(answer.confidence))
        for choice in answer.choices or ():
            data.add(name, choice)
        for place, option in enumerate(answer.ranking or (), 1):
            data.add(f"{name}_{place}", option)
        if answer.text is not None:
            data.add(name, answer.text)
        if answer.rationale:
            data.add(f"{name}_rationale", answer.rationale)
    return data
