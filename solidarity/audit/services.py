"""The append-only, hash-chained audit log of staff actions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from solidarity.audit.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _digest(prev_hash: str, event: AuditEvent) -> str:
    body = json.dumps(
        {
            "prev": prev_hash,
            "at": event.at.isoformat(),
            "actor": event.actor_id,
            "actor_name": event.actor_name,
            "action": event.action,
            "subject": event.subject,
            "details": event.details,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(body.encode("ascii")).hexdigest()


def record(action: str, *, actor=None, subject: object = "", **details) -> AuditEvent:
    """Append one event. Call it inside the transaction of the action it describes."""
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS}
        )
        event = AuditEvent(
            at=timezone.now().replace(microsecond=0),
            actor=actor,
            actor_name=getattr(actor, "username", "") or "",
            action=action,
            subject=str(subject)[:64],
            details=details,
            prev_hash=head.last_hash,
        )
        event.hash = _digest(head.last_hash, event)
        event.save()
        head.last_hash = event.hash
        head.count += 1
        head.save(update_fields=["last_hash", "count"])
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


def verify_chain() -> ChainReport:
    """Walk the log from the start; report the first row whose hash or link does not hold."""
    prev = GENESIS
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != prev:
            return ChainReport(
                False,
                checked,
                event.id,
                "link to the previous entry is broken (deleted or reordered)",
            )
        if _digest(prev, event) != event.hash:
            return ChainReport(False, checked, event.id, "entry was edited")
        prev = event.hash
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != prev or head.count != checked):
        return ChainReport(False, checked, None, "the newest entries were removed")
    return ChainReport(True, checked)
