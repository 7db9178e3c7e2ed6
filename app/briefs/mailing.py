"""Telling the secretariat by e-mail what became of a version in review.

When an official returns a version to its author, its author and the secretariat of its
council are told, each in their own language, with the official's comment and a link to the
version's page; when a version is approved or published, its author is told. The messages are
built in the unit of work that makes the change (reading only) and handed to the mail server
after it has committed (``app.unit.Unit.after_commit``), so that nobody is told of a change
that was rolled back and no transaction stays open while the mail server answers.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from app.auth.models import Role, User
from app.briefs.models import BriefComment, BriefVersion
from app.formatting import date_text
from app.i18n import refusal_text
from app.mail import Mailer, MailError, RecipientRefused, build_message
from app.text import one_line

log = logging.getLogger(__name__)


class Event(enum.StrEnum):
    returned = "returned"
    approved = "approved"
    published = "published"


@dataclass
class Outgoing:
    """Messages ready to send, and the people who could not be written to (why)."""

    messages: list[tuple[str, EmailMessage]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def recipients(version: BriefVersion, event: Event) -> list[User]:
    """Who is told: the author, and for a returned version also the secretariat of the
    brief's council; active accounts only, each once."""
    people: list[User] = []
    if version.author is not None:
        people.append(version.author)
    if event is Event.returned:
        people += sorted(
            (u for u in version.brief.council.staff if u.role is Role.secretariat),
            key=lambda u: u.email,
        )
    seen: set[int] = set()
    found = []
    for user in people:
        if user.active and user.id not in seen:
            seen.add(user.id)
            found.append(user)
    return found


def version_url(version: BriefVersion) -> str:
    """The staff page of a version, as an address to follow from an e-mail."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/staff/briefs/{version.brief_id}/v/{version.number}"


def public_url(version: BriefVersion) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/briefs/{version.brief_id}/v/{version.number}"


def _language(user: User) -> str:
    languages = current_app.config["LANGUAGES"]
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    return user.language if user.language in languages else default


def _recipient(user: User) -> Address:
    username, _at, domain = user.email.rpartition("@")
    return Address(display_name=one_line(user.name or ""), username=username, domain=domain)


def _who(user: User | None) -> str:
    if user is None:
        return "—"
    return f"{user.name} ({user.email})" if user.name else user.email


def _words(
    version: BriefVersion, event: Event, by: User, note: BriefComment | None
) -> tuple[str, list[str], str, str]:
    """Subject, paragraphs, link label and link of the message, in the current locale."""
    brief = version.brief
    values = {
        "n": version.number,
        "title": brief.title,
        "council": brief.council.name,
        "who": _who(by),
    }
    if event is Event.returned:
        when = date_text(note.created_at if note is not None else None)
        return (
            _("Version %(n)s of the brief “%(title)s” was returned to its author", **values),
            [
                _(
                    "%(who)s returned version %(n)s of the brief “%(title)s” (%(council)s) "
                    "to its author as a draft on %(date)s, with this comment:",
                    date=when,
                    **values,
                ),
                note.text if note is not None else "",
                _(
                    "Revise the draft as the comment asks, then send it for review again. "
                    "Every review comment is on the version's page."
                ),
            ],
            _("The version and its review comments:"),
            version_url(version),
        )
    if event is Event.approved:
        return (
            _("Version %(n)s of the brief “%(title)s” is approved", **values),
            [
                _(
                    "%(who)s approved version %(n)s of the brief “%(title)s” (%(council)s) "
                    "on %(date)s. A publisher can now publish it.",
                    date=date_text(version.approved_at),
                    **values,
                )
            ],
            _("The version:"),
            version_url(version),
        )
    return (
        _("Version %(n)s of the brief “%(title)s” is published", **values),
        [
            _(
                "%(who)s published version %(n)s of the brief “%(title)s” (%(council)s) on "
                "%(date)s. Its files are being made in every language; the permanent "
                "address is below.",
                date=date_text(version.published_at),
                **values,
            )
        ],
        _("The published brief:"),
        public_url(version),
    )


def prepare(
    version: BriefVersion, event: Event, *, by: User, note: BriefComment | None = None
) -> Outgoing:
    """The messages telling the secretariat of ``event`` (reads only; nothing is sent), each
    in its recipient's language. A recipient whose message cannot be built is named in
    ``problems`` and the others are still written to."""
    out = Outgoing()
    for user in recipients(version, event):
        lang = _language(user)
        with force_locale(lang):
            subject, paragraphs, link_label, link = _words(version, event, by, note)
            closing = [_("This message was sent by SkillsDelphi; please do not reply to it.")]
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
            try:
                message = build_message(
                    _recipient(user), subject, text_body, html_body, language=lang
                )
            except (MailError, ValueError) as exc:
                text = refusal_text(exc) if isinstance(exc, MailError) else str(exc)
                out.problems.append(f"{user.email}: {text}")
                continue
        out.messages.append((user.email, message))
    return out


def deliver(outgoing: Outgoing) -> list[str]:
    """Hand the messages to the mail server over one connection. Returns what went wrong,
    one line per recipient not reached (the change they speak of is made either way)."""
    problems = list(outgoing.problems)
    if not outgoing.messages:
        return problems
    try:
        with Mailer() as mailer:
            for address, message in outgoing.messages:
                try:
                    mailer.send(message)
                except RecipientRefused as exc:
                    problems.append(f"{address}: {refusal_text(exc)}")
    except MailError as exc:
        problems.append(refusal_text(exc))
    for problem in problems:
        log.warning("brief e-mail not delivered: %s", problem)
    return problems
