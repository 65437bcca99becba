"""Key rows in the database: the organisation, staff keys and the coordinators' intake key."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from solidarity.vault import core, keyring
from solidarity.vault.models import IntakeKeyWrap, Organisation, StaffKey

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
