"""Who is on a panel. Nothing here points to a response or an answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.consultations.models import StakeholderGroup
from app.database import utcnow
from app.extensions import db
from app.panels.parse import email_key

if TYPE_CHECKING:
    from app.consultations.models import Consultation, Round


def _email_key_default(context: DefaultExecutionContext) -> str:
    return email_key(context.get_current_parameters()["email"])


class Panellist(db.Model):
    # one address once per panel, whatever its case
    __table_args__ = (UniqueConstraint("consultation_id", "email_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    #: As typed (its domain in lower case); mail goes to this address.
    email: Mapped[str] = mapped_column(String(254))
    #: ``email`` in lower case (``app.panels.parse.email_key``): the panel's key. Kept in
    #: step with ``email`` on every change.
    email_key: Mapped[str] = mapped_column(String(254), default=_email_key_default)
    organisation: Mapped[str] = mapped_column(String(300), default="")
    stakeholder_group: Mapped[StakeholderGroup]
    #: Language of invitations and of the questionnaire (ISO 639-1): one the questionnaire
    #: offers.
    language: Mapped[str] = mapped_column(String(8), default="en")
    #: The language the panellist gave when the questionnaire does not offer it (so that
    #: ``language`` is a fallback); None when ``language`` is theirs.
    stated_language: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    consultation: Mapped[Consultation] = relationship()
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="panellist", cascade="all, delete-orphan", order_by="Invitation.id"
    )

    @validates("email")
    def _keep_key(self, _name: str, address: str) -> str:
        self.email_key = email_key(address)
        return address


class Invitation(db.Model):
    """A personal link. Only the HMAC of the token is stored; the token is in the e-mail."""

    id: Mapped[int] = mapped_column(primary_key=True)
    panellist_id: Mapped[int] = mapped_column(
        ForeignKey("panellist.id", ondelete="CASCADE"), index=True
    )
    #: HMAC-SHA256(INVITATION_PEPPER, token), hex.
    token_hmac: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_sent_at: Mapped[datetime | None]

    panellist: Mapped[Panellist] = relationship(back_populates="invitations")


class Participation(db.Model):
    """Whether a panellist was invited to, started and completed a round.

    Never linked to answers, and never written while panellists answer (SECURITY.md 2.3):
    while a round is open, who has started or submitted is worked out from the responses'
    pseudonyms (``app.consultations.responses.response_states``); ``started`` and
    ``completed`` are written for every panellist at once, in one transaction, when the round
    closes. A write per submission would sit next to the response's write in the database's
    transaction ids, row order and journal, and link the two. For the same reason no
    completion date is kept: day by day completions, read beside the order of the response
    rows, would narrow each response down to the few people who finished that day.
    """

    __table_args__ = (UniqueConstraint("panellist_id", "round_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panellist_id: Mapped[int] = mapped_column(
        ForeignKey("panellist.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    #: Date of the first invitation to this round (a secretariat action).
    invited_on: Mapped[date | None]
    #: Set when the round closes: the panellist saved at least a draft.
    started: Mapped[bool] = mapped_column(default=False)
    #: Set when the round closes: the panellist's answers were submitted.
    completed: Mapped[bool] = mapped_column(default=False)
    #: Date of the latest reminder (a secretariat action).
    reminded_on: Mapped[date | None]

    panellist: Mapped[Panellist] = relationship()
    round: Mapped[Round] = relationship()


class GroupQuota(db.Model):
    """Target number of panellists per stakeholder group."""

    __table_args__ = (UniqueConstraint("consultation_id", "stakeholder_group"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    stakeholder_group: Mapped[StakeholderGroup]
    target: Mapped[int]
