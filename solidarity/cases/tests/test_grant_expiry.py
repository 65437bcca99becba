"""Access grants expire (issue 8): an informer among the volunteers keeps a case for weeks,
not for the ten months one real infiltrator stayed. An expired grant opens nothing, `grants
expire` shreds its sealed copy, and a coordinator renews what is still needed (audited).

Cast (conftest): `coordinator` alice, `volunteer` victor (the case is assigned to him).
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django_tasks_db.models import DBTaskResult

from solidarity.audit.models import AuditEvent
from solidarity.cases import access, verification
from solidarity.cases.services import (
    CaseAccessExpiredError,
    case_private_key_for_staff,
    open_case_for_staff,
)
from solidarity.cases.tests.conftest import make_case
from solidarity.ledger import tasks as ledger_tasks
from solidarity.oversight import tasks
from solidarity.testing.builders import valid_application
from solidarity.testing.factories import log_in
from solidarity.vault import core, keyring
from solidarity.vault.models import AccessGrant, KeyExposure

TODAY = timezone.localdate


@pytest.fixture
def assigned(case, coordinator, volunteer):
    access.assign_case(
        case.pk, volunteer.user, by=coordinator.user, staff_private_key=coordinator.key
    )
    case.refresh_from_db()
    return case


def _end_grant(case, volunteer, *, days_ago: int = 0) -> datetime.date:
    """The grant's last day passes (the clock moves on; the row is what it would be then)."""
    ended = TODAY() - datetime.timedelta(days=days_ago)
    AccessGrant.objects.filter(case=case, user=volunteer.user).update(expires_on=ended)
    return ended


def test_a_new_grant_lasts_the_configured_number_of_days(settings, assigned, volunteer):
    settings.SOLIDARITY_GRANT_DAYS = 30

    grant = AccessGrant.objects.get(case=assigned, user=volunteer.user)

    assert grant.granted_on == TODAY()
    assert grant.expires_on == TODAY() + datetime.timedelta(days=30)
    assert not grant.is_expired()


def test_an_expired_grant_opens_nothing(assigned, volunteer):
    ended = _end_grant(assigned, volunteer)

    with pytest.raises(keyring.GrantExpiredError) as vault_refusal:
        keyring.open_case_key_with_grant(assigned, volunteer.user, volunteer.key)
    with pytest.raises(CaseAccessExpiredError) as refusal:
        case_private_key_for_staff(assigned, volunteer.user, volunteer.key)
    with pytest.raises(CaseAccessExpiredError):
        open_case_for_staff(assigned, volunteer.user, volunteer.key)

    assert vault_refusal.value.ended_on == ended
    assert refusal.value.ended_on == ended
    assert not AuditEvent.objects.filter(action="case.viewed", actor=volunteer.user).exists()


def test_the_grant_still_opens_the_case_on_its_last_day_before_expiry(assigned, volunteer):
    AccessGrant.objects.filter(case=assigned, user=volunteer.user).update(
        expires_on=TODAY() + datetime.timedelta(days=1)
    )

    assert case_private_key_for_staff(assigned, volunteer.user, volunteer.key)


def test_the_case_page_tells_the_volunteer_their_access_ended(assigned, volunteer):
    ended = _end_grant(assigned, volunteer, days_ago=2)
    client = Client()
    log_in(client, volunteer.staff)

    response = client.get(reverse("staff:case", args=[assigned.code]))

    page = response.content.decode()
    assert response.status_code == 403
    assert "Your access to this case ended on" in page
    assert "ask a coordinator" in page
    assert valid_application()["employer"] not in page
    # The refusal is audited, marked as an expired grant (not an attempt on a foreign case).
    denied = AuditEvent.objects.get(action="case.access_denied", actor=volunteer.user)
    assert denied.details == {"reason": "grant_expired"}
    assert date_format(ended, "DATE_FORMAT") in page


