from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from app.auth.models import Role
from app.auth.policy import public, staff
from app.consultations.models import Consultation
from app.councils.models import Council
from app.extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def index():
    return render_template("main/index.html")


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
    return render_template("main/staff_home.html", councils=councils, consultations=consultations)
