"""Staff management: a one-time enrolment link, the new person's own passphrase and TOTP,
approval (which gives a new coordinator the intake key), and revocation from the console.

Cast: `coordinator` alice (intake key), `admin` adam (manages accounts, opens no case); the
newcomer is whoever holds the link; outsiders are covered by the permission matrix."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from solidarity.accounts import team
from solidarity.accounts.models import StaffInvite, User
from solidarity.audit.models import AuditEvent
from solidarity.cases import access
from solidarity.cases.models import Case
from solidarity.cases.services import case_private_key_for_staff
from solidarity.testing.factories import (
    DEFAULT_PASSPHRASE,
    Staff,
    log_in,
    make_application,
    make_org,
    make_staff,
    totp_code,
)
from solidarity.vault import core, keyring
from solidarity.vault.models import RekeyJob

NEW_PASSPHRASE = "lantern meadow copper orchard"


@pytest.fixture
def coordinator(db):
    make_org()
    return make_staff(role="coordinator", username="alice")


@pytest.fixture
def admin(coordinator):
    return make_staff(role="admin", username="adam")


def _invite(client: Client, role: str) -> str:
    response = client.post(reverse("staff:person_add"), {"username": "nadia", "role": role})
    assert response.status_code == 200
    return re.search(r'<code id="enrol-link">([^<]+)</code>', response.content.decode()).group(1)


def _enrol(link: str) -> tuple[Client, object]:
    """The newcomer opens the link, reads the secret into their app and finishes."""
    newcomer = Client()
    page = newcomer.get(link)
    assert page.status_code == 200
    invite = StaffInvite.objects.get(user__username="nadia")
    device = team.enrolment_device(invite)
    response = newcomer.post(
        link,
        {
            "passphrase": NEW_PASSPHRASE,
            "passphrase_again": NEW_PASSPHRASE,
            "code": totp_code(device),
        },
    )
    return newcomer, response


def test_a_new_volunteer_enrols_with_a_one_time_link_and_waits_for_approval(client, admin):
    # Given an administrator who creates the account and gets the link once
    log_in(client, admin)
    link = _invite(client, "volunteer")
    invite = StaffInvite.objects.get(user__username="nadia")
    token = link.rsplit("/", 2)[-2]
    assert token not in str(invite.token_digest)
    assert invite.token_digest == keyring.token_digest(token)

    # When the newcomer sets their passphrase and TOTP
    newcomer, response = _enrol(link)

    # Then they see their key fingerprint, the link is used up, and they cannot sign in yet
    user = User.objects.get(username="nadia")
    assert response.status_code == 200
    assert team.fingerprint(user) in response.content.decode()
    assert newcomer.get(link).status_code == 404
    invite.refresh_from_db()
    assert invite.token_digest is None
    assert invite.awaiting_approval
    assert not user.is_active
    staff = Staff(user, user.totpdevice_set.get(), NEW_PASSPHRASE)
    log_in(newcomer, staff)
    assert newcomer.get(reverse("staff:my_cases")).status_code == 302

    # When the administrator approves the account
    client.post(reverse("staff:person_approve", args=[user.pk]))

    # Then the newcomer signs in, holding no key to any case
    user.refresh_from_db()
    assert user.is_active
    assert log_in(newcomer, staff)["Location"] == reverse("staff:my_cases")
    assert not keyring.has_intake_access(user)
    assert AuditEvent.objects.filter(action="staff.approved", subject="nadia").exists()


def test_a_new_coordinator_gets_the_intake_key_when_an_unlocked_coordinator_approves(
    client, coordinator
):
    log_in(client, coordinator)
    link = _invite(client, "coordinator")
    _enrol(link)
    user = User.objects.get(username="nadia")

    client.post(reverse("staff:person_approve", args=[user.pk]))

    assert keyring.has_intake_access(user)
    case = make_application()
    own_key = keyring.unlock_staff_key(user, NEW_PASSPHRASE)
    assert case_private_key_for_staff(
        Case.objects.get(code=case.case_code), User.objects.get(pk=user.pk), own_key
    )


def test_an_administrator_cannot_approve_a_coordinator(client, admin):
    log_in(client, admin)
    link = _invite(client, "coordinator")
    _enrol(link)
    user = User.objects.get(username="nadia")

    response = client.post(reverse("staff:person_approve", args=[user.pk]))

    assert response.status_code == 403
    user.refresh_from_db()
    assert not user.is_active
    assert not keyring.has_intake_access(user)


def test_approving_a_coordinator_with_a_locked_vault_asks_to_unlock_first(client, coordinator):
    log_in(client, coordinator)
    link = _invite(client, "coordinator")
    _enrol(link)
    client.post(reverse("staff:lock"))
    user = User.objects.get(username="nadia")

    response = client.post(reverse("staff:person_approve", args=[user.pk]))

    assert response["Location"].startswith(reverse("staff:unlock"))
    assert not keyring.has_intake_access(user)


def test_a_wrong_code_or_weak_passphrase_stores_nothing(client, coordinator):
    log_in(client, coordinator)
    link = _invite(client, "volunteer")
    newcomer = Client()

    wrong_code = newcomer.post(
        link, {"passphrase": NEW_PASSPHRASE, "passphrase_again": NEW_PASSPHRASE, "code": "000000"}
    )
    weak = newcomer.post(
        link,
        {
            "passphrase": "short",
            "passphrase_again": "short",
            "code": totp_code(team.enrolment_device(StaffInvite.objects.get())),
        },
    )

    assert "This code does not match" in wrong_code.content.decode()
    assert weak.status_code == 200
    assert NEW_PASSPHRASE not in wrong_code.content.decode()
    assert not keyring.has_staff_key(User.objects.get(username="nadia"))
    assert StaffInvite.objects.get().enrolled_at is None


def test_an_expired_or_unknown_link_is_not_found(client, coordinator):
    log_in(client, coordinator)
    link = _invite(client, "volunteer")
    StaffInvite.objects.update(expires_at="2000-01-01T00:00:00Z")

    assert Client().get(link).status_code == 404
    assert Client().get(reverse("staff:enrol", args=["nonsense"])).status_code == 404


def test_the_staff_command_prints_a_one_time_link(coordinator):
    out = io.StringIO()

    call_command(
        "staff", "add", "nadia", "--role", "volunteer", "--base-url", "https://x.test", stdout=out
    )

    link = re.search(r"https://x\.test/staff/enrol/\S+/", out.getvalue()).group(0)
    assert Client().get(link.removeprefix("https://x.test")).status_code == 200
    listing = io.StringIO()
    call_command("staff", "list", stdout=listing)
    assert "nadia\tvolunteer\tlink sent, not enrolled" in listing.getvalue()
    assert "alice\tcoordinator\tactive (holds the intake key)" in listing.getvalue()


# --- revocation from the console -------------------------------------------------------------


def test_a_coordinator_revokes_from_the_console_and_the_page_re_keys(client, coordinator):
    volunteer = make_staff(role="volunteer", username="victor")
    case = Case.objects.get(code=make_application().case_code)
    alice_key = keyring.unlock_staff_key(coordinator.user, coordinator.passphrase)
    access.assign_case(case.pk, volunteer.user, by=coordinator.user, staff_private_key=alice_key)
    old_key = case_private_key_for_staff(
        case, volunteer.user, keyring.unlock_staff_key(volunteer.user, DEFAULT_PASSPHRASE)
    )
    log_in(client, coordinator)

    wrong = client.post(reverse("staff:person_revoke", args=[volunteer.user.pk]), {"confirm": "x"})
    revoked = client.post(
        reverse("staff:person_revoke", args=[volunteer.user.pk]), {"confirm": "victor"}
    )
    job = RekeyJob.objects.get(person=volunteer.user)
    progress = client.get(revoked["Location"])

    assert wrong.status_code == 200
    assert revoked["Location"] == reverse("staff:rekey_job", args=[job.pk])
    job.refresh_from_db()
    assert job.state == RekeyJob.State.DONE
    assert "Done." in progress.content.decode()
    assert 'http-equiv="refresh"' not in progress.content.decode()
    case.refresh_from_db()
    with pytest.raises(core.VaultError):
        core.open_for_case(old_key, bytes(case.answers_sealed))


def test_an_administrator_revokes_but_the_job_waits_for_a_coordinator(client, coordinator, admin):
    volunteer = make_staff(role="volunteer", username="victor")
    case = Case.objects.get(code=make_application().case_code)
    alice_key = keyring.unlock_staff_key(coordinator.user, coordinator.passphrase)
    access.assign_case(case.pk, volunteer.user, by=coordinator.user, staff_private_key=alice_key)
    log_in(client, admin)

    response = client.post(
        reverse("staff:person_revoke", args=[volunteer.user.pk]), {"confirm": "victor"}
    )
    page = client.get(response["Location"])

    job = RekeyJob.objects.get(person=volunteer.user)
    assert job.state == RekeyJob.State.WAITING
    assert "A coordinator holding the intake key must open this page" in page.content.decode()
    assert not User.objects.get(username="victor").is_active


def test_the_console_refuses_to_revoke_the_last_intake_key_holder(client, coordinator, admin):
    log_in(client, admin)

    response = client.post(
        reverse("staff:person_revoke", args=[coordinator.user.pk]), {"confirm": "alice"}
    )

    assert "last person holding the intake key" in response.content.decode()
    assert User.objects.get(username="alice").is_active
