"""A consultation's analysis plan (METHOD.md 3), validated: the one place every reader gets it.

Results, feedback, curation and the consultation services all read the plan through
``plan_of``; a leaf module, so that none of them needs the consultation services for it.
"""

from __future__ import annotations

from typing import Any

from app.consensus import AnalysisPlan
from app.consensus.plan import PlanError
from app.consultations.models import Consultation
from app.errors import InvalidInput
from app.problems import N_, Problem


def plan_from_dict(data: dict[str, Any]) -> AnalysisPlan:
    """Validate a plan; raises InvalidInput naming the field at fault."""
    try:
        return AnalysisPlan.from_dict(data)
    except PlanError as exc:
        raise InvalidInput(
            N_("the analysis plan is not valid"),
            [Problem(exc.message, field=exc.field, params=exc.params)],
        ) from exc
    except (ValueError, TypeError) as exc:
        raise InvalidInput(N_("the analysis plan is not valid"), [str(exc)]) from exc


def plan_of(consultation: Consultation) -> AnalysisPlan:
    return plan_from_dict(consultation.plan or {})
