"""Uploads kept between preview and import: per council, private, within a quota
(SECURITY.md 2.5, S12; the quota's check and write are one step, ASVS 15.4.2)."""

from __future__ import annotations

import os
import threading
import time

import pytest

from app.uploads.checks import FileRefused
from app.uploads.kept import KeptUploads


@pytest.fixture
def kept(tmp_path):
    return KeptUploads(tmp_path / "uploads", quota_bytes=10_000)


def test_s12_kept_files_are_private_random_and_per_council(kept):
    upload_id = kept.keep(1, b"data", result=b'{"ok": 1}')
    folder = kept.folder(1)
    assert len(upload_id) == 32 and int(upload_id, 16) >= 0
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    for suffix in (".upload", ".json"):
        assert (folder / f"{upload_id}{suffix}").stat().st_mode & 0o777 == 0o600
    assert kept.read(1, upload_id) == b"data"
    assert kept.read_result(1, upload_id) == b'{"ok": 1}'
    # another council's folder holds nothing of it
    assert kept.read(2, upload_id) is None and kept.read_result(2, upload_id) is None
    for bad in ("../../etc/passwd", upload_id.upper(), "", None, 5):
        assert kept.read(1, bad) is None  # type: ignore[arg-type]
    kept.discard(1, upload_id)
    assert kept.read(1, upload_id) is None and kept.usage(1) == 0


def test_s12_quota_refuses_beyond_it_naming_it_and_counts_each_council_apart(kept):
    kept.keep(1, b"x" * 6_000)
    with pytest.raises(FileRefused) as caught:
        kept.keep(1, b"y" * 3_000, result=b"z" * 2_000)
    assert caught.value.status == 413 and caught.value.limit == "quota"
    assert "would go beyond the quota of 9.8 KiB per council" in caught.value.message
    kept.keep(2, b"y" * 6_000)  # another council has its own room
    assert (kept.usage(1), kept.usage(2)) == (6_000, 6_000)


def test_s12_quota_files_older_than_a_day_do_not_count_and_are_removed(kept):
    old = kept.keep(1, b"x" * 9_000)
    day_ago = time.time() - 24 * 3600 - 60
    os.utime(kept.folder(1) / f"{old}.upload", (day_ago, day_ago))
    assert kept.usage(1) == 0 and kept.read(1, old) is None
    kept.check_room(1, 9_000)
    new = kept.keep(1, b"y" * 9_000)
    assert sorted(p.name for p in kept.folder(1).iterdir()) == [".lock", f"{new}.upload"]


def test_s12_replacing_an_upload_frees_its_room_first(kept):
    first = kept.keep(1, b"x" * 9_000)
    kept.check_room(1, 9_000, replacing=first)
    second = kept.keep(1, b"y" * 9_000, replacing=first)
    assert kept.read(1, first) is None and kept.read(1, second) == b"y" * 9_000


def test_s12_quota_holds_when_uploads_arrive_at_once(kept):
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def upload() -> None:
        start.wait()
        try:
            kept.keep(1, b"x" * 3_000)
            outcomes.append("kept")
        except FileRefused:
            outcomes.append("refused")

    threads = [threading.Thread(target=upload) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["kept"] * 3 + ["refused"] * 5
    assert kept.usage(1) == 9_000