def test_grants_expire_shreds_the_sealed_copy(assigned, volunteer, coordinator):
    ended = _end_grant(assigned, volunteer, days_ago=1)
    copy = bytes(AccessGrant.objects.get(case=assigned).case_key_for_grantee_sealed)
    # Given a second case whose grant is still running
    running = make_case()
    access.assign_case(
        running.pk, volunteer.user, by=coordinator.user, staff_private_key=coordinator.key
    )
    out = io.StringIO()

    call_command("grants", "expire", stdout=out)

    assert "1 expired access grant shredded." in out.getvalue()
    assert not AccessGrant.objects.filter(case=assigned).exists()
    assert not AccessGrant.objects.filter(case_key_for_grantee_sealed=copy).exists()
    assert AccessGrant.objects.filter(case=running, user=volunteer.user).exists()
    # He may have kept the key: revoking him later must still re-key this case.
    assert KeyExposure.objects.filter(case=assigned, user=volunteer.user).exists()
    event = AuditEvent.objects.get(action="grant.expired")
    assert event.subject == assigned.code
    assert event.details == {"user": volunteer.user.username, "ended_on": ended.isoformat()}
    # After shredding, the volunteer is still told when the access ended.
    with pytest.raises(CaseAccessExpiredError) as refusal:
        case_private_key_for_staff(assigned, volunteer.user, volunteer.key)
    assert refusal.value.ended_on == ended


def test_grants_expire_twice_shreds_nothing_more(assigned, volunteer):
    _end_grant(assigned, volunteer)
    assert access.expire_grants() == 1

    assert access.expire_grants() == 0
    assert AuditEvent.objects.filter(action="grant.expired").count() == 1


def test_a_rekey_does_not_carry_an_expired_grant_to_the_new_key(assigned, volunteer, coordinator):
    _end_grant(assigned, volunteer)
    old_key = case_private_key_for_staff(assigned, coordinator.user, coordinator.key)

    keyring.rekey_case(assigned, old_key, keyring.intake_public_key())

    assert not AccessGrant.objects.filter(case=assigned).exists()


