"""Revoking a staff member: their sessions end, their key copies go, and every case they could
ever open is re-keyed, so that their old private key opens nothing stored now, while the
applicant (with the same receipt) and the remaining coordinators still open everything.

Cast: `coordinator` alice (intake key), `bob` a second coordinator, `volunteer` victor, who
is revoked in most tests; the test keeps victor's private key as a thief would.
"""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from solidarity.accounts.models import StaffSession
from solidarity.audit.models import AuditEvent
from solidarity.cases import access, sealed, verification
from solidarity.cases.models import Attachment, Case
from solidarity.cases.services import (
    CaseAccessDeniedError,
    case_private_key_for_staff,
    open_case,
    store_message,
)
from solidarity.cases.tests.conftest import Worker, make_case, unlocked
from solidarity.intake.services import open_receipt, read_case_for_applicant
from solidarity.jobs import services as jobs
from solidarity.jobs.tests.factories import profile_data
from solidarity.testing.builders import jpeg_with_metadata
from solidarity.testing.factories import (
    DEFAULT_PASSPHRASE,
    intake_private_key,
    log_in,
    make_application,
    make_staff,
)
from solidarity.vault import core, keyring, sealed_fields
from solidarity.vault.models import (
    AccessGrant,
    IntakeKeyWrap,
    KeyExposure,
    Organisation,
    RekeyJob,
    RetiredIntakeKey,
    StaffKey,
)

PHOTO = b"the bytes of a photographed service ID"


class Crash(Exception):
    """Stands for the process dying in the middle of a batch."""


@pytest.fixture
def bob(org) -> Worker:
    return unlocked(make_staff(role="coordinator", username="bob"))


def _case_with_everything(coordinator: Worker, volunteer: Worker):
    """A case holding every kind of sealed material, assigned to the volunteer."""
    receipt = make_application(
        files={"proof_files": [SimpleUploadedFile("id.jpg", jpeg_with_metadata())]}
    )
    case = Case.objects.get(code=receipt.case_code)
    store_message(
        case,
        "Please send the resignation letter.",
        [{"file": _Upload(PHOTO), "kind": "message", "name": "note.txt"}],
        author=coordinator.user,
    )
    store_message(case, "Here it is.", [], author=None)
    access.assign_case(
        case.pk, volunteer.user, by=coordinator.user, staff_private_key=coordinator.key
    )
    verification.set_checklist_item(
        case,
        "service_id",
        by=volunteer.user,
        staff_key=volunteer.key,
        done=True,
        note="Seen on a video call",
    )
    case.refresh_from_db()
    return case, receipt


