"""Logs hold no invitation token and no full client address (SECURITY.md 2.2, 2.3; S7).

A panellist's personal link is ``/i?t=<token>``, so any log line that carries a request's
query string carries the token. Log lines keep the path only, and client addresses are cut
to their network (IPv4 /24, IPv6 /48) so that a log cannot tell panellists apart.

``scrub`` serves free text (the development server's request lines, the gunicorn error log,
Flask-Limiter's messages); the gunicorn access log builds its fields with
``truncate_address`` (see ``app.gunicorn_logger``). Standard library only: the development
server on any platform imports this module.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

#: Prefix lengths kept of a client address.
IPV4_PREFIX = 24
IPV6_PREFIX = 48

#: A query string after a path (``/i?t=...``, ``https://host/x?y``): dropped up to the next
#: space, quote or fragment.
_QUERY = re.compile(r"(/[^\s?#\"'<>]*)\?[^\s#\"'<>]*")
_IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:.])")
#: An address written as the host of a URL names a server (a bind address, ``BASE_URL``),
#: never a client: those are kept.
_URL_HOST = ("://", "://[")

#: Loggers whose records are scrubbed: the development server's request lines and
#: Flask-Limiter's "ratelimit ... (client address) exceeded" messages.
SCRUBBED_LOGGERS = ("werkzeug", "flask-limiter")


def _truncated(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def truncate_address(value: str | None) -> str:
    """The network of a client address: ``203.0.113.7`` → ``203.0.113.0``, ``2001:db8:1:2::5``
    → ``2001:db8:1::``. Anything that is not one IP address (empty, a Unix socket, a list
    taken from a header) gives ``-``, since it may hold anything."""
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return "-"
    return _truncated(address)


def _truncate_match(match: re.Match[str]) -> str:
    text, start = match.string, match.start()
    if any(text[max(0, start - len(p)) : start] == p for p in _URL_HOST):
        return match.group(0)
    try:
        return _truncated(ipaddress.ip_address(match.group(0)))
    except ValueError:  # a time of day, a version number: not an address
        return match.group(0)


def scrub(text: str) -> str:
    """``text`` without query strings after paths and with every IP address truncated,
    except the host of a URL (a server's own address)."""
    text = _QUERY.sub(r"\1", text)
    text = _IPV4.sub(_truncate_match, text)
    return _IPV6.sub(_truncate_match, text)


class ScrubFilter(logging.Filter):
    """Rewrites each record's message (and traceback text) with ``scrub``; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format must not print its raw arguments later
            message = f"{record.msg} (unformattable arguments dropped)"
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


def install_scrub_filter(logger: logging.Logger) -> None:
    """Add a ``ScrubFilter`` to ``logger`` unless it has one (apps are built many times)."""
    if not any(isinstance(f, ScrubFilter) for f in logger.filters):
        logger.addFilter(ScrubFilter())


def init_app(app: Flask) -> None:
    """Scrub the records of ``SCRUBBED_LOGGERS``: ``flask run`` logs every request line,
    query string and client address included, through the ``werkzeug`` logger."""
    for name in SCRUBBED_LOGGERS:
        install_scrub_filter(logging.getLogger(name))
