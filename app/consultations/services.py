"""Consultation and round services. They flush and return objects; the edge commits."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.audit.services import record
from app.auth.models import User
from app.auth.policy import Act, authorize
from app.consensus import AnalysisPlan
from app.consensus.plan import NEW_PLAN_DEFAULTS
from app.consultations.keys import ensure_study_key
from app.consultations.models import (
    Consultation,
    Item,
    ItemType,
    Round,
    RoundStatus,
)
from app.consultations.plans import plan_from_dict, plan_of, plan_to_save, rating_scales
from app.consultations.responses import record_round_participation
from app.consultations.results import compute_round_results, feedback_rationales
from app.councils.models import Council
from app.curation.models import Theme
from app.errors import InvalidInput, NotAllowed, NotFound, PlanLockedError, RoundStateError
from app.extensions import db
from app.formatting import N_, localized
from app.problems import Problem
from app.questionnaires.services import store_questionnaire
from app.text import LINE_BREAKS_AND_TABS, has_control_characters

#: Longest consultation title (the form's limit).
MAX_TITLE_LENGTH = 300


def get_consultation_for(user: User, consultation_id: int) -> Consultation:
    """The consultation if ``user`` may run it (the policy's object rules); else NotFound."""
    consultation = db.session.get(Consultation, consultation_id)
    authorize(user, Act.run, consultation, what="consultation")
    return consultation


def get_round_for(user: User, consultation_id: int, number: int) -> Round:
    consultation = get_consultation_for(user, consultation_id)
    for round_ in consultation.rounds:
        if round_.number == number:
            return round_
    raise NotFound(
        N_("consultation %(id)s has no round %(n)s"), {"id": str(consultation_id), "n": number}
    )


def _languages(spec: dict[str, Any]) -> list[str]:
    return list(spec.get("languages") or [spec.get("default_language", "en")])


def _item_from_spec(round_: Round, spec: dict[str, Any], position: int) -> Item:
    return Item(
        round=round_,
        key=spec["key"],
        type=ItemType(spec["type"]),
        position=position,
        text=dict(spec["text"]),
        spec=spec,
    )


MAX_DESCRIPTION_LENGTH = 4000


def questionnaire_languages(consultation: Consultation) -> tuple[str, ...]:
    """The questionnaire's languages, its main language first."""
    spec = (consultation.questionnaire.spec if consultation.questionnaire else None) or {}
    languages = [str(lang).lower() for lang in spec.get("languages") or ("en",)]
    main = spec.get("default_language")
    if main in languages:
        languages.remove(main)
        languages.insert(0, main)
    return tuple(languages)


def check_texts(
    consultation: Consultation, texts: dict[str, tuple[str, str]]
) -> tuple[dict[str, tuple[str, str]], list[Problem]]:
    """The texts cleaned, and every problem with them (see ``set_texts``)."""
    languages = questionnaire_languages(consultation)
    problems: list[Problem] = []
    cleaned: dict[str, tuple[str, str]] = {}
    for lang in languages:
        title, description = texts.get(lang, ("", ""))
        title, description = (title or "").strip(), (description or "").strip()
        if has_control_characters(title):
            problems.append(Problem(N_("the title must be a single line"), field=f"title-{lang}"))
        elif len(title) > MAX_TITLE_LENGTH:
            problems.append(
                Problem(
                    N_("at most %(n)s characters"),
                    field=f"title-{lang}",
                    params={"n": MAX_TITLE_LENGTH},
                )
            )
        if lang == languages[0] and not title:
            problems.append(Problem(N_("enter a title"), field=f"title-{lang}"))
        if lang != languages[0] and description and not title:
            problems.append(
                Problem(
                    N_("give the title in this language too, or leave both empty"),
                    field=f"title-{lang}",
                )
            )
        if has_control_characters(description, allow=LINE_BREAKS_AND_TABS):
            problems.append(
                Problem(
                    N_("remove control characters other than line breaks and tabs"),
                    field=f"description-{lang}",
                )
            )
        elif len(description) > MAX_DESCRIPTION_LENGTH:
            problems.append(
                Problem(
                    N_("at most %(n)s characters"),
                    field=f"description-{lang}",
                    params={"n": MAX_DESCRIPTION_LENGTH},
                )
            )
        cleaned[lang] = (title, description.replace("\r\n", "\n"))
    return cleaned, problems


def set_texts(
    consultation: Consultation, texts: dict[str, tuple[str, str]], *, by: User
) -> list[str]:
    """Set the title and description per language: ``{lang: (title, description)}`` for the
    questionnaire's languages; the main language's title is required, another language left
    empty shows the main language's. Line breaks in descriptions are kept. Returns the
    languages whose texts changed. Raises InvalidInput naming ``title-<lang>`` or
    ``description-<lang>`` for every problem at once. Flushes."""
    authorize(by, Act.run, consultation)
    languages = questionnaire_languages(consultation)
    cleaned, problems = check_texts(consultation, texts)
    if problems:
        raise InvalidInput(N_("the title and description were not saved"), problems)
    main = languages[0]
    changed = []
    if (consultation.title, consultation.description) != cleaned[main]:
        changed.append(main)
    consultation.title, consultation.description = cleaned[main]
    translations = {}
    for lang in languages[1:]:
        title, description = cleaned[lang]
        old = (consultation.translations or {}).get(lang) or {}
        if (old.get("title", ""), old.get("description", "")) != (title, description):
            changed.append(lang)
        if title:
            translations[lang] = {"title": title, "description": description}
    consultation.translations = translations
    db.session.flush()
    if changed:
        record(
            "consultation-texts-changed",
            actor=by,
            object_type="consultation",
            object_id=consultation.id,
            details={"languages": changed},
        )
    return changed


MAX_QUESTION_LENGTH = 2000


def update_question_texts(
    round_: Round, texts: dict[str, dict[str, str]], *, by: User
) -> list[str]:
    """Reword the questions of a round that has not opened yet: ``{item key: {lang:
    text}}`` for the questionnaire's languages (the main language required; another left
    empty shows the main language's). Returns the keys of the questions that changed.
    Raises RoundStateError once the round has opened, InvalidInput naming
    ``<key>-<lang>`` for every problem at once. Flushes."""
    consultation = round_.consultation
    authorize(by, Act.run, consultation)
    if round_.status is not RoundStatus.draft:
        raise RoundStateError(
            N_("round %(n)s has opened: its questions can no longer change"), {"n": round_.number}
        )
    languages = questionnaire_languages(consultation)
    problems: list[Problem] = []
    new_texts: dict[str, dict[str, str]] = {}
    for item in round_.items:
        given = texts.get(item.key) or {}
        cleaned: dict[str, str] = {}
        for lang in languages:
            text = (given.get(lang) or "").strip().replace("\r\n", "\n")
            field = f"{item.key}-{lang}"
            if not text:
                if lang == languages[0]:
                    problems.append(Problem(N_("enter the question"), field=field))
                continue
            if has_control_characters(text, allow=LINE_BREAKS_AND_TABS):
                problems.append(
                    Problem(
                        N_("remove control characters other than line breaks and tabs"),
                        field=field,
                    )
                )
            elif len(text) > MAX_QUESTION_LENGTH:
                problems.append(
                    Problem(
                        N_("at most %(n)s characters"),
                        field=field,
                        params={"n": MAX_QUESTION_LENGTH},
                    )
                )
            cleaned[lang] = text
        new_texts[item.key] = cleaned
    if problems:
        raise InvalidInput(N_("the questions were not saved"), problems)
    changed = []
    for item in round_.items:
        cleaned = new_texts[item.key]
        if cleaned != dict(item.text or {}):
            changed.append(item.key)
            item.text = cleaned
            item.spec = {**(item.spec or {}), "text": cleaned}
    db.session.flush()
    if changed:
        record(
            "round-questions-changed",
            actor=by,
            object_type="round",
            object_id=round_.id,
            details={"number": round_.number, "items": changed},
        )
    return changed


def create_consultation(
    council: Council,
    questionnaire_file: str | Path,
    *,
    title: str,
    by: User,
    description: str = "",
    plan: dict[str, Any] | None = None,
) -> Consultation:
    """Create a consultation from a questionnaire file, with round 1 as a draft.

    Stores (or reuses) the questionnaire version, validates the plan (defaults of METHOD.md
    when None), creates the study key. Raises InvalidInput, NotFound. Flushes.
    """
    authorize(by, Act.run, council, what="consultation")
    if has_control_characters(title or ""):
        raise InvalidInput(
            N_("the title must be a single line"),
            [Problem(N_("remove line breaks, tabs and other control characters"), field="title")],
        )
    if has_control_characters(description or "", allow=LINE_BREAKS_AND_TABS):
        raise InvalidInput(
            N_("the description contains a control character"),
            [
                Problem(
                    N_("remove control characters other than line breaks and tabs"),
                    field="description",
                )
            ],
        )
    title = (title or "").strip()
    if not title:
        raise InvalidInput(
            N_("the consultation needs a title"), [Problem(N_("enter a title"), field="title")]
        )
    if len(title) > MAX_TITLE_LENGTH:
        raise InvalidInput(
            N_("the title is too long"),
            [Problem(N_("at most %(n)s characters"), "title", params={"n": MAX_TITLE_LENGTH})],
        )
    # a new plan: the defaults of now (with the rule for agreement on a middle position)
    checked = plan_from_dict({**NEW_PLAN_DEFAULTS, **(plan or {})})
    stored = store_questionnaire(questionnaire_file)
    consultation = Consultation(
        council=council,
        questionnaire=stored,
        title=title,
        description=description.strip(),
        plan=checked.to_dict(),
        created_by=by,
    )
    db.session.add(consultation)
    first = Round(consultation=consultation, number=1)
    db.session.add(first)
    for position, item_spec in enumerate(stored.spec["items"]):
        db.session.add(_item_from_spec(first, item_spec, position))
    db.session.flush()
    ensure_study_key(consultation.id)
    record(
        "consultation-created",
        actor=by,
        object_type="consultation",
        object_id=consultation.id,
        details={"questionnaire": stored.key, "version": stored.version},
    )
    return consultation


def update_plan(consultation: Consultation, data: dict[str, Any], *, by: User) -> AnalysisPlan:
    """Replace the analysis plan before round 1 opens.

    Once locked, the attempt is recorded in the audit log and PlanLockedError raised (the
    caller commits the audit event). Raises InvalidInput with every problem, each naming its
    field; a rule that no set of answers on the consultation's rating scales could meet is
    refused too. Flushes.
    """
    authorize(by, Act.run, consultation)
    if consultation.plan_locked:
        record(
            "plan-change-refused",
            actor=by,
            object_type="consultation",
            object_id=consultation.id,
            details={"locked_at": consultation.plan_locked_at.isoformat()},
        )
        raise PlanLockedError(
            N_("the analysis plan was locked when round 1 opened and cannot be changed")
        )
    checked = plan_to_save(data, rating_scales(consultation))
    consultation.set_plan(checked.to_dict())
    record(
        "plan-updated",
        actor=by,
        object_type="consultation",
        object_id=consultation.id,
        details={"sha256": checked.sha256()},
    )
    db.session.flush()
    return checked


def open_round(round_: Round, *, by: User, as_of: datetime, deadline: datetime | None) -> Round:
    """Open a draft round; opening round 1 locks the analysis plan. Flushes."""
    consultation = round_.consultation
    authorize(by, Act.run, consultation)
    if not round_.items:
        raise RoundStateError(N_("round %(n)s has no questions to answer"), {"n": round_.number})
    earlier = [r for r in consultation.rounds if r.number < round_.number]
    if any(r.status not in (RoundStatus.closed, RoundStatus.released) for r in earlier):
        raise RoundStateError(N_("close the previous round before opening the next one"))
    consultation.start()  # refused once the consultation is finished
    round_.open(as_of, deadline)
    if round_.number == 1 and not consultation.plan_locked:
        plan = plan_of(consultation)
        consultation.lock_plan(plan.sha256(), as_of)
        record(
            "plan-locked",
            actor=by,
            object_type="consultation",
            object_id=consultation.id,
            details={"sha256": plan.sha256()},
        )
    record(
        "round-opened",
        actor=by,
        object_type="round",
        object_id=round_.id,
        details={"number": round_.number, "deadline": deadline.isoformat() if deadline else None},
    )
    db.session.flush()
    return round_


def extend_round(round_: Round, deadline: datetime, *, by: User, as_of: datetime) -> Round:
    authorize(by, Act.run, round_.consultation)
    round_.extend(deadline, as_of)
    record(
        "round-extended",
        actor=by,
        object_type="round",
        object_id=round_.id,
        details={"deadline": deadline.isoformat()},
    )
    db.session.flush()
    return round_


def close_round(round_: Round, *, by: User, as_of: datetime) -> Round:
    """Close an open round and freeze its results. Atomic against concurrent submissions.

    Raises RoundStateError when the round is not open (e.g. closed by someone else meanwhile).
    Flushes.
    """
    authorize(by, Act.run, round_.consultation)
    # The row lock orders this close against concurrent submissions and closes (PostgreSQL);
    # SQLite serialises writers with BEGIN IMMEDIATE. Either way the state read is current.
    round_ = locked_round(round_.id)
    round_.close(as_of)
    db.session.flush()
    round_.results = compute_round_results(round_, plan_of(round_.consultation)).to_json()
    completed = record_round_participation(round_)
    record(
        "round-closed",
        actor=by,
        object_type="round",
        object_id=round_.id,
        details={"number": round_.number, "completed": completed},
    )
    db.session.flush()
    return round_


def locked_round(round_id: int) -> Round:
    """The round, locked for update and read afresh (not from the session's cache)."""
    return db.session.scalars(
        select(Round)
        .where(Round.id == round_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def finish_consultation(consultation: Consultation, *, by: User, as_of: datetime) -> Consultation:
    """Finish a running consultation whose rounds are closed: no round opens afterwards and
    the panellists' links stop working. A round prepared but never opened (it has no
    answers) is removed. Raises ConsultationStateError. Flushes."""
    authorize(by, Act.run, consultation)
    for round_ in list(consultation.rounds):
        if round_.status is RoundStatus.draft and round_.number > 1:
            consultation.rounds.remove(round_)
            for theme in consultation.themes:
                if theme.item_key and theme.item_key in {i.key for i in round_.items}:
                    theme.item_key = None  # the theme was never asked
    db.session.flush()
    consultation.finish(as_of)
    record(
        "consultation-finished",
        actor=by,
        object_type="consultation",
        object_id=consultation.id,
        details={"rounds": len(consultation.rounds)},
    )
    db.session.flush()
    return consultation


def release_round(round_: Round, *, by: User, as_of: datetime) -> Round:
    """Release a closed round's results to the panel (feedback in the next round).

    The reasons shown as feedback are frozen with the release (METHOD.md 9): moderation
    afterwards no longer changes what the next round's panellists see. Raises
    RoundStateError (not closed), StudyKeyMissing. Flushes.
    """
    authorize(by, Act.run, round_.consultation)
    round_.release(as_of)
    round_.feedback_rationales = feedback_rationales(round_, plan_of(round_.consultation)).to_json()
    record(
        "round-released",
        actor=by,
        object_type="round",
        object_id=round_.id,
        details={"number": round_.number},
    )
    db.session.flush()
    return round_


def _theme_item_key(theme: Theme, taken: set[str]) -> str:
    base = "theme-" + hashlib.sha256(str(theme.id).encode()).hexdigest()[:6]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


#: Scale labels of a theme's rating item when the questionnaire has no labelled 5-point item.
_IMPORTANCE = (
    N_("Not important"),
    N_("Slightly important"),
    N_("Moderately important"),
    N_("Very important"),
    N_("Essential"),
)


def _theme_scale_labels(spec: dict[str, Any], languages: list[str]) -> dict[str, list[str]]:
    """Labels for the 5 points of a theme's rating item, per language.

    A theme is rated like the questionnaire's own rating items, so it borrows the labels of
    its first 5-point item labelled in every language; else the built-in importance words."""
    for entry in spec.get("items") or ():
        labels = entry.get("labels") or {}
        if (
            entry.get("type") == "likert"
            and int(entry.get("scale", 5)) == 5
            and all(len(labels.get(lang) or ()) == 5 for lang in languages)
        ):
            return {lang: list(labels[lang]) for lang in languages}
    out = {}
    for lang in languages:
        with force_locale(lang):
            out[lang] = [_(label) for label in _IMPORTANCE]
    return out


def _theme_item_spec(
    key: str, theme: Theme, labels: dict[str, str], scale: dict[str, list[str]], source: int
) -> dict[str, Any]:
    """The rating item of an approved theme: a question, help, scale labels and "cannot
    assess", in every language of the questionnaire (texts of the app's catalogues)."""
    text, help_text = {}, {}
    for lang, label in labels.items():
        with force_locale(lang):
            text[lang] = _("How important will this be in your sector: %(theme)s?", theme=label)
            help_text[lang] = _(
                "This question comes from what panel members wrote in round %(n)s.", n=source
            )
    return {
        "key": key,
        "type": "likert",
        "text": text,
        "help": help_text,
        "scale": 5,
        "labels": scale,
        "dont_know": True,
        "rationale": "optional",
        "codes": {"esco": list(theme.esco_uris)},
    }


def prepare_next_round(consultation: Consultation, *, by: User) -> Round:
    """Create the next round as a draft from the last released round.

    Likert items that are settled (METHOD.md 4) are frozen (not carried) unless the plan
    says ``carry_settled``; estimate, ranking and choice items are carried; open text items are
    not; each approved theme not yet used becomes a new 5-point rating item in every language
    of the questionnaire: a question naming its label, the questionnaire's scale labels and
    "cannot assess" (``_theme_item_spec``). Raises RoundStateError. Flushes.
    """
    authorize(by, Act.run, consultation)
    consultation.require_running_or_draft()
    plan = plan_of(consultation)
    if not consultation.rounds:
        raise RoundStateError(N_("the consultation has no round yet"))
    last = consultation.rounds[-1]
    if last.status is not RoundStatus.released:
        raise RoundStateError(
            N_("release the results of round %(n)s before preparing the next round"),
            {"n": last.number},
        )
    if last.number >= plan.max_rounds:
        raise RoundStateError(
            N_("the plan allows at most %(n)s rounds; the consultation is complete"),
            {"n": plan.max_rounds},
        )
    frozen = last.frozen_results()
    nxt = Round(consultation=consultation, number=last.number + 1)
    db.session.add(nxt)
    position = 0
    taken: set[str] = set()
    for item in last.items:
        if item.type is ItemType.text:
            continue
        result = frozen.item(item.key) if frozen is not None else None
        settled = bool(result is not None and result.settled)
        if item.type is ItemType.likert and settled and not plan.carry_settled:
            continue
        carried = _item_from_spec(nxt, dict(item.spec), position)
        carried.carried_from = item
        carried.theme_id = item.theme_id
        db.session.add(carried)
        taken.add(item.key)
        position += 1
    languages = _languages(consultation.questionnaire.spec)
    scale: dict[str, list[str]] | None = None
    for theme in consultation.themes:
        if not theme.approved or theme.item_key:
            continue
        default = consultation.questionnaire.spec.get("default_language", "en")
        text = {lang: localized(theme.label, lang, default) for lang in languages}
        if not all(text.values()):
            raise RoundStateError(
                N_(
                    "the approved theme %(id)s has no label; give it a label in every panel "
                    "language (Themes page) before preparing the next round"
                ),
                {"id": str(theme.id)},
            )
        key = _theme_item_key(theme, taken)
        if scale is None:
            scale = _theme_scale_labels(consultation.questionnaire.spec, languages)
        spec = _theme_item_spec(key, theme, text, scale, last.number)
        item = _item_from_spec(nxt, spec, position)
        item.theme_id = theme.id
        db.session.add(item)
        theme.item_key = key
        taken.add(key)
        position += 1
    db.session.flush()
    record(
        "round-prepared",
        actor=by,
        object_type="round",
        object_id=nxt.id,
        details={"number": nxt.number, "items": position},
    )
    return nxt


def ensure_staff_can_see_results(by: User, round_: Round) -> None:
    """No aggregate of an open round is shown to anyone (SECURITY.md P3)."""
    authorize(by, Act.run, round_.consultation)
    if round_.status in (RoundStatus.draft, RoundStatus.open):
        why = (
            N_("round %(n)s is draft: results are shown after it closes")
            if round_.status is RoundStatus.draft
            else N_("round %(n)s is open: results are shown after it closes")
        )
        raise NotAllowed(why, {"n": round_.number})
