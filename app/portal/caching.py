"""Conditional, cacheable answers for public pages.

A public page is named by its validators before it is made: an ETag from what the page is
made of (the versions published now, the page's address and query, the interface language
and the build of the templates and translations) and a Last-Modified from the newest
publication shown. A browser or reverse proxy revalidating with ``If-None-Match`` or
``If-Modified-Since`` gets ``304 Not Modified`` without the page being made again.
Pages for a signed-in person are never cached (``app.web`` sends ``no-store`` for them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Response, current_app, make_response, request, session
from flask_babel import get_locale

#: Seconds a browser or proxy may reuse a public page without asking again.
MAX_AGE = 300

_BUILD: dict[str, tuple[str, datetime]] = {}


def build() -> tuple[str, datetime]:
    """A fingerprint of the templates and compiled translations the pages are made from,
    and the time of the newest of them (the same in every worker process)."""
    root = Path(current_app.root_path)
    found = _BUILD.get(str(root))
    if found is None:
        digest = hashlib.sha256()
        newest = 0.0
        files = sorted(
            [*(root / "templates").rglob("*.html"), *(root / "translations").rglob("*.mo")]
        )
        for path in files:
            stat = path.stat()
            digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
            newest = max(newest, stat.st_mtime)
        found = (digest.hexdigest()[:16], datetime.fromtimestamp(int(newest), UTC))
        _BUILD[str(root)] = found
    return found


def _signed_in() -> bool:
    return session.get("_user_id") is not None


def _not_modified(etag: str, last_modified: datetime | None) -> bool:
    tags = request.if_none_match
    if tags:
        # weak comparison (RFC 9110 13.1.2): a proxy that compresses may weaken the tag;
        # "*" asks whether anything exists, which a page made on request cannot promise
        return not tags.star_tag and tags.contains_weak(etag)
    since = request.if_modified_since
    if since is not None and last_modified is not None:
        return last_modified.replace(microsecond=0) <= since
    return False


def conditional(
    parts: Iterable[Any],
    last_modified: datetime | None,
    make: Callable[[], Any],
    *,
    max_age: int = MAX_AGE,
) -> Response:
    """The answer ``make()`` gives (a template rendered, a response), with validators from
    ``parts`` and ``last_modified``; 304 when the client holds it already."""
    if _signed_in():
        return make_response(make())
    build_id, built = build()
    last_modified = max(d for d in (last_modified, built) if d is not None)
    key = repr(
        (
            request.path,
            sorted(request.args.items(multi=True)),
            str(get_locale()),
            build_id,
            *parts,
        )
    )
    etag = hashlib.sha256(key.encode()).hexdigest()[:32]
    if _not_modified(etag, last_modified):
        response = Response(status=304)
    else:
        response = make_response(make())
        if response.status_code != 200:
            return response
    response.set_etag(etag)
    response.last_modified = last_modified
    if session.modified:
        # The answer sets the session cookie (a language chosen with ``?lang=``): a shared
        # cache must not hand that cookie to others; the browser may still keep the page.
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.vary.update(("Accept-Language", "Cookie"))
    return response
