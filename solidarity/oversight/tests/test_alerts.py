"""Alerts from the audit trail (issue 8): the attacks an informer among the volunteers makes,
played for real through the services and the console, then `solidarity alerts scan`.

Cast: `coordinator` alice and bob; volunteers victor and wendy (ordinary peers) and mallory
(the informer); `outsider` is anyone not signed in (covered by the permission matrix).
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from solidarity.accounts import services as console
from solidarity.audit import services as audit
from solidarity.audit.models import AuditEvent
from solidarity.cases import access
from solidarity.cases.models import Case
from solidarity.cases.services import CaseAccessDeniedError, open_case_for_staff
from solidarity.oversight import alerts, tasks
from solidarity.oversight.models import Alert
from solidarity.testing.factories import log_in, make_application, make_org, make_staff
from solidarity.vault import keyring


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


class Person:
    def __init__(self, staff) -> None:
        self.staff = staff
        self.user = staff.user
        self.key = keyring.unlock_staff_key(staff.user, staff.passphrase)


@pytest.fixture
def alice(db):
    make_org()
    return Person(make_staff(role="coordinator", username="alice"))


@pytest.fixture
def bob(alice):
    return Person(make_staff(role="coordinator", username="bob"))


@pytest.fixture
def volunteers(alice):
    return {
        name: Person(make_staff(role="volunteer", username=name))
        for name in ("victor", "wendy", "mallory")
    }


def _new_cases(count: int) -> list[Case]:
    codes = [make_application().case_code for _ in range(count)]
    return list(Case.objects.filter(code__in=codes))


def _open_cases(volunteer: Person, count: int, alice: Person) -> None:
    """Assign ``count`` new cases to the volunteer, who opens each of them."""
    cases = _new_cases(count)
    access.assign_cases(
        [c.pk for c in cases], volunteer.user, by=alice.user, staff_private_key=alice.key
    )
    for case in cases:
        open_case_for_staff(case, volunteer.user, volunteer.key)


def test_a_volunteer_opening_40_cases_when_peers_open_3_raises_an_alert(alice, volunteers):
    _open_cases(volunteers["victor"], 3, alice)
    _open_cases(volunteers["wendy"], 3, alice)
    _open_cases(volunteers["mallory"], 40, alice)

    raised = alerts.scan_alerts()

    assert [(a.kind, a.staff_name) for a in raised] == [(Alert.Kind.MANY_CASES, "mallory")]
    alert = raised[0]
    assert alert.staff == volunteers["mallory"].user
    assert alert.details["cases"] == 40
    assert alert.details["peers_median"] == 3
    assert alert.details["threshold"] == 20
    assert AuditEvent.objects.filter(action="alert.raised", subject="mallory").exists()


def test_a_busy_day_below_the_floor_raises_nothing(alice, volunteers):
    _open_cases(volunteers["victor"], 1, alice)
    _open_cases(volunteers["mallory"], 12, alice)

    assert alerts.scan_alerts() == []


def test_scanning_again_raises_no_second_alert(alice, volunteers):
    _open_cases(volunteers["victor"], 2, alice)
    _open_cases(volunteers["mallory"], 25, alice)
    assert len(alerts.scan_alerts()) == 1

    assert alerts.scan_alerts() == []
    assert Alert.objects.count() == 1


def test_opening_a_case_not_assigned_raises_an_alert(client, alice, volunteers):
    mallory = volunteers["mallory"]
    (foreign,) = _new_cases(1)
    log_in(client, mallory.staff)

    response = client.get(reverse("staff:case", args=[foreign.code]))

    assert response.status_code == 403
    (alert,) = alerts.scan_alerts()
    assert alert.kind == Alert.Kind.NOT_ASSIGNED
    assert alert.staff_name == "mallory"
    assert alert.subject == foreign.code
    assert alert.details == {"attempts": 1}


def test_an_expired_grant_is_not_taken_for_fishing(client, alice, volunteers):
    victor = volunteers["victor"]
    (case,) = _new_cases(1)
    access.assign_case(case.pk, victor.user, by=alice.user, staff_private_key=alice.key)
    case.access_grants.update(expires_on=case.access_grants.get().granted_on)
    log_in(client, victor.staff)

    assert client.get(reverse("staff:case", args=[case.code])).status_code == 403
    assert alerts.scan_alerts() == []


def test_repeated_failed_unlocks_raise_an_alert(client, alice, volunteers):
    # Someone holds victor's signed-in laptop, with the vault locked, and guesses.
    victor = volunteers["victor"]
    log_in(client, victor.staff)
    client.post(reverse("staff:lock"))
    for attempt in range(alerts.FAILED_UNLOCK_LIMIT):
        response = client.post(reverse("staff:unlock"), {"passphrase": f"guess {attempt}"})
        assert response.status_code == 200

    (alert,) = alerts.scan_alerts()

    assert alert.kind == Alert.Kind.FAILED_UNLOCKS
    assert alert.staff == victor.user
    assert alert.details == {"unlock_failures": 5, "login_failures": 0}


def test_a_few_failed_unlocks_raise_nothing(client, alice, volunteers):
    log_in(client, volunteers["victor"].staff)
    client.post(reverse("staff:lock"))
    client.post(reverse("staff:unlock"), {"passphrase": "typo"})

    assert alerts.scan_alerts() == []


def test_the_scan_command_reports_new_alerts(client, alice, volunteers):
    (foreign,) = _new_cases(1)
    log_in(client, volunteers["mallory"].staff)
    client.get(reverse("staff:case", args=[foreign.code]))
    out = io.StringIO()

    call_command("alerts", "scan", stdout=out)

    assert "1 new alert." in out.getvalue()
    assert f"mallory {foreign.code}" in out.getvalue()


def _raise_one(alice, volunteers) -> Alert:
    """mallory tries a case that is not hers (through the console's service, which audits)."""
    (foreign,) = _new_cases(1)
    mallory = volunteers["mallory"]
    with pytest.raises(CaseAccessDeniedError):
        console.view_case(mallory.user, foreign, mallory.key)
    (alert,) = alerts.scan_alerts()
    return alert


def test_coordinators_see_a_badge_and_acknowledge_an_alert(alice, volunteers):
    alert = _raise_one(alice, volunteers)
    client = Client()
    log_in(client, alice.staff)

    page = client.get(reverse("oversight:alerts")).content.decode()
    assert '<span class="badge"' in page
    assert "mallory" in page
    response = client.post(reverse("oversight:alert_acknowledge", args=[alert.pk]))

    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == alice.user
    assert alert.acknowledged_at is not None
    event = AuditEvent.objects.get(action="alert.acknowledged")
    assert event.actor == alice.user
    assert event.subject == "mallory"
    assert '<span class="badge"' not in client.get(reverse("oversight:alerts")).content.decode()


def test_a_volunteer_sees_no_badge_and_cannot_acknowledge(alice, volunteers):
    alert = _raise_one(alice, volunteers)
    client = Client()
    log_in(client, volunteers["mallory"].staff)

    mine = client.get(reverse("staff:my_cases")).content.decode()
    response = client.post(reverse("oversight:alert_acknowledge", args=[alert.pk]))

    assert 'class="badge"' not in mine
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_nobody_acknowledges_an_alert_about_themselves(client, alice, bob):
    for attempt in range(alerts.FAILED_UNLOCK_LIMIT):
        log_in(client, alice.staff, passphrase=f"wrong {attempt}")
    (alert,) = alerts.scan_alerts()
    assert alert.staff_name == "alice"

    with pytest.raises(alerts.SelfAcknowledgeError):
        alerts.acknowledge_alert(alert.pk, by=alice.user)
    alerts.acknowledge_alert(alert.pk, by=bob.user)

    alert.refresh_from_db()
    assert alert.acknowledged_by == bob.user


def test_the_worker_scans_every_hour(alice, volunteers):
    # Starting a worker queues each periodic task once, however often it starts.
    assert tasks.schedule_periodic_tasks() == 2
    assert tasks.schedule_periodic_tasks() == 0
    waiting = DBTaskResult.objects.filter(task_path=tasks.scan_alerts.module_path)
    assert waiting.count() == 1
    waiting.delete()
    _open_cases(volunteers["victor"], 1, alice)
    _open_cases(volunteers["mallory"], 21, alice)

    # A run raises the alert and queues the next run an hour later.
    assert tasks.scan_alerts.call() == 1
    (next_run,) = DBTaskResult.objects.filter(task_path=tasks.scan_alerts.module_path)
    assert next_run.status == "READY"
    assert (next_run.run_after - next_run.enqueued_at).total_seconds() >= 3599


def test_only_the_last_24_hours_count(alice, volunteers):
    _open_cases(volunteers["victor"], 1, alice)
    _open_cases(volunteers["mallory"], 21, alice)
    now = timezone.now()

    # Seen from a day and an hour later, the burst is history; from 23 hours later it counts.
    assert alerts.scan_alerts(now + datetime.timedelta(hours=25)) == []
    assert len(alerts.scan_alerts(now + datetime.timedelta(hours=23))) == 1


def test_the_window_is_found_whatever_gaps_the_ids_have(db):
    """Ids have gaps (a rolled-back transaction uses one up on PostgreSQL); the search for
    the first entry of the window must still find it, and must end."""
    start = timezone.now() - datetime.timedelta(hours=40)
    events = [audit.record("test.event", subject=str(i)) for i in range(40)]
    for hour, event in enumerate(events):
        AuditEvent.objects.filter(pk=event.pk).update(at=start + datetime.timedelta(hours=hour))
    # Gaps of every size, at the start, in the middle and just before the newest entry.
    AuditEvent.objects.filter(
        pk__in=[events[i].pk for i in (0, 1, 5, 6, 7, 8, 20, 37, 38)]
    ).delete()
    remaining = list(AuditEvent.objects.order_by("id").values_list("id", "at"))

    for hour in range(-2, 42):
        since = start + datetime.timedelta(hours=hour, minutes=30)
        expected = next((entry_id for entry_id, at in remaining if at > since), None)
        assert alerts._first_id_after(since) == expected, hour
