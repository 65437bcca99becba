"""Winding the fund down (issue 8): after a raid ends the fund, no case can be opened by
anyone, no upload is left, and the books still balance under a verifiable audit log."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from solidarity.accounts.models import User
from solidarity.audit.models import AuditEvent
from solidarity.audit.services import verify_chain
from solidarity.cases import disclosure, verification, winddown
from solidarity.cases.models import Attachment, Case, ChecklistEntry, Message, OperationalTerm
from solidarity.cases.tests.conftest import make_case, screen, unlocked
from solidarity.intake.services import ReceiptRejectedError, open_receipt
from solidarity.jobs import services as jobs_services
from solidarity.jobs.models import CandidateProfile, Employer
from solidarity.jobs.tests.factories import make_coach, make_opening, make_profile
from solidarity.ledger import donations, services
from solidarity.ledger.models import Account, Donation, Entry, PayoutDestination, Posting
from solidarity.ledger.tests.factories import make_active_plan, make_destination, make_held_account
from solidarity.screening.models import CaseScreening, IdentifierDigest
from solidarity.testing.builders import jpeg_with_metadata
from solidarity.testing.factories import (
    DEFAULT_PASSPHRASE,
    intake_private_key,
    make_application,
    make_staff,
)
from solidarity.vault import core, keyring
from solidarity.vault.models import AccessGrant, ApplicantKey, IntakeKeyWrap, StaffKey

ORG = "Test Solidarity Fund"
BOTH = [("alice", DEFAULT_PASSPHRASE), ("bob", DEFAULT_PASSPHRASE)]


@pytest.fixture(autouse=True)
def _own_uploads(settings, tmp_path):
    """Wind-down empties the uploads directory: give each test its own."""
    settings.UPLOADS_DIR = tmp_path / "uploads"


@pytest.fixture
def bob(org):
    return unlocked(make_staff(role="coordinator", username="bob"))


@pytest.fixture
def fund(org, coordinator, bob, volunteer, treasurer):
    """A fund in the middle of its work: applications with files and messages, a verified
    case on the books with a payout destination, screening, a donor who asked for a receipt,
    an operational term."""
    receipts = [
        make_application(
            files={"proof_files": [SimpleUploadedFile("id.jpg", jpeg_with_metadata())]}
        )
        for _ in range(2)
    ]
    cases = [Case.objects.get(code=r.case_code) for r in receipts]
    first = cases[0]
    screen(first, coordinator)
    verification.set_checklist_item(
        first, "service_id", by=coordinator.user, staff_key=coordinator.key, done=True, note="Seen"
    )
    from solidarity.cases import access

    access.assign_case(
        first.pk, volunteer.user, by=coordinator.user, staff_private_key=coordinator.key
    )
    from solidarity.accounts import services as accounts

    accounts.send_message(coordinator.user, first, coordinator.key, "Send your papers", [])

    eur = make_held_account(name="Main bank", currency="EUR")
    services.post_entry(
        Entry.Kind.OPENING,
        [
            (eur, Decimal("9000.00")),
            (services.standard_account(Account.Purpose.OPENING, "EUR"), Decimal("-9000.00")),
        ],
    )
    plan = make_active_plan(by=coordinator.user)
    make_destination(plan.case, "sepa", by=treasurer.user)
    donations.record_donation(
        amount=Decimal("40.00"),
        currency="EUR",
        held_account=eur,
        receipt_to="donor@example.org",
        by=treasurer.user,
    )
    disclosure.add_term("Revolut", OperationalTerm.Kind.PAYMENT_RAIL, by=coordinator.user)
    # Jobs: a candidate's profile and an employer an opening still points at.
    coach = make_coach(username="coach")
    profile = make_profile()
    jobs_services.introduce(profile, make_opening(coach.user), by=coach.user, note="Call Anna")
    return {"receipts": receipts, "cases": cases, "books_case": plan.case}


def _uploaded_files() -> list[Path]:
    root = Path(settings.UPLOADS_DIR)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _secret_values() -> list[tuple[str, bytes]]:
    """Every non-empty value of every secret column left in the database."""
    left = []
    for model, columns in winddown.secret_columns().items():
        for column in columns:
            for value in model._base_manager.values_list(column.name, flat=True):
                if value:
                    left.append((f"{model._meta.label}.{column.name}", bytes(value)))
    return left


def _snapshot() -> dict:
    return {
        "cases": Case.objects.count(),
        "messages": Message.objects.count(),
        "attachments": Attachment.objects.count(),
        "grants": AccessGrant.objects.count(),
        "applicant_keys": ApplicantKey.objects.count(),
        "staff_keys": StaffKey.objects.count(),
        "postings": Posting.objects.count(),
        "secrets": len(_secret_values()),
        "files": len(_uploaded_files()),
    }


def test_after_wind_down_no_case_opens_and_only_the_books_remain(fund, coordinator):
    postings_before = Posting.objects.count()
    entries_before = Entry.objects.count()
    books_case = fund["books_case"]
    assert _uploaded_files()

    # When two coordinators confirm and the operator typed the fund's name
    report = winddown.wind_down(ORG, BOTH)

    # Then nobody can open any case: the intake key opens no case key, the receipt nothing
    intake = intake_private_key()
    for case in Case.objects.all():
        with pytest.raises(core.VaultError):
            keyring.open_case_key_with_intake(case, intake)
    for receipt in fund["receipts"]:
        with pytest.raises(ReceiptRejectedError):
            open_receipt(receipt.case_code, receipt.passphrase, client="after-raid")
    # ... and no copy of any key, nor anything sealed, is left anywhere
    assert _secret_values() == []
    for model in (
        Message,
        Attachment,
        ChecklistEntry,
        AccessGrant,
        ApplicantKey,
        StaffKey,
        IntakeKeyWrap,
        CaseScreening,
        IdentifierDigest,
        OperationalTerm,
        CandidateProfile,
    ):
        assert not model.objects.exists(), model
    # An employer the jobs records still point at stays, with its sealed name emptied.
    assert bytes(Employer.objects.get().name_sealed) == b""
    assert _uploaded_files() == []
    # Only the case the books name is kept, as code, programme, status and day
    assert list(Case.objects.values_list("code", flat=True)) == [books_case.code]
    assert PayoutDestination.objects.get().case_id == books_case.pk
    # The books are whole and still balance
    assert Posting.objects.count() == postings_before
    assert Entry.objects.count() == entries_before
    assert all(check.ok for check in services.check_balances())
    assert all(total == 0 for total in services.currency_totals().values())
    assert Donation.objects.get().amount == Decimal("40.00")
    # The audit log verifies and holds the report
    assert verify_chain().ok
    event = AuditEvent.objects.get(action="winddown.completed")
    assert event.details["confirmed_by"] == ["alice", "bob"]
    assert event.details["deleted"]["cases.Case"] == 3
    assert event.details["kept"]["ledger.Posting"] == postings_before
    # And the report says what was kept and why
    kept = {what: why for what, _n, why in report.kept}
    assert "ledger.Posting" in kept
    assert "audit.AuditEvent" in kept
    assert report.deleted["vault.StaffKey"] == User.objects.count()
    assert report.emptied["ledger.PayoutDestination.details_for_payouts_sealed"] == 1
    assert report.emptied["ledger.Donation.donor_contact_sealed"] == 1
    assert report.files_deleted == 2


def test_no_byte_of_a_shredded_row_is_left_in_any_table(fund):
    from solidarity.ledger.tests.test_seizure import _raw_tables

    sealed_before = {value[:48] for _label, value in _secret_values() if len(value) >= 48}
    assert sealed_before

    winddown.wind_down(ORG, BOTH)

    dump = _raw_tables()
    assert not [chunk for chunk in sealed_before if chunk in dump]


@pytest.mark.parametrize(
    ("name", "confirmations", "why"),
    [
        ("Another Fund", BOTH, "name was not typed exactly"),
        (ORG, [("alice", DEFAULT_PASSPHRASE)], "Two different coordinators"),
        (ORG, [("alice", DEFAULT_PASSPHRASE)] * 2, "Two different coordinators"),
        (ORG, [("alice", DEFAULT_PASSPHRASE), ("bob", "wrong passphrase here")], "did not open"),
        (ORG, [("alice", DEFAULT_PASSPHRASE), ("victor", DEFAULT_PASSPHRASE)], "not an active"),
    ],
)
def test_without_both_confirmations_nothing_changes(fund, name, confirmations, why):
    before = _snapshot()

    with pytest.raises(winddown.WindDownRefusedError, match=why):
        winddown.wind_down(name, confirmations)

    assert _snapshot() == before
    assert not AuditEvent.objects.filter(action="winddown.completed").exists()


def test_a_dry_run_reports_and_changes_nothing(fund):
    before = _snapshot()

    report = winddown.wind_down("", [], dry_run=True)

    assert _snapshot() == before
    assert report.dry_run
    assert report.deleted["cases.Case"] == 3  # two applications and the candidate's
    assert report.files_deleted == 2
    assert AuditEvent.objects.filter(action="winddown.dry_run").exists()
    assert verify_chain().ok


def test_the_command_confirms_through_the_environment(fund, monkeypatch, capsys):
    monkeypatch.setenv("SOLIDARITY_WINDDOWN_PASSPHRASE_1", DEFAULT_PASSPHRASE)
    monkeypatch.setenv("SOLIDARITY_WINDDOWN_PASSPHRASE_2", DEFAULT_PASSPHRASE)

    call_command("wind-down", organisation=ORG, by=["alice", "bob"])

    out = capsys.readouterr().out
    assert "is wound down" in out
    assert "Kept, and why:" in out
    assert "ledger.Posting" in out
    assert "Keep the books until" in out
    assert not Message.objects.exists()


def test_the_command_refuses_a_wrong_passphrase_and_changes_nothing(fund, monkeypatch):
    monkeypatch.setenv("SOLIDARITY_WINDDOWN_PASSPHRASE_1", DEFAULT_PASSPHRASE)
    monkeypatch.setenv("SOLIDARITY_WINDDOWN_PASSPHRASE_2", "not bob's passphrase at all")
    before = _snapshot()

    with pytest.raises(CommandError, match="Refused, nothing changed"):
        call_command("wind-down", organisation=ORG, by=["alice", "bob"])

    assert _snapshot() == before


def test_a_new_sealed_table_would_be_found_without_being_listed():
    found = {
        (model._meta.label, column.name)
        for model, columns in winddown.secret_columns().items()
        for column in columns
    }
    # Every listed sealed column, and the digests that are not "sealed" by name.
    assert ("cases.Case", "case_key_for_intake_sealed") in found
    assert ("vault.ApplicantKey", "case_key_for_applicant_sealed") in found
    assert ("screening.CaseScreening", "story_signature_keyed") in found
    assert ("cases.OperationalTerm", "term_digest") in found
    assert ("cases.Case", "case_public_key") not in found
    # Everything vault/sealed_fields.py lists is among them.
    from solidarity.vault.sealed_fields import SEALED_FIELDS

    installed = {label for label, _f in SEALED_FIELDS if _installed(label)}
    assert {(label, f) for label, f in SEALED_FIELDS if label in installed} <= found


def _installed(label: str) -> bool:
    from django.apps import apps

    try:
        apps.get_model(label)
    except LookupError:
        return False
    return True


@pytest.mark.django_db(transaction=True)
def test_the_database_is_vacuumed_after_shredding(settings):
    # Given a fund with one application, outside a test transaction
    from solidarity.testing.factories import make_org

    make_org(ORG)
    make_staff(role="coordinator", username="alice")
    make_staff(role="coordinator", username="bob")
    make_case()

    report = winddown.wind_down(ORG, BOTH)

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            assert "VACUUM done" in report.vacuum
            cursor.execute("PRAGMA freelist_count")
            assert cursor.fetchone()[0] == 0  # no freed page left holding old bytes
            cursor.execute("PRAGMA secure_delete")
            assert cursor.fetchone()[0] == 1
        else:
            assert "VACUUM FULL done" in report.vacuum
    assert not Case.objects.exists()
    assert verify_chain().ok
