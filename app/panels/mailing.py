"""Invitations and reminders by e-mail, and links for a mail merge.

Sending e-mail can take a while, and on SQLite any open transaction holds the database's
write lock. So sending comes in three steps that an edge can run with the transaction ended
in between: ``prepare_invitations`` / ``prepare_reminders`` (read only: fresh tokens and
messages in memory), ``deliver`` (SMTP only, no database), ``record_delivery`` (stores the
tokens' HMACs of the messages that were accepted). ``send_invitations`` and
``send_reminders`` run the three steps in one go.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from enum import StrEnum
from typing import Any

from flask import render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import select

from app.audit.services import record
from app.consultations.models import Consultation, Round, RoundStatus
from app.consultations.wording import round_description
from app.errors import NotFound, RoundStateError
from app.exports import csv_bytes
from app.extensions import db
from app.mail import Mailer, MailError, RecipientRefused, build_message
from app.panels.models import Panellist, Participation
from app.panels.panellists import current_round, default_language, utc_today
from app.panels.tokens import invitation_link, new_token, store_invitation
from app.panels.tracking import non_responders
from app.text import one_line

# ----------------------------------------------------------------------------- e-mail


class MailKind(StrEnum):
    invitation = "invitation"
    reminder = "reminder"


@dataclass
class Outgoing:
    """A message ready to send. ``token`` is the raw token: in memory only, never stored."""

    panellist_id: int
    address: str
    token: str
    message: EmailMessage


@dataclass
class Delivery:
    sent: list[Outgoing] = field(default_factory=list)
    #: (message, why) the server refused; their old links stay valid.
    refused: list[tuple[Outgoing, MailError]] = field(default_factory=list)
    #: Why sending stopped early (connection refused or lost); None when all were tried.
    error: MailError | None = None
    #: Messages not tried because sending stopped early.
    not_tried: int = 0


class SendReport(int):
    """How many e-mails were sent (an int), with the refusals — (address, why) — and why
    sending stopped early, if it did (shown with ``app.i18n.refusal_text``, or ``.message``
    in English)."""

    refused: tuple[tuple[str, MailError], ...]
    error: MailError | None
    not_tried: int

    def __new__(
        cls,
        sent: int,
        refused: tuple[tuple[str, MailError], ...] = (),
        error: MailError | None = None,
        not_tried: int = 0,
    ) -> SendReport:
        report = super().__new__(cls, sent)
        report.refused = tuple(refused)
        report.error = error
        report.not_tried = not_tried
        return report


def _anonymity_promise() -> str:
    return _(
        "Your answers are anonymous. They are stored without your name or e-mail address, "
        "and nobody, not even the secretariat, can see what you answered. Results are "
        "published only as summaries of groups, and a group's results only when it is large "
        "enough."
    )


def compose_message(
    panellist: Panellist, round_: Round, token: str, kind: MailKind
) -> EmailMessage:
    """The invitation or reminder e-mail for ``panellist``, in the panellist's language."""
    consultation = round_.consultation
    lang = panellist.language or default_language(consultation)
    link = invitation_link(token)
    with force_locale(lang):
        title = consultation.title_for(lang)
        council = consultation.council.name
        deadline = format_date(round_.deadline, format="long") if round_.deadline else None
        paragraphs = [_("Dear %(name)s,", name=panellist.name)]
        if kind is MailKind.invitation:
            subject = _("Invitation: %(title)s", title=title)
            paragraphs.append(
                _(
                    "%(council)s invites you to take part in the consultation “%(title)s”.",
                    council=council,
                    title=title,
                )
            )
            # the secretariat's words for this consultation, then the round's own (round 2
            # and later have their own words: the questionnaire's are round 1's)
            for about in (consultation.description_for(lang), round_description(round_, lang)):
                if about and about not in paragraphs:
                    paragraphs.append(about)
            if deadline:
                paragraphs.append(
                    _(
                        "This is round %(number)s. Please answer by %(deadline)s.",
                        number=round_.number,
                        deadline=deadline,
                    )
                )
            else:
                paragraphs.append(_("This is round %(number)s.", number=round_.number))
        else:
            subject = _("Reminder: %(title)s", title=title)
            paragraphs.append(
                _(
                    "We have not yet received your answers to round %(number)s of the "
                    "consultation “%(title)s” by %(council)s. Your view matters to us.",
                    number=round_.number,
                    title=title,
                    council=council,
                )
            )
            if deadline:
                paragraphs.append(_("Please answer by %(deadline)s.", deadline=deadline))
        paragraphs.append(_anonymity_promise())
        link_label = _("Your personal link:")
        closing = [
            _(
                "This link is personal: please do not forward it. You can use it again to "
                "continue where you left off. It replaces any link we sent you earlier."
            ),
            _("With thanks,") + "\n" + council,
        ]
        text_body = "\n\n".join([*paragraphs, f"{link_label}\n{link}", *closing]) + "\n"
        html_body = render_template(
            "panels/email/message.html",
            lang=lang,
            subject=subject,
            paragraphs=paragraphs,
            link_label=link_label,
            link=link,
            closing=closing,
        )
    return build_message(
        _recipient(panellist),
        subject,
        text_body,
        html_body,
        language=lang,
    )


