"""The verification panel and its actions over HTTP, and who is refused each of them.

Cast (conftest.py): `coordinator` may do everything; `volunteer` holds no grant for the case
(not assigned); `treasurer` does no case work; `outsider` is not signed in."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from solidarity.audit.models import AuditEvent
from solidarity.cases.models import Case, ChecklistEntry, Decision
from solidarity.testing.factories import log_in


def my_routes(code: str) -> list[str]:
    return [
        reverse("staff:verification_item", args=[code, "service_id"]),
        reverse("staff:verification_decision", args=[code]),
        reverse("staff:verification_status", args=[code]),
    ]


TICK = {"done": "on", "note": "Saw the service ID on a video call"}
REJECT = {"outcome": "rejected", "reason_category": "duplicate", "reason": "Same as another"}


def signed_in(worker) -> Client:
    client = Client()
    response = log_in(client, worker.staff)
    assert response.status_code == 302
    return client


def test_outsider_is_sent_to_login_from_every_verification_action(client, case):
    for url in [*my_routes(case.code), reverse("staff:audit")]:
        response = client.post(url, TICK) if "verification" in url else client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("staff:login")), url
    assert not ChecklistEntry.objects.exists()
    assert Case.objects.get(pk=case.pk).status == Case.Status.NEW


def test_verification_actions_refuse_get(case, coordinator):
    client = signed_in(coordinator)
    for url in my_routes(case.code):
        assert client.get(url).status_code == 405, url


@pytest.mark.parametrize("role", ["volunteer", "treasurer"])
def test_staff_without_access_are_refused_every_action(case, role, request):
    client = signed_in(request.getfixturevalue(role))
    tick, decide, status = my_routes(case.code)

    assert client.post(tick, TICK).status_code == 403
    assert client.post(decide, REJECT).status_code == 403
    assert client.post(status, {"action": "resume"}).status_code == 403
    assert not ChecklistEntry.objects.exists()
    assert not Decision.objects.exists()
    assert Case.objects.get(pk=case.pk).status == Case.Status.NEW


def test_a_locked_vault_is_asked_to_unlock_first(case, coordinator):
    client = signed_in(coordinator)
    client.post(reverse("staff:lock"))

    response = client.post(my_routes(case.code)[0], TICK)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:unlock"))
    assert not ChecklistEntry.objects.exists()


def test_the_case_page_shows_the_checklist_of_the_programme(case, coordinator):
    client = signed_in(coordinator)
    page = client.get(reverse("staff:case", args=[case.code])).content.decode()

    assert 'id="verification"' in page
    for label in (
        "Service ID seen",
        "Resignation or dismissal papers",
        "Video statement",
        "Vouched for by an already verified officer",
        "Screening clear",
    ):
        assert label in page
    assert "Evidence of repression" not in page
    assert reverse("staff:verification_decision", args=[case.code]) in page


def test_a_coordinator_ticks_with_a_note_and_sees_it_on_the_case_page(case, coordinator):
    client = signed_in(coordinator)
    response = client.post(my_routes(case.code)[0], TICK)

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:case", args=[case.code]) + "#verification"
    assert ChecklistEntry.objects.get(case=case, item="service_id").done
    page = client.get(response["Location"]).content.decode()
    assert "Saw the service ID on a video call" in page
    assert "The checklist was updated." in page


def test_a_problem_comes_back_as_a_notice_not_an_error_page(case, coordinator):
    client = signed_in(coordinator)
    response = client.post(
        reverse("staff:verification_decision", args=[case.code]),
        {"outcome": "verified"},
        follow=True,
    )
    assert response.status_code == 200
    assert "This is not possible while the case is “Received”." in response.content.decode()

    response = client.post(my_routes(case.code)[0], {"done": "on", "note": ""}, follow=True)
    assert "Write what you saw: the note is the evidence." in response.content.decode()
    assert not ChecklistEntry.objects.exists()


def test_a_coordinator_asks_for_more_information_over_http(case, coordinator):
    client = signed_in(coordinator)
    response = client.post(
        reverse("staff:verification_decision", args=[case.code]),
        {"outcome": "more_info", "message": "Please send your resignation letter."},
    )

    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == Case.Status.MORE_INFO
    assert Decision.objects.get(case=case).message is not None
    page = client.get(reverse("staff:case", args=[case.code])).content.decode()
    assert "Resume review (the applicant answered)" in page


def test_the_audit_page_is_for_coordinators_only(case, coordinator, volunteer, treasurer):
    for worker in (volunteer, treasurer):
        assert signed_in(worker).get(reverse("staff:audit")).status_code == 403

    page = signed_in(coordinator).get(reverse("staff:audit")).content.decode()

    assert "staff.login" in page
    assert AuditEvent.objects.filter(action="audit.viewed", actor=coordinator.user).exists()


def test_the_audit_page_filters_by_case_and_pages_by_keyset(case, coordinator):
    client = signed_in(coordinator)
    client.post(my_routes(case.code)[0], TICK)

    page = client.get(reverse("staff:audit"), {"subject": case.code}).content.decode()
    assert "case.checklist_ticked" in page
    assert "staff.login" not in page

    page = client.get(reverse("staff:audit"), {"action": "staff."}).content.decode()
    assert "staff.login" in page
    assert "case.checklist_ticked" not in page
