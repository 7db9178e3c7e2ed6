"""Consultation -> Round -> Item; Response -> Answer (anonymous). Themes: app.curation.models.

Responses and answers stay here, beside the rounds they belong to, as STYLE.md 1 lays out the
consultations package; the answering code (``app.consultations.responses`` and
``app.answering``) is their only writer.

Anonymity (SECURITY.md 2.3): ``response`` and ``answer`` have no foreign key or column that
leads to a panellist, an invitation or a participation, and no timestamps. A response is
keyed by a random UUID and found again only through the respondent's pseudonym.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.consultations.document import FeedbackRationales, RoundResults
from app.database import utcnow
from app.errors import ConsultationStateError, PlanLockedError, RoundStateError
from app.extensions import db
from app.formatting import N_, localized

if TYPE_CHECKING:
    from app.auth.models import User
    from app.councils.models import Council
    from app.curation.models import Theme
    from app.questionnaires.models import QuestionnaireVersion


class StakeholderGroup(enum.StrEnum):
    employers = "employers"
    workers_representatives = "workers-representatives"
    education_providers = "education-providers"
    public_authorities = "public-authorities"
    other_experts = "other-experts"


class ConsultationStatus(enum.StrEnum):
    draft = "draft"
    running = "running"
    finished = "finished"


class RoundStatus(enum.StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"
    released = "released"


#: Why a consultation in this state cannot be finished.
_NOT_FINISHED = {
    ConsultationStatus.draft: N_("the consultation is draft; only a running one can be finished"),
    ConsultationStatus.finished: N_(
        "the consultation is finished; only a running one can be finished"
    ),
}

#: Why a round in a state cannot take an action: one whole sentence per action and state,
#: so that each language can say it in its own words.
_ROUND_REFUSALS = {
    ("open", RoundStatus.open): N_("round %(n)s is open; it cannot be opened (only when draft)"),
    ("open", RoundStatus.closed): N_(
        "round %(n)s is closed; it cannot be opened (only when draft)"
    ),
    ("open", RoundStatus.released): N_(
        "round %(n)s is released; it cannot be opened (only when draft)"
    ),
    ("extend", RoundStatus.draft): N_(
        "round %(n)s is draft; it cannot be extended (only when open)"
    ),
    ("extend", RoundStatus.closed): N_(
        "round %(n)s is closed; it cannot be extended (only when open)"
    ),
    ("extend", RoundStatus.released): N_(
        "round %(n)s is released; it cannot be extended (only when open)"
    ),
    ("close", RoundStatus.draft): N_("round %(n)s is draft; it cannot be closed (only when open)"),
    ("close", RoundStatus.closed): N_(
        "round %(n)s is closed; it cannot be closed (only when open)"
    ),
    ("close", RoundStatus.released): N_(
        "round %(n)s is released; it cannot be closed (only when open)"
    ),
    ("release", RoundStatus.draft): N_(
        "round %(n)s is draft; it cannot be released (only when closed)"
    ),
    ("release", RoundStatus.open): N_(
        "round %(n)s is open; it cannot be released (only when closed)"
    ),
    ("release", RoundStatus.released): N_(
        "round %(n)s is released; it cannot be released (only when closed)"
    ),
}


class ResponseStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"


class Consultation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(default="")
    #: Title and description in the questionnaire's other languages:
    #: {"de": {"title": "...", "description": "..."}}; ``title`` and ``description`` are the
    #: main language's, and stand in for a language without its own.
    translations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[ConsultationStatus] = mapped_column(default=ConsultationStatus.draft)
    #: The analysis plan (METHOD.md 3) as a JSON object.
    plan: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: SHA-256 of the plan's canonical JSON, fixed when the plan locks.
    plan_hash: Mapped[str | None] = mapped_column(String(64))
    #: When round 1 opened; the plan cannot change afterwards. NULL while editable.
    plan_locked_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the secretariat finished it: no round opens afterwards, links stop working.
    finished_at: Mapped[datetime | None]

    council: Mapped[Council] = relationship(back_populates="consultations")
    questionnaire: Mapped[QuestionnaireVersion] = relationship()
    created_by: Mapped[User | None] = relationship()
    rounds: Mapped[list[Round]] = relationship(
        back_populates="consultation", order_by="Round.number", cascade="all, delete-orphan"
    )
    themes: Mapped[list[Theme]] = relationship(
        back_populates="consultation", order_by="Theme.id", cascade="all, delete-orphan"
    )

    @property
    def plan_locked(self) -> bool:
        return self.plan_locked_at is not None

    def title_for(self, lang: str | None) -> str:
        """The title in ``lang``, else in the main language."""
        own = (self.translations or {}).get(lang or "") or {}
        return own.get("title") or self.title

    def description_for(self, lang: str | None) -> str:
        """The description in ``lang``; the main language's when ``lang`` has no title of
        its own (a translated title with no description means: no description)."""
        own = (self.translations or {}).get(lang or "") or {}
        if own.get("title"):
            return own.get("description") or ""
        return self.description or ""

    def set_plan(self, plan: dict[str, Any]) -> None:
        """Replace the plan. Raises PlanLockedError once round 1 has opened."""
        if self.plan_locked:
            raise PlanLockedError(
                N_("the analysis plan of consultation %(id)s is locked since round 1 opened"),
                {"id": str(self.id)},
            )
        self.plan = plan

    def lock_plan(self, plan_hash: str, as_of: datetime) -> None:
        if self.plan_locked:
            return
        self.plan_hash = plan_hash
        self.plan_locked_at = as_of

    # The consultation's state machine: draft -> running (round 1 opens) -> finished.

    def start(self) -> None:
        """A round opens: draft becomes running (running stays running)."""
        if self.status is ConsultationStatus.finished:
            raise ConsultationStateError(N_("the consultation is finished; no round opens again"))
        self.status = ConsultationStatus.running

    def finish(self, as_of: datetime) -> None:
        """End the consultation. Only a running one whose rounds are all closed (a round
        prepared but never opened is the caller's to remove first)."""
        if self.status is not ConsultationStatus.running:
            raise ConsultationStateError(_NOT_FINISHED[self.status])
        busy = [r.number for r in self.rounds if r.status in (RoundStatus.draft, RoundStatus.open)]
        if busy:
            raise ConsultationStateError(
                N_("round %(n)s is not closed; close it before finishing the consultation"),
                {"n": busy[0]},
            )
        self.status, self.finished_at = ConsultationStatus.finished, as_of

    def require_running_or_draft(self) -> None:
        if self.status is ConsultationStatus.finished:
            raise ConsultationStateError(N_("the consultation is finished"))


class Round(db.Model):
    __table_args__ = (UniqueConstraint("consultation_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    status: Mapped[RoundStatus] = mapped_column(default=RoundStatus.draft)
    #: Announced deadline; answering stops at close, not automatically at the deadline.
    deadline: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    #: When answering stopped; None while draft or open.
    closed_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]
    #: Statistics frozen at close (METHOD.md 9): the basis of feedback and reports.
    results: Mapped[dict[str, Any] | None]
    #: The reasons shown as feedback in the next round, frozen at release (METHOD.md 9):
    #: authorless texts per item in the order shown. NULL before release, and for rounds
    #: released before it was stored (their feedback reads the reasons as they stand).
    feedback_rationales: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    consultation: Mapped[Consultation] = relationship(back_populates="rounds")
    items: Mapped[list[Item]] = relationship(
        back_populates="round",
        order_by="Item.position",
        cascade="all, delete-orphan",
        foreign_keys="Item.round_id",
    )

    def _require(self, allowed: RoundStatus, action: str) -> None:
        if self.status is not allowed:
            raise RoundStateError(_ROUND_REFUSALS[action, self.status], {"n": self.number})

    def open(self, as_of: datetime, deadline: datetime | None = None) -> None:
        self._require(RoundStatus.draft, action="open")
        if deadline is not None and deadline <= as_of:
            raise RoundStateError(N_("the deadline must lie in the future"))
        self.status, self.opened_at = RoundStatus.open, as_of
        if deadline is not None:
            self.deadline = deadline

    def extend(self, deadline: datetime, as_of: datetime) -> None:
        self._require(RoundStatus.open, action="extend")
        if deadline <= as_of or (self.deadline is not None and deadline <= self.deadline):
            raise RoundStateError(N_("the new deadline must be later than the current one"))
        self.deadline = deadline

    def close(self, as_of: datetime) -> None:
        self._require(RoundStatus.open, action="close")
        self.status, self.closed_at = RoundStatus.closed, as_of

    def release(self, as_of: datetime) -> None:
        self._require(RoundStatus.closed, action="release")
        self.status, self.released_at = RoundStatus.released, as_of

    @property
    def is_open(self) -> bool:
        return self.status is RoundStatus.open

    def frozen_results(self) -> RoundResults | None:
        """The results frozen at close, as the typed document; None before close."""
        if not self.results:
            return None
        plan = self.consultation.plan or {}
        return RoundResults.from_json(self.results, min_group_n=int(plan.get("min_group_n", 5)))

    def frozen_feedback_rationales(self) -> FeedbackRationales | None:
        """The reasons frozen at release, as the typed document; None when none were frozen."""
        if self.feedback_rationales is None:
            return None
        return FeedbackRationales.from_json(self.feedback_rationales)


class ItemType(enum.StrEnum):
    likert = "likert"
    estimate = "estimate"
    ranking = "ranking"
    choice = "choice"
    text = "text"


class Item(db.Model):
    """A question as asked in one round."""

    __table_args__ = (UniqueConstraint("round_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    type: Mapped[ItemType]
    position: Mapped[int] = mapped_column(default=0)
    #: Question text per language: {"en": "...", "de": "..."}.
    text: Mapped[dict[str, str]]
    #: The full item definition (questionnaire item ``to_dict()``): scale, options, codes...
    spec: Mapped[dict[str, Any]]
    #: The same question in the previous round, when carried forward.
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    #: The approved theme this item was made from.
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id"))

    round: Mapped[Round] = relationship(back_populates="items", foreign_keys=[round_id])
    carried_from: Mapped[Item | None] = relationship(remote_side=[id])
    theme: Mapped[Theme | None] = relationship(foreign_keys=[theme_id])

    def text_for(self, lang: str, default: str = "en") -> str:
        return localized(self.text, lang, default)


def _new_response_id() -> str:
    return str(uuid.uuid4())


class Response(db.Model):
    """One panellist's answers to one round, without any link to who they are."""

    __table_args__ = (
        UniqueConstraint("round_id", "respondent_pseudonym"),
        {"sqlite_with_rowid": False},
    )

    #: Random UUID (version 4): carries no time or order.
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_response_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    #: HMAC-SHA256(study key, panellist id); lets a panellist find their own answers.
    respondent_pseudonym: Mapped[str] = mapped_column(String(64))
    #: Copied from the panellist when the response is made; fixed for the round.
    stakeholder_group: Mapped[StakeholderGroup]
    status: Mapped[ResponseStatus] = mapped_column(default=ResponseStatus.draft)
    #: Last form submission applied (idempotent replays) and a hash of its payload.
    submission_id: Mapped[str | None] = mapped_column(String(36))
    payload_hash: Mapped[str | None] = mapped_column(String(64))

    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class Answer(db.Model):
    __table_args__ = ({"sqlite_with_rowid": False},)

    response_id: Mapped[str] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("item.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    #: Likert point or estimate value, in the item's scale or unit.
    value: Mapped[float | None]
    low: Mapped[float | None]
    high: Mapped[float | None]
    #: 0-100.
    confidence: Mapped[int | None]
    #: The panellist chose "cannot assess".
    dont_know: Mapped[bool] = mapped_column(default=False)
    #: Option keys chosen (choice items).
    choices: Mapped[list[Any] | None]
    #: Option keys in order, best first (ranking items).
    ranking: Mapped[list[Any] | None]
    text: Mapped[str | None]
    rationale: Mapped[str | None]
    #: The secretariat hid this rationale from feedback (moderation).
    rationale_hidden: Mapped[bool] = mapped_column(default=False)

    response: Mapped[Response] = relationship(back_populates="answers")
    item: Mapped[Item] = relationship()
