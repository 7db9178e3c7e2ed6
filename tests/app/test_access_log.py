"""S7 (SECURITY.md 2.2, 2.3): logs hold no invitation token and no full client address.

A real gunicorn with the shipped ``gunicorn.conf.py`` serves a whole round over HTTP; then
its access and error logs, every page it served, the audit log and a database backup are
searched for the raw tokens and the client addresses. The development server's request
lines go through the same scrubbing.
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import runpy
import secrets
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import date, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config as GunicornConfig
from gunicorn.glogging import SafeAtoms
from sqlalchemy import select
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.consultations import services
from app.consultations.models import StakeholderGroup
from app.extensions import db
from app.gunicorn_logger import PrivacyLogger
from app.logs import ScrubFilter, scrub, truncate_address
from app.panels.models import Panellist
from app.panels.tokens import issue_invitation, new_token
from tests.app.factories import PASSWORD, build_study, free_port, make_council, make_staff
from tests.app.test_answering import SURVEY, full_answers, posted
from tests.conftest import ROOT

CONFIG_FILE = ROOT / "gunicorn.conf.py"
SPOOFED = "198.51.100.77"
#: Seconds gunicorn may take to answer its first request (two workers import the app).
START_TIMEOUT = 45
#: A client address in full: not the host of a URL (``Listening at: http://127.0.0.1:...``
#: names the server's own address).
FULL_LOOPBACK = re.compile(r"(?<!://)(?<![\d.])127\.0\.0\.1(?![\d])")


# ----------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("address", "logged"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("127.0.0.1", "127.0.0.0"),
        ("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::"),
        ("::1", "::"),
        ("::ffff:198.51.100.77", "198.51.100.0"),  # IPv4-mapped: cut as IPv4
        ("fe80::1%eth0", "fe80::"),
        ("", "-"),
        (None, "-"),
        ("198.51.100.77, 10.0.0.1", "-"),  # a header's list is not one address
        ("unix:/run/skillsdelphi.sock", "-"),
    ],
)
def test_s7_client_addresses_are_cut_to_their_network(address, logged):
    assert truncate_address(address) == logged


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        (
            '198.51.100.77 - - [02/Mar/2026 09:00:00] "GET /i?t=AbC-_9 HTTP/1.1" 303 -',
            '198.51.100.0 - - [02/Mar/2026 09:00:00] "GET /i HTTP/1.1" 303 -',
        ),
        ("Error handling request GET /i?t=AbC-_9", "Error handling request GET /i"),
        ("Invalid request from ip=198.51.100.77: bad", "Invalid request from ip=198.51.100.0: bad"),
        ("link https://delphi.example/i?t=AbC#x sent", "link https://delphi.example/i#x sent"),
        ("from 2001:db8:1:2::5 at 09:30:00", "from 2001:db8:1:: at 09:30:00"),
        ("peer 10.1.2.3:50412.", "peer 10.1.2.0:50412."),
        # a server's own address, as the host of a URL, is kept
        ("Listening at: http://127.0.0.1:8000 (42)", "Listening at: http://127.0.0.1:8000 (42)"),
        (" * Running on http://[::1]:5000", " * Running on http://[::1]:5000"),
    ],
)
def test_s7_scrub_drops_query_strings_and_cuts_addresses(text, scrubbed):
    assert scrub(text) == scrubbed


def test_s7_development_server_record_loses_token_and_address(app, caplog):
    """A record as werkzeug writes it (address, date, styled request line as an argument)
    reaches the handlers without query string or full address."""
    token = new_token()
    logger = logging.getLogger("werkzeug")
    assert any(isinstance(f, ScrubFilter) for f in logger.filters)  # create_app installed it
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logger.info(
            '198.51.100.77 - - [02/Mar/2026 09:00:00] "%s" %s %s',
            f"\x1b[32mGET /i?t={token} HTTP/1.1\x1b[0m",
            303,
            "-",
        )
    (record,) = [r for r in caplog.records if r.name == "werkzeug"]
    message = record.getMessage()
    assert token not in message and "?t=" not in message and SPOOFED not in message
    assert message.startswith("198.51.100.0 - - [") and "GET /i HTTP/1.1" in message


def test_s7_limiter_messages_are_scrubbed(app, caplog):
    """Flask-Limiter names the client address when a limit is exceeded."""
    with caplog.at_level(logging.INFO, logger="flask-limiter"):
        logging.getLogger("flask-limiter").info(
            "ratelimit %s (%s) exceeded at endpoint: %s", "20 per 10 minutes", SPOOFED, "x"
        )
    assert SPOOFED not in caplog.text and "198.51.100.0" in caplog.text


# ----------------------------------------------------------------------------- flask run


@pytest.mark.commits  # the server answers from threads of its own
def test_s7_development_server_logs_no_token(app, caplog):
    """S7: werkzeug's server (what ``flask run`` uses) gets ``/i?t=...``; its request line
    is logged with the path only and the client's network."""
    study = build_study(app, panellists=[{}])
    with app.app_context():
        _, token = issue_invitation(db.session.get(Panellist, study.panellists[0]), by="test")
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        thread.start()
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        try:
            conn.request("GET", f"/i?t={token}", headers={"X-Forwarded-For": SPOOFED})
            response = conn.getresponse()
            response.read()
        finally:
            conn.close()
            server.shutdown()
            thread.join(5)
            server.server_close()
    assert response.status == 303
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    (line,) = [m for m in lines if "GET /i" in m]
    assert token not in caplog.text and "?t=" not in caplog.text and SPOOFED not in caplog.text
    assert line.startswith("127.0.0.0 - - [") and "GET /i HTTP/1.1" in line
    assert not FULL_LOOPBACK.search(caplog.text)


