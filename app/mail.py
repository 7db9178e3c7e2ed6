"""Outgoing e-mail over SMTP (invitations, reminders).

Settings: ``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_USE_TLS`` (STARTTLS), ``MAIL_USE_SSL``
(implicit TLS), ``MAIL_USERNAME``, ``MAIL_PASSWORD``, ``MAIL_FROM``. Every failure becomes a
``MailError`` with a message that says what went wrong and where, never a traceback.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from types import TracebackType
from urllib.parse import urlsplit

from flask import current_app

from app.errors import DomainError
from app.formatting import N_
from app.text import one_line

#: Seconds to wait for the mail server before giving up.
SMTP_TIMEOUT = 30


class MailError(DomainError):
    """The mail server could not be reached or refused the message."""

    status_code = 502


class RecipientRefused(MailError):
    """The mail server refused one recipient; the connection is still usable."""


def _server_label() -> str:
    cfg = current_app.config
    return f"{cfg['MAIL_SERVER']}:{cfg['MAIL_PORT']}"


def build_message(
    to: str | Address,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    *,
    language: str | None = None,
) -> EmailMessage:
    """An e-mail from ``MAIL_FROM`` to ``to`` (an address, ``Name <address>`` or an
    ``email.headerregistry.Address``).

    The subject is put on one line first (line breaks and other control characters become
    spaces), so a bad stored title cannot end the header early. Raises MailError when an
    address would hold a line break (header injection)."""
    msg = EmailMessage()
    domain = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    try:
        msg["From"] = current_app.config["MAIL_FROM"]
        msg["To"] = to
        msg["Subject"] = one_line(subject)
    except ValueError as exc:
        raise MailError(
            N_("the e-mail to %(to)s cannot be built: %(reason)s"), {"to": to, "reason": str(exc)}
        ) from exc
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text_body)
    if html_body is not None:
        msg.add_alternative(html_body, subtype="html")
    if language:  # after the body: setting content clears Content-* headers
        msg["Content-Language"] = language
    return msg


class Mailer:
    """One SMTP connection for many messages: ``with Mailer() as mailer: mailer.send(msg)``.

    Entering connects (and logs in); raises MailError when the server cannot be used.
    """

    def __init__(self) -> None:
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        cfg = current_app.config
        host, port = cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"])
        server = _server_label()
        smtp: smtplib.SMTP | None = None
        try:
            if cfg["MAIL_USE_SSL"]:
                smtp = smtplib.SMTP_SSL(
                    host, port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
            if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
                smtp.starttls(context=ssl.create_default_context())
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
        except Exception as exc:
            if smtp is not None:
                smtp.close()
            error = _as_mail_error(exc, server)
            if error is exc:
                raise
            raise error from exc
        self._smtp = smtp
        return self

    def send(self, msg: EmailMessage) -> None:
        """Hand one message to the server.

        Raises RecipientRefused when the server refuses the recipient (the connection can go
        on), MailError when the connection is lost."""
        if self._smtp is None:
            raise MailError(N_("the mail connection is not open"))
        try:
            self._smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            reasons = "; ".join(
                f"{addr}: {code} {_text(reply)}" for addr, (code, reply) in exc.recipients.items()
            )
            raise RecipientRefused(
                N_("the mail server refused the recipient (%(reasons)s)"), {"reasons": reasons}
            ) from exc
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
            raise RecipientRefused(
                N_("the mail server refused the message (%(reply)s)"),
                {"reply": f"{exc.smtp_code} {_text(exc.smtp_error)}"},
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            # e.g. an address with non-ASCII characters and a server without SMTPUTF8
            raise RecipientRefused(
                N_("the mail server cannot take this message (%(reason)s)"), {"reason": str(exc)}
            ) from exc
        except Exception as exc:
            self.close()
            error = _as_mail_error(exc, _server_label())
            if error is exc:
                raise
            raise error from exc

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            smtp.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _as_mail_error(exc: Exception, server: str) -> Exception:
    """A MailError saying what went wrong with ``server``; other exceptions unchanged."""
    if isinstance(exc, MailError):
        return exc
    if isinstance(exc, ConnectionRefusedError):
        return MailError(
            N_("the mail server %(server)s refused the connection"), {"server": server}
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailError(
            N_("the mail server %(server)s did not accept the user name or password"),
            {"server": server},
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return MailError(
            N_("the mail server %(server)s does not support this (%(reason)s)"),
            {"server": server, "reason": str(exc)},
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return MailError(N_("the mail server %(server)s closed the connection"), {"server": server})
    if isinstance(exc, smtplib.SMTPResponseException):
        return MailError(
            N_("the mail server %(server)s answered %(reply)s"),
            {"server": server, "reply": f"{exc.smtp_code} {_text(exc.smtp_error)}"},
        )
    if isinstance(exc, smtplib.SMTPException):
        return MailError(
            N_("the mail server %(server)s reported an error (%(reason)s)"),
            {"server": server, "reason": str(exc)},
        )
    if isinstance(exc, TimeoutError):
        return MailError(
            N_("the mail server %(server)s did not answer in time"), {"server": server}
        )
    if isinstance(exc, ssl.SSLError):
        return MailError(
            N_("the secure connection to the mail server %(server)s failed (%(reason)s)"),
            {"server": server, "reason": str(exc)},
        )
    if isinstance(exc, socket.gaierror):
        return MailError(
            N_("the mail server name %(server)s cannot be resolved"), {"server": server}
        )
    if isinstance(exc, OSError):
        return MailError(
            N_("the mail server %(server)s cannot be reached (%(reason)s)"),
            {"server": server, "reason": str(exc.strerror or exc)},
        )
    return exc


def send_mail(to: str, subject: str, text_body: str, html_body: str | None = None) -> None:
    """Send one e-mail now. Raises MailError (a DomainError) with a clear message."""
    msg = build_message(to, subject, text_body, html_body)
    with Mailer() as mailer:
        mailer.send(msg)
