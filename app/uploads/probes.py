"""Parsers that misbehave on purpose, run in the child process to show that its limits hold
(``flask uploads check-limits``, tests/app/test_uploads.py). They ignore the file's content."""

from __future__ import annotations

import os
import time
from typing import Any

MIB = 1024 * 1024


def echo(data: bytes, **kwargs: Any) -> dict[str, Any]:
    """Behaves: the file's size, the keyword arguments and the names (only) of the
    environment variables the child was given."""
    return {"size": len(data), "kwargs": kwargs, "environment": sorted(os.environ)}


def allocate(data: bytes, *, mebibytes: int) -> int:
    """Asks for ``mebibytes`` of memory at once, and touches it."""
    block = bytearray(mebibytes * MIB)
    block[::4096] = b"x" * len(block[::4096])
    return len(block)


def spin(data: bytes, *, seconds: float) -> int:
    """Keeps the processor busy for ``seconds`` of its time."""
    end = time.process_time() + seconds
    rounds = 0
    while time.process_time() < end:
        rounds += 1
    return rounds


def sleep(data: bytes, *, seconds: float) -> None:
    """Waits ``seconds`` without using the processor (only the wall clock stops it)."""
    time.sleep(seconds)


def flood(data: bytes, *, mebibytes: int) -> str:
    """A result of ``mebibytes`` of text."""
    return "x" * (mebibytes * MIB)


def crash(data: bytes) -> None:
    """Dies of a signal, as a crashing C library would."""
    os.abort()
