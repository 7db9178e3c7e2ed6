"""Panel services: panellists, uploads, quotas, invitations and reminders.

Services flush and never commit; the view or CLI command commits once. They take the acting
user (or a label such as ``"cli"``) as ``by`` and raise DomainError subclasses. Audit details
never hold tokens, pseudonyms or response ids, nor names or addresses.

Sending e-mail can take a while, and on SQLite any open transaction holds the database's
write lock. So sending comes in three steps that an edge can run with a commit between them:
``prepare_invitations`` / ``prepare_reminders`` (read only: fresh tokens and messages in
memory), ``deliver`` (SMTP only, no database), ``record_delivery`` (stores the tokens' HMACs
of the messages that were accepted). ``send_invitations`` and ``send_reminders`` run the
three steps in one go.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from enum import StrEnum
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import func, insert, select

from app.audit.services import record
from app.consultations.models import Consultation, Round, RoundStatus, StakeholderGroup
from app.consultations.services import get_consultation_for
from app.database import utcnow
from app.errors import InvalidInput, NotFound, RoundStateError
from app.exports import csv_bytes
from app.extensions import db
from app.formatting import localized
from app.mail import Mailer, MailError, RecipientRefused, build_message
from app.panels.models import GroupQuota, Invitation, Panellist, Participation
from app.panels.parse import (
    PanelPreview,
    match_group,
    normalise_email,
    recheck_preview,
    text_problem,
)
from app.panels.tokens import invitation_link, new_token, store_invitation
from app.panels.tracking import PanellistProgress, Progress, non_responders, progress_of
from app.problems import Problem
from app.text import one_line
from app.uploads import services as uploads

__all__ = [
    "Delivery",
    "LinkState",
    "MailKind",
    "Outgoing",
    "Progress",
    "QuotaGap",
    "SendReport",
    "add_panellist",
    "check_upload_room",
    "compose_message",
    "consultation_languages",
    "current_round",
    "default_language",
    "deliver",
    "discard_panel_upload",
    "export_invitations_csv",
    "get_consultation_for",
    "get_panellist_for",
    "group_counts",
    "import_panel",
    "keep_panel_upload",
    "kept_panel_preview",
    "open_round_of",
    "panel_rows",
    "prepare_invitations",
    "prepare_reminders",
    "preview_panel_file",
    "quota_gaps",
    "record_delivery",
    "send_invitations",
    "send_reminders",
    "set_quota",
]

#: How many problems an InvalidInput lists before summarising the rest.
MAX_PROBLEMS_LISTED = 50
#: Largest target accepted for a stakeholder group.
MAX_QUOTA = 100_000


# ----------------------------------------------------------------------------- look-ups


def get_panellist_for(consultation: Consultation, panellist_id: int) -> Panellist:
    """The panellist of ``consultation`` with this id; NotFound otherwise (scope from the
    object, never from the URL)."""
    panellist = db.session.get(Panellist, panellist_id)
    if panellist is None or panellist.consultation_id != consultation.id:
        raise NotFound("no such panellist")
    return panellist


def consultation_languages(consultation: Consultation) -> tuple[str, ...]:
    """The questionnaire's languages (falling back to the configured ``LANGUAGES``)."""
    spec = consultation.questionnaire.spec if consultation.questionnaire is not None else {}
    languages = (spec or {}).get("languages") or current_app.config["LANGUAGES"]
    return tuple(str(lang).lower() for lang in languages)


def default_language(consultation: Consultation) -> str:
    spec = consultation.questionnaire.spec if consultation.questionnaire is not None else {}
    languages = consultation_languages(consultation)
    wanted = (spec or {}).get("default_language")
    return wanted if wanted in languages else languages[0]


def _existing_emails(consultation: Consultation) -> set[str]:
    return {
        e.lower()
        for e in db.session.scalars(
            select(Panellist.email).where(Panellist.consultation_id == consultation.id)
        )
    }


def _as_group(value: StakeholderGroup | str | None) -> StakeholderGroup | None:
    if isinstance(value, StakeholderGroup):
        return value
    found = match_group(str(value or ""))
    return StakeholderGroup(found) if found else None


def open_round_of(consultation: Consultation) -> Round | None:
    """The consultation's open round, if any."""
    return next((r for r in consultation.rounds if r.status is RoundStatus.open), None)


def current_round(consultation: Consultation) -> Round | None:
    """The round invitations are for: the open round, else the latest draft round."""
    found = open_round_of(consultation)
    if found is not None:
        return found
    drafts = [r for r in consultation.rounds if r.status is RoundStatus.draft]
    return drafts[-1] if drafts else None


