"""Deny-by-default access policy: every view declares who may use it.

A view without a declared policy answers 403, and ``tests/app/test_policy_coverage.py`` fails
on any route that declares nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_login import current_user, logout_user

from app.auth.models import Role
from app.database import utcnow

F = TypeVar("F", bound=Callable[..., Any])

#: Endpoints that serve bundled static files (CSS, fonts, images): public by nature.
STATIC_ENDPOINTS = frozenset({"static"})


@dataclass(frozen=True)
class Policy:
    #: Anyone, signed in or not.
    public: bool = False
    #: Staff roles allowed; empty with ``staff=True`` means any signed-in staff member.
    roles: frozenset[Role] = frozenset()
    staff: bool = False
    #: A panellist holding a session from an invitation link.
    panellist: bool = False

    def describe(self) -> str:
        if self.public:
            return "public"
        parts = []
        if self.staff:
            parts.append("staff:" + (",".join(sorted(self.roles)) or "any"))
        if self.panellist:
            parts.append("panellist")
        return " | ".join(parts) or "nobody"


def _attach(policy: Policy) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        view.policy = policy  # type: ignore[attr-defined]
        return view

    return decorate


def public(view: F) -> F:
    """Anyone may use this view."""
    return _attach(Policy(public=True))(view)


def staff(*roles: Role) -> Callable[[F], F]:
    """Signed-in staff with one of ``roles`` (any staff role when none are named)."""
    return _attach(Policy(staff=True, roles=frozenset(roles)))


def panellist(view: F) -> F:
    """A panellist holding a session from an invitation link."""
    return _attach(Policy(panellist=True))(view)


def policy_of(app: Flask, endpoint: str) -> Policy | None:
    if endpoint in STATIC_ENDPOINTS or endpoint.endswith(".static"):
        return Policy(public=True)
    view = app.view_functions.get(endpoint)
    return getattr(view, "policy", None)


def _staff_session_expired() -> bool:
    """Absolute (12 h) and idle (30 min) limits of a staff session; refreshes the idle clock."""
    now = utcnow()
    try:
        began = datetime.fromisoformat(session["login_at"])
        seen = datetime.fromisoformat(session.get("seen_at", session["login_at"]))
    except (KeyError, ValueError):
        return True
    cfg = current_app.config
    if now - began > cfg["STAFF_SESSION_MAX_AGE"] or now - seen > cfg["STAFF_IDLE_TIMEOUT"]:
        return True
    session["seen_at"] = now.isoformat()
    return False


def enforce_policy() -> Any:
    """``before_request`` hook: allow, redirect to sign-in, or refuse."""
    endpoint = request.endpoint
    if endpoint is None:  # no route matched; the 404 handler answers
        return None
    policy = policy_of(current_app, endpoint)
    if policy is None:
        current_app.logger.error("route %s declares no access policy", endpoint)
        abort(403)
    if current_user.is_authenticated and _staff_session_expired():
        logout_user()
        session.clear()
    if policy.public:
        return None
    if policy.panellist and session.get("panellist_id") is not None:
        return None
    if policy.staff:
        if not current_user.is_authenticated:
            if request.method == "GET" and not request.path.startswith("/api/"):
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            abort(401)
        if not policy.roles or current_user.role in policy.roles:
            return None
    abort(403)
