"""Case work: opening a case in an unlocked staff session, messages, the queue."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, models, transaction
from django.db.models import Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from solidarity.accounts.models import QueueCount
from solidarity.audit import services as audit
from solidarity.audit.models import AuditEvent
from solidarity.cases import sealed
from solidarity.cases.models import Attachment, Case, Message
from solidarity.vault import keyring


class CaseAccessDeniedError(Exception):
    """This staff member holds no key that opens this case."""


class CaseAccessExpiredError(CaseAccessDeniedError):
    """This staff member's access grant for the case ended on ``ended_on``."""

    def __init__(self, ended_on: datetime.date) -> None:
        super().__init__("the access grant for this case has expired")
        self.ended_on = ended_on


def access_ended_message(ended_on) -> str:
    """What a volunteer whose access grant expired is told (a page, not an error trace)."""
    return _(
        "Your access to this case ended on %(day)s. If you still work on it, ask a "
        "coordinator to renew your access."
    ) % {"day": date_format(ended_on, "DATE_FORMAT")}


# The audit action `solidarity grants expire` records for each grant it shreds.
GRANT_EXPIRED_ACTION = "grant.expired"


def _grant_ended_on(case: Case, user) -> datetime.date | None:
    """The day ``user``'s grant for ``case`` ended, if it expired and was shredded since."""
    events = AuditEvent.objects.filter(action=GRANT_EXPIRED_ACTION, subject=case.code)
    for details in events.order_by("-id").values_list("details", flat=True)[:20]:
        if details.get("user") == user.username and details.get("ended_on"):
            return datetime.date.fromisoformat(details["ended_on"])
    return None


def file_meta(item: dict) -> dict:
    """What we seal about a file beside its contents (an item from ``forms.clean_uploads``)."""
    return {
        "kind": item["kind"],
        "name": item["name"],
        "content_type": item["file"].content_type,
        "size": len(item["file"].data),
        "metadata_removed": item["file"].metadata_removed,
    }


# Only these roles ever open a case: coordinators through the intake key, volunteers (and
# coordinators) through an access grant. An administrator, treasurer, job coach or trustee
# is refused even if a key copy were somehow made for them.
CASE_ROLES = frozenset({"coordinator", "volunteer"})


def case_private_key_for_staff(case: Case, user, staff_private_key: bytes) -> bytes:
    """Open the case key with what this staff member holds: the intake key (coordinators) or
    an access grant for this case. Raises CaseAccessDeniedError (CaseAccessExpiredError when
    the grant has expired)."""
    if user.role not in CASE_ROLES or user.revoked_at is not None:
        raise CaseAccessDeniedError("this role opens no case")
    try:
        if user.is_coordinator and keyring.has_intake_access(user):
            intake_private = keyring.open_intake_key(user, staff_private_key)
            return keyring.open_case_key_with_intake(case, intake_private)
        return keyring.open_case_key_with_grant(case, user, staff_private_key)
    except keyring.GrantExpiredError as exc:
        raise CaseAccessExpiredError(exc.ended_on) from None
    except keyring.NoGrantError:
        ended_on = _grant_ended_on(case, user)
        if ended_on is not None:
            raise CaseAccessExpiredError(ended_on) from None
        raise CaseAccessDeniedError("no key for this case") from None


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


class CaseRekeyedError(Exception):
    """The case was re-keyed while something was being sealed to its old key: seal again."""


def lock_case_for_sealing(case: Case, public_key: bytes) -> Case:
    """Lock the case row and check that ``public_key`` is still its key.

    Call inside the transaction that stores something sealed with ``public_key``: a re-key
    (which locks the same row) then either finished before, and this raises
    CaseRekeyedError, or waits until the new row is stored and moves it to the new key.
    """
    current = Case.objects.select_for_update().only("id", "case_public_key").get(pk=case.pk)
    if bytes(current.case_public_key) != public_key:
        raise CaseRekeyedError(case.code)
    return current


# A re-key finishes in milliseconds; two misses in a row mean something else is wrong.
_SEALING_ATTEMPTS = 3


def store_message(case: Case, body: str, files: list[dict], *, author) -> Message:
    """Seal a message (and its files) to the case key. ``author`` None means the applicant."""
    for _attempt in range(_SEALING_ATTEMPTS - 1):
        try:
            return _store_message(case, body, files, author=author)
        except CaseRekeyedError:
            case.refresh_from_db(fields=["case_public_key"])
    return _store_message(case, body, files, author=author)


def _store_message(case: Case, body: str, files: list[dict], *, author) -> Message:
    public_key = bytes(case.case_public_key)
    today = timezone.localdate()
    stored = [(*sealed.store_file(public_key, f["file"].data), f) for f in files]
    document = {"body": body, "sent_at": timezone.now().isoformat(timespec="minutes")}
    try:
        with transaction.atomic():
            lock_case_for_sealing(case, public_key)
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


def programme_status_counts() -> list[dict]:
    """Cases per programme and status, from the counts table the database keeps current
    (accounts.QueueCount): counting a million rows on every queue page would take seconds."""
    return list(
        QueueCount.objects.values("programme", "status")
        .annotate(n=Sum("n"))
        .filter(n__gt=0)
        .order_by("programme", "status")
    )


