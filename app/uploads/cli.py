"""``flask --app app uploads check-limits``: show that the upload parser's limits hold here."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from app.commands import fail
from app.uploads import services
from app.uploads.checks import MIB, FileRefused, limit_text
from app.uploads.runner import ChildLimits, run_parser


@click.group("uploads")
def uploads_cli() -> None:
    """Uploaded files."""


@uploads_cli.command("check-limits")
@with_appcontext
def check_limits_command() -> None:
    """Run parsers that misbehave on purpose in the child process: one that asks for more
    memory than UPLOAD_PARSE_MEMORY, one that loops beyond 1 s of processor time, one that
    waits beyond 2 s. Exits 2 when a limit does not hold (e.g. not a POSIX system)."""
    configured = services.child_limits()
    quick = ChildLimits(memory_bytes=configured.memory_bytes, seconds=2)
    failures = []
    started = time.monotonic()
    try:
        run_parser("probe-echo", b"", {}, limits=quick)
    except (FileRefused, OSError) as exc:
        fail(f"the child process does not start: {exc}")
    click.echo(f"child process start-up: {time.monotonic() - started:.2f} s")
    # the processor limit alone (the wall clock would stop the loop only later), then the
    # wall clock alone (a child that waits uses no processor time)
    cpu_only = ChildLimits(memory_bytes=configured.memory_bytes, seconds=4, cpu_seconds=1)
    probes = [
        ("memory", "probe-allocate", {"mebibytes": 2 * configured.memory_bytes // MIB}, quick),
        ("time", "probe-spin", {"seconds": 3}, cpu_only),
        ("time", "probe-sleep", {"seconds": 4}, quick),
    ]
    for limit, name, kwargs, limits in probes:
        started = time.monotonic()
        try:
            run_parser(name, b"", kwargs, limits=limits)
        except FileRefused as refused:
            ok = refused.limit == limit
            message = refused.message
        else:
            ok, message = False, "it ran to the end"
        took = time.monotonic() - started
        click.echo(f"{name}: {'stopped' if ok else 'NOT STOPPED'} after {took:.2f} s: {message}")
        if not ok:
            failures.append(name)
    click.echo(
        f"configured: {limit_text(configured.memory_bytes)} of memory, "
        f"{configured.seconds:g} s per file"
    )
    if failures:
        fail("the upload limits do not hold on this host: " + ", ".join(failures))