def test_a_coordinator_renews_a_grant_from_the_case_page(assigned, volunteer, coordinator):
    _end_grant(assigned, volunteer)
    client = Client()
    log_in(client, coordinator.staff)
    page = client.get(reverse("staff:case", args=[assigned.code])).content.decode()
    assert "Renew access for victor" in page
    assert reverse("oversight:grant_renew", args=[assigned.code, volunteer.user.pk]) in page

    response = client.post(
        reverse("oversight:grant_renew", args=[assigned.code, volunteer.user.pk])
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:case", args=[assigned.code]) + "#access"
    grant = AccessGrant.objects.get(case=assigned, user=volunteer.user)
    assert grant.expires_on == TODAY() + datetime.timedelta(days=30)
    event = AuditEvent.objects.get(action="grant.renewed")
    assert event.actor == coordinator.user
    assert event.subject == assigned.code
    assert event.details["user"] == volunteer.user.username
    # And the volunteer opens the case again.
    assert open_case_for_staff(assigned, volunteer.user, volunteer.key).answers


def test_a_volunteer_cannot_renew_their_own_grant(assigned, volunteer):
    _end_grant(assigned, volunteer)
    client = Client()
    log_in(client, volunteer.staff)

    response = client.post(
        reverse("oversight:grant_renew", args=[assigned.code, volunteer.user.pk])
    )

    assert response.status_code == 403
    assert AccessGrant.objects.get(case=assigned).expires_on == TODAY()
    assert not AuditEvent.objects.filter(action="grant.renewed").exists()


def test_renewing_a_shredded_grant_asks_for_a_new_assignment(assigned, volunteer, coordinator):
    _end_grant(assigned, volunteer, days_ago=1)
    access.expire_grants()

    with pytest.raises(keyring.NoGrantError):
        access.renew_grant(assigned.pk, volunteer.user, by=coordinator.user)

    # Assigning again seals a fresh copy, for the full period.
    access.assign_case(
        assigned.pk, volunteer.user, by=coordinator.user, staff_private_key=coordinator.key
    )
    grant = AccessGrant.objects.get(case=assigned, user=volunteer.user)
    assert grant.expires_on == TODAY() + datetime.timedelta(days=30)
    key = core.open_case_key_with_grant(bytes(grant.case_key_for_grantee_sealed), volunteer.key)
    assert key == case_private_key_for_staff(assigned, coordinator.user, coordinator.key)


def test_coordinators_see_the_grants_ending_within_a_week(assigned, volunteer, coordinator):
    later = make_case()
    access.assign_case(
        later.pk, volunteer.user, by=coordinator.user, staff_private_key=coordinator.key
    )
    AccessGrant.objects.filter(case=assigned).update(expires_on=TODAY() + datetime.timedelta(3))
    client = Client()
    log_in(client, coordinator.staff)

    response = client.get(reverse("oversight:grants"))

    page = response.content.decode()
    assert response.status_code == 200
    assert assigned.code in page
    assert later.code not in page  # ends in 30 days


def test_the_worker_shreds_expired_grants_every_hour(assigned, volunteer):
    _end_grant(assigned, volunteer)

    # One run of the periodic task shreds, and queues the next run an hour later.
    assert tasks.expire_grants.call() == 1

    assert not AccessGrant.objects.filter(case=assigned).exists()
    (next_run,) = DBTaskResult.objects.filter(task_path=tasks.expire_grants.module_path)
    assert next_run.status == "READY"
    assert (next_run.run_after - next_run.enqueued_at).total_seconds() >= 3599


# The worker closes its database connection between tasks, as in production; only a test
# outside a wrapping transaction survives that on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_a_starting_worker_runs_the_hourly_checks(assigned, volunteer):
    _end_grant(assigned, volunteer)

    call_command("worker", batch=True, verbosity=0)

    # The worker queued the periodic tasks (the donor purge too), ran them, and each queued
    # its next run.
    assert not AccessGrant.objects.filter(case=assigned).exists()
    assert AuditEvent.objects.filter(action="grant.expired", subject=assigned.code).exists()
    waiting = DBTaskResult.objects.filter(status="READY").values_list("task_path", flat=True)
    periodic = [*tasks.PERIODIC_TASKS, *ledger_tasks.PERIODIC_TASKS]
    assert sorted(waiting) == sorted(t.module_path for t in periodic)


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_grants_the_full_period_from_upgrade_day(settings):
    """Grants made before expiry existed are not cut off on upgrade, and do expire."""
    settings.SOLIDARITY_GRANT_DAYS = 30
    executor = MigrationExecutor(connection)
    before = [("vault", "0004_recovery")]
    after = [("vault", "0005_grant_expiry")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    case = old.get_model("cases", "Case").objects.create(
        code="TEST-MIGR-0001", programme="security_forces", received_on=TODAY(), language="en"
    )
    user = old.get_model("accounts", "User").objects.create(username="old-volunteer")
    old.get_model("vault", "AccessGrant").objects.create(
        case_id=case.pk,
        user_id=user.pk,
        case_key_for_grantee_sealed=b"sealed",
        granted_on=TODAY() - datetime.timedelta(days=200),
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    grant = AccessGrant.objects.get(user_id=user.pk)
    assert grant.expires_on == TODAY() + datetime.timedelta(days=30)


def test_checklist_work_on_an_expired_grant_is_refused_with_the_day_it_ended(assigned, volunteer):
    ended = _end_grant(assigned, volunteer)

    with pytest.raises(verification.VerificationDeniedError) as refusal:
        verification.set_checklist_item(
            assigned, "service_id", by=volunteer.user, staff_key=volunteer.key, done=True, note="x"
        )

    assert date_format(ended, "DATE_FORMAT") in str(refusal.value)
    denied = AuditEvent.objects.get(action="case.access_denied", actor=volunteer.user)
    assert denied.details["reason"] == "grant_expired"
