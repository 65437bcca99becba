"""Canary test: a day of case work fills the audit log, and no row holds what a case says.

Every staff action here is done over HTTP as a staff member does it; then every column of
every audit row, and the table's raw bytes as the database returns them, are searched for
the canaries planted in the application, the notes, the reason, the messages and files.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from solidarity.audit.models import AuditEvent
from solidarity.audit.services import verify_chain
from solidarity.cases.models import Attachment, Case, ChecklistEntry
from solidarity.testing.builders import STORY_CANARY, jpeg_with_metadata
from solidarity.testing.factories import (
    log_in,
    make_application,
    make_org,
    make_staff,
)

EMPLOYER_CANARY = "CanaryEmployerUnitR5"
FILE_NAME_CANARY = "CanaryFileNameW2"
NOTE_CANARY = "CanaryEvidenceNoteE4"
VOUCHER_NOTE_CANARY = "CanaryVoucherNoteU6"
REASON_CANARY = "CanaryReasonOfRejectionA9"
MESSAGE_CANARY = "CanaryStaffMessageB3"
DECISION_MESSAGE_CANARY = "CanaryDecisionMessageC1"
PASSPHRASE_FRAGMENT = "battery staple"  # from the factories' staff passphrase
CANARIES = [
    STORY_CANARY,
    EMPLOYER_CANARY,
    FILE_NAME_CANARY,
    NOTE_CANARY,
    VOUCHER_NOTE_CANARY,
    REASON_CANARY,
    MESSAGE_CANARY,
    DECISION_MESSAGE_CANARY,
    PASSPHRASE_FRAGMENT,
]


@pytest.fixture
def day_of_case_work(db):
    make_org()
    coordinator = make_staff(role="coordinator", username="alice")
    receipt = make_application(
        files={
            "proof_files": [SimpleUploadedFile(f"{FILE_NAME_CANARY}.jpg", jpeg_with_metadata())]
        },
        employer=EMPLOYER_CANARY,
    )
    voucher = make_application()
    Case.objects.filter(code=voucher.case_code).update(status=Case.Status.VERIFIED)
    code = receipt.case_code
    client = Client()

    def post(name, data, *args):
        response = client.post(reverse(f"staff:{name}", args=[code, *args]), data)
        assert response.status_code == 302, (name, response.content[:500])

    assert log_in(client, coordinator).status_code == 302
    client.post(reverse("staff:lock"))
    client.post(reverse("staff:unlock"), {"passphrase": coordinator.passphrase})
    client.get(reverse("staff:case", args=[code]))
    attachment = Attachment.objects.get(case__code=code)
    client.get(reverse("staff:case_file", args=[code, attachment.id]))
    # Screening (its own app) is a staff action too, and lets "screening clear" be ticked
    post("screening:case", {})
    post(
        "case",
        {"body": MESSAGE_CANARY, "files": [SimpleUploadedFile("a.jpg", jpeg_with_metadata())]},
    )
    for item in ("service_id", "separation_papers", "video_statement", "screening_clear"):
        post("verification_item", {"done": "on", "note": NOTE_CANARY}, item)
    post(
        "verification_item",
        {"done": "on", "note": VOUCHER_NOTE_CANARY, "voucher_code": voucher.case_code},
        "vouched",
    )
    assert ChecklistEntry.objects.filter(case__code=code, done=True).count() == 5
    post(
        "verification_decision",
        {
            "outcome": "rejected",
            "reason_category": "suspected_provocation",
            "reason": REASON_CANARY,
            "send_reason": "on",
            "message": DECISION_MESSAGE_CANARY,
        },
    )
    post("verification_status", {"action": "reopen"})
    client.get(reverse("staff:audit"))
    client.post(reverse("staff:logout"))
    return code, voucher.case_code


def test_every_staff_action_of_the_day_is_in_the_log(day_of_case_work):
    code, _voucher = day_of_case_work

    actions = set(AuditEvent.objects.values_list("action", flat=True))

    assert {
        "staff.login",
        "staff.vault_locked",
        "staff.vault_unlocked",
        "case.viewed",
        "case.file_viewed",
        "case.message_sent",
        "case.checklist_ticked",
        "case.status_changed",
        "case.decided",
        "screening.case_screened",
        "audit.viewed",
        "staff.logout",
    } <= actions
    assert AuditEvent.objects.filter(subject=code, action="case.checklist_ticked").count() == 5
    assert verify_chain().ok


def test_no_audit_row_holds_the_contents_of_a_case(day_of_case_work):
    _code, voucher = day_of_case_work
    rows = list(AuditEvent.objects.values_list())
    assert rows

    text = "\n".join(repr(row) for row in rows)
    for canary in [*CANARIES, voucher]:
        assert canary not in text, canary

    # The same over the raw column values, as a copy of the database would show them
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a fixed table name
        raw = "\n".join(repr(row) for row in cursor.fetchall())
    for canary in [*CANARIES, voucher]:
        assert canary not in raw, canary


def test_the_audit_page_shows_no_case_contents(day_of_case_work):
    staff = make_staff(role="coordinator", username="bob")
    client = Client()
    log_in(client, staff)

    page = client.get(reverse("staff:audit")).content.decode()

    assert "case.decided" in page
    for canary in CANARIES:
        assert canary not in page, canary
