"""SkillsDelphi: Delphi consultations of sector skills councils."""

from __future__ import annotations

import json
import os
import secrets
import sys
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
    try:
        _finish_config(app)
    except ConfigurationError as exc:
        _exit_on_the_command_line(exc)
        raise

    from app import models  # noqa: F401  (complete metadata before binding)
    from app.auth import login as login_setup
    from app.cli import register_cli
    from app.database import install_sqlite_pragmas
    from app.errors import register_error_handlers
    from app.extensions import babel, csrf, db, limiter, migrate
    from app.i18n import select_locale
    from app.logs import init_app as init_logs
    from app.web import register_web

    install_sqlite_pragmas()
    init_logs(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path) / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_setup.init_app(app)
    register_error_handlers(app)
    register_web(app)
    register_cli(app)
    if app.config["SHARED_ANSWERS"]:
        from app.portal import shared_answers

        shared_answers.install(app)
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app


#: Where a development installation without secrets in instance/config.py keeps its own.
DEVELOPMENT_SECRETS_FILE = "development-secrets.json"


def _development_secrets(instance: Path, keys: list[str]) -> dict[str, str]:
    """Secrets of a development installation, made once and kept in the instance folder."""
    path = instance / DEVELOPMENT_SECRETS_FILE
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = {}
    if not isinstance(stored, dict):
        stored = {}
    wanted = {k: stored[k] for k in keys if isinstance(stored.get(k), str) and stored[k]}
    if len(wanted) < len(keys):
        for key in keys:
            wanted.setdefault(key, secrets.token_urlsafe(48))
        try:
            instance.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({**stored, **wanted}, fh)
            os.replace(tmp, path)
        except OSError as exc:
            raise ConfigurationError(
                f"SECRET_KEY and INVITATION_PEPPER are not set and {path} cannot be written "
                f"({exc.strerror}); set them in instance/config.py"
            ) from exc
    return wanted


def _exit_on_the_command_line(exc: ConfigurationError) -> None:
    """On the command line, a configuration error is one line and exit status 2."""
    import click

    if click.get_current_context(silent=True) is not None:
        click.secho(f"Configuration error: {exc}", fg="red", err=True)
        sys.exit(2)


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
            f"ENVIRONMENT must be development, testing or production, not {env!r}: set "
            "FLASK_ENVIRONMENT, or ENVIRONMENT in instance/config.py"
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
        if missing:
            # One local secret for every process (the server, each command), kept in the
            # instance folder: a link printed by seed-demo must work in the server too.
            cfg.update(_development_secrets(Path(app.instance_path), missing))
    elif missing:
        names = ", ".join(missing)
        raise ConfigurationError(
            f"{names} must be set outside development: set FLASK_{missing[0]} in the "
            f"environment or {missing[0]} in instance/config.py"
        )

    from app.auth.login import check_config as check_sign_in_config

    check_sign_in_config(cfg)

    hops = cfg.get("TRUSTED_PROXIES", 0)
    if isinstance(hops, bool) or not isinstance(hops, int) or not 0 <= hops <= 5:
        raise ConfigurationError(
            f"TRUSTED_PROXIES must be the number of reverse proxies in front of the app "
            f"(0 to 5), not {hops!r}: set FLASK_TRUSTED_PROXIES, or TRUSTED_PROXIES in "
            "instance/config.py"
        )

    if env == "production":
        if app.debug:
            raise ConfigurationError(
                "debug mode is refused in production: unset FLASK_DEBUG (or DEBUG in "
                "instance/config.py), or set FLASK_ENVIRONMENT=development on your own machine"
            )
        if cfg["RATELIMIT_STORAGE_URI"].startswith("memory://"):
            raise ConfigurationError(
                "RATELIMIT_STORAGE_URI=memory:// counts per process, which production refuses: "
                "set FLASK_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379 (or "
                "RATELIMIT_STORAGE_URI in instance/config.py); for a local installation set "
                'ENVIRONMENT = "development" in instance/config.py'
            )
        if cfg.get("PASSWORD_HASHING", "standard") != "standard":
            raise ConfigurationError(
                "PASSWORD_HASHING must be standard in production (the fast profile is for "
                "tests only): remove the setting"
            )
        cfg["SESSION_COOKIE_NAME"] = "__Host-session"
        cfg["SESSION_COOKIE_SECURE"] = True
        cfg.setdefault("PREFERRED_URL_SCHEME", "https")