# ----------------------------------------------------------------------------- gunicorn


@pytest.fixture
def shipped_logger(tmp_path):
    """Gunicorn's logger as the shipped configuration makes it, access log in tmp_path.

    Gunicorn's loggers are global: their handlers and filters are removed afterwards."""
    settings = runpy.run_path(str(CONFIG_FILE))
    cfg = GunicornConfig()
    for name in ("access_log_format", "logger_class"):
        cfg.set(name, settings[name])
    access = tmp_path / "access.log"
    cfg.set("accesslog", str(access))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    assert cfg.logger_class is PrivacyLogger
    logger = PrivacyLogger(cfg)
    yield logger, access
    for log in (logger.error_log, logger.access_log):
        for handler in list(log.handlers):
            log.removeHandler(handler)
            handler.close()
        for f in list(log.filters):
            log.removeFilter(f)


def _fake_request(token: str):
    resp = SimpleNamespace(
        status="303 SEE OTHER",
        sent=189,
        headers=[
            ("Location", f"/r?t={token}"),
            ("Set-Cookie", "session=secret-cookie; HttpOnly; Path=/"),
            ("X-Request-Id", "0123456789abcdef"),
        ],
    )
    req = SimpleNamespace(
        headers=[
            ("REFERER", f"http://delphi.example/i?t={token}"),
            ("COOKIE", "session=secret-cookie"),
            ("X-FORWARDED-FOR", SPOOFED),
            ("USER-AGENT", "Mozilla/5.0"),
        ]
    )
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/i?t={token}",
        "PATH_INFO": "/i",
        "QUERY_STRING": f"t={token}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        # what a proxy fix leaves after taking the client from X-Forwarded-For
        "REMOTE_ADDR": SPOOFED,
        "HTTP_REFERER": f"http://delphi.example/i?t={token}",
        "HTTP_COOKIE": "session=secret-cookie",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    return resp, req, environ


def test_s7_shipped_access_log_format_holds_path_and_network_only(shipped_logger):
    settings = runpy.run_path(str(CONFIG_FILE))
    fmt = settings["access_log_format"]
    for leaky in ("%(r)s", "%(q)s", "%(f)s", "{referer}i", "{cookie}i", "e)s"):
        assert leaky not in fmt
    assert "%(U)s" in fmt and "%(h)s" in fmt

    token = new_token()
    logger, access = shipped_logger
    logger.access(*_fake_request(token), timedelta(milliseconds=4, microseconds=300))
    line = access.read_text()
    assert re.fullmatch(
        r'198\.51\.100\.0 \[[^\]]+\] "GET /i HTTP/1\.1" 303 189 4ms id=0123456789abcdef\n', line
    ), line


