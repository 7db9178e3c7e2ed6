"""Flask-Login wiring: sessions are found by the user's rotating session token."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db, login_manager


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load(session_token: str) -> User | None:
        return db.session.scalars(
            select(User).where(User.session_token == session_token, User.active.is_(True))
        ).first()
