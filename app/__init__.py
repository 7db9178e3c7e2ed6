"""SkillsDelphi: Delphi consultations of sector skills councils."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


class ConfigurationError(RuntimeError):
    """The configuration cannot run safely (raised at start-up)."""


def create_app(
    test_config: dict[str, Any] | None = None, *, instance_path: str | None = None
) -> Flask:
    """Build the application. Wiring and validation only: no database work, no I/O.

    ``instance_path`` replaces the default ``instance/`` folder (local config and database).
    Raises ConfigurationError when the configuration cannot run safely.
    """
    # Imported here, not above: the upload parsers' child process imports pure modules of
    # ``app`` and starts faster without Flask.
    from flask import Flask

    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)

    from app.config import Config

    app.config.from_object(Config)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if test_config:
        app.config.update(test_config)
    _finish_config(app)

    from app import models  # noqa: F401  (complete metadata before binding)
    from app.auth import login as login_setup
    from app.cli import register_cli
    from app.database import install_sqlite_pragmas
    from app.errors import register_error_handlers
    from app.extensions import babel, csrf, db, limiter, migrate
    from app.i18n import select_locale
    from app.web import register_web

    install_sqlite_pragmas()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path) / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_setup.init_app(app)
    register_error_handlers(app)
    register_web(app)
    register_cli(app)
    return app


def _normalise_db_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; psycopg 3 is the driver here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _finish_config(app: Flask) -> None:
    cfg = app.config
    env = cfg["ENVIRONMENT"]
    if env not in {"development", "testing", "production"}:
        raise ConfigurationError(
            f"ENVIRONMENT must be development, testing or production, not {env!r}"
        )
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        cfg["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(
            Path(app.instance_path) / "skillsdelphi.db"
        )
    cfg["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(cfg["SQLALCHEMY_DATABASE_URI"])
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {
            k: v for k, v in cfg["SQLALCHEMY_ENGINE_OPTIONS"].items() if k != "pool_pre_ping"
        }

    missing = [k for k in ("SECRET_KEY", "INVITATION_PEPPER") if not cfg.get(k)]
    if env == "development":
        for key in missing:
            # A per-process secret: sessions end when the server restarts.
            cfg[key] = secrets.token_urlsafe(32)
            app.logger.warning("%s is not set; using a temporary one (development only)", key)
    elif missing:
        names = ", ".join(missing)
        raise ConfigurationError(
            f"{names} must be set outside development: set FLASK_{missing[0]} in the "
            f"environment or {missing[0]} in instance/config.py"
        )

    if env == "production":
        if app.debug:
            raise ConfigurationError("debug mode is refused in production")
        if cfg["RATELIMIT_STORAGE_URI"].startswith("memory://"):
            raise ConfigurationError(
                "RATELIMIT_STORAGE_URI=memory:// counts per process; set a shared store such "
                "as redis://127.0.0.1:6379 in production"
            )
        cfg["SESSION_COOKIE_NAME"] = "__Host-session"
        cfg["SESSION_COOKIE_SECURE"] = True
        cfg.setdefault("PREFERRED_URL_SCHEME", "https")
