"""Throughput of the published brief pages and the API under gunicorn.

Run with: .venv/bin/python -m pytest -m benchmark tests/benchmarks/test_portal_benchmark.py -s
(add ``TEST_DATABASE_URL=postgresql+psycopg://...`` to measure on PostgreSQL as well: a
database of its own, named after that one with ``_portal_bench``, is made and dropped).

A database gets the demonstration data (``init-db``, ``seed-demo``: one brief published in
four languages, its first version superseded by a correction) and the application is served
by gunicorn with ``gunicorn.conf.py`` (4 workers, the access log written). The baseline,
served in the same run by a second gunicorn with the same settings, is a bare Flask app
whose routes return the very bytes the application answered, from memory. The load
generator is one asyncio client on loopback with a few concurrent connections (gunicorn's
sync workers close each connection after its answer, so each request connects anew, for
both servers alike). Figures: requests per second and p50/p95 latency of the brief page
(200), the brief page revalidated with ``If-None-Match`` (304) and ``/api/v1/briefs/{id}``.
Target: at least 0.8 of the bare route's throughput.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.benchmarks.report import process_tree_peak_mib, record

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PAGE = "/briefs/1/v/2"
OLD_PAGE = "/briefs/1/v/1"
API = "/api/v1/briefs/1"
CONNECTIONS = 8
SECONDS = 2.0
ROUNDS = 2
TARGET = 0.8
#: The ratio asserted: the target. Published pages and API documents are served again by
#: ``app.portal.shared_answers`` before the request pipeline (1.2 to 1.9 of the bare Flask
#: route on SQLite, 0.8 to 1.2 on PostgreSQL on the shared 2-core machine the README's
#: figures come from).
ASSERTED = TARGET

BARE_APP = """
import os
from flask import Flask, Response, request

app = Flask(__name__)
folder = os.environ["BARE_FOLDER"]
page = open(os.path.join(folder, "page.html"), "rb").read()
api = open(os.path.join(folder, "api.json"), "rb").read()
etag = open(os.path.join(folder, "etag"), encoding="utf-8").read()


@app.route("/page")
def page_route():
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304, headers={"ETag": etag})
    return Response(page, content_type="text/html; charset=utf-8", headers={"ETag": etag})


@app.route("/api")
def api_route():
    return Response(api, content_type="application/json")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(database_url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "GUNICORN_"))}
    env.update(
        DATABASE_URL=database_url,
        # development: seed-demo is refused in production, which also needs Redis for rate
        # limits; the served configuration is otherwise the default one (no debug)
        FLASK_ENVIRONMENT="development",
        FLASK_SECRET_KEY="portal-benchmark-secret-key-0123456789abcdef",
        FLASK_INVITATION_PEPPER="portal-benchmark-pepper-0123456789abcdef",
        FLASK_BRIEF_RENDERING="inline",
        WEB_CONCURRENCY="4",
        PYTHONPATH=str(ROOT),
    )
    env.pop("TEST_DATABASE_URL", None)
    instance.mkdir(parents=True, exist_ok=True)
    return env


def _flask(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # seed-demo renders the brief in four languages
    )
    assert done.returncode == 0, done.stderr[-2000:]


class Server:
    def __init__(self, env: dict[str, str], app: str, log: Path, chdir: Path = ROOT):
        self.port = _free_port()
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        env["GUNICORN_ACCESS_LOG"] = str(log)
        env["GUNICORN_ERROR_LOG"] = str(log.with_suffix(".err"))
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--chdir", str(chdir)]
            + [app],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.log = log
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, log.with_suffix(".err").read_text()[-2000:]
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError(f"gunicorn did not start: {app}")

    def get(self, path: str, headers: dict[str, str] | None = None):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


async def _load(port: int, raw: bytes, seconds: float) -> tuple[int, list[float], set[int]]:
    """Requests answered within ``seconds`` by CONNECTIONS concurrent clients, their
    latencies and the statuses seen."""
    latencies: list[float] = []
    statuses: set[int] = set()
    end = time.perf_counter() + seconds

    async def client() -> None:
        while time.perf_counter() < end:
            start = time.perf_counter()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            statuses.add(int(head[9:12]))
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            writer.close()

    await asyncio.gather(*(client() for _ in range(CONNECTIONS)))
    return len(latencies), latencies, statuses


def _request(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Accept-Language: en"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _measure(
    port: int, path: str, headers: dict[str, str], status: int
) -> tuple[float, list[float]]:
    raw = _request(path, headers)
    asyncio.run(_load(port, raw, 0.5))  # warm-up
    count, latencies, statuses = asyncio.run(_load(port, raw, SECONDS))
    assert statuses == {status}, (path, statuses)
    return count / SECONDS, latencies


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q * 100) - 1]


