"""The child process that reads one upload: ``python -m app.uploads.worker``.

Started by ``app.uploads.runner``; not for people. Arguments: ``--memory BYTES --cpu SECONDS
--output BYTES``. It sets its own limits before reading anything: address space
(``RLIMIT_AS``), processor time (``RLIMIT_CPU``: SIGXCPU at the limit, SIGKILL a second
later), file size (``RLIMIT_FSIZE``: its output is a file, so a larger result ends it with
SIGXFSZ) and no core dumps.

Standard input: one line of JSON ``{"parser": name, "kwargs": {...}}``, then the file's bytes
to the end. Standard output: one JSON document, ``{"result": ...}`` or
``{"failed": "memory" | "error", "detail": "..."}``; the exit status is 0 when it was written.
Only parsers of ``app.uploads.registry`` run. POSIX only.
"""

from __future__ import annotations

import sys

sys.dont_write_bytecode = True  # file writes are limited; never spend them on .pyc files

import json  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import traceback  # noqa: E402

from app.uploads.registry import UnknownParser, parser_spec, resolve  # noqa: E402

#: Longest first line (the request) read from standard input.
MAX_REQUEST_BYTES = 64 * 1024 * 1024


def set_limits(memory: int, cpu: int, output: int) -> None:
    """Limit this process; raises OSError or ValueError when the system refuses."""
    for sig in (signal.SIGXCPU, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)  # an ignored signal would survive exec
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (output, output))


def _options(argv: list[str]) -> dict[str, int]:
    options = {}
    for flag, value in zip(argv[::2], argv[1::2], strict=True):
        if flag not in ("--memory", "--cpu", "--output"):
            raise ValueError(f"unknown option {flag}")
        options[flag[2:]] = int(value)
    if set(options) != {"memory", "cpu", "output"}:
        raise ValueError("--memory, --cpu and --output are required")
    return options


def _run(request: bytes, data: bytes) -> bytes:
    try:
        order = json.loads(request)
        spec = parser_spec(order["parser"])
        kwargs = order.get("kwargs") or {}
        result = resolve(spec.function)(data=data, **kwargs)
        document = result.to_json() if spec.result is not None else result
        return json.dumps({"result": document}, ensure_ascii=False, separators=(",", ":")).encode()
    except MemoryError:
        return b'{"failed":"memory"}'  # the frames holding the memory are gone by now
    except UnknownParser as exc:
        return json.dumps({"failed": "error", "detail": str(exc)}).encode()
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        return json.dumps({"failed": "error", "detail": type(exc).__name__}).encode()


def main(argv: list[str] | None = None) -> int:
    try:
        options = _options(sys.argv[1:] if argv is None else argv)
        set_limits(options["memory"], options["cpu"], options["output"])
    except (ValueError, OSError) as exc:
        print(f"app.uploads.worker: {exc}", file=sys.stderr)
        return 2
    stdin = sys.stdin.buffer
    request = stdin.readline(MAX_REQUEST_BYTES)
    data = stdin.read()
    answer = _run(request, data)
    del data
    sys.stdout.buffer.write(answer)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
