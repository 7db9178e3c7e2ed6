"""Panel services, by what they do: the panel itself (``panellists``), uploaded panel files
(``panel_files``), invitations and reminders by e-mail (``mailing``) and progress
(``tracking``). This module names them together for the panel's views and commands.

Services flush and never commit; the edge commits once (``app.unit``).
"""

from __future__ import annotations

from app.consultations.services import get_consultation_for
from app.panels.mailing import (
    Delivery,
    MailKind,
    Outgoing,
    SendReport,
    compose_message,
    deliver,
    export_invitations_csv,
    prepare_invitations,
    prepare_reminders,
    record_delivery,
    send_invitations,
    send_reminders,
)
from app.panels.panel_files import (
    check_upload_room,
    discard_panel_upload,
    keep_panel_upload,
    kept_panel_preview,
    max_upload_bytes,
    preview_panel_file,
)
from app.panels.panellists import (
    ImportReport,
    LanguageGap,
    LinkState,
    QuotaGap,
    Removal,
    active_panellist_count,
    add_panellist,
    consultation_languages,
    current_round,
    default_language,
    get_panellist_for,
    group_counts,
    import_panel,
    language_gaps,
    open_round_of,
    panel_rows,
    panellist_problems,
    panellists_by_email,
    quota_gaps,
    remove_panellist,
    restore_panellist,
    set_quota,
    update_panellist,
)
from app.panels.tracking import Progress

__all__ = [
    "Delivery",
    "ImportReport",
    "LanguageGap",
    "LinkState",
    "MailKind",
    "Outgoing",
    "Progress",
    "QuotaGap",
    "SendReport",
    "add_panellist",
    "check_upload_room",
    "compose_message",
    "consultation_languages",
    "current_round",
    "default_language",
    "deliver",
    "discard_panel_upload",
    "export_invitations_csv",
    "get_consultation_for",
    "get_panellist_for",
    "group_counts",
    "active_panellist_count",
    "import_panel",
    "panellist_problems",
    "remove_panellist",
    "restore_panellist",
    "update_panellist",
    "Removal",
    "keep_panel_upload",
    "kept_panel_preview",
    "language_gaps",
    "max_upload_bytes",
    "open_round_of",
    "panel_rows",
    "panellists_by_email",
    "prepare_invitations",
    "prepare_reminders",
    "preview_panel_file",
    "quota_gaps",
    "record_delivery",
    "send_invitations",
    "send_reminders",
    "set_quota",
]
