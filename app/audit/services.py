"""Recording and verifying audit events."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text

from app.audit.models import AuditEvent
from app.database import utcnow
from app.extensions import db

GENESIS = "0" * 64


def _content(event: AuditEvent) -> str:
    return json.dumps(
        {
            "at": event.at.isoformat(timespec="microseconds"),
            "actor_id": event.actor_id,
            "actor": event.actor,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "request_id": event.request_id,
            "details": event.details,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + _content(event)).encode("utf-8")).hexdigest()


def record(
    action: str,
    *,
    actor: Any = None,
    object_type: str | None = None,
    object_id: Any = None,
    details: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Append an event to the chain. Flushes; the caller commits.

    ``actor`` is a staff ``User``, a label such as ``"cli"``, or None for the system.
    Details must never hold tokens, pseudonyms or response ids.
    """
    if request_id is None:
        request_id = _current_request_id()
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        # One writer at a time extends the chain.
        session.execute(text("SELECT pg_advisory_xact_lock(7243101)"))
    last = session.scalars(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    if hasattr(actor, "email"):
        actor_id, actor_label = actor.id, actor.email
    else:
        actor_id, actor_label = None, str(actor or "system")
    event = AuditEvent(
        at=utcnow(),
        actor_id=actor_id,
        actor=actor_label,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        request_id=request_id,
        details=details or {},
        prev_hash=last or GENESIS,
    )
    event.hash = chain_hash(event.prev_hash, event)
    session.add(event)
    session.flush()
    return event


def _current_request_id() -> str | None:
    from flask import g, has_request_context

    if has_request_context():
        return g.get("request_id")
    return None


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain() -> ChainReport:
    """Recompute every hash in id order; report the first event that does not match."""
    prev = GENESIS
    count = 0
    for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        count += 1
        if event.prev_hash != prev:
            return ChainReport(count, event.id, "previous hash does not match (row removed?)")
        if chain_hash(prev, event) != event.hash:
            return ChainReport(count, event.id, "content does not match its hash (row edited?)")
        prev = event.hash
    return ChainReport(count, None, None)
