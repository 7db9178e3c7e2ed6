"""Published answers served again before the application's request pipeline.

A published version's page and its API document are the same for every anonymous reader
asking with the same address and language, until something is published, superseded,
corrected or stored after them. The views that make such answers mark them (``share``);
this WSGI layer learns which addresses give marked answers, keeps each such answer (200,
public caching, no cookie set) from the address's next request on, and serves it again to
the next reader who sends no cookie and no credentials, with a fresh CSP nonce and request
id, and ``304 Not Modified`` when the reader's validators match. Before serving a
kept answer it asks the database one question, what was last published, superseded,
corrected or stored (``publication_stamp``), and serves the answer only if that is what it
was made under; so several processes and instances serve a page that a publication made
out of date for at most ``SHARED_ANSWERS_RECHECK`` seconds (the answer to that question is
believed that long; 0 asks on every request). When that question cannot be answered (the
database is down), the request goes to the application, which says so.

Everything else (signed-in people, a reader who chose a view or language, any other page,
every method but GET) goes to the application as before.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from flask import request
from werkzeug.http import is_resource_modified, parse_date, remove_entity_headers

#: Where a view marks its answer as shareable.
SHARE_KEY = "skillsdelphi.shared_answer"

#: Answers kept per process, the least recently served dropped (a brief page is some
#: hundred kilobytes).
LIMIT = 128

#: Stands for the per-request nonce in a kept answer (a nonce is URL-safe base64).
_MARK = b"\x00nonce\x00"

#: Request headers an answer may vary on and still be kept: the key holds them.
_KEYED_VARY = {"accept-language", "cookie"}

#: Headers of a kept answer that a 304 does not carry.
_NOT_ON_304 = {"Content-Security-Policy", "Reporting-Endpoints"}

#: The one question asked per served answer: when was anything last made public.
STAMP_SQL = (
    "SELECT (SELECT max(id) FROM brief_artefact),"
    " (SELECT max(published_at) FROM brief_version),"
    " (SELECT max(superseded_at) FROM brief_version),"
    " (SELECT max(corrected_at) FROM brief_version),"
    " (SELECT count(*) FROM brief_version WHERE published_at IS NOT NULL)"
)


def share() -> None:
    """Mark the answer being made as the same for every anonymous reader of this address
    and language until the next publication."""
    request.environ[SHARE_KEY] = True


def publication_stamp(app) -> Callable[[], Hashable]:
    """The stamp of what is published now, asked on the application's database (its
    engine, or in tests the connection the application works in, so that it sees what the
    application sees)."""
    from sqlalchemy import Connection, text

    from app.extensions import db

    statement = text(STAMP_SQL)
    found: list = []

    def stamp() -> Hashable:
        if not found:
            with app.app_context():
                found.append(db.engine)
        bind = found[0]
        if isinstance(bind, Connection):
            return tuple(bind.execute(statement).one())
        # the driver's own connection from the pool: one statement, none of the session's
        # or the transaction's machinery (the pool ends the transaction on return)
        connection = bind.raw_connection()
        driver = connection.driver_connection
        # PostgreSQL: the one statement on its own, without BEGIN and ROLLBACK around it
        autocommit = getattr(driver, "autocommit", None)
        try:
            if autocommit is False:
                driver.autocommit = True
            cursor = connection.cursor()
            cursor.execute(STAMP_SQL)
            row = cursor.fetchone()
            cursor.close()
        finally:
            if autocommit is False:
                driver.autocommit = False
            connection.close()
        return tuple(row)

    return stamp


class _Kept:
    __slots__ = ("etag", "headers", "last_modified", "parts", "stamp", "status")

    def __init__(self, status, headers, body: bytes, stamp):
        self.status = status
        self.headers = headers
        #: The body cut where the nonce goes, so serving it copies once and searches nothing.
        self.parts = body.split(_MARK)
        self.stamp = stamp
        found = dict((k.lower(), v) for k, v in headers)
        self.etag = found.get("etag")
        self.last_modified = (
            parse_date(found["last-modified"]) if "last-modified" in found else None
        )


class SharedAnswers:
    """WSGI middleware serving kept shared answers (see the module's text)."""

    def __init__(
        self,
        wsgi_app,
        stamp: Callable[[], Hashable],
        *,
        limit: int = LIMIT,
        recheck: float = 0.0,
    ):
        self.wsgi_app = wsgi_app
        self.stamp = stamp
        self.limit = limit
        #: Seconds a stamp is believed before the database is asked again (0: every time).
        self.recheck = recheck
        self._known: tuple[float, Hashable] | None = None
        self._kept: OrderedDict[Hashable, _Kept] = OrderedDict()
        #: Addresses (without the language asked) whose answers were marked shared.
        self._shareable: OrderedDict[Hashable, None] = OrderedDict()
        self._lock = threading.Lock()

    def current_stamp(self) -> Hashable:
        """What is published now: asked of the database, at most once per ``recheck``
        seconds in this process."""
        known = self._known
        now = time.monotonic()
        if known is not None and now - known[0] < self.recheck:
            return known[1]
        stamp = self.stamp()
        self._known = (now, stamp)
        return stamp

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._shareable.clear()

    def __len__(self) -> int:
        return len(self._kept)

    @staticmethod
    def _key(environ) -> Hashable | None:
        if environ.get("REQUEST_METHOD") != "GET":
            return None
        if environ.get("HTTP_COOKIE") or environ.get("HTTP_AUTHORIZATION"):
            return None
        if environ.get("HTTP_IF_NONE_MATCH", "").strip() == "*":
            return None  # the application's answer: a page made on request promises nothing
        return (
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_HOST") or environ.get("SERVER_NAME"),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_ACCEPT_LANGUAGE", ""),
        )

    def __call__(self, environ, start_response):
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        address = key[:-1]
        with self._lock:
            known = address in self._shareable
        if not known:
            # an address not yet seen to give a shared answer: the application answers
            # without any question asked here; one that does is kept from its next request
            answer = self.wsgi_app(environ, start_response)
            if environ.get(SHARE_KEY):
                with self._lock:
                    self._shareable[address] = None
                    while len(self._shareable) > self.limit * 4:
                        self._shareable.popitem(last=False)
            return answer
        try:
            stamp = self.current_stamp()
        except Exception:  # the application answers (503 when the database is away)
            return self.wsgi_app(environ, start_response)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                if kept.stamp == stamp:
                    self._kept.move_to_end(key)
                else:
                    del self._kept[key]
                    kept = None
        if kept is not None:
            return self._serve(kept, environ, start_response)
        return self._through(key, stamp, environ, start_response)

    def _serve(self, kept: _Kept, environ, start_response) -> Iterable[bytes]:
        nonce = secrets.token_urlsafe(16)
        mark = _MARK.decode("latin-1")
        headers = [
            (k, uuid.uuid4().hex if k == "X-Request-Id" else v.replace(mark, nonce))
            for k, v in kept.headers
        ]
        etag = kept.etag
        if not is_resource_modified(environ, etag=etag, last_modified=kept.last_modified):
            remove_entity_headers(headers)
            # a browser puts a 304's headers on the page it keeps: a policy with this
            # answer's nonce would refuse the kept page's styles and scripts
            headers = [(k, v) for k, v in headers if k not in _NOT_ON_304]
            start_response("304 NOT MODIFIED", headers)
            return [b""]
        body = nonce.encode().join(kept.parts)
        headers.append(("Content-Length", str(len(body))))
        start_response(kept.status, headers)
        return [body]

    def _through(self, key, stamp, environ, start_response) -> Iterable[bytes]:
        seen: dict[str, Any] = {}

        def remember(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        answer = self.wsgi_app(environ, remember)
        if not environ.get(SHARE_KEY) or not self._keepable(seen):
            return answer
        try:
            body = b"".join(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        self._keep(key, stamp, seen["status"], seen["headers"], body)
        return [body]

    @staticmethod
    def _keepable(seen: dict[str, Any]) -> bool:
        if not str(seen.get("status", "")).startswith("200"):
            return False
        headers = {k.lower(): v for k, v in seen["headers"]}
        if "set-cookie" in headers or "public" not in headers.get("cache-control", ""):
            return False
        if "content-encoding" in headers:
            return False
        vary = {v.strip().lower() for v in headers.get("vary", "").split(",") if v.strip()}
        return vary <= _KEYED_VARY

    def _keep(self, key, stamp, status, headers, body: bytes) -> None:
        csp = next((v for k, v in headers if k.lower() == "content-security-policy"), "")
        nonce = _nonce_in(csp)
        mark = _MARK.decode("latin-1")
        if nonce:
            body = body.replace(nonce.encode(), _MARK)
            headers = [(k, v.replace(nonce, mark)) for k, v in headers]
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        kept = _Kept(status, headers, body, stamp)
        with self._lock:
            self._kept[key] = kept
            while len(self._kept) > self.limit:
                self._kept.popitem(last=False)


def _nonce_in(policy: str) -> str:
    start = policy.find("'nonce-")
    if start < 0:
        return ""
    end = policy.find("'", start + 7)
    return policy[start + 7 : end] if end > 0 else ""


def install(app) -> SharedAnswers:
    """Put the layer in front of ``app``'s request pipeline (inside any proxy fix)."""
    layer = SharedAnswers(
        app.wsgi_app, publication_stamp(app), recheck=app.config["SHARED_ANSWERS_RECHECK"]
    )
    app.wsgi_app = layer  # type: ignore[method-assign]
    app.extensions["skillsdelphi-shared-answers"] = layer
    return layer
