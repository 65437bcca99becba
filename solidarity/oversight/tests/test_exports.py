"""Two-person identity exports (issue 8): one coordinator asks, a different one approves,
and only the approver downloads the decrypted file, once. Played through the console and
the services; the database itself refuses a self-approval.

Cast: coordinators alice (asks) and bob (approves); volunteer victor; `outsider` (not signed
in) is covered by the permission matrix.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from solidarity.audit.models import AuditEvent
from solidarity.cases.models import Case
from solidarity.oversight import exports
from solidarity.oversight.models import IdentityExport
from solidarity.testing.factories import log_in, make_application, make_org, make_staff
from solidarity.vault import keyring

HANDLE = "@officer_who_quit_Q7"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def alice(db):
    make_org()
    return make_staff(role="coordinator", username="alice")


@pytest.fixture
def bob(alice):
    return make_staff(role="coordinator", username="bob")


@pytest.fixture
def verified(alice) -> list[Case]:
    codes = [
        make_application(contact_kind="telegram", contact_handle=HANDLE).case_code,
        make_application(service_number="=HYPERLINK(1)").case_code,
    ]
    # Verification itself is tested in cases/tests; here the cases only need to be verified.
    Case.objects.filter(code__in=codes).update(status=Case.Status.VERIFIED)
    return list(Case.objects.filter(code__in=codes).order_by("code"))


def _signed_in(staff) -> Client:
    client = Client()
    assert log_in(client, staff).status_code == 302
    return client


def _ask(client: Client, cases: list[Case]):
    return client.post(
        reverse("oversight:exports"),
        {"case_codes": "\n".join(c.code for c in cases), "purpose": "lawyer"},
    )


def test_an_export_without_a_second_coordinator_downloads_nothing(alice, verified):
    client = _signed_in(alice)
    assert _ask(client, verified).status_code == 302
    export = IdentityExport.objects.get()

    response = client.post(reverse("oversight:export_download", args=[export.pk]))

    assert response.status_code == 302
    assert HANDLE.encode() not in response.content
    export.refresh_from_db()
    assert export.state == IdentityExport.State.REQUESTED
    assert export.downloaded_at is None
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()


def test_the_requester_cannot_approve_their_own_export(alice, verified):
    client = _signed_in(alice)
    _ask(client, verified)
    export = IdentityExport.objects.get()

    client.post(reverse("oversight:export_approve", args=[export.pk]))
    with pytest.raises(exports.SelfApprovalError):
        exports.approve_export(export.pk, by=alice.user)

    export.refresh_from_db()
    assert export.state == IdentityExport.State.REQUESTED
    assert export.approved_by is None
    assert AuditEvent.objects.filter(action="export.self_approval_refused").count() == 2


def test_the_database_refuses_a_self_approval_too(alice, verified):
    export = exports.request_export([c.code for c in verified], "lawyer", by=alice.user)

    # Around the service, as a bug or a shell would: the check constraint holds.
    with pytest.raises(IntegrityError), transaction.atomic():
        IdentityExport.objects.filter(pk=export.pk).update(
            approved_by=alice.user, state=IdentityExport.State.APPROVED
        )

    export.refresh_from_db()
    assert export.approved_by is None


def test_the_database_refuses_a_download_that_was_never_approved(alice, verified):
    export = exports.request_export([verified[0].code], "lawyer", by=alice.user)

    with pytest.raises(IntegrityError), transaction.atomic():
        IdentityExport.objects.filter(pk=export.pk).update(downloaded_at=export.requested_at)


def test_an_approved_export_downloads_once_for_the_approver(alice, bob, verified):
    _ask(_signed_in(alice), verified)
    export = IdentityExport.objects.get()
    approver = _signed_in(bob)
    assert approver.post(reverse("oversight:export_approve", args=[export.pk])).status_code == 302

    first = approver.post(reverse("oversight:export_download", args=[export.pk]))
    second = approver.post(reverse("oversight:export_download", args=[export.pk]))

    assert first.status_code == 200
    assert first["Content-Type"] == "text/csv; charset=utf-8"
    assert first["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(first.content.decode())))
    assert rows[0] == ["case", "programme", *exports.IDENTITY_FIELDS]
    assert sorted(row[0] for row in rows[1:]) == [c.code for c in verified]
    handles = {row[0]: row[rows[0].index("contact_handle")] for row in rows[1:]}
    assert HANDLE in handles.values()
    # A formula an applicant typed is defused for the spreadsheet the lawyer opens it in.
    numbers = [row[rows[0].index("service_number")] for row in rows[1:]]
    assert "'=HYPERLINK(1)" in numbers
    assert second.status_code == 302
    assert HANDLE.encode() not in second.content
    export.refresh_from_db()
    assert export.state == IdentityExport.State.DOWNLOADED
    assert export.approved_by == bob.user
    events = AuditEvent.objects.filter(action__startswith="export.").values_list(
        "action", "actor__username"
    )
    assert list(events) == [
        ("export.requested", "alice"),
        ("export.approved", "bob"),
        ("export.downloaded", "bob"),
    ]


def test_only_the_approver_downloads(alice, bob, verified):
    carol = make_staff(role="coordinator", username="carol")
    export = exports.request_export([verified[0].code], "partner", by=alice.user)
    exports.approve_export(export.pk, by=bob.user)

    for someone in (alice, carol):
        response = _signed_in(someone).post(reverse("oversight:export_download", args=[export.pk]))
        assert response.status_code == 302
        assert HANDLE.encode() not in response.content
    export.refresh_from_db()
    assert export.downloaded_at is None


def test_the_file_is_never_stored_on_disk_or_in_the_database(alice, bob, verified, settings):
    export = exports.request_export([c.code for c in verified], "lawyer", by=alice.user)
    exports.approve_export(export.pk, by=bob.user)
    key = keyring.unlock_staff_key(bob.user, bob.passphrase)

    data = exports.download_export(export.pk, by=bob.user, staff_private_key=key)

    assert HANDLE.encode() in data
    for path in settings.DATA_DIR.rglob("*"):
        if path.is_file():
            assert HANDLE.encode() not in path.read_bytes(), path
    # Nor in any row of any table (the export, the audit log, the task queue, sessions).
    for model in apps.get_models():
        for row in model.objects.values_list():
            for value in row:
                raw = bytes(value) if isinstance(value, (bytes, memoryview)) else str(value)
                needle = HANDLE.encode() if isinstance(raw, bytes) else HANDLE
                assert needle not in raw, model._meta.label


def test_only_verified_cases_can_be_asked_for(alice):
    pending = make_application().case_code
    client = _signed_in(alice)

    response = client.post(
        reverse("oversight:exports"), {"case_codes": f"{pending}\nNOPE-NOPE", "purpose": "lawyer"}
    )

    assert response.status_code == 400
    assert "These codes name no verified case" in response.content.decode()
    assert pending in response.content.decode()
    assert not IdentityExport.objects.exists()


def test_bad_input_gets_a_clear_error(alice):
    client = _signed_in(alice)

    empty = client.post(reverse("oversight:exports"), {"case_codes": " \n", "purpose": "lawyer"})
    purpose = client.post(
        reverse("oversight:exports"), {"case_codes": "ABCD-EFGH-JKMN", "purpose": "gossip"}
    )

    assert empty.status_code == 400
    assert purpose.status_code == 400
    assert "Select a valid choice" in purpose.content.decode()
    assert not IdentityExport.objects.exists()


def test_a_cancelled_export_cannot_be_approved(alice, bob, verified):
    export = exports.request_export([verified[0].code], "lawyer", by=alice.user)
    exports.cancel_export(export.pk, by=alice.user)

    with pytest.raises(exports.ExportStateError):
        exports.approve_export(export.pk, by=bob.user)
