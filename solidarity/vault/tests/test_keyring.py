"""Key rows in the database: the organisation, staff keys and the coordinators' intake key."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from solidarity.cases.models import Case
from solidarity.testing.factories import intake_private_key, make_application, make_org
from solidarity.vault import core, keyring
from solidarity.vault.models import (
    ApplicantKey,
    IntakeKeyWrap,
    Organisation,
    RetiredIntakeKey,
    StaffKey,
)

PASSPHRASE = "correct horse battery staple vault"


def make_staff(username: str, role: str = "coordinator"):
    # A staff user with no vault key yet. (Replace with factories.make_user once it exists.)
    return get_user_model().objects.create(username=username, role=role)


@pytest.fixture
def organisation(db):
    """The fund and its intake private key, which the test holds as `solidarity init` would."""
    return keyring.create_organisation("Test fund")


def test_creating_the_organisation_stores_only_the_public_half_of_the_intake_key(organisation):
    org, intake_private = organisation
    assert bytes(Organisation.objects.get().intake_public_key) == core.public_key_of(intake_private)
    assert keyring.organisation() == org
    assert keyring.intake_public_key() == core.public_key_of(intake_private)


def test_a_second_organisation_is_refused(organisation):
    with pytest.raises(keyring.OrganisationExistsError):
        keyring.create_organisation("Another fund")
    assert Organisation.objects.count() == 1


def test_without_an_organisation_the_vault_says_it_is_not_initialised(db):
    with pytest.raises(keyring.VaultNotInitialisedError):
        keyring.intake_public_key()


def test_the_vault_parameters_come_from_the_settings_and_must_be_vault_params(settings):
    assert keyring.params() == settings.VAULT_PARAMS
    settings.VAULT_PARAMS = {"staff_opslimit": 1}
    with pytest.raises(core.VaultParamsError):
        keyring.params()


def test_an_enrolled_staff_key_unlocks_with_the_right_passphrase_only(db):
    # Given a volunteer enrolled with a passphrase
    volunteer = make_staff("volunteer", role="volunteer")
    staff_key = keyring.enrol_staff(volunteer, PASSPHRASE)
    # Then the row holds the public key and a locked private key, never the passphrase
    stored = StaffKey.objects.get(user=volunteer)
    assert PASSPHRASE.encode() not in bytes(stored.private_key_locked)
    # And the right passphrase unlocks the private half of that public key
    private = keyring.unlock_staff_key(volunteer, PASSPHRASE)
    assert core.public_key_of(private) == bytes(staff_key.public_key)
    assert private not in bytes(stored.private_key_locked)
    # And a wrong one does not
    with pytest.raises(core.WrongPassphraseError):
        keyring.unlock_staff_key(volunteer, PASSPHRASE + "!")


def test_a_staff_member_without_a_vault_key_cannot_unlock(db):
    admin = make_staff("admin", role="admin")
    with pytest.raises(core.WrongPassphraseError):
        keyring.unlock_staff_key(admin, PASSPHRASE)


def test_a_coordinator_given_the_intake_key_opens_it_with_their_own_key(organisation):
    _org, intake_private = organisation
    coordinator = make_staff("coordinator")
    keyring.enrol_staff(coordinator, PASSPHRASE)
    keyring.give_intake_key(coordinator, intake_private)
    assert intake_private not in bytes(IntakeKeyWrap.objects.get().intake_private_key_sealed)
    assert keyring.has_intake_access(coordinator)
    staff_private = keyring.unlock_staff_key(coordinator, PASSPHRASE)
    assert keyring.open_intake_key(coordinator, staff_private) == intake_private


def test_giving_the_intake_key_again_replaces_the_wrap(organisation):
    _org, intake_private = organisation
    coordinator = make_staff("coordinator")
    keyring.enrol_staff(coordinator, PASSPHRASE)
    keyring.give_intake_key(coordinator, intake_private)
    keyring.give_intake_key(coordinator, intake_private)
    assert IntakeKeyWrap.objects.filter(user=coordinator).count() == 1


def test_someone_elses_private_key_does_not_open_a_coordinators_intake_wrap(organisation):
    _org, intake_private = organisation
    coordinator, volunteer = make_staff("coordinator"), make_staff("volunteer", "volunteer")
    for user in (coordinator, volunteer):
        keyring.enrol_staff(user, PASSPHRASE)
    keyring.give_intake_key(coordinator, intake_private)
    volunteer_private = keyring.unlock_staff_key(volunteer, PASSPHRASE)
    with pytest.raises(core.TamperedCiphertextError):
        keyring.open_intake_key(coordinator, volunteer_private)


def test_a_staff_member_never_given_the_intake_key_has_no_access(organisation):
    volunteer = make_staff("volunteer", role="volunteer")
    keyring.enrol_staff(volunteer, PASSPHRASE)
    private = keyring.unlock_staff_key(volunteer, PASSPHRASE)
    assert not keyring.has_intake_access(volunteer)
    with pytest.raises(keyring.NoIntakeAccessError):
        keyring.open_intake_key(volunteer, private)


# --- intake key guards, rotation, applicant keys -----------------------------------------------


def test_the_intake_key_is_given_only_to_coordinators_and_only_the_current_one(organisation):
    _org, intake_private = organisation
    admin, coordinator = make_staff("admin", role="admin"), make_staff("coordinator")
    for user in (admin, coordinator):
        keyring.enrol_staff(user, PASSPHRASE)
    with pytest.raises(keyring.NotACoordinatorError):
        keyring.give_intake_key(admin, intake_private)
    with pytest.raises(keyring.StaleIntakeKeyError):
        keyring.give_intake_key(coordinator, core.generate_keypair().private_key)
    assert not IntakeKeyWrap.objects.exists()


def test_rotating_the_intake_key_rewraps_it_for_every_holder_and_chains_the_old_one(organisation):
    # Given two coordinators holding the intake key
    _org, old_intake = organisation
    users = [make_staff(f"coordinator{i}") for i in range(2)]
    for user in users:
        keyring.enrol_staff(user, PASSPHRASE)
        keyring.give_intake_key(user, old_intake)

    # When it is rotated
    with transaction.atomic():
        new_intake = keyring.rotate_intake_key(old_intake)

    # Then each opens the new key, which is now the organisation's, and reaches the old one
    assert keyring.intake_public_key() == core.public_key_of(new_intake)
    for user in users:
        private = keyring.unlock_staff_key(user, PASSPHRASE)
        assert keyring.open_intake_key(user, private) == new_intake
    retired = RetiredIntakeKey.objects.get()
    assert core.open_retired_intake_key(bytes(retired.private_key_sealed), new_intake) == old_intake
    # And the old key cannot rotate again, nor open the new one
    with pytest.raises(keyring.StaleIntakeKeyError), transaction.atomic():
        keyring.rotate_intake_key(old_intake)
    with pytest.raises(core.TamperedCiphertextError):
        core.open_retired_intake_key(bytes(retired.private_key_sealed), old_intake)


def test_only_people_given_the_new_intake_key_count_as_having_seen_it(organisation):
    _org, intake = organisation
    kept, dropped = make_staff("kept"), make_staff("dropped")
    for user in (kept, dropped):
        keyring.enrol_staff(user, PASSPHRASE)
        keyring.give_intake_key(user, intake)
    IntakeKeyWrap.objects.filter(user=dropped).delete()
    assert keyring.ever_held_intake_key(dropped)

    with transaction.atomic():
        keyring.rotate_intake_key(intake)

    assert keyring.ever_held_intake_key(kept)
    assert not keyring.ever_held_intake_key(dropped)


def test_a_case_from_before_applicant_keys_opens_with_its_receipt_and_is_upgraded(db):
    # Given a case stored the old way: its key locked straight under the receipt
    make_org()
    receipt = make_application()
    case = Case.objects.get(code=receipt.case_code)
    case_key = core.open_case_key_with_intake(
        bytes(case.case_key_for_intake_sealed), intake_private_key()
    )
    ApplicantKey.objects.filter(case=case).delete()
    legacy = core.lock_applicant_key(case_key, receipt.passphrase, keyring.params())
    Case.objects.filter(pk=case.pk).update(case_key_for_receipt_locked=legacy)
    case.refresh_from_db()

    # When the applicant signs in with the receipt
    opened = keyring.open_case_key_with_receipt(case, receipt.passphrase)

    # Then they get the case key, and the case now has an applicant key instead
    assert opened == case_key
    case.refresh_from_db()
    assert bytes(case.case_key_for_receipt_locked) == b""
    assert ApplicantKey.objects.filter(case=case).exists()
    assert keyring.open_case_key_with_receipt(case, receipt.passphrase) == case_key
    with pytest.raises(core.WrongPassphraseError):
        keyring.open_case_key_with_receipt(case, receipt.passphrase + " x")


def test_a_case_without_any_receipt_copy_refuses_every_passphrase(db):
    make_org()
    receipt = make_application()
    case = Case.objects.get(code=receipt.case_code)
    ApplicantKey.objects.filter(case=case).delete()

    with pytest.raises(core.WrongPassphraseError):
        keyring.open_case_key_with_receipt(case, receipt.passphrase)


def test_what_intake_stores_for_the_applicant_holds_no_key_in_clear(db):
    make_org()
    receipt = make_application()
    case = Case.objects.get(code=receipt.case_code)
    case_key = core.open_case_key_with_intake(
        bytes(case.case_key_for_intake_sealed), intake_private_key()
    )
    applicant = ApplicantKey.objects.get(case=case)

    for value in (applicant.applicant_key_locked, applicant.case_key_for_applicant_sealed):
        assert case_key not in bytes(value)
        assert receipt.passphrase.encode() not in bytes(value)
    assert bytes(case.case_key_for_receipt_locked) == b""