def _run(
    database_url: str, tmp: Path, label: str
) -> tuple[list[tuple[str, float, float, list, list]], float | None]:
    """The figures of each case, and the peak resident memory of the app's largest process."""
    instance = tmp / "instance"
    env = _env(database_url, instance)
    _flask(env, "init-db")
    _flask(env, "seed-demo")
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT number, render_status, render_note FROM brief_version ORDER BY number")
        ).all()
    engine.dispose()
    assert [r[1] for r in rows] == ["ready", "ready"], f"the demo brief is not rendered: {rows}"

    app = Server(env, "app:create_app()", tmp / f"{label}-app.log")
    bare = None
    try:
        status, headers, page = app.get(PAGE, {"Accept-Language": "en"})
        assert status == 200 and headers["Cache-Control"].startswith("public"), headers
        assert "Set-Cookie" not in headers
        etag = headers["ETag"]
        status, _headers, api = app.get(API)
        assert status == 200
        status, _headers, old = app.get(OLD_PAGE, {"Accept-Language": "en"})
        assert status == 200 and b"/briefs/1/v/2" in old  # the successor notice
        folder = tmp / "bare"
        folder.mkdir(exist_ok=True)
        (folder / "page.html").write_bytes(page)
        (folder / "api.json").write_bytes(api)
        (folder / "etag").write_text(etag, encoding="utf-8")
        (folder / "bare.py").write_text(textwrap.dedent(BARE_APP), encoding="utf-8")
        bare = Server(
            {**env, "BARE_FOLDER": str(folder)}, "bare:app", tmp / f"{label}-bare.log", folder
        )
        cases = [
            ("brief page 200", PAGE, "/page", {}, 200),
            ("brief page 304", PAGE, "/page", {"If-None-Match": etag}, 304),
            ("API detail", API, "/api", {}, 200),
        ]
        results = []
        for name, path, bare_path, headers, expected in cases:
            app_rps, bare_rps, app_lat, bare_lat = [], [], [], []
            for _round in range(ROUNDS):
                rps, lat = _measure(bare.port, bare_path, headers, expected)
                bare_rps.append(rps)
                bare_lat += lat
                rps, lat = _measure(app.port, path, headers, expected)
                app_rps.append(rps)
                app_lat += lat
            results.append(
                (name, statistics.mean(app_rps), statistics.mean(bare_rps), app_lat, bare_lat)
            )
        return results, process_tree_peak_mib(app.process.pid)
    finally:
        app.stop()
        if bare is not None:
            bare.stop()


def _table(label: str, results) -> None:
    print(f"\n{label}: {CONNECTIONS} connections, {ROUNDS} x {SECONDS:.0f} s per server and case")
    print(
        f"{'figure':<16} {'app rps':>8} {'bare rps':>9} {'ratio':>6} {'target':>6}"
        f" {'app p50/p95 ms':>15} {'bare p50/p95 ms':>16}"
    )
    for name, app_rps, bare_rps, app_lat, bare_lat in results:
        print(
            f"{name:<16} {app_rps:8.0f} {bare_rps:9.0f} {app_rps / bare_rps:6.2f} {TARGET:6.2f}"
            f" {_quantile(app_lat, 0.5) * 1e3:7.1f}/{_quantile(app_lat, 0.95) * 1e3:<7.1f}"
            f" {_quantile(bare_lat, 0.5) * 1e3:8.1f}/{_quantile(bare_lat, 0.95) * 1e3:<7.1f}"
        )


def _databases(tmp: Path):
    yield "SQLite", f"sqlite:///{tmp / 'sqlite' / 'portal.db'}", None
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        base = make_url(url)
        name = f"{base.database}_portal_bench"
        yield "PostgreSQL", base.set(database=name).render_as_string(hide_password=False), name


@pytest.mark.benchmark
def test_portal_throughput(tmp_path: Path) -> None:
    reached = []
    for label, url, created in _databases(tmp_path):
        folder = tmp_path / label.lower()
        folder.mkdir(exist_ok=True)
        admin = None
        if created:
            admin = create_engine(
                make_url(os.environ["TEST_DATABASE_URL"]).set(database="postgres"),
                isolation_level="AUTOCOMMIT",
            )
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{created}"'))
                connection.execute(text(f'CREATE DATABASE "{created}"'))
        try:
            results, peak = _run(url, folder, label.lower())
        finally:
            if admin is not None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)'))
                admin.dispose()
        _table(label, results)
        reached += [(label, name, a / b) for name, a, b, _l, _m in results]
        for name, app_rps, bare_rps, _app_lat, _bare_lat in results:
            record(
                f"portal {name}, {label}",
                app_rps,
                bare_rps,
                "req/s",
                f">= {TARGET:g} x bare route",
                peak,
                met=app_rps / bare_rps >= TARGET,
                higher_is_better=True,
            )
    low = min(reached, key=lambda r: r[2])
    print(f"\nlowest ratio {low[2]:.2f} ({low[0]}, {low[1]}); target {TARGET}, asserted {ASSERTED}")
    for label, name, ratio in reached:
        assert ratio >= ASSERTED, f"{label} {name}: {ratio:.2f} of the bare route's throughput"
