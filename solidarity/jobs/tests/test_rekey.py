"""Re-keying a case (a volunteer's phone was taken) must not lose the job profile: the
jobs hook in vault.sealed_fields moves the owner tag and the profile key to the new case key."""

from __future__ import annotations

from django.db import transaction

from solidarity.cases.models import Case
from solidarity.jobs import services
from solidarity.jobs.tests.factories import make_applicant, make_opening, make_profile
from solidarity.testing.factories import intake_private_key
from solidarity.vault import core, keyring


def test_after_a_re_key_the_new_case_key_finds_and_opens_the_profile(org, coach):
    applicant = make_applicant()
    profile = make_profile(applicant)
    services.introduce(profile, make_opening(coach.user), by=coach.user, note="Call Anna")

    # When the case is re-keyed the way revocation does it,
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=applicant.case.pk)
        keyring.rekey_case(case, applicant.key, keyring.intake_public_key())
    case.refresh_from_db()
    new_key = core.open_case_key_with_intake(
        bytes(case.case_key_for_intake_sealed), intake_private_key()
    )

    # then the new key finds the same profile and reads the coach's note, the old one nothing.
    assert new_key != applicant.key
    assert services.find_profile(new_key) == profile
    assert services.find_profile(applicant.key) is None
    view = services.candidate_view(new_key)
    assert view.introductions[0].note == "Call Anna"


def test_re_keying_a_case_without_a_profile_changes_nothing(org):
    applicant = make_applicant()
    other = make_profile()
    before = (other.owner_tag, bytes(other.profile_private_key_sealed))

    assert (
        services.rekey_profile(applicant.key, core.generate_keypair().private_key, b"x" * 32)
        is False
    )

    other.refresh_from_db()
    assert (other.owner_tag, bytes(other.profile_private_key_sealed)) == before
