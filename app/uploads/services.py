"""Uploads in the application: limits and folders from the configuration, refusals as
``UploadRefused`` (413 beyond a limit, 422 for a file that cannot be read), shown in the
interface language where they are shown.

Services for importers (panel files now, forecast tables next): ``check_file`` before any
parser, ``parse_file`` in the child process, ``keep_upload`` / ``read_upload`` /
``read_result`` / ``discard_upload`` between a preview and its import.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import current_app

from app.errors import UploadRefused
from app.uploads.checks import CheckedFile, FileRefused, Limits, check_upload
from app.uploads.kept import KeptUploads
from app.uploads.runner import ChildLimits, run_parser

__all__ = [
    "check_file",
    "check_room",
    "child_limits",
    "discard_upload",
    "keep_upload",
    "kept_uploads",
    "max_file_bytes",
    "parse_file",
    "read_result",
    "read_upload",
]


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except FileRefused as refused:
        raise UploadRefused(
            refused.problem.message,
            refused.problem.params,
            too_large=refused.too_large,
            limit=refused.limit,
        ) from refused


def max_file_bytes() -> int:
    """The largest upload accepted: ``MAX_CONTENT_LENGTH``, else the checks' default."""
    return int(current_app.config["MAX_CONTENT_LENGTH"] or Limits.max_bytes)


def check_file(filename: str, data: bytes, limits: Limits | None = None) -> CheckedFile:
    """Check an upload before any parser reads it (``app.uploads.checks``); the file size
    limit is ``max_file_bytes()``. Returns what was seen; raises UploadRefused."""
    if limits is None:
        limits = Limits(max_bytes=max_file_bytes())
    with _refusals():
        return check_upload(filename, data, limits)


def child_limits() -> ChildLimits:
    """The child process's limits: ``UPLOAD_PARSE_MEMORY`` bytes, ``UPLOAD_PARSE_SECONDS``."""
    cfg = current_app.config
    return ChildLimits(
        memory_bytes=int(cfg["UPLOAD_PARSE_MEMORY"]), seconds=float(cfg["UPLOAD_PARSE_SECONDS"])
    )


def parse_file(parser: str, data: bytes, **kwargs: Any) -> Any:
    """Run the allow-listed ``parser`` on ``data`` in a child process (``app.uploads.runner``)
    and return its result. ``kwargs`` must be JSON values. Raises UploadRefused when the
    child hits a limit or fails."""
    with _refusals():
        return run_parser(parser, data, kwargs, limits=child_limits())


def kept_uploads() -> KeptUploads:
    """Kept uploads in ``UPLOAD_DIR`` (or, by its former name, ``PANEL_UPLOAD_DIR``; else
    ``instance/uploads``), ``UPLOAD_QUOTA_BYTES`` per council."""
    cfg = current_app.config
    folder = cfg.get("UPLOAD_DIR") or cfg.get("PANEL_UPLOAD_DIR")
    root = Path(folder) if folder else Path(current_app.instance_path) / "uploads"
    return KeptUploads(root, quota_bytes=int(cfg["UPLOAD_QUOTA_BYTES"]))


def check_room(council_id: int, size: int, *, replacing: str | None = None) -> None:
    """UploadRefused (413) when ``size`` more bytes would not fit the council's quota; a quick
    look before parsing (``keep_upload`` checks again)."""
    with _refusals():
        kept_uploads().check_room(council_id, size, replacing=replacing)


def keep_upload(
    council_id: int, data: bytes, *, result: Any = None, replacing: str | None = None
) -> str:
    """Keep an upload for the council until its import is confirmed; returns its random id.
    ``result`` (JSON values, e.g. a parser's preview) is kept beside it; ``replacing`` (an
    earlier id) is discarded. Raises UploadRefused (413) beyond the council's quota."""
    encoded = None if result is None else json.dumps(result, separators=(",", ":")).encode()
    with _refusals():
        return kept_uploads().keep(council_id, data, result=encoded, replacing=replacing)


def read_upload(council_id: int, upload_id: str | None) -> bytes | None:
    """The kept file; None when it is gone, expired or the id is malformed."""
    return kept_uploads().read(council_id, upload_id)


def read_result(council_id: int, upload_id: str | None) -> Any:
    """What was kept beside the file (JSON values); None when gone or unreadable."""
    raw = kept_uploads().read_result(council_id, upload_id)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def discard_upload(council_id: int, upload_id: str | None) -> None:
    kept_uploads().discard(council_id, upload_id)