def status_counts() -> dict[str, int]:
    counts = {value: 0 for value, _label in Case.Status.choices}
    for row in programme_status_counts():
        counts[row["status"]] = counts.get(row["status"], 0) + row["n"]
    return counts


PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueFilters:
    """What the queue is narrowed to. Every filter is a plain column the queue may show."""

    programme: str = ""
    status: str = ""
    # A screening flag kind: cases with an open flag of this kind (needs solidarity.screening).
    flag: str = ""
    # A staff member's id, or UNASSIGNED.
    assignee: int | str | None = None
    received_after: datetime.date | None = None  # on or after this day
    received_before: datetime.date | None = None  # on or before this day


UNASSIGNED = "none"


@dataclass(frozen=True)
class Cursor:
    """Where a queue page ends: pages go on with older cases (keyset, never OFFSET)."""

    received_on: datetime.date
    id: int

    def __str__(self) -> str:
        return f"{self.received_on.isoformat()}.{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor | None:
        day, _dot, number = (text or "").partition(".")
        try:
            return cls(datetime.date.fromisoformat(day), int(number))
        except ValueError:
            return None


def flags_available() -> bool:
    """Whether the screening app (which owns case flags) is installed here."""
    if not apps.is_installed("solidarity.screening"):
        return False
    try:
        apps.get_model("screening", "CaseFlag")
    except LookupError:
        return False
    return True


def _ordered(qs):
    # Newest first by the day received; id breaks ties and keeps the order total for keysets.
    return qs.order_by("-received_on", "-id")


def _after_cursor(qs, cursor: Cursor | None):
    if cursor is None:
        return qs
    # (received_on, id) < cursor, written so that an index on (…, received_on, id) is used as
    # a range: everything up to the cursor's day, minus that day's rows at or after its id.
    return qs.filter(received_on__lte=cursor.received_on).exclude(
        received_on=cursor.received_on, id__gte=cursor.id
    )


def filter_queue(qs, filters: QueueFilters):
    if filters.programme:
        qs = qs.filter(programme=filters.programme)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.assignee == UNASSIGNED:
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee:
        qs = qs.filter(assignee_id=filters.assignee)
    if filters.received_after:
        qs = qs.filter(received_on__gte=filters.received_after)
    if filters.received_before:
        qs = qs.filter(received_on__lte=filters.received_before)
    if filters.flag:
        if not flags_available():
            return qs.none()  # asked for flags that do not exist here: match nothing
        flag_model = apps.get_model("screening", "CaseFlag")
        flagged = flag_model.objects.filter(kind=filters.flag, state="open").values("case_id")
        qs = _among(qs, flagged)
    return qs


def _among(qs, case_ids):
    """``qs`` narrowed to the cases whose ids the subquery ``case_ids`` returns."""
    if connection.vendor != "postgresql":
        return qs.filter(id__in=case_ids)
    # PostgreSQL plans "id IN (subquery)" under a LIMIT as a walk over the newest cases that
    # probes the flags of each: hundreds of milliseconds when flagged cases are few and old.
    # "id = ANY(ARRAY(subquery))" runs the subquery once, first, then looks those cases up.
    sql, params = case_ids.query.sql_with_params()
    column = f"{connection.ops.quote_name(Case._meta.db_table)}.{connection.ops.quote_name('id')}"
    return qs.filter(
        # Django compiled that subquery itself; its values travel as parameters.
        RawSQL(f"{column} = ANY(ARRAY({sql}))", params, output_field=models.BooleanField())  # noqa: S611
    )


_QUEUE_COLUMNS = ("id", "code", "programme", "status", "received_on", "assignee_id")


def queue_page(
    filters: QueueFilters | None = None,
    *,
    cursor: Cursor | None = None,
    size: int = PAGE_SIZE,
    programme: str = "",
    status: str = "",
) -> list[Case]:
    """One page of the queue, newest first, by keyset (``cursor``) rather than OFFSET."""
    filters = filters or QueueFilters(programme=programme, status=status)
    qs = _ordered(_after_cursor(filter_queue(Case.objects.all(), filters), cursor))
    if not filters.flag:
        return list(qs.only(*_QUEUE_COLUMNS)[:size])
    return _scattered_page(qs, size)


def _scattered_page(qs, size: int) -> list[Case]:
    """A page of cases picked by id from all over the table (flagged, or granted to one
    person): choose the page from the narrow covering index (case_queue_cover) first, then
    read only those rows, instead of reading every candidate's row to sort them."""
    ids = list(qs.values_list("id", flat=True)[:size])
    rows = Case.objects.only(*_QUEUE_COLUMNS).in_bulk(ids)
    return [rows[i] for i in ids if i in rows]


def granted_cases_page(user, *, cursor: Cursor | None = None, size: int = PAGE_SIZE) -> list[Case]:
    """A volunteer's own queue: only the cases they hold an access grant for."""
    qs = Case.objects.filter(access_grants__user=user)
    return _scattered_page(_ordered(_after_cursor(qs, cursor)), size)
