"""The application under gunicorn for tests that need real processes: several workers, a
worker killed or the whole server restarted, two servers on one database.

A server runs the shipped ``gunicorn.conf.py`` in a process group of its own, which
``stop`` ends whatever happens to the test. ``Client`` speaks HTTP/1.1 over a new connection
per request (sync workers close each one), keeps cookies and never follows redirects.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

from tests.app.factories import free_port
from tests.conftest import ROOT

CONFIG_FILE = ROOT / "gunicorn.conf.py"
#: Seconds gunicorn may take to answer its first request (its workers import the app).
START_TIMEOUT = 45
#: The access log names the worker that answered (``%(p)s``) besides the shipped fields.
ACCESS_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s pid=%(p)s'


def production_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a production server: Redis for rate limits, one proxy in front
    (the client address comes from X-Forwarded-For), no second factor for staff."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "GUNICORN_"))}
    env.pop("TEST_DATABASE_URL", None)
    env.update(
        {
            "FLASK_ENVIRONMENT": "production",
            "FLASK_SECRET_KEY": "served-secret-key-0123456789abcdef0123456789",
            "FLASK_INVITATION_PEPPER": "test-pepper",
            "FLASK_BASE_URL": "https://skillsdelphi.test",
            "FLASK_RATELIMIT_STORAGE_URI": redis_url,
            "FLASK_TRUSTED_PROXIES": "1",
            "FLASK_MFA_REQUIRED_ROLES": "[]",
            "FLASK_BRIEF_RENDERING": "off",
            "DATABASE_URL": database_url,
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


class Server:
    """``gunicorn -c gunicorn.conf.py 'app:create_app()'`` with ``workers`` workers."""

    def __init__(self, env: dict[str, str], folder: Path, workers: int = 4, port: int = 0):
        self.env, self.folder, self.workers = env, folder, workers
        self.port = port or free_port()
        self.access = folder / f"access-{self.port}.log"
        self.error = folder / f"error-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Server:
        env = {
            **self.env,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(self.workers),
            "GUNICORN_ACCESS_LOG": str(self.access),
            "GUNICORN_ERROR_LOG": str(self.error),
            # gunicorn >= 25 opens a control socket there; the default in $HOME is shared
            "XDG_RUNTIME_DIR": str(self.folder),
        }
        command = [sys.executable, "-m", "gunicorn", "-c", str(CONFIG_FILE)]
        command += ["--access-logformat", ACCESS_FORMAT, "app:create_app()"]
        self.process = subprocess.Popen(  # noqa: S603
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.wait_until_serving()
        return self

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited: {self._log()}")
            try:
                if Client(self.port).get("/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer within {START_TIMEOUT} s: {self._log()}")

    def _log(self) -> str:
        return self.error.read_text()[-3000:] if self.error.exists() else ""

    def worker_pids(self) -> set[int]:
        """The worker processes the master runs now."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(pid) for pid in children.read_text().split()}

    def wait_for_workers(self, old: set[int] = frozenset(), timeout: float = 30) -> set[int]:
        """Wait until ``workers`` workers run, none of them in ``old`` (killed ones)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) == self.workers and not pids & set(old):
                return pids
            time.sleep(0.1)
        raise AssertionError(f"gunicorn ran {self.worker_pids()} workers: {self._log()}")

    def served_by(self, request: str) -> list[int]:
        """The worker pid of each access-log line of ``request`` (e.g. ``GET /i``)."""
        text = self.access.read_text() if self.access.exists() else ""
        pattern = rf'^\S+ "{re.escape(request)}" \d+ pid=<(\d+)>$'
        return [int(pid) for pid in re.findall(pattern, text, re.MULTILINE)]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class Client:
    """A browser without JavaScript: cookies kept, redirects not followed, one connection
    per request; ``address`` is sent as X-Forwarded-For (the proxy's view of the client)."""

    def __init__(self, port: int, address: str = "203.0.113.10") -> None:
        self.port, self.address, self.cookies = port, address, {}

    def request(self, method, path, form=None, timeout=30.0):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        sent = {"X-Forwarded-For": self.address, "X-Forwarded-Proto": "https"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            # over HTTPS, Flask-WTF wants a same-origin Referer as a browser sends it
            sent["Referer"] = f"https://127.0.0.1:{self.port}{path}"
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
        return response.status, response.headers, text

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, form, **kw):
        return self.request("POST", path, form=form, **kw)


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def sign_in(client: Client, email: str, password: str) -> int:
    """Post the sign-in form with a fresh CSRF token; the status of the answer."""
    _, _, page = client.get("/login")
    status, _, _ = client.post(
        "/login", {"email": email, "password": password, "csrf_token": csrf(page)}
    )
    return status