def _recipient(panellist: Panellist) -> Address:
    # Built from its parts: parsing would refuse a non-ASCII local part outright, while the
    # mail server may well accept it (SMTPUTF8); if not, that recipient alone is refused.
    # The name is put on one line: a name stored with a line break cannot end the header.
    username, _at, domain = panellist.email.rpartition("@")
    return Address(display_name=one_line(panellist.name), username=username, domain=domain)


def _require_round_of(consultation: Consultation, round_: Round) -> None:
    if round_.consultation_id != consultation.id:
        raise NotFound("no such round")


def prepare_invitations(
    consultation: Consultation, round_: Round, panellists: list[Panellist] | None = None
) -> list[Outgoing]:
    """Fresh tokens and invitation e-mails for ``panellists`` (default: every active
    panellist). Reads only; nothing is stored. Raises RoundStateError unless the round is a
    draft or open, NotFound for a panellist of another consultation."""
    _require_round_of(consultation, round_)
    if round_.status not in (RoundStatus.draft, RoundStatus.open):
        raise RoundStateError(
            f"round {round_.number} is {round_.status}; invitations go out for a draft or "
            "open round"
        )
    if panellists is None:
        panellists = list(
            db.session.scalars(
                select(Panellist)
                .where(Panellist.consultation_id == consultation.id, Panellist.active.is_(True))
                .order_by(Panellist.id)
            )
        )
    for p in panellists:
        if p.consultation_id != consultation.id:
            raise NotFound("no such panellist")
    out = []
    for p in panellists:
        if not p.active:
            continue
        token = new_token()
        out.append(
            Outgoing(p.id, p.email, token, compose_message(p, round_, token, MailKind.invitation))
        )
    return out


def prepare_reminders(round_: Round) -> list[Outgoing]:
    """Reminder e-mails with fresh tokens for the round's non-responders: active panellists
    invited to it who have not submitted and were not reminded today. Reads only. Raises
    RoundStateError unless the round is open."""
    if round_.status is not RoundStatus.open:
        raise RoundStateError(
            f"round {round_.number} is {round_.status}; reminders go out for an open round only"
        )
    out = []
    for p in non_responders(round_, today=utc_today()):
        token = new_token()
        out.append(
            Outgoing(p.id, p.email, token, compose_message(p, round_, token, MailKind.reminder))
        )
    return out


def deliver(outgoing: list[Outgoing]) -> Delivery:
    """Send the messages over one SMTP connection. Touches no database.

    A refused recipient is noted and sending goes on; a refused or lost connection stops
    sending and is reported in ``Delivery.error``."""
    delivery = Delivery()
    if not outgoing:
        return delivery
    try:
        with Mailer() as mailer:
            for index, item in enumerate(outgoing):
                try:
                    mailer.send(item.message)
                except RecipientRefused as exc:
                    delivery.refused.append((item, exc))
                    continue
                except MailError as exc:
                    delivery.error = exc
                    delivery.not_tried = len(outgoing) - index
                    break
                delivery.sent.append(item)
    except MailError as exc:
        delivery.error = exc
        delivery.not_tried = len(outgoing) - len(delivery.sent) - len(delivery.refused)
    return delivery


