"""Who was invited, started and submitted, per round: for reminders and response tracking.

Never what anyone answered. While a round is open, "started" (saved at least a draft) and
"submitted" come from the responses' pseudonyms (``response_states``), because nothing naming
a panellist is written while people answer (SECURITY.md 2.3); once the round is closed they
come from the participation rows written at close. Opening a link is not "starting": a mail
scanner that follows every link in a message must not mark anyone as started.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select

from app.consultations.models import (
    Consultation,
    ResponseStatus,
    Round,
    RoundStatus,
    StakeholderGroup,
)
from app.consultations.responses import response_states
from app.extensions import db
from app.panels.models import Panellist, Participation


class Progress(StrEnum):
    """Where one panellist stands in one round."""

    none = "none"
    invited = "invited"
    started = "started"
    submitted = "submitted"


@dataclass(frozen=True)
class PanellistProgress:
    progress: Progress
    participation: Participation | None


def _live(round_: Round) -> bool:
    return round_.status is RoundStatus.open


def progress_of(round_: Round, panellist_ids: list[int]) -> dict[int, PanellistProgress]:
    """{panellist id: progress in ``round_``} for the given panellists. Reads only."""
    if not panellist_ids:
        return {}
    parts = {
        part.panellist_id: part
        for part in db.session.scalars(
            select(Participation).where(
                Participation.round_id == round_.id, Participation.panellist_id.in_(panellist_ids)
            )
        )
    }
    states = response_states(round_, panellist_ids) if _live(round_) else {}
    out = {}
    for pid in panellist_ids:
        part = parts.get(pid)
        if _live(round_):
            status = states.get(pid)
            started, submitted = status is not None, status is ResponseStatus.submitted
        else:
            started = bool(part and part.started)
            submitted = bool(part and part.completed)
        if submitted:
            progress = Progress.submitted
        elif started:
            progress = Progress.started
        elif part is not None and part.invited_on is not None:
            progress = Progress.invited
        else:
            progress = Progress.none
        out[pid] = PanellistProgress(progress, part)
    return out


def non_responders(round_: Round, *, today) -> list[Panellist]:
    """Active panellists invited to the open round who have not submitted and were not
    reminded ``today``, by id. Reads only."""
    candidates = list(
        db.session.scalars(
            select(Panellist)
            .join(Participation, Participation.panellist_id == Panellist.id)
            .where(
                Participation.round_id == round_.id,
                Participation.invited_on.is_not(None),
                (Participation.reminded_on.is_(None)) | (Participation.reminded_on != today),
                Panellist.active.is_(True),
                Panellist.consultation_id == round_.consultation_id,
            )
            .order_by(Panellist.id)
        )
    )
    states = response_states(round_, [p.id for p in candidates])
    return [p for p in candidates if states.get(p.id) is not ResponseStatus.submitted]


@dataclass(frozen=True)
class Counts:
    invited: int = 0
    started: int = 0
    submitted: int = 0

    @property
    def response_rate(self) -> float | None:
        """Submitted / invited (0-1); None when nobody was invited."""
        return self.submitted / self.invited if self.invited else None

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.invited + other.invited,
            self.started + other.started,
            self.submitted + other.submitted,
        )


@dataclass(frozen=True)
class Attrition:
    #: Panellists who submitted the previous round.
    previous: int
    #: Of those, how many did not submit this round.
    dropped: int

    @property
    def rate(self) -> float | None:
        return self.dropped / self.previous if self.previous else None


@dataclass(frozen=True)
class RoundTracking:
    round_id: int
    number: int
    status: RoundStatus
    #: Counts per stakeholder group, every group in the enum's order.
    groups: dict[StakeholderGroup, Counts]
    total: Counts
    #: Attrition from the previous round per group, and overall; None for round 1.
    attrition: dict[StakeholderGroup, Attrition] | None
    attrition_total: Attrition | None


def tracking(consultation: Consultation) -> list[RoundTracking]:
    """Per round (in order) and stakeholder group: invited, started and submitted counts
    and the response rate; attrition between consecutive rounds (submitted the previous
    round but not this one). Never touches answers. Groups are the panellists' current
    groups. Reads only."""
    groups_of = dict(
        db.session.execute(
            select(Panellist.id, Panellist.stakeholder_group).where(
                Panellist.consultation_id == consultation.id
            )
        ).all()
    )
    ids = list(groups_of)
    out = []
    previous_submitted: set[int] | None = None
    for round_ in consultation.rounds:
        progress = progress_of(round_, ids)
        tallies: dict[StakeholderGroup, list[int]] = defaultdict(lambda: [0, 0, 0])
        submitted: set[int] = set()
        for pid, entry in progress.items():
            tally = tallies[groups_of[pid]]
            part = entry.participation
            tally[0] += part is not None and part.invited_on is not None
            tally[1] += entry.progress in (Progress.started, Progress.submitted)
            tally[2] += entry.progress is Progress.submitted
            if entry.progress is Progress.submitted:
                submitted.add(pid)
        groups = {g: Counts(*tallies[g]) if g in tallies else Counts() for g in StakeholderGroup}
        total = sum(groups.values(), Counts())
        attrition = attrition_total = None
        if previous_submitted is not None:
            attrition = {}
            for g in StakeholderGroup:
                members = [pid for pid in previous_submitted if groups_of[pid] is g]
                dropped = sum(1 for pid in members if pid not in submitted)
                attrition[g] = Attrition(len(members), dropped)
            attrition_total = Attrition(
                len(previous_submitted),
                sum(1 for pid in previous_submitted if pid not in submitted),
            )
        out.append(
            RoundTracking(
                round_.id, round_.number, round_.status, groups, total, attrition, attrition_total
            )
        )
        previous_submitted = submitted
    return out
