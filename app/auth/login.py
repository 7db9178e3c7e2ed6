"""Flask-Login wiring: sessions are found by the user's rotating session token; the
second-factor setting is checked with the rest of the configuration."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import ConfigurationError
from app.auth.mfa import required_roles
from app.auth.models import Role, User
from app.extensions import db, login_manager


def check_config(config) -> None:
    """Refuse a second-factor setting that names no staff roles (ConfigurationError)."""
    try:
        required_roles(config)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise ConfigurationError(
            f"MFA_REQUIRED_ROLES must list staff roles ({roles}), not "
            f"{config['MFA_REQUIRED_ROLES']!r}: set it in instance/config.py or "
            'FLASK_MFA_REQUIRED_ROLES (e.g. \'["admin", "official"]\' or "admin,official")'
        ) from None


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