def test_s7_any_access_log_format_is_made_safe(shipped_logger):
    """Even a format asking for the request line, query, Referer, cookies, environment and
    forwarded headers logs neither the token nor the full address nor the cookie."""
    token = new_token()
    logger, _ = shipped_logger
    atoms = SafeAtoms(logger.atoms(*_fake_request(token), timedelta(milliseconds=4)))
    greedy = (
        "%(h)s %(r)s %(q)s %(f)s %({referer}i)s %({cookie}i)s %({x-forwarded-for}i)s "
        "%({raw_uri}e)s %({query_string}e)s %({remote_addr}e)s %({http_cookie}e)s "
        "%({set-cookie}o)s %({location}o)s %(a)s"
    )
    line = greedy % atoms
    assert token not in line and SPOOFED not in line and "secret-cookie" not in line
    assert line.startswith("198.51.100.0 GET /i HTTP/1.1 - - ")
    assert line.endswith(" /r Mozilla/5.0")


# ----------------------------------------------------------------------------- a full round


class Browser:
    """A client over http.client that keeps its cookies and never follows redirects."""

    def __init__(self, port: int, served: list[str]) -> None:
        self.port, self.served, self.cookies = port, served, {}

    def request(self, method, path, form=None, headers=None, timeout=30.0):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        sent = {"X-Forwarded-For": SPOOFED, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        self.served.append(f"{response.status} {response.headers}\n{text}")
        return response.status, response.headers, text

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, form, **kw):
        return self.request("POST", path, form=form, **kw)


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


@pytest.fixture
def prepared_round(make_app, tmp_path, database_url):
    """A consultation with round 1 in draft, 5 panellists with fresh links, a secretariat."""
    keys = tmp_path / "keys"
    app = make_app(STUDY_KEY_DIR=str(keys))
    with app.app_context():
        council = make_council("Construction council")
        sec = make_staff(Role.secretariat, [council], email="sec@example.org")
        consultation = services.create_consultation(council, SURVEY, title="Logs", by=sec)
        tokens = []
        revoked = None
        for i in range(5):
            person = Panellist(
                consultation=consultation,
                name=f"Panellist {i}",
                email=f"person{i}@example.org",
                organisation="Org",
                stakeholder_group=StakeholderGroup.employers,
                language="en",
            )
            db.session.add(person)
            db.session.flush()
            if i == 0:  # re-issued: the first link is revoked
                revoked = issue_invitation(person, by=sec)[1]
            tokens.append(issue_invitation(person, by=sec)[1])
        db.session.commit()
        cid = consultation.id
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "GUNICORN_"))}
    env.update(
        {
            "FLASK_ENVIRONMENT": "testing",
            "FLASK_SECRET_KEY": "test-secret-key",
            "FLASK_INVITATION_PEPPER": "test-pepper",
            "FLASK_BASE_URL": "http://skillsdelphi.test",
            "FLASK_STUDY_KEY_DIR": str(keys),
            "DATABASE_URL": database_url,
        }
    )
    return SimpleNamespace(
        app=app, cid=cid, tokens=tokens, revoked=revoked, env=env, database_url=database_url
    )


