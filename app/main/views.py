from __future__ import annotations

import json
import logging

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from app.auth.models import Role
from app.auth.policy import public, staff
from app.briefs import services as briefs
from app.briefs.models import BriefStatus, BriefVersion
from app.consultations.models import Consultation, ConsultationStatus, RoundStatus
from app.councils.models import Council
from app.extensions import csrf, db, limiter
from app.portal import catalogue
from app.portal.caching import conditional

bp = Blueprint("main", __name__)
log = logging.getLogger(__name__)


@bp.route("/")
@public
def index():
    """The public home page: what the platform is, how to read a brief, the latest briefs
    and one search box; sign-in for staff and panellists."""
    snap = catalogue.snapshot()
    return conditional(
        (snap.key,),
        snap.last_modified,
        lambda: render_template("main/index.html", latest=catalogue.latest(5, snap)),
    )


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        response = jsonify({"status": "unavailable", "database": "unreachable"})
        response.status_code = 503
        response.headers["Retry-After"] = "10"
        return response
    return jsonify({"status": "ok", "database": "ok"})


@bp.route("/staff")
@staff()
def staff_home():
    user = current_user
    if user.role is Role.secretariat:
        councils = list(user.councils)
    else:
        councils = list(db.session.scalars(select(Council).order_by(Council.name)))
    consultations = []
    if user.role is not Role.admin:
        ids = [c.id for c in councils]
        consultations = (
            list(
                db.session.scalars(
                    select(Consultation)
                    .where(Consultation.council_id.in_(ids))
                    .order_by(Consultation.created_at.desc())
                )
            )
            if ids
            else []
        )
    return render_template(
        "main/staff_home.html",
        councils=councils,
        consultations=[(c, consultation_state(c)) for c in consultations],
        to_do=briefs_to_do(user),
    )


def consultation_state(consultation: Consultation) -> str:
    """Where a consultation stands, in a few words: "in preparation", "round 2 open",
    "all rounds closed", "finished"."""
    if consultation.status is ConsultationStatus.draft:
        return _("in preparation")
    if consultation.status is ConsultationStatus.finished:
        return _("finished")
    rounds = sorted(consultation.rounds, key=lambda r: r.number)
    opened = [r for r in rounds if r.status is RoundStatus.open]
    if opened:
        return _("round %(n)s open", n=opened[0].number)
    waiting = [r for r in rounds if r.status is RoundStatus.draft]
    if waiting:
        return _("round %(n)s in preparation", n=waiting[0].number)
    if rounds:
        return _("all rounds closed")
    return _("running, no round yet")


def briefs_to_do(user) -> list[tuple[BriefVersion, str]]:
    """The brief versions waiting for ``user`` (what to do with each): the secretariat's
    drafts (returned ones first), the versions in review for officials, the approved
    versions another person wrote for publishers."""
    if user.role is Role.secretariat:
        drafts = [
            v
            for brief in briefs.briefs_for(user)
            for v in brief.versions
            if v.status is BriefStatus.draft
        ]
        drafts.sort(key=lambda v: not v.review_comment)
        return [
            (v, _("returned by the reviewer: revise it") if v.review_comment else _("draft"))
            for v in drafts
        ]
    if user.role is Role.official:
        return [(v, _("to review")) for v in briefs.versions_in(BriefStatus.in_review)]
    if user.role is Role.publisher:
        return [
            (v, _("to publish"))
            for v in briefs.versions_in(BriefStatus.approved)
            if v.author_id != user.id
        ]
    return []


#: Longest violation report read, in bytes; anything longer is dropped unread.
MAX_CSP_REPORT = 16 * 1024


def _without_query(uri: object) -> str:
    """A reported address without its query string (it could hold a token), shortened."""
    text_ = str(uri or "")
    return text_.split("?", 1)[0].split("#", 1)[0][:200]


@bp.post("/csp-report")
@public
@csrf.exempt
@limiter.limit("30 per minute")
def csp_report():
    """Content-Security-Policy violation reports (report-uri and report-to): logged, 204."""
    if (request.content_length or 0) > MAX_CSP_REPORT:
        return "", 204
    try:
        payload = json.loads(request.get_data(cache=False)[:MAX_CSP_REPORT] or b"null")
    except ValueError:
        return "", 204
    reports = payload if isinstance(payload, list) else [payload]
    for entry in reports[:10]:
        if not isinstance(entry, dict):
            continue
        body = entry.get("csp-report") or entry.get("body") or {}
        if not isinstance(body, dict):
            continue
        log.warning(
            "content security policy violation: %s blocked %s on %s",
            str(body.get("effectiveDirective") or body.get("violated-directive") or "?")[:80],
            _without_query(body.get("blockedURL") or body.get("blocked-uri")),
            _without_query(body.get("documentURL") or body.get("document-uri")),
        )
    return "", 204
