"""Per-consultation study keys for respondent pseudonyms (SECURITY.md 2.3).

A study key lives in a file outside the database and its backups (``STUDY_KEY_DIR``,
default ``instance/study-keys``). Without it, nobody — not even with a full database dump —
can tell which response belongs to which panellist. Destroying it after the study's
retention period makes the link impossible for good.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from flask import current_app

from app.errors import StateError
from app.formatting import N_


class StudyKeyMissing(StateError):
    status_code = 410


def key_dir() -> Path:
    configured = current_app.config.get("STUDY_KEY_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "study-keys"


def _key_path(consultation_id: int) -> Path:
    return key_dir() / f"consultation-{int(consultation_id)}.key"


def ensure_study_key(consultation_id: int) -> None:
    """Create the consultation's key file when it does not exist yet (mode 0600)."""
    path = _key_path(consultation_id)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32))


def _study_key(consultation_id: int) -> bytes:
    path = _key_path(consultation_id)
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError as exc:
        raise StudyKeyMissing(
            N_(
                "the study key of consultation %(id)s is missing (destroyed after the "
                "retention period, or STUDY_KEY_DIR points elsewhere)"
            ),
            {"id": str(consultation_id)},
        ) from exc


def pseudonym(consultation_id: int, panellist_id: int) -> str:
    """HMAC-SHA256(study key, panellist id): the same for a panellist in every round."""
    return pseudonyms(consultation_id, [panellist_id])[int(panellist_id)]


def pseudonyms(consultation_id: int, panellist_ids) -> dict[int, str]:
    """{panellist id: pseudonym} for many panellists, reading the key once."""
    key = _study_key(consultation_id)
    return {
        int(pid): hmac.new(key, str(int(pid)).encode(), hashlib.sha256).hexdigest()
        for pid in panellist_ids
    }


def destroy_study_key(consultation_id: int) -> bool:
    """Delete the key for good; returns whether a key was there."""
    path = _key_path(consultation_id)
    if not path.exists():
        return False
    path.unlink()
    return True


def rationale_seed(consultation_id: int, item_key: str) -> str:
    """Seed of the order in which an item's rationales are shown, derived from the study key.

    Secret, so nobody can undo the shuffle and line up one respondent's rationales across
    items and rounds; fixed, so everyone sees the same order.
    """
    key = _study_key(consultation_id)
    return hmac.new(key, f"rationale-order:{item_key}".encode(), hashlib.sha256).hexdigest()
