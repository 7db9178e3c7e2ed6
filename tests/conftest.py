"""Shared fixtures: an app per test on a schema made once per run.

The database is SQLite in a temporary folder, or the server named by ``TEST_DATABASE_URL``
(e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``), which CI sets for the second run.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, Integer, text

from app import create_app
from app.councils.models import Council
from app.demo.seed import seed_demo
from app.extensions import db
from tests.app.factories import PASSWORD, make_staff

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_file(*parts: str) -> Path:
    """A file of ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data {path} is not available (../shared is not checked out)")
    return path


def _compile_translations() -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "app" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh)
        with mo.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=True)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
    if worker_id == "master":
        return url
    return _worker_database(url, worker_id)


def _worker_database(url: str, worker_id: str) -> str:
    """One PostgreSQL database per pytest-xdist worker (``test_gw0``, ``test_gw1``...), made
    on the same server, so that ``pytest -n 2`` runs on PostgreSQL as it does on SQLite."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"{parsed.database}_{worker_id}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def base_config(database_url: str, **overrides) -> dict:
    config = {
        "ENVIRONMENT": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "INVITATION_PEPPER": "test-pepper",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "BASE_URL": "http://skillsdelphi.test",
        "SERVER_NAME": None,
        # argon2id with minimal cost: thousands of accounts are made; the standard
        # parameters are checked where they matter (tests/app/test_auth.py)
        "PASSWORD_HASHING": "fast",
        # a publication made by a test shows on the very next request
        "SHARED_ANSWERS_RECHECK": 0,
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def _schema(database_url):
    _compile_translations()
    app = create_app(base_config(database_url))
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.drop_all()
        db.create_all()
    yield
    with app.app_context():
        db.engine.dispose()


def _empty_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t}"' for t in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())
        db.engine.dispose()


@dataclass
class _Outer:
    """The transaction a test's app runs in; rolled back when the test ends."""

    app: object
    engine: Engine
    connection: Connection
    transaction: object


@pytest.fixture
def make_app(_schema, database_url, tmp_path, request):
    """Build apps with config overrides.

    By default the test's app works inside one outer transaction that is rolled back when
    the test ends: the app's commits only end savepoints, so nothing needs emptying. A test
    that needs real commits (threads, subprocesses, a second app or connection) is marked
    ``@pytest.mark.commits``; every table is emptied after it.

    Study keys and kept uploads go to the test's temporary folder unless overridden."""
    commits = request.node.get_closest_marker("commits") is not None
    made: list = []
    outer: list[_Outer] = []

    def factory(**overrides):
        overrides.setdefault("STUDY_KEY_DIR", str(tmp_path / "study-keys"))
        overrides.setdefault("PANEL_UPLOAD_DIR", str(tmp_path / "uploads"))
        app = create_app(base_config(database_url, **overrides))
        # only apps on the test database join its outer transaction (others, e.g. on a
        # server that is down or a database of their own, are left as they are)
        if not commits and app.config["SQLALCHEMY_DATABASE_URI"] == database_url:
            if outer:
                raise RuntimeError(
                    "a second app in one test sees none of the first one's uncommitted rows: "
                    "mark the test @pytest.mark.commits"
                )
            with app.app_context():
                engine = db.engine
                connection = engine.connect()
                transaction = connection.begin()
            db._app_engines[app][None] = connection  # the session joins it with savepoints
            outer.append(_Outer(app, engine, connection, transaction))
        made.append(app)
        return app

    factory.made = made
    if not commits:
        db.session.session_factory.configure(join_transaction_mode="create_savepoint")
    try:
        yield factory
    finally:
        leftover = 0
        for held in outer:
            with held.app.app_context():
                db.session.remove()
            held.transaction.rollback()
            held.connection.close()
            db._app_engines[held.app][None] = held.engine
            leftover = _leftover_rows(held.engine)
        if not commits:
            db.session.session_factory.kw.pop("join_transaction_mode", None)
        for app in made:
            with app.app_context():
                db.session.remove()
                for engine in db.engines.values():
                    engine.dispose()
        if commits and made:
            _empty_tables(create_app(base_config(database_url)))
        elif leftover:
            _empty_tables(create_app(base_config(database_url)))
            pytest.fail(
                "rows were committed outside the test's transaction (another connection, "
                "thread or process): mark the test @pytest.mark.commits"
            )


def _leftover_rows(engine: Engine) -> int:
    """Rows in any table, counted in one statement."""
    counts = " + ".join(
        f'(SELECT count(*) FROM "{table.name}")' for table in db.metadata.sorted_tables
    )
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT {counts}")).scalar_one()


@dataclass(frozen=True)
class _Snapshot:
    """Every table's rows, in insertion order, and the study-key files beside them."""

    rows: dict[str, list[dict]]
    keys: Path


@pytest.fixture(scope="session")
def _demo_snapshot(_schema, database_url, tmp_path_factory) -> _Snapshot:
    """``seed-demo`` run once per test run; tests get a copy (``make_demo_app``)."""
    keys = tmp_path_factory.mktemp("demo-study-keys")
    app = create_app(base_config(database_url, STUDY_KEY_DIR=str(keys)))
    with app.app_context():
        seed_demo()
        db.session.commit()
        rows = {
            table.name: [
                dict(row._mapping)
                for row in db.session.execute(table.select().order_by(*table.primary_key))
            ]
            for table in db.metadata.sorted_tables
        }
    _empty_tables(app)
    return _Snapshot(rows, keys)


def _restore(app, snapshot: _Snapshot) -> None:
    with app.app_context():
        bind = db.engine  # the test's outer transaction, or an engine when it commits
        joined = isinstance(bind, Connection)
        with bind.begin_nested() if joined else bind.begin() as transaction:
            conn = transaction.connection if joined else transaction
            for table in db.metadata.sorted_tables:
                if snapshot.rows[table.name]:
                    conn.execute(table.insert(), snapshot.rows[table.name])
            if conn.dialect.name == "postgresql":  # the next id after the copied ones
                for table in db.metadata.sorted_tables:
                    serial = "id" in table.c and isinstance(table.c.id.type, Integer)
                    if serial and snapshot.rows[table.name]:
                        conn.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', "
                                f"'id'), (SELECT max(id) FROM \"{table.name}\"))"
                            )
                        )
        if not joined:
            db.engine.dispose()


@pytest.fixture
def make_demo_app(make_app, _demo_snapshot, tmp_path):
    """Like ``make_app``, on a database holding the demonstration data (``seed-demo``),
    copied from the one seeded at the start of the run, with its study keys."""

    def factory(**overrides):
        keys = Path(overrides.setdefault("STUDY_KEY_DIR", str(tmp_path / "demo-study-keys")))
        shutil.copytree(_demo_snapshot.keys, keys, dirs_exist_ok=True)
        app = make_app(**overrides)
        _restore(app, _demo_snapshot)
        return app

    return factory


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(make_app):
    """Commit a staff user: ``make_user("secretariat", councils=[council_id])``; returns
    (user id, e-mail, password). The one staff factory is ``factories.make_staff``. The user
    goes to the test's app (made with default settings if the test has none yet)."""

    def factory(role="secretariat", *, email=None, password=None, councils=()):
        app = make_app.made[0] if make_app.made else make_app()
        with app.app_context():
            kwargs = {"email": email} if email else {}
            if password:
                kwargs["password"] = password
            user = make_staff(
                role,
                [
                    db.session.get(Council, c) if isinstance(c, int) else db.session.merge(c)
                    for c in councils
                ],
                **kwargs,
            )
            db.session.commit()
            return user.id, user.email, password or PASSWORD

    return factory
