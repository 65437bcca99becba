"""Case work: opening a case in an unlocked staff session, messages, the queue."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from solidarity.audit import services as audit
from solidarity.cases import sealed
from solidarity.cases.models import Attachment, Case, Message
from solidarity.vault import core, keyring


class CaseAccessDeniedError(Exception):
    """This staff member holds no key that opens this case."""


def file_meta(item: dict) -> dict:
    """What we seal about a file beside its contents (an item from ``forms.clean_uploads``)."""
    return {
        "kind": item["kind"],
        "name": item["name"],
        "content_type": item["file"].content_type,
        "size": len(item["file"].data),
        "metadata_removed": item["file"].metadata_removed,
    }


def case_private_key_for_staff(case: Case, user, staff_private_key: bytes) -> bytes:
    """Open the case key with what this staff member holds. Raises CaseAccessDeniedError."""
    if user.is_coordinator and keyring.has_intake_access(user):
        intake_private = keyring.open_intake_key(user, staff_private_key)
        return core.open_case_key_with_intake(
            bytes(case.case_key_for_intake_sealed), intake_private
        )
    raise CaseAccessDeniedError("no key for this case")


@dataclass(frozen=True)
class OpenedCase:
    case: Case
    answers: dict
    attachments: list[dict]
    messages: list[dict]


def open_case(case: Case, private_key: bytes) -> OpenedCase:
    """Decrypt a case's answers, file list and messages with its private key."""
    answers = sealed.open_json(private_key, case.answers_sealed)
    attachments = [
        {
            "id": a.id,
            "message_id": a.message_id,
            "from_applicant": a.from_applicant,
            **sealed.open_json(private_key, a.meta_sealed),
        }
        for a in case.attachments.all()
    ]
    by_message: dict[int, list[dict]] = {}
    for item in attachments:
        if item["message_id"]:
            by_message.setdefault(item["message_id"], []).append(item)
    messages = [
        {
            "id": m.id,
            "from_applicant": m.from_applicant,
            "author": m.author.username if m.author else "",
            "sent_on": m.sent_on,
            "files": by_message.get(m.id, []),
            **sealed.open_json(private_key, m.body_sealed),
        }
        for m in case.messages.select_related("author")
    ]
    return OpenedCase(case=case, answers=answers, attachments=attachments, messages=messages)


def open_case_for_staff(case: Case, user, staff_private_key: bytes) -> OpenedCase:
    """Open a case in an unlocked staff session and record that it was viewed."""
    key = case_private_key_for_staff(case, user, staff_private_key)
    opened = open_case(case, key)
    audit.record("case.viewed", actor=user, subject=case.code)
    return opened


def read_attachment(case: Case, attachment_id: int, private_key: bytes) -> tuple[dict, bytes]:
    attachment = Attachment.objects.get(case=case, pk=attachment_id)
    meta = sealed.open_json(private_key, attachment.meta_sealed)
    return meta, sealed.read_file(private_key, attachment.blob_name, attachment.file_key_sealed)


def store_message(case: Case, body: str, files: list[dict], *, author) -> Message:
    """Seal a message (and its files) to the case key. ``author`` None means the applicant."""
    public_key = bytes(case.case_public_key)
    today = timezone.localdate()
    stored = [(*sealed.store_file(public_key, f["file"].data), f) for f in files]
    document = {"body": body, "sent_at": timezone.now().isoformat(timespec="minutes")}
    try:
        with transaction.atomic():
            message = Message.objects.create(
                case=case,
                from_applicant=author is None,
                author=author,
                body_sealed=sealed.seal_json(public_key, document),
                sent_on=today,
            )
            Attachment.objects.bulk_create(
                Attachment(
                    case=case,
                    message=message,
                    from_applicant=author is None,
                    blob_name=blob_name,
                    file_key_sealed=key_sealed,
                    meta_sealed=sealed.seal_json(public_key, file_meta(f)),
                    added_on=today,
                )
                for blob_name, key_sealed, f in stored
            )
            if author is not None:
                audit.record("case.message_sent", actor=author, subject=case.code, files=len(files))
    except Exception:
        for blob_name, _key, _f in stored:
            sealed.delete_file(blob_name)
        raise
    return message


def status_counts() -> dict[str, int]:
    rows = Case.objects.values("status").annotate(n=Count("id"))
    counts = {value: 0 for value, _label in Case.Status.choices}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def programme_status_counts() -> list[dict]:
    return list(
        Case.objects.values("programme", "status")
        .annotate(n=Count("id"))
        .order_by("programme", "status")
    )


PAGE_SIZE = 50


def queue_page(
    *, programme: str = "", status: str = "", before_id: int | None = None, size: int = PAGE_SIZE
) -> list[Case]:
    """One page of the queue, newest first, by keyset (``before_id``) rather than OFFSET."""
    qs = Case.objects.only(
        "id", "code", "programme", "status", "received_on", "assignee_id"
    ).order_by("-id")
    if programme:
        qs = qs.filter(programme=programme)
    if status:
        qs = qs.filter(status=status)
    if before_id:
        qs = qs.filter(id__lt=before_id)
    return list(qs[:size])
