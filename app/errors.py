"""Domain errors and the one handler that answers them as HTML or JSON."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from app.extensions import db, login_manager
from app.formatting import data_size
from app.i18n import problem_message, problem_text, refusal_text
from app.problems import Problem, Translate, Value, as_problems, message_text

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule refused an action. ``status_code`` says how the web answers it.

    ``message`` is given as an English message id marked with ``N_``, its ``%(name)s``
    placeholders filled from ``params`` (raw values, as for ``Problem``); pages show it in the
    interface language (``app.i18n.refusal_text``). The attribute ``message`` is the English
    text, for the command line and logs; ``message_id`` and ``params`` are kept as given.
    """

    status_code = 409

    def __init__(self, message: str, params: Mapping[str, Value] | None = None) -> None:
        self.message_id = message
        self.params: dict[str, Value] | None = dict(params) if params else None
        self.message = message_text(message, self.params)
        super().__init__(self.message)

    def text(self, translate: Translate | None = None, locale: str = "en") -> str:
        """The message translated by ``translate`` (a gettext for ``locale``; none: English),
        its values formatted for ``locale``."""
        return message_text(self.message_id, self.params, translate=translate, locale=locale)


class NotAllowed(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class InvalidInput(DomainError):
    """Bad input; ``problems`` lists each field, row or column at fault (``Problem``; plain
    messages given are wrapped)."""

    status_code = 422

    def __init__(
        self,
        message: str,
        problems: Iterable[Problem | str] | None = None,
        params: Mapping[str, Value] | None = None,
    ) -> None:
        super().__init__(message, params)
        self.problems: list[Problem] = as_problems(problems)


class InvalidParameter(InvalidInput):
    """A bad query or path parameter of the API; ``problems`` name each parameter in
    ``field``."""

    status_code = 400


class UploadRefused(InvalidInput):
    """An uploaded file refused as a whole, before or while it was read: 413 when it is
    beyond a size, count, time, memory or quota limit (``too_large``), else 422. ``limit``
    names the limit or check (e.g. ``"shared_strings"``, ``"quota"``). Message id and values
    as for every domain error (shown with ``app.i18n.refusal_text``)."""

    def __init__(
        self,
        message: str,
        params: Mapping[str, Value] | None = None,
        *,
        too_large: bool = False,
        limit: str = "content",
    ) -> None:
        super().__init__(message, params=params)
        self.status_code = 413 if too_large else 422
        self.limit = limit


class StateError(DomainError):
    """An object is not in a state that allows the action (e.g. closing a draft round)."""


class RoundStateError(StateError):
    pass


class ConsultationStateError(StateError):
    pass


class BriefStateError(StateError):
    pass


class PlanLockedError(StateError):
    pass


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.path == "/healthz":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _title(code: int) -> str:
    titles = {
        400: _("Bad request"),
        401: _("Please sign in"),
        403: _("Not allowed"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("Upload too large"),
        422: _("Please check your input"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
        503: _("Temporarily unavailable"),
    }
    return titles.get(code, _("Error"))


def _explanation(code: int) -> str:
    texts = {
        403: _(
            "You do not have permission to open this page. If you think you should, "
            "ask your council's secretariat or an administrator."
        ),
        404: _("We could not find this page. It may have moved, or the address may be mistyped."),
        429: _(
            "There were too many attempts in a short time. Please wait a few minutes and try again."
        ),
        500: _(
            "An unexpected error occurred. Nothing you entered has been saved twice; "
            "please try again in a moment. The error has been logged."
        ),
        503: _("The service is briefly unavailable. Please try again in a moment."),
        400: _(
            "The request could not be understood. If you were filling in a form, go "
            "back, reload the page and try again."
        ),
    }
    return texts.get(code, "")


def too_large_message() -> str:
    """Why a request body was refused: its size, if known, and ``MAX_CONTENT_LENGTH``."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return _("The upload is too large.")
    size = request.content_length
    if size and size > limit:
        return _(
            "The upload is %(size)s; at most %(limit)s are accepted.",
            size=data_size(size),
            limit=data_size(limit, limit=True),
        )
    return _(
        "The upload is larger than %(limit)s, the most accepted.",
        limit=data_size(limit, limit=True),
    )


#: Kinds of problem of the open API (RFC 9457 ``type``), by status; documented on its page.
PROBLEM_KINDS = {
    400: "invalid-parameter",
    404: "not-found",
    405: "method-not-allowed",
    429: "too-many-requests",
    500: "internal-error",
    503: "unavailable",
}


def is_api() -> bool:
    return request.path.startswith("/api/")


def _api_title(code: int) -> str:
    titles = {400: _("Invalid parameter"), 404: _("Not found")}
    return titles.get(code) or _title(code)


def problem_response(
    code: int,
    detail: str | None = None,
    invalid_params: Iterable[Mapping[str, str]] = (),
):
    """An error of the open API as ``application/problem+json`` (RFC 9457): ``type``,
    ``title``, ``status``, ``detail``, ``instance`` and, for bad parameters,
    ``invalid_params`` (``name``, ``reason``)."""
    kind = PROBLEM_KINDS.get(code, "error")
    base = current_app.config.get("BASE_URL", "").rstrip("/")
    body: dict[str, object] = {
        "type": f"{base}/api/v1/docs#problem-{kind}",
        "title": _api_title(code),
        "status": code,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    params = [{"name": str(p["name"]), "reason": str(p["reason"])} for p in invalid_params]
    if params:
        body["invalid_params"] = params
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=code, mimetype="application/problem+json"
    )
    return response, code


def _invalid_params(problems: Iterable[Problem | str] | None) -> list[dict[str, str]]:
    return [
        {"name": p.field or p.column or "", "reason": problem_message(p)}
        for p in as_problems(problems)
        if p.field or p.column
    ]


def _webargs_params(exc: HTTPException) -> list[dict[str, str]]:
    """The parameters a request's parser refused (``{"query": {"page": [...]}}``)."""
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    out = []
    for fields in messages.values():
        if not isinstance(fields, Mapping):
            continue
        for name, reasons in fields.items():
            if isinstance(reasons, Mapping):  # a list field: reasons by position
                reasons = [r for rs in reasons.values() for r in rs]
            texts = reasons if isinstance(reasons, list | tuple) else [reasons]
            out.append({"name": str(name), "reason": "; ".join(str(r) for r in texts)})
    return out


def render_error(
    code: int,
    message: str | None = None,
    problems: Iterable[Problem | str] | None = None,
    invalid_params: Iterable[Mapping[str, str]] = (),
):
    title = _title(code)
    if is_api():
        params = list(invalid_params) + _invalid_params(problems)
        if params and not message:
            message = _("Invalid value of %(names)s.", names=", ".join(p["name"] for p in params))
        return problem_response(code, message or _explanation(code) or None, params)
    if wants_json():
        body: dict[str, object] = {"error": {"status": code, "title": title}}
        if message:
            body["error"]["message"] = message  # type: ignore[index]
        if problems:
            body["error"]["problems"] = [  # type: ignore[index]
                {**p.to_json(), "text": problem_text(p)} for p in as_problems(problems)
            ]
        return jsonify(body), code
    context = {
        "code": code,
        "title": title,
        "message": message or _explanation(code),
        "problems": [problem_text(p) for p in as_problems(problems)],
    }
    try:
        return render_template("errors/error.html", **context), code
    except OperationalError:
        # The page header asks who is signed in, which needs the database: an error page
        # must render while the database is down, so it shows as signed out then.
        _forget_user()
        return render_template("errors/error.html", **context), code


def _forget_user() -> None:
    try:
        db.session.rollback()
    except OperationalError:  # pragma: no cover - the connection is gone already
        db.session.remove()
    g._login_user = login_manager.anonymous_user()


#: Form posts that are never shown back (secrets), and fields never echoed.
_NOT_KEPT_ENDPOINTS = frozenset({"auth.login"})


def _kept_form() -> list[tuple[str, str]] | None:
    """The posted form's fields to show again on the 503 page, or None when there is none.

    A form that could not be saved because the database was down comes back as it was
    posted, to send again with one press: nothing typed is lost. Password fields and the
    sign-in form are never echoed; file uploads cannot be kept and must be chosen again."""
    if request.method != "POST" or request.endpoint in _NOT_KEPT_ENDPOINTS:
        return None
    try:
        pairs = [
            (name, value)
            for name, values in request.form.lists()
            for value in values
            if "password" not in name.lower()
        ]
    except Exception:  # noqa: BLE001 - an unreadable body: nothing to keep
        return None
    return pairs or None


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        return render_error(exc.status_code, refusal_text(exc), getattr(exc, "problems", None))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = exc.code or 500
        message = None
        if code in (400, 405, 413, 422) and exc.description:
            message = exc.description
        if isinstance(exc, RequestEntityTooLarge):
            message = too_large_message()
        params = _webargs_params(exc) if is_api() else []
        if params:
            message = None
        response, status = render_error(code, message, invalid_params=params)
        if code == 503 or code == 429:
            response = app.make_response((response, status))
            response.headers.setdefault("Retry-After", "60")
            return response
        return response, status

    @app.errorhandler(OperationalError)
    def _database_unavailable(exc: OperationalError):
        # Database down, restarting or locked beyond the busy timeout: ask to retry, never 500.
        log.warning("database unavailable on %s %s: %s", request.method, request.path, exc.orig)
        # The page must not look up the signed-in user: that needs the database too.
        _forget_user()
        kept = _kept_form()
        if kept is not None and not wants_json():
            body = render_template(
                "errors/unavailable_form.html",
                code=503,
                title=_title(503),
                fields=kept,
                action=request.path,
            )
            response = app.make_response((body, 503))
        else:
            response = app.make_response(render_error(503))
        response.headers["Retry-After"] = "10"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return _http_error(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        try:
            db.session.rollback()
        except OperationalError:  # pragma: no cover - the connection is gone already
            db.session.remove()
        return render_error(InternalServerError.code)