def record_delivery(
    consultation: Consultation, round_: Round, delivery: Delivery, kind: MailKind | str, by: Any
) -> SendReport:
    """Store what was delivered: each sent message's token becomes the panellist's active
    link (older ones are revoked) and the participation notes the date invited or reminded.
    One audit event. Flushes."""
    kind = MailKind(kind)
    _require_round_of(consultation, round_)
    if not (delivery.sent or delivery.refused or delivery.error):
        return SendReport(0)  # nothing was to be sent: nothing to record
    today = utc_today()
    ids = [item.panellist_id for item in delivery.sent]
    people = (
        {
            p.id: p
            for p in db.session.scalars(
                select(Panellist).where(
                    Panellist.id.in_(ids), Panellist.consultation_id == consultation.id
                )
            )
        }
        if ids
        else {}
    )
    parts = (
        {
            part.panellist_id: part
            for part in db.session.scalars(
                select(Participation).where(
                    Participation.round_id == round_.id, Participation.panellist_id.in_(ids)
                )
            )
        }
        if ids
        else {}
    )
    sent = 0
    for item in delivery.sent:
        panellist = people.get(item.panellist_id)
        if panellist is None:  # removed meanwhile: its link must not work
            continue
        store_invitation(panellist, item.token, sent=True)
        part = parts.get(panellist.id)
        if part is None:
            part = Participation(panellist_id=panellist.id, round_id=round_.id)
            db.session.add(part)
        if kind is MailKind.invitation:
            part.invited_on = part.invited_on or today
        else:
            part.reminded_on = today
        sent += 1
    db.session.flush()
    record(
        "invitations-sent" if kind is MailKind.invitation else "reminders-sent",
        actor=by,
        object_type="round",
        object_id=round_.id,
        details={
            "consultation": consultation.id,
            "round": round_.number,
            "sent": sent,
            "refused": len(delivery.refused),
            "stopped_early": delivery.error is not None,
        },
    )
    refused = tuple((item.address, why) for item, why in delivery.refused)
    return SendReport(sent, refused, delivery.error, delivery.not_tried)


def send_invitations(
    consultation: Consultation,
    round_: Round,
    by: Any,
    panellists: list[Panellist] | None = None,
) -> SendReport:
    """E-mail each panellist (default: every active one) a fresh personal link to
    ``round_``, in the panellist's language. A new token ends the panellist's earlier link.

    Returns the number sent (a SendReport). Raises MailError when nothing could be sent;
    when sending stopped part-way the report's ``error`` says why, and the session holds the
    links that were delivered: commit it. Flushes."""
    outgoing = prepare_invitations(consultation, round_, panellists)
    delivery = deliver(outgoing)
    if delivery.error and not delivery.sent:
        raise delivery.error
    return record_delivery(consultation, round_, delivery, MailKind.invitation, by)


def send_reminders(round_: Round, by: Any) -> SendReport:
    """Remind the open round's non-responders with a fresh link (see prepare_reminders).

    Returns the number sent (a SendReport); MailError as for send_invitations. Flushes."""
    outgoing = prepare_reminders(round_)
    delivery = deliver(outgoing)
    if delivery.error and not delivery.sent:
        raise delivery.error
    return record_delivery(round_.consultation, round_, delivery, MailKind.reminder, by)


def export_invitations_csv(consultation: Consultation, by: Any) -> bytes:
    """A mail-merge CSV (name, email, language, link) of every active panellist.

    Every panellist gets a fresh token, so every earlier link stops working. When the
    consultation has a draft or open round, the participation notes today as the invitation
    date. Cells go through ``safe_cell``. Flushes."""
    round_ = current_round(consultation)
    people = list(
        db.session.scalars(
            select(Panellist)
            .where(Panellist.consultation_id == consultation.id, Panellist.active.is_(True))
            .order_by(Panellist.name, Panellist.id)
        )
    )
    today = utc_today()
    parts = {}
    if round_ is not None:
        parts = {
            part.panellist_id: part
            for part in db.session.scalars(
                select(Participation).where(Participation.round_id == round_.id)
            )
        }
    rows = []
    for p in people:
        token = new_token()
        store_invitation(p, token, sent=True)
        if round_ is not None:
            part = parts.get(p.id)
            if part is None:
                part = Participation(panellist_id=p.id, round_id=round_.id)
                db.session.add(part)
            part.invited_on = part.invited_on or today
        rows.append((p.name, p.email, p.language, invitation_link(token)))
    db.session.flush()
    record(
        "invitations-exported",
        actor=by,
        object_type="consultation",
        object_id=consultation.id,
        details={"count": len(rows), "round": round_.number if round_ is not None else None},
    )
    return csv_bytes(("name", "email", "language", "link"), rows)