def _today():
    return utcnow().date()


# ----------------------------------------------------------------------------- panellists


def add_panellist(
    consultation: Consultation,
    name: str,
    email: str,
    organisation: str,
    group: StakeholderGroup | str,
    language: str,
    by: Any,
) -> Panellist:
    """Add one panellist. Raises InvalidInput whose problems name the form field
    (``Problem.field``: ``"email"``...). Flushes."""
    problems: list[Problem] = []
    name = (name or "").strip()
    if not name:
        problems.append(Problem("enter the panellist's name", field="name"))
    elif why := text_problem(name, "name"):
        problems.append(Problem(why, field="name"))
    address, why = normalise_email(email)
    if why:
        problems.append(Problem(why, field="email"))
    organisation = (organisation or "").strip()
    if why := text_problem(organisation, "organisation"):
        problems.append(Problem(why, field="organisation"))
    stakeholder_group = _as_group(group)
    if stakeholder_group is None:
        problems.append(
            Problem(
                f"{group!r} is not one of " + ", ".join(g.value for g in StakeholderGroup),
                field="stakeholder_group",
            )
        )
    languages = consultation_languages(consultation)
    language = (language or "").strip().lower()
    if language not in languages:
        problems.append(
            Problem(
                f"{language!r} is not one of the questionnaire's languages "
                f"({', '.join(languages)})",
                field="language",
            )
        )
    if address and address in _existing_emails(consultation):
        problems.append(Problem(f"{address} is already on the panel", field="email"))
    if problems:
        raise InvalidInput("the panellist was not added", problems)
    panellist = Panellist(
        consultation_id=consultation.id,
        name=name,
        email=address,
        organisation=organisation,
        stakeholder_group=stakeholder_group,
        language=language,
    )
    db.session.add(panellist)
    db.session.flush()
    record(
        "panellist-added",
        actor=by,
        object_type="panellist",
        object_id=panellist.id,
        details={"consultation": consultation.id, "group": stakeholder_group.value},
    )
    return panellist


def preview_panel_file(consultation: Consultation, filename: str, data: bytes) -> PanelPreview:
    """Check an uploaded panel file against the consultation's languages and panel.

    The upload checks run first (sizes, counts, entities; ``app.uploads.checks``), then the
    file is parsed in a resource-limited child process, never in this one. Returns the
    preview (valid rows, problems by row and column); raises UploadRefused (413 beyond a
    limit, 422 for a file that cannot be read). Reads only."""
    uploads.check_file(filename, data)
    return uploads.parse_file(
        "panel-file",
        data,
        filename=filename,
        languages=list(consultation_languages(consultation)),
        default_language=default_language(consultation),
        existing_emails=sorted(_existing_emails(consultation)),
    )


def check_upload_room(consultation: Consultation, size: int, replacing: str | None = None) -> None:
    """UploadRefused (413) when a file of ``size`` bytes would not fit the council's quota
    of kept uploads (``replacing``: an earlier upload that will be discarded)."""
    uploads.check_room(consultation.council_id, size, replacing=replacing)


def keep_panel_upload(
    consultation: Consultation,
    data: bytes,
    preview: PanelPreview,
    replacing: str | None = None,
) -> str:
    """Keep an uploaded panel file and its preview, for its council, until the import is
    confirmed (the import then needs no second parse); returns the upload's random id.
    ``replacing`` (an earlier upload's id) is discarded. Raises UploadRefused (413) beyond
    the council's quota."""
    return uploads.keep_upload(
        consultation.council_id, data, result=preview.to_json(), replacing=replacing
    )


def kept_panel_preview(consultation: Consultation, upload_id: str) -> PanelPreview | None:
    """The preview of a kept upload, checked again against the panel as it is now (rows
    added to the panel since are problems); None when the upload is gone or expired."""
    document = uploads.read_result(consultation.council_id, upload_id)
    if document is None:
        return None
    try:
        preview = PanelPreview.from_json(document)
    except ValueError:
        return None
    return recheck_preview(
        preview,
        existing_emails=_existing_emails(consultation),
        languages=consultation_languages(consultation),
    )


def discard_panel_upload(council_id: int, upload_id: str | None) -> None:
    """Remove a kept upload of the council; a missing one is no error."""
    uploads.discard_upload(council_id, upload_id)


def _listed(problems, count: int | None = None) -> list[str]:
    count = len(problems) if count is None else count
    shown = [str(p) for p in problems[:MAX_PROBLEMS_LISTED]]
    if count > len(shown):
        shown.append(f"... and {count - len(shown)} more problems")
    return shown


