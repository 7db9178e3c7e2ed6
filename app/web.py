"""Blueprints and per-request wiring: access policy, request ids, security headers."""

from __future__ import annotations

import secrets
import uuid

from flask import Flask, flash, g, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from app.auth.policy import enforce_policy
from app.i18n import LANGUAGE_NAMES
from app.inputs import InputRequest
from app.portal.api import register_api
from app.portal.embed import EMBED_PREFIX

#: Where browsers send reports of content-security-policy violations.
CSP_REPORT_PATH = "/csp-report"

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` limited to the database's integer range: larger ids are 404, not 500."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def register_web(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntConverter
    app.request_class = InputRequest
    from app.answering.views import bp as answering_bp
    from app.auth.views import bp as auth_bp
    from app.briefs.views import bp as briefs_bp
    from app.consultations.views import bp as consultations_bp
    from app.councils.views import bp as councils_bp
    from app.curation.views import bp as curation_bp
    from app.forecasts.views import bp as forecasts_bp
    from app.main.views import bp as main_bp
    from app.panels.views import bp as panels_bp
    from app.portal.embed import bp as embed_bp
    from app.portal.views import bp as portal_bp
    from app.results.views import bp as results_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(answering_bp)
    app.register_blueprint(panels_bp)
    app.register_blueprint(consultations_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(curation_bp)
    app.register_blueprint(councils_bp)
    app.register_blueprint(briefs_bp)
    app.register_blueprint(forecasts_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(embed_bp)
    register_api(app)
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.before_request
    def _request_id() -> None:
        g.request_id = uuid.uuid4().hex
        g.csp_nonce = secrets.token_urlsafe(16)

    app.before_request(enforce_policy)

    @app.before_request
    def _note_removed_controls() -> None:
        # Parse the form now, so that the notice is there for whatever page comes next.
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in FORM_TYPES:
            request.form  # noqa: B018
        if getattr(request, "controls_removed", 0) and not request.path.startswith("/api/"):
            flash(
                _(
                    "Invisible control characters (such as NUL bytes), which cannot be "
                    "stored, were removed from what you entered."
                ),
                "info",
            )

    @app.context_processor
    def _template_globals() -> dict[str, object]:
        return {
            "csp_nonce": g.get("csp_nonce", ""),
            "current_locale": str(get_locale()),
            "languages": [(c, LANGUAGE_NAMES.get(c, c)) for c in app.config["LANGUAGES"]],
        }

    @app.after_request
    def _security_headers(response):
        nonce = g.get("csp_nonce", "")
        headers = response.headers
        # Pages made to be shown inside other sites (``app.portal.embed``) may be framed by
        # any site; every other page by none.
        embedded = request.path.startswith(EMBED_PREFIX)
        ancestors = "*" if embedded else "'none'"
        if response.mimetype.startswith("image/"):
            # A chart opened on its own: no script at all, and the inline styles that
            # matplotlib writes into its SVG may apply, or it would render unstyled.
            policy = (
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                "object-src 'none'; base-uri 'none'; "
                f"frame-ancestors {ancestors}; "
                "form-action 'none'; "
            )
        else:
            policy = (
                "default-src 'self'; "
                f"script-src 'self' 'nonce-{nonce}'; "
                f"style-src 'self' 'nonce-{nonce}'; "
                "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
                "object-src 'none'; base-uri 'none'; "
                f"frame-ancestors {ancestors}; "
                "form-action 'self'; "
            )
        # A 304 leaves the policy the kept page came with: its headers replace the kept
        # ones, and a new nonce would block the kept page's own styles and scripts.
        if response.status_code != 304:
            headers.setdefault(
                "Content-Security-Policy", policy + f"report-uri {CSP_REPORT_PATH}; report-to csp"
            )
            headers.setdefault("Reporting-Endpoints", f'csp="{CSP_REPORT_PATH}"')
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if not embedded:
            headers.setdefault("X-Frame-Options", "DENY")
        if app.config["ENVIRONMENT"] == "production":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # The session says whether someone is signed in; asking current_user could need the
        # database, which may be the very reason this is an error response.
        if (
            session.get("_user_id") is not None
            or request.path.startswith("/staff")
            or request.path in ("/i", "/r")
        ):
            headers["Cache-Control"] = "no-store"
        headers["X-Request-Id"] = g.get("request_id", "")
        return response
