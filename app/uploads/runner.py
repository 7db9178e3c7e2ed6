"""Run an allow-listed parser on an upload in a child process with resource limits.

The web process sends the file's bytes to ``python -m app.uploads.worker`` on standard input
and holds nothing but them and the result: the child limits its own memory, processor time
and output (see ``app.uploads.worker``), and the parent stops it at the wall-clock limit. A
child that is stopped, runs out of memory or fails becomes a ``FileRefused`` naming the
limit; nothing here raises anything else for a bad file. Needs a POSIX system.
"""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.problems import N_, Bytes
from app.uploads.checks import MIB, FileRefused
from app.uploads.registry import parser_spec, resolve

log = logging.getLogger(__name__)

GIB = 1024 * MIB
#: Memory (address space) of the child: the interpreter and openpyxl take some 180 MiB of it.
CHILD_MEMORY = GIB
#: Seconds the child may take, of processor time and of wall-clock time; under the web
#: server's 30 s request timeout.
CHILD_SECONDS = 20
#: Largest result (JSON) read back: about four times what a 10 MiB file can yield.
CHILD_OUTPUT = 64 * MIB

#: The folder holding the ``app`` package: the child's working directory, so that
#: ``-m app.uploads.worker`` imports this very code.
_ROOT = Path(__file__).resolve().parents[2]
#: Environment variables the child keeps; the rest (secrets, database URLs) stay behind.
_KEPT_ENVIRONMENT = ("PATH", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR")


@dataclass(frozen=True)
class ChildLimits:
    memory_bytes: int = CHILD_MEMORY
    #: Wall-clock seconds, and processor seconds unless ``cpu_seconds`` says otherwise.
    seconds: float = CHILD_SECONDS
    output_bytes: int = CHILD_OUTPUT
    #: Processor seconds (whole); None: ``seconds`` rounded up.
    cpu_seconds: int | None = None

    @property
    def cpu(self) -> int:
        return self.cpu_seconds or max(1, math.ceil(self.seconds))


@dataclass(frozen=True)
class ChildRun:
    """How a child went: its exit status (negative: the signal that ended it), seconds."""

    returncode: int
    seconds: float
    timed_out: bool


def _environment() -> dict[str, str]:
    env = {k: os.environ[k] for k in _KEPT_ENVIRONMENT if k in os.environ}
    env.setdefault("PATH", os.defpath)
    # one thread for numerical libraries, should a parser use them: the memory limit is
    # for the whole process
    env.update(
        {
            "PYTHONDONTWRITEBYTECODE": "1",
            "LC_ALL": "C.UTF-8",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
        }
    )
    return env


def run_parser(
    name: str,
    data: bytes,
    kwargs: dict[str, Any] | None = None,
    *,
    limits: ChildLimits = ChildLimits(),
) -> Any:
    """The result of parser ``name`` (see ``app.uploads.registry``) on ``data``, rebuilt in
    this process. Raises FileRefused when the child hits a limit (``too_large``: time,
    memory, output) or fails (not ``too_large``); UnknownParser for a name not on the
    allow-list. ``kwargs`` must be JSON values."""
    spec = parser_spec(name)
    request = json.dumps({"parser": name, "kwargs": kwargs or {}}).encode() + b"\n"
    output, run, errors = _run_child(request, data, limits)
    try:
        document = _answer(run, output, limits)
    except FileRefused as refusal:
        if refusal.limit == "parser":
            log.error(
                "upload parser %s failed (exit %s): %s",
                name,
                run.returncode,
                errors.decode("utf-8", "replace")[-4000:],
            )
        raise
    return resolve(spec.result).from_json(document) if spec.result is not None else document


def _run_child(request: bytes, data: bytes, limits: ChildLimits) -> tuple[bytes, ChildRun, bytes]:
    command = [
        sys.executable,
        "-m",
        "app.uploads.worker",
        "--memory",
        str(int(limits.memory_bytes)),
        "--cpu",
        str(limits.cpu),
        "--output",
        str(int(limits.output_bytes)),
    ]
    # Output goes to unlinked temporary files, not pipes: the child's file-size limit then
    # bounds it, and this process reads back no more than the limit.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        child = subprocess.Popen(  # noqa: S603 - fixed command, no shell
            command,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            cwd=_ROOT,
            env=_environment(),
            close_fds=True,
        )
        timed_out = False
        try:
            child.communicate(request + data, timeout=limits.seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            child.kill()
            child.wait()
        except BaseException:
            child.kill()
            child.wait()
            raise
        run = ChildRun(child.returncode, time.monotonic() - started, timed_out)
        out.seek(0)
        output = out.read(limits.output_bytes + 1)
        err.seek(0)
        errors = err.read(64 * 1024)
    return output, run, errors


def _answer(run: ChildRun, output: bytes, limits: ChildLimits) -> Any:
    """The child's result; FileRefused naming the limit it hit, or saying it failed."""
    memory = Bytes(int(limits.memory_bytes), limit=True)
    cpu = limits.cpu
    if run.timed_out:
        raise FileRefused(
            N_("the file took longer than %(seconds)s s to read; split it into smaller files"),
            {"seconds": float(limits.seconds)},
            too_large=True,
            limit="time",
        )
    if run.returncode == -signal.SIGXCPU:
        raise FileRefused(
            N_(
                "the file took more than %(seconds)s s of processor time to read; split it "
                "into smaller files"
            ),
            {"seconds": cpu},
            too_large=True,
            limit="time",
        )
    if run.returncode == -signal.SIGXFSZ or len(output) > limits.output_bytes:
        raise FileRefused(
            N_("reading the file gave more than %(most)s of results; split it into smaller files"),
            {"most": Bytes(int(limits.output_bytes), limit=True)},
            too_large=True,
            limit="output",
        )
    if run.returncode == -signal.SIGKILL:  # the hard processor limit, or the system's OOM killer
        raise FileRefused(
            N_(
                "reading the file was stopped at the server's limits (%(memory)s of memory, "
                "%(seconds)s s of processor time); split it into smaller files"
            ),
            {"memory": memory, "seconds": cpu},
            too_large=True,
            limit="killed",
        )
    try:
        answer = json.loads(output) if run.returncode == 0 else None
    except ValueError:
        answer = None
    if isinstance(answer, dict) and answer.get("failed") == "memory":
        raise FileRefused(
            N_(
                "reading the file needed more than %(memory)s of memory; split it into smaller "
                "files"
            ),
            {"memory": memory},
            too_large=True,
            limit="memory",
        )
    if not isinstance(answer, dict) or "result" not in answer:
        raise FileRefused(
            N_(
                "the file could not be read; check that it opens in a spreadsheet program and "
                "save it again"
            ),
            limit="parser",
        )
    return answer["result"]
