"""Gunicorn's logger without invitation tokens or full client addresses (SECURITY.md 2.2,
2.3; S7). ``gunicorn.conf.py`` names it as ``logger_class``.

Whatever ``access_log_format`` asks for, the fields that could hold a token or a full
address are made safe here, so a format edited later cannot leak them:

- ``h``, the client address, is truncated (``app.logs.truncate_address``). It is the
  address the application saw: the proxy's, or the forwarded client's once a proxy fix has
  rewritten ``REMOTE_ADDR``; truncated either way.
- ``r``, the request line, is method, path and protocol without the query string; ``q`` (the
  query string) and ``f`` (Referer, which may be a personal link) are ``-``.
- ``%({NAME}e)s`` (the WSGI environment: RAW_URI, QUERY_STRING, cookies) is ``-``; of the
  request headers only ``KEPT_REQUEST_HEADERS``; of the response, Set-Cookie is ``-`` and
  Location loses its query string.

The error log gets ``app.logs.ScrubFilter``: gunicorn names the URI of a request that failed
and the address of a malformed one. (The application's own messages, which gunicorn copies
there, name the path only.)
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from app.logs import install_scrub_filter, scrub, truncate_address

#: Request headers a format may use (``%({user-agent}i)s``); the others are ``-``.
KEPT_REQUEST_HEADERS = frozenset({"host", "user-agent", "x-request-id", "x-forwarded-proto"})
_DROPPED = ("q", "f")


class PrivacyLogger(Logger):
    """``gunicorn.glogging.Logger`` whose access-log atoms carry no token, query string,
    Referer, cookie or full client address."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        install_scrub_filter(self.error_log)

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        safe = {k: v for k, v in atoms.items() if not k.startswith("{") or _kept(k)}
        if "{location}o" in safe:
            safe["{location}o"] = scrub(str(safe["{location}o"]))
        path = environ.get("PATH_INFO", "")
        safe.update(
            {
                "h": truncate_address(environ.get("REMOTE_ADDR")),
                "r": f"{environ.get('REQUEST_METHOD')} {path} {environ.get('SERVER_PROTOCOL')}",
                "U": path,
            }
        )
        safe.update(dict.fromkeys(_DROPPED, "-"))
        return safe


def _kept(key: str) -> bool:
    """Whether a ``{name}i`` / ``{name}o`` / ``{name}e`` atom may be logged."""
    name, kind = key[1:-2], key[-1]
    if kind == "i":
        return name in KEPT_REQUEST_HEADERS
    if kind == "o":
        return name != "set-cookie"
    return False
