"""Published pages as made once, kept in the process.

A published version's stored page never changes, so the page a reader gets (the stored page
with what happened since, its language links and files) is the same for everyone asking
with the same language as long as nothing is published after it. ``cached`` keeps each such
answer, keyed by everything it is made of (the stored page's SHA-256, the language, what
happened since), and serves it again with this response's nonce in place of the one it was
made with. A new version or correction changes the key, so the next reader gets a page made
anew. Pages for a signed-in person are never kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import Response, g, session

#: Pages kept per process (each some hundred kilobytes), the least recently served dropped.
LIMIT = 64

#: Stands for the response's nonce in a kept page (a nonce is URL-safe base64: never NUL).
_MARK = b"\x00nonce\x00"

_PAGES: OrderedDict[Hashable, tuple[bytes, int, list[tuple[str, str]]]] = OrderedDict()
_LOCK = threading.Lock()


def clear() -> None:
    with _LOCK:
        _PAGES.clear()


def cached(key: Hashable, make: Callable[[], Response]) -> Callable[[], Response]:
    """``make`` answering from the kept page for ``key`` when there is one (and keeping its
    answer when it is a page for anyone: 200, no cookie, nobody signed in)."""

    def answer() -> Response:
        nonce = g.get("csp_nonce", "").encode()
        if session.get("_user_id") is not None or not nonce:
            return make()
        with _LOCK:
            found = _PAGES.get(key)
            if found is not None:
                _PAGES.move_to_end(key)
        if found is not None:
            body, status, headers = found
            return Response(body.replace(_MARK, nonce), status=status, headers=headers)
        response = make()
        if (
            response.status_code != 200
            or response.direct_passthrough
            or response.is_streamed
            or "Set-Cookie" in response.headers
        ):
            return response
        body = response.get_data().replace(nonce, _MARK)
        headers = [(k, v) for k, v in response.headers.items() if k != "Content-Length"]
        with _LOCK:
            _PAGES[key] = (body, response.status_code, headers)
            while len(_PAGES) > LIMIT:
                _PAGES.popitem(last=False)
        return response

    return answer
