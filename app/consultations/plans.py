"""A consultation's analysis plan (METHOD.md 3), validated: the one place every reader gets it.

Results, feedback, curation and the consultation services all read the plan through
``plan_of``; a leaf module, so that none of them needs the consultation services for it.
A plan being saved is checked further (``plan_to_save``): every problem at once, and rules
that no answer could meet are refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.consensus import AnalysisPlan
from app.consensus.plan import PlanError
from app.consultations.models import Consultation, ItemType
from app.errors import InvalidInput
from app.problems import N_, Problem

#: Scale sizes a rating rule must be reachable on besides the consultation's own: the
#: default 5-point scale (so that the default rules are never refused).
BASE_SCALES = (5,)


def _problem(error: PlanError) -> Problem:
    return Problem(error.message, field=error.field, params=error.params)


def _refuse(problems: list[PlanError]) -> InvalidInput:
    return InvalidInput(N_("the analysis plan is not valid"), [_problem(p) for p in problems])


def plan_from_dict(data: dict[str, Any]) -> AnalysisPlan:
    """Validate a plan; raises InvalidInput naming the field at fault, with every problem."""
    problems = AnalysisPlan.problems(data)
    if problems:
        raise _refuse(problems)
    try:
        return AnalysisPlan.from_dict(data)
    except PlanError as exc:  # pragma: no cover - problems() found none
        raise _refuse([exc]) from exc
    except (ValueError, TypeError) as exc:
        raise InvalidInput(N_("the analysis plan is not valid"), [str(exc)]) from exc


def _problems_to_save(data: dict[str, Any], scales: Iterable[int]) -> list[PlanError]:
    return AnalysisPlan.problems(data, scales=sorted({*BASE_SCALES, *scales}))


def plan_problems(data: dict[str, Any], scales: Iterable[int] = ()) -> list[Problem]:
    """Every problem that keeps a plan from being saved (see ``plan_to_save``), without
    saving: a page shows them all at once, beside the other problems of its form."""
    return [_problem(p) for p in _problems_to_save(data, scales)]


def plan_to_save(data: dict[str, Any], scales: Iterable[int] = ()) -> AnalysisPlan:
    """A plan about to be stored: valid (``plan_from_dict``), and none of its rules out of
    reach of every possible set of answers on the rating scales ``scales`` (and 5 points).
    Raises InvalidInput with every problem, each naming its field."""
    problems = _problems_to_save(data, scales)
    if problems:
        raise _refuse(problems)
    return AnalysisPlan.from_dict(data)


def rating_scales(consultation: Consultation) -> set[int]:
    """Numbers of scale points of the consultation's rating items, in every round."""
    return {
        int(item.spec.get("scale", 5))
        for round_ in consultation.rounds
        for item in round_.items
        if item.type is ItemType.likert
    }


def plan_of(consultation: Consultation) -> AnalysisPlan:
    return plan_from_dict(consultation.plan or {})
