import pytest

from app import ConfigurationError, create_app


def test_instance_config_overrides_defaults(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        "SECRET_KEY = 'from-instance'\nINVITATION_PEPPER = 'p'\nBASE_URL = 'https://skills.example.eu'\n"
    )
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    made = create_app({"ENVIRONMENT": "testing"}, instance_path=str(instance))
    assert made.config["SECRET_KEY"] == "from-instance"
    assert made.config["BASE_URL"] == "https://skills.example.eu"
    # the embedded default database lives in the instance folder
    assert made.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance}/skillsdelphi.db"


def test_environment_variables_override_instance(monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", "from-env")
    monkeypatch.setenv("FLASK_INVITATION_PEPPER", "pepper-env")
    monkeypatch.setenv("DATABASE_URL", "postgres://someone@db.example/skills")
    made = create_app({"ENVIRONMENT": "testing"})
    assert made.config["SECRET_KEY"] == "from-env"
    assert (
        made.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://someone@db.example/skills"
    )


def test_test_config_wins_over_environment(monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", "from-env")
    made = create_app({"ENVIRONMENT": "testing", "SECRET_KEY": "x", "INVITATION_PEPPER": "y"})
    assert made.config["SECRET_KEY"] == "x"


def test_missing_secret_in_production_is_a_clear_startup_error(monkeypatch):
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY must be set outside development"):
        create_app({"ENVIRONMENT": "production", "SECRET_KEY": None, "INVITATION_PEPPER": "p"})


def test_production_refuses_per_process_rate_limit_storage():
    with pytest.raises(ConfigurationError, match="RATELIMIT_STORAGE_URI"):
        create_app({"ENVIRONMENT": "production", "SECRET_KEY": "s", "INVITATION_PEPPER": "p"})


def test_production_uses_host_prefixed_secure_cookies():
    made = create_app(
        {
            "ENVIRONMENT": "production",
            "SECRET_KEY": "s",
            "INVITATION_PEPPER": "p",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        }
    )
    assert made.config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert made.config["SESSION_COOKIE_SECURE"] is True


def test_development_processes_share_one_local_secret(tmp_path):
    """Without secrets in instance/config.py, a development installation keeps one pair in
    its instance folder (mode 0600), so a link printed by one command works in the server."""
    settings = {"ENVIRONMENT": "development", "SECRET_KEY": None, "INVITATION_PEPPER": None}
    first = create_app(settings, instance_path=str(tmp_path))
    second = create_app(settings, instance_path=str(tmp_path))
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["INVITATION_PEPPER"] == second.config["INVITATION_PEPPER"]
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    stored = tmp_path / "development-secrets.json"
    assert stored.stat().st_mode & 0o777 == 0o600


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigurationError, match="ENVIRONMENT"):
        create_app({"ENVIRONMENT": "staging", "SECRET_KEY": "s"})


def test_production_sqlite_connections_write_every_commit_to_disk(tmp_path):
    """SECURITY.md 2.4: WAL, synchronous=FULL (an acknowledged commit survives a power cut),
    foreign keys and the busy timeout, as read back from a production app's connection."""
    from app.extensions import db

    made = create_app(
        {
            "ENVIRONMENT": "production",
            "SECRET_KEY": "s",
            "INVITATION_PEPPER": "p",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'skillsdelphi.db'}",
        }
    )
    with made.app_context():
        with db.engine.connect() as conn:
            read = {
                pragma: conn.exec_driver_sql(f"PRAGMA {pragma}").scalar_one()
                for pragma in ("synchronous", "journal_mode", "foreign_keys", "busy_timeout")
            }
        db.engine.dispose()
    assert read == {
        "synchronous": 2,  # FULL
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 5000,
    }
