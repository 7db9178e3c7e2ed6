"""Personal invitation links (SECURITY.md 2.2).

A token is 256 random bits (``secrets.token_urlsafe(32)``). Only its HMAC-SHA256 under
``INVITATION_PEPPER`` (kept outside the database) is stored, so a raw token exists only in
the e-mail or the mail-merge file it was issued for: it can never be shown again, and
sending a link means issuing a new token, which ends the old one. A panellist has at most
one active token. Links are built from ``BASE_URL``, never from the request's Host header.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from flask import current_app
from sqlalchemy import select, update

from app.audit.services import record
from app.consultations.models import ConsultationStatus
from app.database import utcnow
from app.extensions import db
from app.panels.models import Invitation, Panellist

#: Shape of a token as issued; anything else is refused before any lookup.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,64}")


def new_token() -> str:
    """A fresh token: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def token_hmac(token: str) -> str:
    """HMAC-SHA256(INVITATION_PEPPER, token) as 64 hex digits: the only form stored."""
    pepper = current_app.config["INVITATION_PEPPER"]
    return hmac.new(pepper.encode("utf-8"), token.encode("utf-8"), hashlib.sha256).hexdigest()


def invitation_link(token: str) -> str:
    """The personal link for ``token``, on ``BASE_URL``."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/i?t={token}"


def _revoke_active(panellist: Panellist) -> int:
    result = db.session.execute(
        update(Invitation)
        .where(Invitation.panellist_id == panellist.id, Invitation.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def store_invitation(panellist: Panellist, token: str, *, sent: bool = False) -> Invitation:
    """Make ``token`` the panellist's one active invitation, revoking any other. Flushes.

    Not audited: the callers record what they did (one event per action)."""
    _revoke_active(panellist)
    invitation = Invitation(
        panellist_id=panellist.id,
        token_hmac=token_hmac(token),
        last_sent_at=utcnow() if sent else None,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation


def issue_invitation(panellist: Panellist, by) -> tuple[Invitation, str]:
    """A new personal link for ``panellist``: (invitation, raw token). Flushes.

    Any active invitation of the panellist is revoked. The raw token is returned to be put
    in an e-mail or file at once; it is not stored anywhere."""
    token = new_token()
    invitation = store_invitation(panellist, token)
    record(
        "invitation-issued",
        actor=by,
        object_type="panellist",
        object_id=panellist.id,
        details={"consultation": panellist.consultation_id},
    )
    return invitation, token


def revoke_invitation(panellist: Panellist, by) -> int:
    """End the panellist's active link; returns how many were revoked (0 or 1). Flushes."""
    count = _revoke_active(panellist)
    db.session.flush()
    record(
        "invitation-revoked",
        actor=by,
        object_type="panellist",
        object_id=panellist.id,
        details={"consultation": panellist.consultation_id, "revoked": count},
    )
    return count


def active_invitation(panellist: Panellist) -> Invitation | None:
    return db.session.scalars(
        select(Invitation).where(
            Invitation.panellist_id == panellist.id, Invitation.revoked_at.is_(None)
        )
    ).first()


def redeem(token: str | None) -> Panellist | None:
    """The active panellist whose active link holds ``token``, else None.

    Unknown, malformed, revoked and superseded tokens, inactive panellists and finished
    consultations all give the same None, so a caller cannot tell them apart."""
    if not token or not _TOKEN_SHAPE.fullmatch(token):
        return None
    panellist = db.session.scalars(
        select(Panellist)
        .join(Invitation, Invitation.panellist_id == Panellist.id)
        .where(Invitation.token_hmac == token_hmac(token), Invitation.revoked_at.is_(None))
    ).first()
    if panellist is None or not panellist.active:
        return None
    if panellist.consultation.status is ConsultationStatus.finished:
        return None
    return panellist
