"""Saving and submitting a panellist's answers, anonymously and idempotently.

The response row carries only a pseudonym (HMAC of the panellist id under the study key), the
round, the stakeholder group and the answers: no timestamps, no identity. Nothing that names a
panellist is written while panellists answer: a write beside each response would pair the two
through transaction ids (PostgreSQL ``xmin``), row order or the journal, key or no key. Who has
started or submitted an open round is worked out from the pseudonyms when the secretariat asks
(``response_states``); participation is written for everyone at once when the round closes
(``record_round_participation``).
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.consultations.keys import pseudonym, pseudonyms
from app.consultations.models import (
    Answer,
    Item,
    ItemType,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
)
from app.errors import DomainError, InvalidInput, NotAllowed, StateError
from app.extensions import db
from app.formatting import N_
from app.panels.models import Panellist, Participation
from app.problems import Problem

#: Longest rationale or free-text answer accepted when an item sets no limit.
DEFAULT_TEXT_LIMIT = 4000


class RoundNotOpen(StateError):
    """The round is not open (closed meanwhile, or not yet opened)."""


class SubmissionConflict(DomainError):
    """The same form submission was sent again with different answers."""


@dataclass(frozen=True)
class AnswerInput:
    """One answer as entered; which fields apply depends on the item type."""

    value: float | None = None
    low: float | None = None
    high: float | None = None
    confidence: int | None = None
    dont_know: bool = False
    choices: tuple[str, ...] | None = None
    ranking: tuple[str, ...] | None = None
    text: str | None = None
    rationale: str | None = None

    def is_blank(self) -> bool:
        return (
            self.value is None
            and not self.dont_know
            and not self.choices
            and not self.ranking
            and not (self.text or "").strip()
        )

    def canonical(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("choices", "ranking"):
            if data[key] is not None:
                data[key] = list(data[key])
        return data

    @classmethod
    def from_answer(cls, answer: Answer) -> AnswerInput:
        return cls(
            value=answer.value,
            low=answer.low,
            high=answer.high,
            confidence=answer.confidence,
            dont_know=answer.dont_know,
            choices=tuple(answer.choices) if answer.choices is not None else None,
            ranking=tuple(answer.ranking) if answer.ranking is not None else None,
            text=answer.text,
            rationale=answer.rationale,
        )


@dataclass(frozen=True)
class SaveResult:
    #: ``saved`` (draft), ``submitted``, or ``replayed`` (the same submission seen before).
    outcome: str
    status: ResponseStatus


def _option_keys(spec: dict[str, Any]) -> list[str]:
    return [o["key"] for o in spec.get("options", [])]


def _bound(value: float | None) -> str:
    return "…" if value is None else f"{value:g}"


def answer_problems(item: Item, answer: AnswerInput, *, draft: bool = False) -> list[Problem]:
    """What is wrong with an answer to ``item``. Blank is fine. Each problem's ``field`` is the
    item key, with the part of the answer at fault after a slash (``key/low``,
    ``key/confidence``, ``key/rationale``).

    A ``draft`` may be incomplete (a ranking with fewer places than asked, one end of a range,
    fewer choices than the minimum); values that are wrong in themselves are refused always.
    """
    spec, key = item.spec, item.key
    problems: list[Problem] = []
    limit = int(spec.get("max_length") or DEFAULT_TEXT_LIMIT)
    if answer.rationale is not None and len(answer.rationale) > DEFAULT_TEXT_LIMIT:
        problems.append(
            Problem(
                _("the reason is longer than %(n)s characters", n=DEFAULT_TEXT_LIMIT),
                field=f"{key}/rationale",
            )
        )
    if answer.is_blank():
        return problems
    kind = item.type
    if kind is ItemType.likert:
        k = int(spec.get("scale", 5))
        if answer.dont_know:
            if not spec.get("dont_know"):
                problems.append(
                    Problem(_("this question has no 'cannot assess' option"), field=key)
                )
        elif (
            answer.value is None
            or not float(answer.value).is_integer()
            or not 1 <= answer.value <= k
        ):
            problems.append(Problem(_("choose a whole number from 1 to %(k)s", k=k), field=key))
    elif kind is ItemType.estimate:
        lo_bound, hi_bound = spec.get("min"), spec.get("max")
        value = answer.value
        if value is None or not math.isfinite(value):
            problems.append(Problem(_("enter a number"), field=key))
            return problems
        if lo_bound is not None and value < lo_bound:
            problems.append(
                Problem(_("the value must be at least %(v)s", v=f"{lo_bound:g}"), field=key)
            )
        if hi_bound is not None and value > hi_bound:
            problems.append(
                Problem(_("the value must be at most %(v)s", v=f"{hi_bound:g}"), field=key)
            )
        ends = [end for end in (answer.low, answer.high) if end is not None]
        if not all(math.isfinite(end) for end in ends):
            problems.append(Problem(_("the ends of the range must be numbers"), field=f"{key}/low"))
            return problems
        if (answer.low is None) != (answer.high is None):
            if not draft:
                problems.append(
                    Problem(
                        _("give both the low and the high end of the range, or neither"),
                        field=f"{key}/low",
                    )
                )
        elif answer.low is not None and answer.high is not None:
            if not spec.get("range"):
                problems.append(
                    Problem(_("this question does not ask for a range"), field=f"{key}/low")
                )
            elif not (answer.low <= value <= answer.high):
                problems.append(
                    Problem(
                        _("the range must include your estimate (low ≤ value ≤ high)"),
                        field=f"{key}/low",
                    )
                )
            elif (lo_bound is not None and answer.low < lo_bound) or (
                hi_bound is not None and answer.high > hi_bound
            ):
                problems.append(
                    Problem(
                        _(
                            "the range must lie between %(lo)s and %(hi)s",
                            lo=_bound(lo_bound),
                            hi=_bound(hi_bound),
                        ),
                        field=f"{key}/low",
                    )
                )
        if answer.confidence is not None and not spec.get("confidence"):
            problems.append(
                Problem(_("this question does not ask how sure you are"), field=f"{key}/confidence")
            )
        elif answer.confidence is not None and not 0 <= answer.confidence <= 100:
            problems.append(
                Problem(_("confidence must be between 0 and 100"), field=f"{key}/confidence")
            )
    elif kind is ItemType.choice:
        chosen = list(answer.choices or ())
        known = set(_option_keys(spec))
        if len(set(chosen)) != len(chosen) or not set(chosen) <= known:
            problems.append(Problem(_("choose among the options shown"), field=key))
        elif not spec.get("multiple") and len(chosen) != 1:
            problems.append(Problem(_("choose one option"), field=key))
        else:
            lo, hi = spec.get("min_selections"), spec.get("max_selections")
            if lo and len(chosen) < lo and not draft:
                problems.append(Problem(_("choose at least %(n)s options", n=lo), field=key))
            if hi and len(chosen) > hi:
                problems.append(Problem(_("choose at most %(n)s options", n=hi), field=key))
    elif kind is ItemType.ranking:
        order = list(answer.ranking or ())
        options = _option_keys(spec)
        top_m = int(spec.get("top_m") or len(options))
        if len(set(order)) != len(order) or not set(order) <= set(options):
            problems.append(Problem(_("each option can take only one place"), field=key))
        elif len(order) < min(top_m, len(options)) and not draft:
            problems.append(
                Problem(_("rank at least %(n)s options", n=min(top_m, len(options))), field=key)
            )
    elif kind is ItemType.text and answer.text is not None and len(answer.text) > limit:
        problems.append(
            Problem(_("the answer is longer than %(n)s characters", n=limit), field=key)
        )
    return problems


def _payload_hash(answers: dict[str, AnswerInput], submit: bool) -> str:
    body = {"submit": submit, "answers": {k: answers[k].canonical() for k in sorted(answers)}}
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _locked_round(round_id: int) -> Round:
    # On PostgreSQL the row lock orders this submission against a concurrent close; SQLite
    # serialises writers with BEGIN IMMEDIATE.
    return db.session.scalars(select(Round).where(Round.id == round_id).with_for_update()).one()


def own_response(round_: Round, panellist: Panellist) -> Response | None:
    """The panellist's response to the round, found through their pseudonym."""
    alias = pseudonym(round_.consultation_id, panellist.id)
    return db.session.scalars(
        select(Response).where(
            Response.round_id == round_.id, Response.respondent_pseudonym == alias
        )
    ).first()


