"""The volunteer a case is assigned to works its checklist through their access grant; a
coordinator decides. Taking the case off them takes the checklist away too."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from solidarity.cases import access, verification
from solidarity.cases.models import ChecklistEntry
from solidarity.testing.factories import log_in


@pytest.fixture
def assigned(case, coordinator, volunteer):
    access.assign_case(
        case.pk, volunteer.user, by=coordinator.user, staff_private_key=coordinator.key
    )
    case.refresh_from_db()
    return case


def test_the_assigned_volunteer_ticks_with_a_note(assigned, volunteer):
    entry = verification.set_checklist_item(
        assigned,
        "service_id",
        by=volunteer.user,
        staff_key=volunteer.key,
        done=True,
        note="Seen on a video call",
    )

    assert entry.updated_by == volunteer.user
    panel = verification.verification_panel(assigned, volunteer.user, volunteer.key)
    assert panel.may_tick
    assert not panel.may_decide
    assert panel.rows[0].history[0]["note"] == "Seen on a video call"


def test_the_assigned_volunteer_still_may_not_decide(assigned, volunteer):
    with pytest.raises(verification.VerificationDeniedError):
        verification.decide_case(
            assigned,
            by=volunteer.user,
            staff_key=volunteer.key,
            outcome="more_info",
            message="Please send more",
        )


def test_taking_the_case_off_the_volunteer_ends_their_checklist_work(
    assigned, coordinator, volunteer
):
    access.unassign_case(assigned.pk, by=coordinator.user)
    assigned.refresh_from_db()

    with pytest.raises(verification.VerificationDeniedError):
        verification.set_checklist_item(
            assigned,
            "service_id",
            by=volunteer.user,
            staff_key=volunteer.key,
            done=True,
            note="x",
        )
    assert not ChecklistEntry.objects.exists()


def test_the_assigned_volunteer_ticks_over_http(assigned, volunteer):
    client = Client()
    log_in(client, volunteer.staff)

    page = client.get(reverse("staff:case", args=[assigned.code])).content.decode()
    response = client.post(
        reverse("staff:verification_item", args=[assigned.code, "service_id"]),
        {"done": "on", "note": "Seen"},
    )

    assert 'id="verification"' in page
    assert reverse("staff:verification_decision", args=[assigned.code]) not in page
    assert response.status_code == 302
    assert ChecklistEntry.objects.get(case=assigned, item="service_id").done