def import_panel(
    consultation: Consultation, preview: PanelPreview, only_valid: bool, by: Any
) -> int:
    """Add the preview's valid rows to the panel, all or nothing; returns how many.

    With problems in the preview nothing is imported unless ``only_valid`` is True. The rows
    are checked again against the panel as it is now. Raises InvalidInput. Flushes."""
    if preview.problems and not only_valid:
        raise InvalidInput(
            f"{preview.filename}: {preview.problem_count} problem(s) found; nothing was imported",
            _listed(preview.problems, preview.problem_count),
        )
    rows = preview.valid_rows
    if not rows:
        raise InvalidInput(f"{preview.filename}: no valid rows; nothing was imported")
    languages = set(consultation_languages(consultation))
    existing = _existing_emails(consultation)
    problems = [
        f"row {r.row}, column `email`: {r.email!r} is already on the panel"
        for r in rows
        if r.email in existing
    ] + [
        f"row {r.row}, column `language`: {r.language!r} is not one of the questionnaire's "
        f"languages ({', '.join(sorted(languages))})"
        for r in rows
        if r.language not in languages
    ]
    if len({r.email for r in rows}) != len(rows):
        problems.append("the file lists an e-mail address more than once")
    if problems:
        raise InvalidInput(
            f"{preview.filename}: the panel changed since the preview; nothing was imported",
            _listed(problems),
        )
    db.session.execute(
        insert(Panellist),
        [
            {
                "consultation_id": consultation.id,
                "name": r.name,
                "email": r.email,
                "organisation": r.organisation,
                "stakeholder_group": StakeholderGroup(r.stakeholder_group),
                "language": r.language,
                "active": True,
            }
            for r in rows
        ],
    )
    db.session.flush()
    record(
        "panel-imported",
        actor=by,
        object_type="consultation",
        object_id=consultation.id,
        details={"imported": len(rows), "rows_left_out": preview.rows_with_problems},
    )
    return len(rows)


# ----------------------------------------------------------------------------- quotas


@dataclass(frozen=True)
class QuotaGap:
    group: StakeholderGroup
    #: Target number of panellists; None when no target is set.
    target: int | None
    #: Active panellists of the group now.
    current: int
    #: Panellists still missing to reach the target (0 when reached); None without target.
    gap: int | None


def group_counts(consultation: Consultation) -> dict[StakeholderGroup, int]:
    """Active panellists per stakeholder group (every group, zeros included)."""
    counts = dict.fromkeys(StakeholderGroup, 0)
    rows = db.session.execute(
        select(Panellist.stakeholder_group, func.count())
        .where(Panellist.consultation_id == consultation.id, Panellist.active.is_(True))
        .group_by(Panellist.stakeholder_group)
    )
    for group, count in rows:
        counts[group] = count
    return counts


def set_quota(
    consultation: Consultation, group: StakeholderGroup | str, target: int | None, by: Any
) -> GroupQuota | None:
    """Set the target number of panellists of a group; None or 0 removes the target.

    Raises InvalidInput naming the field. Flushes."""
    stakeholder_group = _as_group(group)
    if stakeholder_group is None:
        raise InvalidInput(
            "the target was not set",
            [Problem(f"{group!r} is not a stakeholder group", field="stakeholder_group")],
        )
    if target is not None and (
        isinstance(target, bool) or not isinstance(target, int) or not 0 <= target <= MAX_QUOTA
    ):
        raise InvalidInput(
            "the target was not set",
            [Problem(f"{target!r} is not a whole number from 0 to {MAX_QUOTA:,}", field="target")],
        )
    quota = db.session.scalars(
        select(GroupQuota).where(
            GroupQuota.consultation_id == consultation.id,
            GroupQuota.stakeholder_group == stakeholder_group,
        )
    ).first()
    if not target:
        if quota is not None:
            db.session.delete(quota)
        quota = None
    elif quota is None:
        quota = GroupQuota(
            consultation_id=consultation.id, stakeholder_group=stakeholder_group, target=target
        )
        db.session.add(quota)
    else:
        quota.target = target
    db.session.flush()
    record(
        "quota-set",
        actor=by,
        object_type="consultation",
        object_id=consultation.id,
        details={"group": stakeholder_group.value, "target": target or None},
    )
    return quota


