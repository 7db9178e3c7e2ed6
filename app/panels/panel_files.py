"""Panel files uploaded for import: checked and parsed away from the web process
(``app.uploads``), kept per council with their preview until imported or discarded.
"""

from __future__ import annotations

from app.consultations.models import Consultation
from app.panels.panellists import (
    consultation_languages,
    default_language,
    existing_emails,
)
from app.panels.parse import (
    PanelPreview,
    recheck_preview,
)
from app.uploads import services as uploads


def preview_panel_file(consultation: Consultation, filename: str, data: bytes) -> PanelPreview:
    """Check an uploaded panel file against the consultation's languages and panel.

    The upload checks run first (sizes, counts, entities; ``app.uploads.checks``), then the
    file is parsed in a resource-limited child process, never in this one. Returns the
    preview (valid rows, problems by row and column); raises UploadRefused (413 beyond a
    limit, 422 for a file that cannot be read). Reads only."""
    uploads.check_file(filename, data)
    return uploads.parse_file(
        "panel-file",
        data,
        filename=filename,
        languages=list(consultation_languages(consultation)),
        default_language=default_language(consultation),
        existing_emails=sorted(existing_emails(consultation)),
    )


def max_upload_bytes() -> int:
    """The largest panel file accepted."""
    return uploads.max_file_bytes()


def check_upload_room(consultation: Consultation, size: int, replacing: str | None = None) -> None:
    """UploadRefused (413) when a file of ``size`` bytes would not fit the council's quota
    of kept uploads (``replacing``: an earlier upload that will be discarded)."""
    uploads.check_room(consultation.council_id, size, replacing=replacing)


def keep_panel_upload(
    consultation: Consultation,
    data: bytes,
    preview: PanelPreview,
    replacing: str | None = None,
) -> str:
    """Keep an uploaded panel file and its preview, for its council, until the import is
    confirmed (the import then needs no second parse); returns the upload's random id.
    ``replacing`` (an earlier upload's id) is discarded. Raises UploadRefused (413) beyond
    the council's quota."""
    return uploads.keep_upload(
        consultation.council_id, data, result=preview.to_json(), replacing=replacing
    )


def kept_panel_preview(consultation: Consultation, upload_id: str) -> PanelPreview | None:
    """The preview of a kept upload, checked again against the panel and questionnaire as
    they are now (rows whose address was added to the panel since need a decision); None
    when the upload is gone or expired."""
    document = uploads.read_result(consultation.council_id, upload_id)
    if document is None:
        return None
    try:
        preview = PanelPreview.from_json(document)
    except ValueError:
        return None
    return recheck_preview(
        preview,
        existing_emails=existing_emails(consultation),
        languages=consultation_languages(consultation),
    )


def discard_panel_upload(council_id: int, upload_id: str | None) -> None:
    """Remove a kept upload of the council; a missing one is no error."""
    uploads.discard_upload(council_id, upload_id)