def own_answers(round_: Round, panellist: Panellist) -> dict[str, AnswerInput]:
    """The panellist's stored answers to the round by item key (empty when none)."""
    response = own_response(round_, panellist)
    if response is None:
        return {}
    # the round's items in one query, not one per answer (60 on a 60-item round)
    keys = {item.id: item.key for item in round_.items}
    return {keys[a.item_id]: AnswerInput.from_answer(a) for a in response.answers}


def save_response(
    round_: Round,
    panellist: Panellist,
    answers: dict[str, AnswerInput],
    *,
    submission_id: str,
    submit: bool,
    base_submission_id: str | None = None,
) -> SaveResult:
    """Store the panellist's answers as a draft or submit them. Flushes; the caller commits.

    Idempotent: the same ``submission_id`` with the same answers returns the first result;
    with other answers it raises SubmissionConflict. ``base_submission_id`` names the stored
    submission the form was rendered from ("new" for none); when given and no longer current
    (a save from another window, or a late retry of an older submission), SubmissionConflict
    is raised instead of overwriting newer answers. Raises RoundNotOpen when the round is not
    open (the stored draft is left as it was), InvalidInput naming each item at fault,
    NotAllowed when the panellist is not on this consultation's panel.
    """
    if panellist.consultation_id != round_.consultation_id or not panellist.active:
        raise NotAllowed(N_("you are not on the panel of this consultation"))
    round_ = _locked_round(round_.id)
    if round_.status is not RoundStatus.open:
        raise RoundNotOpen(
            _(
                "Round %(n)s is closed: answers can no longer be sent. Your saved draft is kept.",
                n=round_.number,
            )
            if round_.status is not RoundStatus.draft
            else _("Round %(n)s has not opened yet.", n=round_.number)
        )
    items = {item.key: item for item in round_.items}
    unknown = sorted(set(answers) - set(items))
    if unknown:
        raise InvalidInput(
            N_("answers to unknown questions"),
            [Problem(N_("not a question of this round"), field=k) for k in unknown],
        )
    problems = [
        p for key, a in answers.items() for p in answer_problems(items[key], a, draft=not submit)
    ]
    if problems:
        raise InvalidInput(N_("some answers need attention"), problems)

    alias = pseudonym(round_.consultation_id, panellist.id)
    payload = _payload_hash(answers, submit)
    response = db.session.scalars(
        select(Response).where(
            Response.round_id == round_.id, Response.respondent_pseudonym == alias
        )
    ).first()
    if response is not None and response.submission_id == submission_id:
        if response.payload_hash == payload:
            return SaveResult("replayed", response.status)
        raise SubmissionConflict(
            N_(
                "this form was already sent with other answers; reload the page to see what "
                "is saved"
            )
        )
    current = (response.submission_id if response is not None else None) or "new"
    if base_submission_id is not None and base_submission_id != current:
        raise SubmissionConflict(
            _(
                "Your answers were changed in another window or on another device since this "
                "page was opened. Please reload the page to see what is saved."
            )
        )
    if response is not None and response.status is ResponseStatus.submitted and not submit:
        raise StateError(
            N_("your answers are already submitted; use 'Submit changes' to revise them")
        )
    if response is None:
        response = _insert_response(round_, alias, panellist)

    db.session.execute(delete(Answer).where(Answer.response_id == response.id))
    for key, given in sorted(answers.items()):
        if given.is_blank() and not given.rationale:
            continue
        db.session.add(
            Answer(
                response_id=response.id,
                item_id=items[key].id,
                value=given.value,
                low=given.low,
                high=given.high,
                confidence=given.confidence,
                dont_know=given.dont_know,
                choices=list(given.choices) if given.choices is not None else None,
                ranking=list(given.ranking) if given.ranking is not None else None,
                text=given.text,
                rationale=(given.rationale or "").strip() or None,
            )
        )
    if submit:
        response.status = ResponseStatus.submitted
    response.submission_id = submission_id
    response.payload_hash = payload
    db.session.flush()
    db.session.expire(response, ["answers"])
    return SaveResult("submitted" if submit else "saved", response.status)