@pytest.fixture
def gunicorn(prepared_round, tmp_path):
    """The shipped configuration, 2 workers, logs in tmp_path; stopped after the test."""
    port = free_port()
    logs = SimpleNamespace(access=tmp_path / "access.log", error=tmp_path / "error.log")
    env = {
        **prepared_round.env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_ACCESS_LOG": str(logs.access),
        "GUNICORN_ERROR_LOG": str(logs.error),
        # gunicorn >= 25 opens a control socket there; the default in $HOME is shared
        "XDG_RUNTIME_DIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "gunicorn", "-c", str(CONFIG_FILE), "app:create_app()"]
    proc = subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    served: list[str] = []
    try:
        _wait_until_serving(proc, port, logs.error)
        yield SimpleNamespace(port=port, logs=logs, served=served, stop=lambda: _stop(proc))
    finally:
        _stop(proc)


def _wait_until_serving(proc, port, error_log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read().decode("utf-8", "replace")
            log = error_log.read_text() if error_log.exists() else ""
            pytest.fail(f"gunicorn exited with {proc.returncode}:\n{output}\n{log}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    log = error_log.read_text() if error_log.exists() else ""
    pytest.fail(f"gunicorn did not answer within {START_TIMEOUT} s:\n{log}")


def _stop(proc) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout and not proc.stdout.closed:
        proc.stdout.close()


def _run_round(world, server) -> None:
    base = f"/staff/consultations/{world.cid}"
    staff = Browser(server.port, server.served)
    _, _, page = staff.get("/login")
    status, _, _ = staff.post(
        "/login",
        {"email": "sec@example.org", "password": PASSWORD, "csrf_token": _csrf(page)},
    )
    assert status == 303
    _, _, page = staff.get(base)
    deadline = (date.today() + timedelta(days=14)).isoformat()
    status, _, _ = staff.post(
        f"{base}/rounds/1/open", {"deadline": deadline, "csrf_token": _csrf(page)}
    )
    assert status == 303

    for token in world.tokens:
        panellist = Browser(server.port, server.served)
        status, headers, _ = panellist.get(f"/i?t={token}")
        assert status == 303 and headers["Location"] == "/r"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"
        # a browser that ignored no-referrer would send the personal link as Referer
        leaky = {"Referer": f"http://127.0.0.1:{server.port}/i?t={token}"}
        status, _, page = panellist.get("/r", headers=leaky)
        assert status == 200, page[:1000]
        status, _, _ = panellist.post("/r", posted(page, **full_answers(action="draft")))
        assert status == 303
        status, _, page = panellist.get("/r")
        assert status == 200
        status, headers, _ = panellist.post("/r", posted(page, **full_answers(action="submit")))
        assert status == 303 and headers["Location"].endswith("/r/submitted")
        status, _, page = panellist.get("/r/submitted")
        assert status == 200, page[:1000]

    stranger = Browser(server.port, server.served)
    for token in (world.revoked, new_token(), secrets.token_urlsafe(8)):
        assert stranger.get(f"/i?t={token}")[0] == 404

    _, _, page = staff.get(base)
    assert staff.post(f"{base}/rounds/1/close", {"csrf_token": _csrf(page)})[0] == 303
    status, _, page = staff.get(f"{base}/rounds/1/results")
    assert status == 200, page[:1000]


def _database_text(world, tmp_path: Path) -> str:
    """Every row, the audit log, and the text of a ``backup`` of the database."""
    app = world.app
    parts = []
    with app.app_context():
        events = db.session.scalars(select(AuditEvent)).all()
        assert len(events) >= 10  # issues, sign-in, open, close at least
        parts += [repr(e.__dict__) for e in events]
        for table in db.metadata.sorted_tables:
            parts += [repr(tuple(row)) for row in db.session.execute(select(table))]
        db.session.remove()
    target = tmp_path / "backup.db"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    url = make_url(world.database_url)
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(target) as conn:
            parts += list(conn.iterdump())
        conn.close()
        # the live files too, freed pages and write-ahead log included
        for suffix in ("", "-wal"):
            live = Path(url.database + suffix)
            if live.exists():
                parts.append(live.read_bytes().decode("latin-1"))
    else:
        restored = subprocess.run(  # noqa: S603
            ["pg_restore", "--file=-", str(target)],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        )
        parts.append(restored.stdout)
    return "\n".join(parts)


@pytest.mark.commits  # gunicorn serves the data from other processes
def test_s7_a_full_round_through_gunicorn_leaves_no_token_or_address(
    prepared_round, gunicorn, tmp_path
):
    """S7: staff sign-in, 5 panellists through their links, drafts, submissions, close,
    results; a spoofed X-Forwarded-For and a leaky Referer on every request. Neither logs,
    pages, audit log nor backup hold a raw token; logs hold no full client address."""
    _run_round(prepared_round, gunicorn)
    gunicorn.stop()  # flushes and closes the log files

    access = gunicorn.logs.access.read_text()
    error = gunicorn.logs.error.read_text()
    pages = "\n".join(gunicorn.served)
    database = _database_text(prepared_round, tmp_path)
    tokens = [*prepared_round.tokens, prepared_round.revoked]
    for name, text in (("access log", access), ("error log", error)):
        for token in tokens:
            assert token not in text, f"a raw token in the {name}"
        assert SPOOFED not in text, f"{SPOOFED} in the {name}"
        assert not FULL_LOOPBACK.search(text), f"127.0.0.1 in the {name}:\n{text}"
        assert "?t=" not in text
    for name, text in (("pages", pages), ("database", database)):
        hits = [t for t in tokens if t in text]
        assert hits == [], f"{len(hits)} raw tokens in the {name}"

    lines = access.splitlines()
    redeemed = [line for line in lines if '"GET /i HTTP/1.1" 303 ' in line]
    assert len(redeemed) == len(prepared_round.tokens)
    assert len([line for line in lines if '"GET /i HTTP/1.1" 404 ' in line]) == 3
    assert all(line.startswith("127.0.0.0 ") for line in lines)
    assert all(re.search(r" \d+ms id=[0-9a-f]{32}$", line) for line in lines), lines[:3]
    assert "Listening at: http://127.0.0.1:" in error  # the server's own address stays
