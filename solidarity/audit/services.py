"""The append-only, hash-chained audit log of staff actions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

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
    head_hash: str = ""


def verify_chain() -> ChainReport:
    """Walk the log from the start; report the first row whose hash or link does not hold.

    An edited row fails its own hash; a deleted or moved row breaks the link of the row
    that follows it; removing the newest rows (or the head itself) leaves the head
    disagreeing with the chain. Someone who rewrites every later row and the head too is
    caught only by comparing the head with a copy kept elsewhere (`audit verify` prints it).
    """
    prev = GENESIS
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != prev:
            return ChainReport(
                False,
                checked,
                event.id,
                _("link to the previous entry is broken (deleted or reordered)"),
            )
        if _digest(prev, event) != event.hash:
            return ChainReport(False, checked, event.id, _("entry was edited"))
        prev = event.hash
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is None:
        if checked:
            return ChainReport(False, checked, None, _("the head of the log was removed"))
        return ChainReport(True, 0)
    if head.last_hash != prev or head.count != checked:
        if head.count < checked:
            reason = _("entries were added after the head (not through the log)")
        else:
            reason = _("the newest entries were removed")
        return ChainReport(False, checked, None, reason)
    return ChainReport(True, checked, head_hash=head.last_hash)


AUDIT_PAGE_SIZE = 100


def recent_events(
    *,
    action: str = "",
    subject: str = "",
    before_id: int | None = None,
    size: int = AUDIT_PAGE_SIZE,
) -> list[AuditEvent]:
    """One page of the log, newest first, by keyset (``before_id``). ``action`` matches a
    prefix ("case." for all case work); ``subject`` matches exactly (a case code)."""
    qs = AuditEvent.objects.order_by("-id")
    if action:
        qs = qs.filter(action__startswith=action)
    if subject:
        qs = qs.filter(subject=subject)
    if before_id:
        qs = qs.filter(id__lt=before_id)
    return list(qs[:size])


def log_size() -> int:
    head = AuditHead.objects.filter(pk=1).first()
    return head.count if head else 0