def _insert_response(round_: Round, alias: str, panellist: Panellist) -> Response:
    """Create the response row, tolerating a concurrent first save of the same panellist."""
    values = {
        "round_id": round_.id,
        "respondent_pseudonym": alias,
        "stakeholder_group": panellist.stakeholder_group,
        "status": ResponseStatus.draft,
    }
    dialect = db.session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = insert(Response.__table__).values(
            id=str(uuid.uuid4()),
            round_id=values["round_id"],
            respondent_pseudonym=alias,
            stakeholder_group=panellist.stakeholder_group.value,
            status=ResponseStatus.draft.value,
        )
        db.session.execute(
            stmt.on_conflict_do_nothing(index_elements=["round_id", "respondent_pseudonym"])
        )
        return db.session.scalars(
            select(Response).where(
                Response.round_id == round_.id, Response.respondent_pseudonym == alias
            )
        ).one()
    response = Response(**values)
    db.session.add(response)
    db.session.flush()
    return response


def response_states(round_: Round, panellist_ids=None) -> dict[int, ResponseStatus]:
    """{panellist id: draft or submitted} for the panellists who have a response to the
    round (others are absent), found through their pseudonyms. ``panellist_ids`` defaults
    to the whole panel, inactive members included. Reads only; needs the study key.

    Only whether someone answered is learnt, never what: the secretariat may know who has
    responded (SECURITY.md 2.1) and needs it for reminders.
    """
    if panellist_ids is None:
        panellist_ids = db.session.scalars(
            select(Panellist.id).where(Panellist.consultation_id == round_.consultation_id)
        ).all()
    ids = list(panellist_ids)
    if not ids:
        return {}
    by_alias = {alias: pid for pid, alias in pseudonyms(round_.consultation_id, ids).items()}
    states: dict[int, ResponseStatus] = {}
    for alias, status in db.session.execute(
        select(Response.respondent_pseudonym, Response.status).where(Response.round_id == round_.id)
    ):
        pid = by_alias.get(alias)
        if pid is not None:
            states[pid] = status
    return states


def record_round_participation(round_: Round) -> int:
    """Write who started and who completed the round, for the whole panel at once. Flushes.

    Called when the round closes, in the closing transaction: every participation row is
    written by that one transaction, in panellist order, so neither transaction ids nor row
    order say anything about when, or in which order, people answered (rows are added in
    panellist order, and updated in the order they were made at invitation). Returns how many
    panellists completed the round.
    """
    states = response_states(round_)
    existing = {
        part.panellist_id: part
        for part in db.session.scalars(
            select(Participation).where(Participation.round_id == round_.id)
        )
    }
    completed = 0
    for pid in sorted(set(states) | set(existing)):
        part = existing.get(pid)
        if part is None:
            part = Participation(panellist_id=pid, round_id=round_.id)
            db.session.add(part)
        status = states.get(pid)
        part.started = status is not None
        part.completed = status is ResponseStatus.submitted
        completed += part.completed
    db.session.flush()
    return completed
