import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.audit.models import AuditEvent
from app.classifications.models import OccupationGroup, Sector
from app.extensions import db
from tests.conftest import base_config, shared_file


@pytest.fixture
def fresh_database_url(database_url, tmp_path):
    """An empty database of the kind under test (SQLite file, or a new PostgreSQL database)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"fresh_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def fresh_app(fresh_database_url):
    app = create_app(base_config(fresh_database_url))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_init_db_applies_migrations_that_match_the_models(fresh_app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    result = fresh_app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "21 built-in sectors added" in result.output
    with fresh_app.app_context():
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        sections = db.session.scalars(select(Sector.code).where(Sector.level == 1)).all()
        assert sorted(sections) == [chr(c) for c in range(ord("A"), ord("U") + 1)]
    again = fresh_app.test_cli_runner().invoke(args=["init-db"])
    assert again.exit_code == 0 and "0 built-in sectors added" in again.output


def test_audit_log_is_append_only_in_the_migrated_schema(fresh_app):
    from app.audit.services import record

    assert fresh_app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    with fresh_app.app_context():
        record("test", actor="system")
        db.session.commit()
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text("UPDATE audit_event SET action = 'edited'"))
            db.session.flush()
        db.session.rollback()
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text("DELETE FROM audit_event"))
        db.session.rollback()


def test_audit_verify_detects_an_edited_event(app, runner, make_user):
    make_user("admin")
    make_user("official")
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "intact: 2 events" in ok.output
    with app.app_context():
        first = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).first()
        first.details = {"role": "publisher"}
        first_id = first.id
        db.session.commit()
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert f"broken at event {first_id}" in broken.output


def test_import_the_full_eurostat_nace_file(app, runner):
    path = shared_file("classifications", "nace_rev2_ramon_full_noheader.csv")
    result = runner.invoke(args=["import-classification", "nace", str(path)])
    assert result.exit_code == 0, result.output
    assert "21 sections, 88 divisions, 272 groups, 615 classes" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Sector)) == 996
        bricklaying = db.session.scalars(select(Sector).where(Sector.code == "43.99")).one()
        assert bricklaying.level == 4 and bricklaying.parent_code == "43.9"
    # importing again updates, never duplicates
    again = runner.invoke(args=["import-classification", "nace", str(path)])
    assert "0 added, 996 updated" in again.output


def test_import_keeps_the_builtin_translations_of_sections(app, runner):
    from app.classifications.services import ensure_builtin_sectors

    with app.app_context():
        ensure_builtin_sectors()
        db.session.commit()
    path = shared_file("classifications", "nace_rev2_ramon_full_noheader.csv")
    assert runner.invoke(args=["import-classification", "nace", str(path)]).exit_code == 0
    with app.app_context():
        f = db.session.scalars(select(Sector).where(Sector.code == "F")).one()
        assert f.label_for("de") == "Baugewerbe/Bau"


def test_a_malformed_nace_file_imports_nothing_and_says_why(app, runner, tmp_path):
    path = shared_file("classifications", "nace_rev2_ramon_full_noheader.csv")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    broken = tmp_path / "nace_broken.csv"
    # one good record, then a class whose parent does not exist
    broken.write_text(
        lines[0] + '"999999","4","99.99","99.9","Made-up class",,,,,"9999"\n', encoding="utf-8"
    )
    result = runner.invoke(args=["import-classification", "nace", str(broken)])
    assert result.exit_code == 2
    assert "nothing was imported" in result.output
    assert "row 2" in result.output and "99.9" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Sector)) == 0


def test_import_isco_groups_from_the_esco_file(app, runner):
    path = shared_file("classifications", "esco_v1.0_ISCOGroups_en.csv")
    result = runner.invoke(args=["import-classification", "isco", str(path)])
    assert result.exit_code == 0, result.output
    assert "10 major, 43 sub-major, 130 minor, 436 unit groups" in result.output
    with app.app_context():
        electricians = db.session.scalars(
            select(OccupationGroup).where(OccupationGroup.code == "7411")
        ).one()
        assert electricians.uri == "http://data.europa.eu/esco/isco/C7411"


def test_import_of_a_missing_file_is_a_clear_error(runner):
    result = runner.invoke(args=["import-classification", "nace", "/no/such/file.csv"])
    assert result.exit_code == 2
    assert "no such file" in result.output


@pytest.mark.commits  # the backup copies what is committed in the file
def test_backup_of_the_embedded_database(make_app, tmp_path, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite backup path; PostgreSQL backups use pg_dump")
    app = make_app()
    runner = app.test_cli_runner()
    with app.app_context():
        from app.classifications.services import ensure_builtin_sectors

        ensure_builtin_sectors()
        db.session.commit()
    target = tmp_path / "backup.db"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM sector").fetchone()[0] == 21
    finally:
        copy.close()
    refused = runner.invoke(args=["backup", str(target)])
    assert refused.exit_code == 2 and "exists already" in refused.output


PASSWORD = "violet kettle on the harbour wall"
NACE_ROW = '"1","1","A",,"AGRICULTURE, FORESTRY AND FISHING",,,,,"A"\n'


@pytest.mark.parametrize(
    "address",
    [
        "maria@council",
        "maria@@council.eu",
        "maria council@council.eu",
        "maria@council..eu",
        ".maria@council.eu",
        "maria@localhost",
        "maria@council.test",
        "maria@-council.eu",
    ],
)
def test_create_user_refuses_an_address_the_sign_in_form_refuses(app, runner, address):
    from app.auth.models import User

    result = runner.invoke(
        args=["create-user", address, "--role", "official", "--password", PASSWORD]
    )
    assert result.exit_code == 2, result.output
    assert "email:" in result.output and repr(address.lower()) in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []
    signed_in = app.test_client().post("/login", data={"email": address, "password": PASSWORD})
    assert signed_in.status_code == 422  # the sign-in form refuses it too


@pytest.mark.parametrize(
    "address", ["Maria@Council.eu", "jürgen@bau.de", "o'brien+staff@sub.council.ie"]
)
def test_an_address_create_user_accepts_can_sign_in(app, runner, address):
    result = runner.invoke(
        args=["create-user", address, "--role", "official", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    signed_in = app.test_client().post("/login", data={"email": address, "password": PASSWORD})
    assert signed_in.status_code == 303


@pytest.mark.parametrize(
    ("name", "message"),
    [("Maria\nSchmidt", "name: must be a single line"), ("M" * 201, "name: at most 200")],
)
def test_create_user_refuses_a_bad_display_name(app, runner, name, message):
    result = runner.invoke(
        args=[
            "create-user",
            "maria@council.eu",
            "--role",
            "official",
            "--name",
            name,
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 2 and message in result.output


def _sqlite_app(make_app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite backup path; PostgreSQL backups use pg_dump")
    return make_app()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("/proc/skillsdelphi-backup.db", "no file can be created in /proc"),
        ("{tmp}/missing/backup.db", "the folder {tmp}/missing does not exist"),
        ("{tmp}/missing/deeper/backup.db", "the folder {tmp}/missing/deeper does not exist"),
    ],
)
def test_backup_to_an_unwritable_path_is_a_clear_error(
    make_app, database_url, tmp_path, target, message
):
    app = _sqlite_app(make_app, database_url)
    target = target.format(tmp=tmp_path)
    result = app.test_cli_runner().invoke(args=["backup", target])
    assert result.exit_code == 2, result.output
    assert f"cannot write the backup to {target}" in result.output
    assert message.format(tmp=tmp_path) in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, sqlite3.Error)
    assert sorted(p.name for p in tmp_path.rglob("*")) == []
    assert not list(Path("/proc").glob(".skillsdelphi-backup*"))


@pytest.mark.parametrize("target", ["", "   "])
def test_backup_to_an_empty_path_is_a_clear_error(make_app, database_url, target):
    app = _sqlite_app(make_app, database_url)
    result = app.test_cli_runner().invoke(args=["backup", target])
    assert result.exit_code == 2 and "PATH is empty" in result.output


def test_a_backup_that_fails_midway_leaves_no_file(make_app, database_url, tmp_path, monkeypatch):
    import app.backups.copies as copies

    app = _sqlite_app(make_app, database_url)
    real_connect = sqlite3.connect

    class FullDisk:
        """A source connection whose copy fails after writing part of the file."""

        def __init__(self, conn):
            self.conn = conn

        def backup(self, dest):
            dest.execute("CREATE TABLE half (x)")
            dest.commit()
            raise sqlite3.OperationalError("database or disk is full")

        def close(self):
            self.conn.close()

    def connect(database, *args, **kwargs):
        conn = real_connect(database, *args, **kwargs)
        return FullDisk(conn) if kwargs.get("uri") else conn

    monkeypatch.setattr(copies.sqlite3, "connect", connect)
    target = tmp_path / "backup.db"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 1, result.output
    assert f"the backup to {target} failed: database or disk is full" in result.output
    assert list(tmp_path.iterdir()) == []


def test_backup_of_a_database_file_that_does_not_exist_creates_nothing(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'nowhere.db'}")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup.db")])
    assert result.exit_code == 1
    assert "does not exist; check DATABASE_URL" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["create-user", "maria@council.eu", "--role", "official", "--password", PASSWORD],
        ["audit", "verify"],
        ["seed-demo"],
        ["import-classification", "nace", "{nace}"],
        ["send-reminders"],
    ],
    ids=lambda args: args[0],
)
def test_commands_on_a_database_without_tables_say_to_run_init_db(fresh_app, tmp_path, args):
    nace = tmp_path / "nace.csv"
    nace.write_text(NACE_ROW, encoding="utf-8")
    args = [arg.format(nace=nace) for arg in args]
    result = fresh_app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2, result.output
    assert "has no tables yet; run `flask --app app init-db` first" in result.output
    assert isinstance(result.exception, SystemExit)


def test_a_database_that_cannot_be_reached_is_a_message(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "cannot use the database postgresql+psycopg://nobody:***@127.0.0.1:1/none" in (
        result.output
    )
    assert "secret" not in result.output and isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (NACE_ROW.replace("FORESTRY", "FOREST\x00RY"), "contains a control character (U+0000)"),
        (NACE_ROW.replace("AGRICULTURE", "A" * 500), "longer than 400 characters"),
    ],
    ids=["nul", "long-title"],
)
def test_import_refuses_what_the_database_cannot_store(app, runner, tmp_path, content, message):
    path = tmp_path / "nace.csv"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(args=["import-classification", "nace", str(path)])
    assert result.exit_code == 2, result.output
    assert "row 1, column `Description`" in result.output and message in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Sector)) == 0


def test_import_of_something_that_is_not_a_regular_file(runner):
    result = runner.invoke(args=["import-classification", "nace", "/dev/null"])
    assert result.exit_code == 2 and "/dev/null: not a regular file" in result.output


def test_import_of_a_huge_file_is_refused_before_reading(runner, tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.truncate(3 * 1024**3)
    result = runner.invoke(args=["import-classification", "isco", str(path)])
    assert result.exit_code == 2 and "larger than 50 MiB" in result.output


def test_seed_demo_with_a_study_key_folder_that_cannot_be_written(make_app, tmp_path):
    from app.councils.models import Council

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the key folder should be")
    app = make_app(STUDY_KEY_DIR=str(blocker / "keys"))
    with app.app_context():
        from app.classifications.services import ensure_builtin_sectors

        ensure_builtin_sectors()
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1, result.output
    assert str(blocker / "keys") in result.output
    assert "nothing was stored in the database" in result.output
    assert isinstance(result.exception, SystemExit)
    with app.app_context():
        assert db.session.scalars(select(Council)).all() == []


def test_create_user_with_a_council_named_twice(app, runner):
    from app.auth.models import User
    from app.councils.models import Council

    with app.app_context():
        from app.classifications.services import ensure_builtin_sectors

        ensure_builtin_sectors()
        sector = db.session.scalars(select(Sector).where(Sector.code == "F")).one()
        db.session.add(Council(name="Building council", sector=sector, geography="EU"))
        db.session.commit()
    args = ["create-user", "maria@council.eu", "--role", "secretariat", "--password", PASSWORD]
    result = runner.invoke(args=args + ["--council", "Building council"] * 2)
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert [c.name for c in user.councils] == ["Building council"]


def test_init_db_where_the_database_folder_cannot_be_created(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI="sqlite:////proc/skillsdelphi/app.db")
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 2
    assert "cannot create the database folder /proc/skillsdelphi" in result.output
    assert isinstance(result.exception, SystemExit)


def test_seed_demo_is_refused_in_production(make_app):
    """The demo accounts' passwords are in the README: they must not exist on a server."""
    from sqlalchemy import select

    from app.auth.models import User

    app = make_app(
        ENVIRONMENT="production",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379",
        PASSWORD_HASHING="standard",
    )
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 2
    assert "refused in production" in result.output and "create-user" in result.output
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []
