"""Need-to-know assignment: an access grant seals the case key to the assignee's key; a
volunteer opens only granted cases; taking the case off them deletes the grant.

Cast (conftest): `coordinator` alice holds the intake key, `volunteer` victor and `treasurer`
tamara do not; `outsider` here is a second volunteer who was never given anything."""

from __future__ import annotations

import pytest

from solidarity.audit.models import AuditEvent
from solidarity.cases import access
from solidarity.cases.services import (
    CaseAccessDeniedError,
    case_private_key_for_staff,
    open_case_for_staff,
)
from solidarity.cases.tests.conftest import make_case, unlocked
from solidarity.testing.builders import valid_application
from solidarity.testing.factories import make_staff
from solidarity.vault import core, keyring
from solidarity.vault.models import AccessGrant, KeyExposure


@pytest.fixture
def outsider(org):
    return unlocked(make_staff(role="volunteer", username="otto"))


def _assign(case, to, coordinator):
    access.assign_case(case.pk, to.user, by=coordinator.user, staff_private_key=coordinator.key)
    case.refresh_from_db()
    return case


def test_assigning_a_volunteer_seals_the_case_key_to_their_key(case, coordinator, volunteer):
    _assign(case, volunteer, coordinator)

    grant = AccessGrant.objects.get(case=case, user=volunteer.user)
    coordinators_key = case_private_key_for_staff(case, coordinator.user, coordinator.key)
    assert case.assignee == volunteer.user
    assert core.open_case_key_with_grant(
        bytes(grant.case_key_for_grantee_sealed), volunteer.key
    ) == (coordinators_key)
    assert coordinators_key not in bytes(grant.case_key_for_grantee_sealed)
    assert grant.granted_by == coordinator.user


def test_a_volunteer_opens_a_granted_case_and_reads_it(case, coordinator, volunteer):
    _assign(case, volunteer, coordinator)

    opened = open_case_for_staff(case, volunteer.user, volunteer.key)

    assert opened.answers["employer"] == valid_application()["employer"]
    assert AuditEvent.objects.filter(action="case.viewed", actor=volunteer.user).exists()


def test_a_volunteer_is_refused_every_case_not_granted_to_them(case, coordinator, volunteer):
    other = make_case()
    _assign(case, volunteer, coordinator)

    with pytest.raises(CaseAccessDeniedError):
        case_private_key_for_staff(other, volunteer.user, volunteer.key)


def test_the_grant_of_one_person_does_not_open_for_another(case, coordinator, volunteer, outsider):
    _assign(case, volunteer, coordinator)
    grant = AccessGrant.objects.get(case=case, user=volunteer.user)
    # Even if a copy of the grant row were made out to the outsider, their key does not open it
    AccessGrant.objects.create(
        case=case,
        user=outsider.user,
        case_key_for_grantee_sealed=grant.case_key_for_grantee_sealed,
        granted_on=grant.granted_on,
    )

    with pytest.raises(core.TamperedCiphertextError):
        case_private_key_for_staff(case, outsider.user, outsider.key)


def test_unassigning_deletes_the_grant_but_remembers_the_exposure(case, coordinator, volunteer):
    _assign(case, volunteer, coordinator)

    access.unassign_case(case.pk, by=coordinator.user)

    case.refresh_from_db()
    assert case.assignee is None
    assert not AccessGrant.objects.filter(case=case).exists()
    # They may have kept the key: revoking them later re-keys this case
    assert KeyExposure.objects.filter(case=case, user=volunteer.user).exists()
    with pytest.raises(CaseAccessDeniedError):
        case_private_key_for_staff(case, volunteer.user, volunteer.key)
    assert AuditEvent.objects.filter(action="case.unassigned", subject=case.code).exists()


def test_reassigning_moves_the_grant_to_the_new_volunteer(case, coordinator, volunteer, outsider):
    _assign(case, volunteer, coordinator)

    _assign(case, outsider, coordinator)

    assert list(AccessGrant.objects.filter(case=case).values_list("user", flat=True)) == [
        outsider.user.pk
    ]
    with pytest.raises(CaseAccessDeniedError):
        case_private_key_for_staff(case, volunteer.user, volunteer.key)
    assert case_private_key_for_staff(case, outsider.user, outsider.key)


def test_assigning_a_coordinator_needs_no_grant(case, coordinator):
    bob = unlocked(make_staff(role="coordinator", username="bob"))

    _assign(case, bob, coordinator)

    assert case.assignee == bob.user
    assert not AccessGrant.objects.filter(case=case).exists()


def test_bulk_assignment_gives_each_case_its_own_grant(coordinator, volunteer):
    cases = [make_case() for _ in range(3)]

    access.assign_cases(
        [c.pk for c in cases],
        volunteer.user,
        by=coordinator.user,
        staff_private_key=coordinator.key,
    )

    for case in cases:
        case.refresh_from_db()
        assert case.assignee == volunteer.user
        key = case_private_key_for_staff(case, volunteer.user, volunteer.key)
        assert core.public_key_of(key) == bytes(case.case_public_key)
    assert AuditEvent.objects.filter(action="case.assigned").count() == 3


def test_bulk_assignment_is_all_or_nothing(case, coordinator, volunteer):
    with pytest.raises(access.AccessError):
        access.assign_cases(
            [case.pk, 999_999],
            volunteer.user,
            by=coordinator.user,
            staff_private_key=coordinator.key,
        )

    case.refresh_from_db()
    assert case.assignee is None
    assert not AccessGrant.objects.exists()


@pytest.mark.parametrize("role", ["volunteer", "treasurer", "job_coach", "trustee", "admin"])
def test_only_a_coordinator_holding_the_intake_key_assigns(case, volunteer, role):
    actor = unlocked(make_staff(role=role))

    with pytest.raises(access.NotAllowedError):
        access.assign_case(case.pk, volunteer.user, by=actor.user, staff_private_key=actor.key)
    assert not AccessGrant.objects.exists()


@pytest.mark.parametrize("role", ["treasurer", "job_coach", "trustee", "admin"])
def test_cases_go_only_to_volunteers_and_coordinators(case, coordinator, role):
    person = make_staff(role=role)

    with pytest.raises(access.NotAssignableError):
        access.assign_case(
            case.pk, person.user, by=coordinator.user, staff_private_key=coordinator.key
        )


def test_a_revoked_volunteer_cannot_be_assigned(case, coordinator, volunteer):
    access.revoke_staff(volunteer.user, by=coordinator.user)
    volunteer.user.refresh_from_db()

    with pytest.raises(access.NotAssignableError):
        access.assign_case(
            case.pk, volunteer.user, by=coordinator.user, staff_private_key=coordinator.key
        )


@pytest.mark.parametrize("role", ["admin", "treasurer", "job_coach", "trustee"])
def test_roles_that_open_no_case_are_refused_even_with_a_key_copy(case, coordinator, role):
    # Given a grant made out to them by a bug or by hand, sealed to their real key
    person = unlocked(make_staff(role=role))
    case_key = case_private_key_for_staff(case, coordinator.user, coordinator.key)
    keyring.grant_case_key(case, person.user, case_key, by=coordinator.user)

    # Then their role alone still opens nothing
    with pytest.raises(CaseAccessDeniedError):
        case_private_key_for_staff(case, person.user, person.key)


def test_an_administrator_cannot_be_given_the_intake_key(org, coordinator):
    admin = make_staff(role="admin")
    intake = keyring.open_intake_key(coordinator.user, coordinator.key)

    with pytest.raises(keyring.NotACoordinatorError):
        keyring.give_intake_key(admin.user, intake)
