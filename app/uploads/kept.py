"""Uploaded files kept between a preview and its import, per council, within a quota.

Each council has its own folder under ``root`` (outside the static folder). A kept upload is
``<id>.upload`` (the file) and, optionally, ``<id>.json`` (what its parse found, so the
import needs no second parse); ``id`` is 32 random hex digits, files are mode 0600, folders
0700. Files older than ``max_age`` seconds are removed on the way, are never read and do not
count. A council's kept files may take ``quota_bytes`` in all (SECURITY.md 2.5: 500 MiB);
checking the room and writing happen under an exclusive lock on the council's folder
(``fcntl.flock``), so two uploads at once cannot both squeeze in. POSIX only.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.problems import N_, Bytes
from app.uploads.checks import MIB, FileRefused

#: Room for kept uploads per council.
QUOTA_BYTES = 500 * MIB
#: Kept uploads are removed after this many seconds.
MAX_AGE = 24 * 3600

UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
_SUFFIXES = (".upload", ".json")


@dataclass(frozen=True)
class KeptUploads:
    root: Path
    quota_bytes: int = QUOTA_BYTES
    max_age: float = MAX_AGE

    def folder(self, council_id: int) -> Path:
        return Path(self.root) / f"council-{int(council_id)}"

    # ------------------------------------------------------------------------- reading

    def _path(self, council_id: int, upload_id: str | None, suffix: str) -> Path | None:
        if not isinstance(upload_id, str) or not UPLOAD_ID.fullmatch(upload_id):
            return None
        return self.folder(council_id) / f"{upload_id}{suffix}"

    def _read(self, council_id: int, upload_id: str | None, suffix: str) -> bytes | None:
        path = self._path(council_id, upload_id, suffix)
        if path is None:
            return None
        try:
            if path.stat().st_mtime < time.time() - self.max_age:
                self.discard(council_id, upload_id)
                return None
            return path.read_bytes()
        except OSError:
            return None

    def read(self, council_id: int, upload_id: str | None) -> bytes | None:
        """The kept file; None when it is gone, expired or the id is malformed."""
        return self._read(council_id, upload_id, ".upload")

    def read_result(self, council_id: int, upload_id: str | None) -> bytes | None:
        """What was kept beside the file (``keep(result=...)``); None as for ``read``, or
        when nothing was kept beside it."""
        upload = self._path(council_id, upload_id, ".upload")
        if upload is None or not upload.exists():
            return None
        return self._read(council_id, upload_id, ".json")

    def usage(self, council_id: int) -> int:
        """Bytes the council's kept uploads take (expired ones not counted)."""
        return self._usage(self.folder(council_id))

    def _usage(self, folder: Path) -> int:
        cutoff = time.time() - self.max_age
        used = 0
        for path in self._files(folder):
            try:
                info = path.stat()
            except OSError:
                continue
            if info.st_mtime >= cutoff:
                used += info.st_size
        return used

    @staticmethod
    def _files(folder: Path) -> Iterator[Path]:
        try:
            entries = list(folder.iterdir())
        except OSError:
            return
        for path in entries:
            if path.suffix in _SUFFIXES and UPLOAD_ID.fullmatch(path.stem):
                yield path

    # ------------------------------------------------------------------------- writing

    def check_room(self, council_id: int, size: int, *, replacing: str | None = None) -> None:
        """FileRefused (413) when ``size`` more bytes would not fit the council's quota.
        A quick look before work; ``keep`` checks again, under the lock."""
        folder = self.folder(council_id)
        used = self._usage(folder) - self._size(council_id, replacing)
        self._refuse_beyond_quota(used, size)

    def _size(self, council_id: int, upload_id: str | None) -> int:
        total = 0
        for suffix in _SUFFIXES:
            path = self._path(council_id, upload_id, suffix)
            with contextlib.suppress(OSError):
                if path is not None and path.stat().st_mtime >= time.time() - self.max_age:
                    total += path.stat().st_size
        return total

    def _refuse_beyond_quota(self, used: int, size: int) -> None:
        if used + size > self.quota_bytes:
            raise FileRefused(
                N_(
                    "your council's uploads waiting for import take %(used)s; this file "
                    "(%(size)s) would go beyond the quota of %(quota)s per council; import or "
                    "discard earlier uploads, or wait until they are removed 24 hours after "
                    "their upload"
                ),
                {
                    "used": Bytes(used),
                    "size": Bytes(size),
                    "quota": Bytes(self.quota_bytes, limit=True),
                },
                too_large=True,
                limit="quota",
            )

    @contextlib.contextmanager
    def _locked(self, folder: Path) -> Iterator[None]:
        fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def keep(
        self,
        council_id: int,
        data: bytes,
        *,
        result: bytes | None = None,
        replacing: str | None = None,
    ) -> str:
        """Keep ``data`` (and ``result`` beside it) for the council; returns the new id.

        ``replacing`` (an earlier upload's id) is discarded first. Expired files are removed.
        Raises FileRefused (413) when the council's quota would be exceeded."""
        folder = self.folder(council_id)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self._locked(folder):
            if replacing:
                self.discard(council_id, replacing)
            self._remove_expired(folder)
            size = len(data) + len(result or b"")
            self._refuse_beyond_quota(self._usage(folder), size)
            upload_id = secrets.token_hex(16)
            if result is not None:
                self._write(folder / f"{upload_id}.json", result)
            self._write(folder / f"{upload_id}.upload", data)
        return upload_id

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def _remove_expired(self, folder: Path) -> None:
        cutoff = time.time() - self.max_age
        for path in self._files(folder):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()

    def discard(self, council_id: int, upload_id: str | None) -> None:
        """Remove a kept upload (and what was kept beside it); a missing one is no error."""
        for suffix in _SUFFIXES:
            path = self._path(council_id, upload_id, suffix)
            if path is not None:
                with contextlib.suppress(OSError):
                    path.unlink()