class _Upload:
    """What intake's upload cleaning hands on: bytes and what it learnt about them."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.content_type = "text/plain"
        self.metadata_removed = True


def _every_sealed_blob() -> list[tuple[str, bytes]]:
    """Every non-empty sealed value in the database, by the registry of sealed columns."""
    blobs = []
    for (label, field), _what in sealed_fields.SEALED_FIELDS.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        for value in model.objects.values_list(field, flat=True):
            if value:
                blobs.append((f"{label}.{field}", bytes(value)))
    return blobs


def _opens(private_key: bytes, blob: bytes) -> bool:
    try:
        core.open_sealed(private_key, blob)
    except core.VaultError:
        return False
    return True


def _nothing_opens_with(*private_keys: bytes) -> list[str]:
    return [
        where for where, blob in _every_sealed_blob() for key in private_keys if _opens(key, blob)
    ]


def _run(job: RekeyJob, coordinator: Worker) -> RekeyJob:
    return access.run_rekey_job(job.pk, by=coordinator.user, staff_private_key=coordinator.key)


def _readable_for(case: Case, worker: Worker) -> dict:
    key = case_private_key_for_staff(case, worker.user, worker.key)
    return open_case(case, key).answers


# --- a volunteer ------------------------------------------------------------------------------


def test_a_revoked_volunteers_old_keys_open_nothing_stored_afterwards(coordinator, volunteer, bob):
    # Given a case with every kind of sealed material, granted to the volunteer, who keeps
    # both their personal key and the case key they could open with it
    case, receipt = _case_with_everything(coordinator, volunteer)
    old_case_key = case_private_key_for_staff(case, volunteer.user, volunteer.key)
    answers_before = _readable_for(case, coordinator)
    assert _nothing_opens_with(volunteer.key, old_case_key)  # the control: they open things now

    # When a coordinator revokes the volunteer and the re-key job runs
    job = access.revoke_staff(volunteer.user, by=coordinator.user)
    job = _run(job, coordinator)

    # Then neither key opens any sealed value in the database
    assert job.state == RekeyJob.State.DONE
    assert job.cases_done == 1
    assert not job.failed_cases
    assert _nothing_opens_with(volunteer.key, old_case_key) == []
    # And the coordinators read the same case, files included
    case.refresh_from_db()
    assert bytes(case.case_public_key) != core.public_key_of(old_case_key)
    for worker in (coordinator, bob):
        assert _readable_for(case, worker) == answers_before
    new_key = case_private_key_for_staff(case, coordinator.user, coordinator.key)
    for attachment in Attachment.objects.filter(case=case):
        assert sealed.read_file(new_key, attachment.blob_name, attachment.file_key_sealed)
    assert verification.verification_panel(case, coordinator.user, coordinator.key).rows[0].history[
        0
    ]["note"] == ("Seen on a video call")


def test_the_applicant_still_opens_the_re_keyed_case_with_the_same_receipt(coordinator, volunteer):
    case, receipt = _case_with_everything(coordinator, volunteer)
    job = access.revoke_staff(volunteer.user, by=coordinator.user)
    _run(job, coordinator)

    opened_case, key = open_receipt(receipt.case_code, receipt.passphrase, client="test")

    assert core.public_key_of(key) == bytes(opened_case.case_public_key)
    view = read_case_for_applicant(opened_case, key)
    assert [m["body"] for m in view.messages] == [
        "Please send the resignation letter.",
        "Here it is.",
    ]
    assert view.messages[0]["files"][0]["name"] == "note.txt"


def test_revocation_ends_every_session_and_the_login_at_once(client, coordinator, volunteer):
    # Given the volunteer signed in on two devices
    phone = Client()
    log_in(client, volunteer.staff)
    log_in(phone, volunteer.staff)
    assert StaffSession.objects.filter(user=volunteer.user).count() == 2
    keys = list(
        StaffSession.objects.filter(user=volunteer.user).values_list("session_key", flat=True)
    )

    access.revoke_staff(volunteer.user, by=coordinator.user)

    # Then both sessions are gone from the server, and with them the unlocked key's half
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not StaffSession.objects.filter(user=volunteer.user).exists()
    for device in (client, phone):
        response = device.get(reverse("staff:my_cases"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("staff:login"))
    # And signing in again fails, even with the right passphrase (their TOTP device is gone)
    client.post(
        reverse("staff:login"),
        {"username": "victor", "passphrase": volunteer.staff.passphrase, "code": "123456"},
    )
    assert client.get(reverse("staff:my_cases")).status_code == 302
    volunteer.user.refresh_from_db()
    assert not volunteer.user.is_active
    assert volunteer.user.revoked_at is not None


def test_revocation_deletes_every_key_copy_made_for_the_person(case, coordinator, volunteer):
    access.assign_case(
        case.pk, volunteer.user, by=coordinator.user, staff_private_key=coordinator.key
    )

    access.revoke_staff(volunteer.user, by=coordinator.user)

    assert not AccessGrant.objects.filter(user=volunteer.user).exists()
    assert not StaffKey.objects.filter(user=volunteer.user).exists()
    case.refresh_from_db()
    assert case.assignee is None
    event = AuditEvent.objects.get(action="staff.revoked", subject=volunteer.user.username)
    assert event.actor == coordinator.user
    assert event.details["cases_to_rekey"] == 1


def test_a_case_taken_off_the_volunteer_long_ago_is_re_keyed_too(coordinator, volunteer):
    # Given a case the volunteer once held and then lost, and one they never saw
    earlier, never = make_case(), make_case()
    access.assign_case(
        earlier.pk, volunteer.user, by=coordinator.user, staff_private_key=coordinator.key
    )
    old_key = case_private_key_for_staff(earlier, volunteer.user, volunteer.key)
    access.unassign_case(earlier.pk, by=coordinator.user)
    untouched = bytes(never.case_public_key)

    job = _run(access.revoke_staff(volunteer.user, by=coordinator.user), coordinator)

    earlier.refresh_from_db()
    never.refresh_from_db()
    assert job.cases_total == 1
    assert bytes(earlier.case_public_key) != core.public_key_of(old_key)
    assert not _opens(old_key, bytes(earlier.answers_sealed))
    assert bytes(never.case_public_key) == untouched


def test_other_grantees_keep_their_access_with_the_new_key(coordinator, volunteer):
    # Given a case granted to two volunteers (the second directly, as a second worker)
    case = make_case()
    vera = unlocked(make_staff(role="volunteer", username="vera"))
    access.assign_case(
        case.pk, volunteer.user, by=coordinator.user, staff_private_key=coordinator.key
    )
    key = case_private_key_for_staff(case, coordinator.user, coordinator.key)
    keyring.grant_case_key(case, vera.user, key, by=coordinator.user)

    _run(access.revoke_staff(volunteer.user, by=coordinator.user), coordinator)

    case.refresh_from_db()
    new_key = case_private_key_for_staff(case, vera.user, vera.key)
    assert new_key != key
    assert core.public_key_of(new_key) == bytes(case.case_public_key)
    assert list(KeyExposure.objects.filter(case=case).values_list("user", flat=True)) == [
        vera.user.pk
    ]


def test_a_job_profile_follows_its_case_to_the_new_key(coordinator, volunteer):
    # Given a verified applicant who shared a job profile, and a volunteer on their case
    receipt = make_application()
    Case.objects.filter(code=receipt.case_code).update(status=Case.Status.VERIFIED)
    case, applicant_key = open_receipt(receipt.case_code, receipt.passphrase, client="jobs")
    profile = jobs.save_profile(case, applicant_key, profile_data())
    access.assign_case(
        case.pk, volunteer.user, by=coordinator.user, staff_private_key=coordinator.key
    )

    _run(access.revoke_staff(volunteer.user, by=coordinator.user), coordinator)

    # Then the old key no longer finds or opens it, and the applicant's new key does
    assert jobs.find_profile(applicant_key) is None
    _case, new_key = open_receipt(receipt.case_code, receipt.passphrase, client="jobs")
    assert jobs.find_profile(new_key).pk == profile.pk
    assert not _opens(applicant_key, bytes(jobs.find_profile(new_key).profile_private_key_sealed))


def test_a_volunteer_who_never_held_a_case_needs_no_re_key(coordinator, volunteer):
    job = access.revoke_staff(volunteer.user, by=coordinator.user)

    assert job.state == RekeyJob.State.DONE
    assert job.cases_total == 0


# --- resuming, failures, refusals -------------------------------------------------------------


def _batch_then_crash(job: RekeyJob, coordinator: Worker) -> None:
    with transaction.atomic():
        access.run_rekey_batch(
            job.pk, by=coordinator.user, staff_private_key=coordinator.key, limit=2
        )
        raise Crash()


def test_a_job_interrupted_mid_batch_resumes_where_it_stopped(coordinator, volunteer):
    cases = [make_case() for _ in range(5)]
    access.assign_cases(
        [c.pk for c in cases],
        volunteer.user,
        by=coordinator.user,
        staff_private_key=coordinator.key,
    )
    old_keys = [case_private_key_for_staff(c, volunteer.user, volunteer.key) for c in cases]
    job = access.revoke_staff(volunteer.user, by=coordinator.user)
    # Given one batch that committed, and one the process died in
    access.run_rekey_batch(job.pk, by=coordinator.user, staff_private_key=coordinator.key, limit=2)
    with pytest.raises(Crash):
        _batch_then_crash(job, coordinator)
    job.refresh_from_db()
    assert (job.cases_done, job.state) == (2, RekeyJob.State.RUNNING)

    # When the job is run again (as `solidarity revoke` or the console would)
    job = _run(job, coordinator)

    # Then every case was re-keyed exactly as if nothing had happened
    assert (job.cases_done, job.state, job.failed_cases) == (5, RekeyJob.State.DONE, [])
    for case, old in zip(cases, old_keys, strict=True):
        case.refresh_from_db()
        assert not _opens(old, bytes(case.answers_sealed))
        assert _readable_for(case, coordinator)


def test_a_case_whose_material_does_not_open_is_left_alone_and_reported(coordinator, volunteer):
    broken, fine = make_case(), make_case()
    access.assign_cases(
        [broken.pk, fine.pk], volunteer.user, by=coordinator.user, staff_private_key=coordinator.key
    )
    stranger = core.generate_keypair()
    store_message(broken, "ok", [], author=None)
    broken.messages.update(body_sealed=core.seal_to(stranger.public_key, b"{}"))
    broken_key_before = bytes(Case.objects.get(pk=broken.pk).case_public_key)

    job = _run(access.revoke_staff(volunteer.user, by=coordinator.user), coordinator)

    assert job.state == RekeyJob.State.DONE
    assert job.failed_cases == [broken.code]
    assert bytes(Case.objects.get(pk=broken.pk).case_public_key) == broken_key_before
    assert bytes(Case.objects.get(pk=fine.pk).case_public_key) != bytes(fine.case_public_key)


def test_a_message_sealed_to_the_old_key_during_a_re_key_is_sealed_again(case, coordinator):
    # Given a case object read before a re-key committed (an applicant's request in flight)
    stale = Case.objects.get(pk=case.pk)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        keyring.rekey_case(
            locked,
            case_private_key_for_staff(case, coordinator.user, coordinator.key),
            keyring.intake_public_key(),
        )

    # When the stale request stores its message
    message = store_message(stale, "Sent while the key changed", [], author=None)

    # Then it is sealed to the new key, not the old one
    new_key = case_private_key_for_staff(
        Case.objects.get(pk=case.pk), coordinator.user, coordinator.key
    )
    assert sealed.open_json(new_key, message.body_sealed)["body"] == "Sent while the key changed"


def test_nobody_revokes_themselves_or_the_last_holder_of_the_intake_key(coordinator, volunteer):
    with pytest.raises(access.SelfRevocationError):
        access.revoke_staff(coordinator.user, by=coordinator.user)
    admin = make_staff(role="admin")
    with pytest.raises(access.LastIntakeHolderError):
        access.revoke_staff(coordinator.user, by=admin.user)
    assert IntakeKeyWrap.objects.filter(user=coordinator.user).exists()


@pytest.mark.parametrize("role", ["volunteer", "treasurer", "job_coach", "trustee"])
def test_only_coordinators_and_administrators_revoke(coordinator, volunteer, role):
    actor = make_staff(role=role)
    with pytest.raises(access.NotAllowedError):
        access.revoke_staff(volunteer.user, by=actor.user)


def test_an_administrator_revokes_at_once_and_a_coordinator_re_keys_later(
    case, coordinator, volunteer
):
    access.assign_case(
        case.pk, volunteer.user, by=coordinator.user, staff_private_key=coordinator.key
    )
    admin = unlocked(make_staff(role="admin"))

    job = access.revoke_staff(volunteer.user, by=admin.user)

    # The administrator holds no key that re-keys anything
    with pytest.raises(access.NotAllowedError):
        access.run_rekey_batch(job.pk, by=admin.user, staff_private_key=admin.key)
    assert job.state == RekeyJob.State.WAITING
    assert _run(job, coordinator).state == RekeyJob.State.DONE


# --- a coordinator -----------------------------------------------------------------------------


def test_revoking_a_coordinator_rotates_the_intake_key_and_re_keys_every_case(
    coordinator, bob, volunteer
):
    # Given cases, one granted to a volunteer, and bob's keys as he could have kept them
    case, receipt = _case_with_everything(coordinator, volunteer)
    others = [make_case() for _ in range(3)]
    old_intake = keyring.open_intake_key(bob.user, bob.key)
    old_case_keys = [case_private_key_for_staff(c, bob.user, bob.key) for c in (case, *others)]
    assert intake_private_key() == old_intake

    # When bob is revoked and alice runs the job
    job = access.revoke_staff(bob.user, by=coordinator.user)
    assert job.all_cases
    job = _run(job, coordinator)

    # Then nothing stored opens with bob's key, the old intake key or any old case key
    assert job.state == RekeyJob.State.DONE
    assert job.intake_rotated
    assert _nothing_opens_with(bob.key, old_intake, *old_case_keys) == []
    assert bytes(Organisation.objects.get().intake_public_key) != core.public_key_of(old_intake)
    assert not RetiredIntakeKey.objects.exists()
    # And alice, the volunteer and the applicant still read what they could
    for c in (case, *others):
        c.refresh_from_db()
        assert _readable_for(c, coordinator)
    assert _readable_for(case, volunteer)
    assert open_receipt(receipt.case_code, receipt.passphrase, client="t")[1]
    assert AuditEvent.objects.filter(action="vault.intake_key_rotated").count() == 1


def test_during_a_coordinators_job_cases_open_through_the_retired_intake_key(coordinator, bob):
    cases = [make_case() for _ in range(4)]
    job = access.revoke_staff(bob.user, by=coordinator.user)

    # When only the first batch ran (the intake key is rotated, two cases re-keyed)
    access.run_rekey_batch(job.pk, by=coordinator.user, staff_private_key=coordinator.key, limit=2)

    # Then every case still opens for alice: re-keyed ones directly, the rest through the
    # retired intake key kept sealed to the new one
    assert RetiredIntakeKey.objects.count() == 1
    for case in cases:
        case.refresh_from_db()
        assert _readable_for(case, coordinator)
    # And a case submitted now is sealed to the new intake key at once
    late = make_case()
    assert _readable_for(late, coordinator)
    assert _run(job, coordinator).state == RekeyJob.State.DONE


def test_a_coordinator_moved_to_another_role_still_triggers_a_full_re_key(coordinator, bob):
    make_case()
    IntakeKeyWrap.objects.filter(user=bob.user).delete()
    type(bob.user).objects.filter(pk=bob.user.pk).update(role="volunteer")
    bob.user.refresh_from_db()

    job = access.revoke_staff(bob.user, by=coordinator.user)

    assert job.all_cases


def test_a_case_volunteer_can_no_longer_open_after_revocation(case, coordinator, volunteer):
    access.assign_case(
        case.pk, volunteer.user, by=coordinator.user, staff_private_key=coordinator.key
    )

    access.revoke_staff(volunteer.user, by=coordinator.user)
    volunteer.user.refresh_from_db()

    with pytest.raises(CaseAccessDeniedError):
        case_private_key_for_staff(case, volunteer.user, volunteer.key)


# --- `solidarity revoke` -------------------------------------------------------------------------


def test_the_revoke_command_runs_the_job_to_completion(monkeypatch, coordinator, volunteer):
    cases = [make_case() for _ in range(3)]
    access.assign_cases(
        [c.pk for c in cases],
        volunteer.user,
        by=coordinator.user,
        staff_private_key=coordinator.key,
    )
    monkeypatch.setenv("SOLIDARITY_COORDINATOR_PASSPHRASE", DEFAULT_PASSPHRASE)
    out = io.StringIO()

    call_command("revoke", volunteer.user.username, coordinator="alice", stdout=out)

    job = RekeyJob.objects.get(person=volunteer.user)
    assert job.state == RekeyJob.State.DONE
    assert job.cases_done == 3
    assert "victor is revoked" in out.getvalue()
    assert "Re-keyed 3 cases." in out.getvalue()
    assert DEFAULT_PASSPHRASE not in out.getvalue()


def test_the_revoke_command_resumes_an_interrupted_job(monkeypatch, coordinator, volunteer):
    cases = [make_case() for _ in range(3)]
    access.assign_cases(
        [c.pk for c in cases],
        volunteer.user,
        by=coordinator.user,
        staff_private_key=coordinator.key,
    )
    job = access.revoke_staff(volunteer.user, by=coordinator.user)
    access.run_rekey_batch(job.pk, by=coordinator.user, staff_private_key=coordinator.key, limit=1)
    monkeypatch.setenv("SOLIDARITY_COORDINATOR_PASSPHRASE", DEFAULT_PASSPHRASE)

    call_command("revoke", volunteer.user.username, coordinator="alice", stdout=io.StringIO())

    job.refresh_from_db()
    assert (job.state, job.cases_done) == (RekeyJob.State.DONE, 3)


def test_the_revoke_command_refuses_a_wrong_passphrase_and_changes_nothing(
    monkeypatch, coordinator, volunteer
):
    from django.core.management.base import CommandError

    monkeypatch.setenv("SOLIDARITY_COORDINATOR_PASSPHRASE", "not the passphrase at all")

    with pytest.raises(CommandError):
        call_command("revoke", volunteer.user.username, coordinator="alice", stdout=io.StringIO())

    volunteer.user.refresh_from_db()
    assert volunteer.user.is_active
    assert not RekeyJob.objects.exists()