def quota_gaps(consultation: Consultation) -> list[QuotaGap]:
    """Per stakeholder group (in the enum's order): target, current and gap."""
    counts = group_counts(consultation)
    targets = {
        q.stakeholder_group: q.target
        for q in db.session.scalars(
            select(GroupQuota).where(GroupQuota.consultation_id == consultation.id)
        )
    }
    out = []
    for group in StakeholderGroup:
        target = targets.get(group)
        current = counts[group]
        out.append(
            QuotaGap(group, target, current, None if target is None else max(target - current, 0))
        )
    return out


# ----------------------------------------------------------------------------- panel listing


class LinkState(StrEnum):
    none = "none"
    active = "active"
    revoked = "revoked"


@dataclass(frozen=True)
class PanelRowView:
    panellist: Panellist
    link: LinkState
    #: When the active link was last e-mailed or exported; None if never.
    link_sent_at: Any
    #: Progress in the round shown (invited, started, submitted), with the participation
    #: row (invitation and reminder dates); None without a round.
    progress: PanellistProgress | None


def panel_rows(
    consultation: Consultation, round_: Round | None, *, offset: int = 0, limit: int = 100
) -> tuple[int, list[PanelRowView]]:
    """(total, one page of panellists by name) with their link state and their
    progress in ``round_``. Reads only."""
    total = db.session.scalar(
        select(func.count())
        .select_from(Panellist)
        .where(Panellist.consultation_id == consultation.id)
    )
    people = list(
        db.session.scalars(
            select(Panellist)
            .where(Panellist.consultation_id == consultation.id)
            .order_by(Panellist.name, Panellist.id)
            .offset(offset)
            .limit(limit)
        )
    )
    ids = [p.id for p in people]
    latest: dict[int, Invitation] = {}
    if ids:
        for inv in db.session.scalars(
            select(Invitation).where(Invitation.panellist_id.in_(ids)).order_by(Invitation.id)
        ):
            latest[inv.panellist_id] = inv
    progress = progress_of(round_, ids) if round_ is not None else {}
    rows = []
    for p in people:
        inv = latest.get(p.id)
        if inv is None:
            state, sent = LinkState.none, None
        elif inv.revoked_at is None:
            state, sent = LinkState.active, inv.last_sent_at
        else:
            state, sent = LinkState.revoked, None
        rows.append(PanelRowView(p, state, sent, progress.get(p.id)))
    return total or 0, rows


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
    #: (message, reason) the server refused; their old links stay valid.
    refused: list[tuple[Outgoing, str]] = field(default_factory=list)
    #: Why sending stopped early (connection refused or lost); None when all were tried.
    error: str | None = None
    #: Messages not tried because sending stopped early.
    not_tried: int = 0


class SendReport(int):
    """How many e-mails were sent (an int), with the refusals and any early stop."""

    refused: tuple[str, ...]
    error: str | None
    not_tried: int

    def __new__(
        cls, sent: int, refused: tuple[str, ...] = (), error: str | None = None, not_tried: int = 0
    ) -> SendReport:
        report = super().__new__(cls, sent)
        report.refused = tuple(refused)
        report.error = error
        report.not_tried = not_tried
        return report


def _localised(value: Any, lang: str, default: str) -> str:
    return localized(value if isinstance(value, dict | str) else str(value or ""), lang, default)


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
    spec = consultation.questionnaire.spec if consultation.questionnaire is not None else {}
    lang = panellist.language or default_language(consultation)
    fallback = (spec or {}).get("default_language", "en")
    link = invitation_link(token)
    with force_locale(lang):
        title = consultation.title
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
            about = _localised((spec or {}).get("description"), lang, fallback) or (
                consultation.description
            )
            if about:
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
    for p in non_responders(round_, today=_today()):
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
                    delivery.refused.append((item, exc.message))
                    continue
                except MailError as exc:
                    delivery.error = exc.message
                    delivery.not_tried = len(outgoing) - index
                    break
                delivery.sent.append(item)
    except MailError as exc:
        delivery.error = exc.message
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
    today = _today()
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
    refused = tuple(f"{item.address}: {reason}" for item, reason in delivery.refused)
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
        raise MailError(delivery.error)
    return record_delivery(consultation, round_, delivery, MailKind.invitation, by)


def send_reminders(round_: Round, by: Any) -> SendReport:
    """Remind the open round's non-responders with a fresh link (see prepare_reminders).

    Returns the number sent (a SendReport); MailError as for send_invitations. Flushes."""
    outgoing = prepare_reminders(round_)
    delivery = deliver(outgoing)
    if delivery.error and not delivery.sent:
        raise MailError(delivery.error)
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
    today = _today()
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
