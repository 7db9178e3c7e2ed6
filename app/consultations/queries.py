"""The one bridge from stored answers to the engine's DataFrames.

Only *submitted* responses count (drafts never do). Rows are ordered by pseudonym, never by
time; the ``panellist`` column holds the pseudonym, which pairs a panellist's answers across
rounds without naming them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select

from app.consultations.models import (
    Answer,
    Item,
    ItemType,
    Response,
    ResponseStatus,
    Round,
)
from app.extensions import db


def _rows(round_: Round, kinds: tuple[ItemType, ...]):
    """(item, response, answer-or-None) for every submitted response x item of these kinds."""
    items = [i for i in round_.items if i.type in kinds]
    if not items:
        return items, [], {}
    responses = db.session.execute(
        select(Response.id, Response.respondent_pseudonym, Response.stakeholder_group)
        .where(Response.round_id == round_.id, Response.status == ResponseStatus.submitted)
        .order_by(Response.respondent_pseudonym)
    ).all()
    answers = {
        (a.response_id, a.item_id): a
        for a in db.session.scalars(
            select(Answer).where(
                Answer.response_id.in_([r.id for r in responses]) if responses else False,
                Answer.item_id.in_([i.id for i in items]),
            )
        )
    }
    return items, responses, answers


def submitted_count(round_: Round) -> int:
    from sqlalchemy import func

    return db.session.scalar(
        select(func.count())
        .select_from(Response)
        .where(Response.round_id == round_.id, Response.status == ResponseStatus.submitted)
    )


def likert_answers(round_: Round) -> pd.DataFrame:
    """Columns ``item, panellist, group, value, dont_know``; NaN value = blank or cannot assess."""
    items, responses, answers = _rows(round_, (ItemType.likert,))
    rows = []
    for item in items:
        for resp in responses:
            a = answers.get((resp.id, item.id))
            valid = a is not None and not a.dont_know and a.value is not None
            rows.append(
                (
                    item.key,
                    resp.respondent_pseudonym,
                    resp.stakeholder_group.value,
                    float(a.value) if valid else np.nan,
                    bool(a is not None and a.dont_know),
                )
            )
    return pd.DataFrame(rows, columns=["item", "panellist", "group", "value", "dont_know"])


def estimate_answers(round_: Round) -> pd.DataFrame:
    """Columns ``item, panellist, group, value, low, high, confidence`` (NaN when not given)."""
    items, responses, answers = _rows(round_, (ItemType.estimate,))
    rows = []
    for item in items:
        for resp in responses:
            a = answers.get((resp.id, item.id))
            if a is None or a.value is None:
                rows.append(
                    (
                        item.key,
                        resp.respondent_pseudonym,
                        resp.stakeholder_group.value,
                        np.nan,
                        np.nan,
                        np.nan,
                        np.nan,
                    )
                )
                continue
            rows.append(
                (
                    item.key,
                    resp.respondent_pseudonym,
                    resp.stakeholder_group.value,
                    a.value,
                    np.nan if a.low is None else a.low,
                    np.nan if a.high is None else a.high,
                    np.nan if a.confidence is None else float(a.confidence),
                )
            )
    return pd.DataFrame(
        rows, columns=["item", "panellist", "group", "value", "low", "high", "confidence"]
    )


def choice_answers(round_: Round) -> pd.DataFrame:
    """Columns ``item, panellist, group, choices`` (a tuple of option keys; None = no answer)."""
    items, responses, answers = _rows(round_, (ItemType.choice,))
    rows = []
    for item in items:
        for resp in responses:
            a = answers.get((resp.id, item.id))
            chosen = tuple(a.choices) if a is not None and a.choices else None
            rows.append((item.key, resp.respondent_pseudonym, resp.stakeholder_group.value, chosen))
    return pd.DataFrame(rows, columns=["item", "panellist", "group", "choices"])


def ranking_answers(round_: Round) -> pd.DataFrame:
    """Columns ``item, panellist, option, rank``: one row per listed option (1 = best)."""
    items, responses, answers = _rows(round_, (ItemType.ranking,))
    rows = []
    for item in items:
        for resp in responses:
            a = answers.get((resp.id, item.id))
            for position, option in enumerate((a.ranking or []) if a is not None else [], 1):
                rows.append((item.key, resp.respondent_pseudonym, option, position))
    return pd.DataFrame(rows, columns=["item", "panellist", "option", "rank"])


def too_few_to_show_texts(round_: Round) -> bool:
    """Fewer submitted responses than the plan's smallest publishable group.

    Free text and reasons are then withheld everywhere: the secretariat sees who submitted,
    so with one or two submissions a text would point to its author.
    """
    min_group_n = int((round_.consultation.plan or {}).get("min_group_n", 5))
    return submitted_count(round_) < min_group_n


def text_answers(round_: Round, *, withhold_small: bool = True) -> pd.DataFrame:
    """Columns ``response, item, text``: free-text answers of submitted responses.

    ``response`` is a running number within this frame (not a stored id), so statements of
    one answer can be grouped without any handle on the respondent. Empty while fewer than
    ``min_group_n`` responses are submitted, unless ``withhold_small`` is False (for counts).
    """
    if withhold_small and too_few_to_show_texts(round_):
        return pd.DataFrame(columns=["response", "item", "text"])
    items, responses, answers = _rows(round_, (ItemType.text,))
    rows = []
    for number, resp in enumerate(responses, 1):
        for item in items:
            a = answers.get((resp.id, item.id))
            if a is not None and (a.text or "").strip():
                rows.append((number, item.key, a.text.strip()))
    return pd.DataFrame(rows, columns=["response", "item", "text"])


def rationale_rows(item: Item, *, include_hidden: bool = True) -> list[tuple[str, str, bool, str]]:
    """(response id, text, hidden, stakeholder group) of the item's rationales.

    For moderation, which needs to address one rationale; never shown as such. Ordered by
    pseudonym; empty while fewer than ``min_group_n`` responses are submitted.
    """
    if too_few_to_show_texts(item.round):
        return []
    stmt = (
        select(
            Answer.response_id,
            Answer.rationale,
            Answer.rationale_hidden,
            Response.stakeholder_group,
        )
        .join(Response, Response.id == Answer.response_id)
        .where(
            Answer.item_id == item.id,
            Response.status == ResponseStatus.submitted,
            Answer.rationale.is_not(None),
        )
        .order_by(Response.respondent_pseudonym)
    )
    if not include_hidden:
        stmt = stmt.where(Answer.rationale_hidden.is_(False))
    return [
        (rid, text, hidden, group.value) for rid, text, hidden, group in db.session.execute(stmt)
    ]


def rationales(item: Item, *, include_hidden: bool = False) -> list[tuple[str, str, bool]]:
    """(text, stakeholder group, hidden) of the item's rationales in submitted responses.

    Ordered by pseudonym; callers shuffle with ``keys.rationale_seed`` before showing them.
    Empty while fewer than ``min_group_n`` responses are submitted.
    """
    return [
        (text, group, hidden)
        for _rid, text, hidden, group in rationale_rows(item, include_hidden=include_hidden)
    ]
