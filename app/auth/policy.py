"""Deny-by-default access policy: every view declares who may use it.

A view without a declared policy answers 403, and ``tests/app/test_policy_coverage.py`` fails
on any route that declares nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_login import current_user, logout_user

from app.auth.mfa import needs_enrolment
from app.auth.models import Role
from app.database import utcnow
from app.formatting import N_

F = TypeVar("F", bound=Callable[..., Any])

#: Endpoints that serve bundled static files (CSS, fonts, images): public by nature.
STATIC_ENDPOINTS = frozenset({"static"})

#: The staff pages open to a signed-in staff member whose role requires a second factor
#: they have not set up (after an administrator reset it, or the setting changed): setting
#: it up. Every other staff page sends them there.
ENROLMENT_ENDPOINTS = frozenset({"auth.two_factor", "auth.enrol"})


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
            if endpoint in ENROLMENT_ENDPOINTS or not needs_enrolment(current_user):
                return None
            if request.method == "GET" and not request.path.startswith("/api/"):
                return redirect(url_for("auth.two_factor"))
    abort(403)


# ----------------------------------------------------------------------------- object rules
#
# Who may do what to which object. Routes above say who may open a page; the rules below say
# whether the object the page is about is within the actor's scope. The scope always comes
# from the object (``consultation.council_id``), never from the URL or the form. Out of scope
# means "not found" (its existence is not revealed); in scope but not allowed means "not
# allowed". Services call ``authorize``; they do not re-implement these rules.


class Act(StrEnum):
    """Actions on objects."""

    #: See the object on staff pages.
    view = "view"
    #: Run a consultation (panel, rounds, results, themes) or draft a council's briefs.
    run = "run"
    #: Change the object itself (councils, users): administration.
    manage = "manage"
    #: Review a brief version submitted for review, return it or approve it.
    review = "review"
    #: Publish an approved brief version.
    publish = "publish"
    #: Import and correct forecast datasets.
    import_data = "import"


class Decision(StrEnum):
    allow = "allow"
    #: Outside the actor's scope: answered as not found.
    hidden = "hidden"
    #: Within scope, but this action is not the actor's: answered as not allowed.
    refused = "refused"


def _role(actor: Any) -> Role | None:
    role = getattr(actor, "role", None)
    return role if isinstance(role, Role) else None


def _councils(actor: Any) -> set[int]:
    return {c.id for c in getattr(actor, "councils", None) or ()}


def _council_id(obj: Any) -> int | None:
    if getattr(obj, "__tablename__", None) == "council":
        return obj.id
    council_id = getattr(obj, "council_id", None)
    if council_id is None and getattr(obj, "consultation", None) is not None:
        council_id = obj.consultation.council_id
    return council_id


def _secretariat_of(actor: Any, obj: Any) -> bool:
    return _role(actor) is Role.secretariat and _council_id(obj) in _councils(actor)


def _council_rule(actor: Any, act: Act, council: Any) -> Decision:
    role = _role(actor)
    if act is Act.manage:
        return Decision.allow if role is Role.admin else Decision.refused
    if act is Act.view:
        if role in (Role.admin, Role.official, Role.publisher) or _secretariat_of(actor, council):
            return Decision.allow
        return Decision.hidden
    if act is Act.run:
        return Decision.allow if _secretariat_of(actor, council) else Decision.hidden
    return Decision.refused


def _consultation_rule(actor: Any, act: Act, consultation: Any) -> Decision:
    # Only the council's secretariat sees a consultation: its panel names people, and
    # nobody else has business with an unpublished consultation.
    if not _secretariat_of(actor, consultation):
        return Decision.hidden
    return Decision.allow if act in (Act.view, Act.run) else Decision.refused


def _brief_rule(actor: Any, act: Act, brief: Any) -> Decision:
    role = _role(actor)
    published = getattr(brief, "is_published", False)
    if act is Act.view:
        if published or role in (Role.official, Role.publisher) or _secretariat_of(actor, brief):
            return Decision.allow
        return Decision.hidden
    if act is Act.run:
        return Decision.allow if _secretariat_of(actor, brief) else Decision.hidden
    if act is Act.review:
        return Decision.allow if role is Role.official else Decision.refused
    if act is Act.publish:
        if role is not Role.publisher:
            return Decision.refused
        # SECURITY.md 2.3.5: a publisher never publishes a version they wrote
        author = getattr(brief, "author_id", None)
        mine = author is not None and author == getattr(actor, "id", None)
        return Decision.refused if mine else Decision.allow
    return Decision.refused


def _forecast_rule(actor: Any, act: Act, dataset: Any) -> Decision:
    role = _role(actor)
    if act is Act.view:
        staff_roles = (Role.official, Role.publisher, Role.secretariat, Role.admin)
        return Decision.allow if role in staff_roles else Decision.hidden
    if act is Act.import_data:
        return Decision.allow if role is Role.official else Decision.refused
    return Decision.refused


def _binding_rule(actor: Any, act: Act, binding: Any) -> Decision:
    # The council's secretariat chooses the series its consultation uses; officials and
    # publishers, who review and publish the brief, see which were used.
    role = _role(actor)
    mine = _secretariat_of(actor, binding)
    if act is Act.view:
        return (
            Decision.allow if mine or role in (Role.official, Role.publisher) else Decision.hidden
        )
    if act is Act.run:
        return Decision.allow if mine else Decision.refused
    return Decision.refused


def _user_rule(actor: Any, act: Act, user: Any) -> Decision:
    role = _role(actor)
    if act is Act.manage:
        return Decision.allow if role is Role.admin else Decision.refused
    if act is Act.view:
        same = getattr(actor, "id", None) == getattr(user, "id", None)
        return Decision.allow if role is Role.admin or same else Decision.hidden
    return Decision.refused


#: The one table: object kind (its table name) -> rule.
OBJECT_RULES: dict[str, Callable[[Any, Act, Any], Decision]] = {
    "council": _council_rule,
    "consultation": _consultation_rule,
    "round": lambda actor, act, round_: _consultation_rule(actor, act, round_.consultation),
    "panellist": lambda actor, act, p: _consultation_rule(actor, act, p.consultation),
    "theme": lambda actor, act, theme: _consultation_rule(actor, act, theme.consultation),
    "brief": _brief_rule,
    "brief_version": lambda actor, act, v: _brief_rule(
        actor, act, _BriefVersionView(v.brief, v.author_id, v.is_published)
    ),
    "forecast_dataset": _forecast_rule,
    "forecast_binding": _binding_rule,
    "user": _user_rule,
}


@dataclass(frozen=True)
class _BriefVersionView:
    """A brief as seen through one of its versions (author and publication are the
    version's)."""

    brief: Any
    author_id: int | None
    is_published: bool

    @property
    def council_id(self) -> int | None:
        return self.brief.council_id


#: The actions that apply to each kind of object; any other is refused.
APPLICABLE: dict[str, frozenset[Act]] = {
    "council": frozenset({Act.view, Act.run, Act.manage}),
    "consultation": frozenset({Act.view, Act.run}),
    "round": frozenset({Act.view, Act.run}),
    "panellist": frozenset({Act.view, Act.run}),
    "theme": frozenset({Act.view, Act.run}),
    "brief": frozenset({Act.view, Act.run, Act.review, Act.publish}),
    "brief_version": frozenset({Act.view, Act.run, Act.review, Act.publish}),
    "forecast_dataset": frozenset({Act.view, Act.import_data}),
    "forecast_binding": frozenset({Act.view, Act.run}),
    "user": frozenset({Act.view, Act.manage}),
}


def decide(actor: Any, act: Act | str, obj: Any) -> Decision:
    """What the rules say about ``actor`` doing ``act`` to ``obj`` (no object: hidden).

    Scope comes first: an object the actor may not see is hidden whatever the action."""
    if obj is None:
        return Decision.hidden
    kind = getattr(obj, "__tablename__", "")
    rule = OBJECT_RULES.get(kind)
    if rule is None:
        raise LookupError(f"no access rule for {type(obj).__name__} objects")
    act = Act(act)
    seen = rule(actor, Act.view, obj)
    if act is Act.view or seen is not Decision.allow:
        return seen if seen is Decision.allow else Decision.hidden
    if act not in APPLICABLE[kind]:
        return Decision.refused
    return rule(actor, act, obj)


#: The refusals of ``authorize`` by the kind of object they name: (hidden, refused), whole
#: sentences so that each language can say them in its own words.
REFUSALS = {
    "council": (N_("no such council"), N_("you may not do this with this council")),
    "consultation": (
        N_("no such consultation"),
        N_("you may not do this with this consultation"),
    ),
    "round": (N_("no such round"), N_("you may not do this with this round")),
    "panellist": (N_("no such panellist"), N_("you may not do this with this panellist")),
    "theme": (N_("no such theme"), N_("you may not do this with this theme")),
    "brief": (N_("no such brief"), N_("you may not do this with this brief")),
    "brief_version": (
        N_("no such brief version"),
        N_("you may not do this with this brief version"),
    ),
    "forecast_dataset": (
        N_("no such forecast dataset"),
        N_("you may not do this with this forecast dataset"),
    ),
    "forecast_binding": (
        N_("no such forecast binding"),
        N_("you may not do this with these forecast series"),
    ),
    "user": (N_("no such user"), N_("you may not do this with this user")),
}
_OBJECT_REFUSALS = (N_("no such object"), N_("you may not do this with this object"))


def authorize(actor: Any, act: Act | str, obj: Any, *, what: str | None = None) -> None:
    """Raise NotFound when ``obj`` is outside the actor's scope (or None), NotAllowed when the
    action is not theirs; return when allowed. ``what`` names the kind of object in the
    message (a key of ``REFUSALS``) when it is not the object's own."""
    from app.errors import NotAllowed, NotFound

    decision = decide(actor, act, obj)
    hidden, refused = REFUSALS.get(
        what or getattr(obj, "__tablename__", None) or "", _OBJECT_REFUSALS
    )
    if decision is Decision.hidden:
        raise NotFound(hidden)
    if decision is Decision.refused:
        raise NotAllowed(refused)
