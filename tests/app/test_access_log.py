"""S7 (SECURITY.md 2.2, 2.3): logs hold no invitation token and no full client address.

The development server's request lines and Flask-Limiter's messages are scrubbed.
"""

from __future__ import annotations

import http.client
import logging
import re
import threading

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from app.logs import ScrubFilter, scrub, truncate_address
from app.panels.models import Panellist
from app.panels.tokens import issue_invitation, new_token
from tests.app.factories import build_study

SPOOFED = "198.51.100.77"
#: A client address in full: not the host of a URL (``http://127.0.0.1:5000`` names the
#: server's own address).
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
