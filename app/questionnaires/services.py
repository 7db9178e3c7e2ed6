"""Storing the questionnaire versions that consultations use. Flushes; the caller commits."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.errors import InvalidInput
from app.extensions import db
from app.formatting import N_
from app.questionnaires.loader import (
    QuestionnaireError,
    load_questionnaire_text,
    read_questionnaire_file,
)
from app.questionnaires.models import QuestionnaireVersion
from app.questionnaires.spec import Questionnaire


def surveys_dir() -> Path:
    configured = current_app.config.get("SURVEYS_DIR")
    return Path(configured) if configured else Path(current_app.root_path).parent / "surveys"


def available_files() -> list[Path]:
    return sorted(surveys_dir().glob("*.yaml"))


def store_questionnaire(path: str | Path) -> QuestionnaireVersion:
    """The stored copy of this file's current content (created when new).

    Raises InvalidInput with every problem (file, line, key) when the file is not valid.
    """
    path = Path(path)
    try:
        raw = read_questionnaire_file(path)
        spec: Questionnaire = load_questionnaire_text(raw.decode("utf-8"), str(path.name))
    except UnicodeDecodeError as exc:
        raise InvalidInput(N_("%(file)s: not UTF-8 text"), params={"file": path.name}) from exc
    except QuestionnaireError as exc:
        raise InvalidInput(
            N_("%(file)s is not a valid questionnaire"), exc.problems, {"file": path.name}
        ) from exc
    found = db.session.scalars(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.key == spec.key,
            QuestionnaireVersion.content_hash == spec.content_hash,
        )
    ).first()
    if found is not None:
        return found
    stored = QuestionnaireVersion(
        key=spec.key,
        version=str(spec.version),
        format_version=spec.format_version,
        content_hash=spec.content_hash,
        source_text=raw.decode("utf-8"),
        spec=spec.to_dict(),
    )
    db.session.add(stored)
    db.session.flush()
    return stored
