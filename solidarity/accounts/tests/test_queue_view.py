"""The coordinators' queue (counts, filters, keyset pages, bulk assignment) and the volunteers'
"my cases", with nothing decrypted. Cast: `coordinator` alice, `volunteer` victor; the
outsider is covered by the permission matrix."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from solidarity.cases import access
from solidarity.cases.models import Case
from solidarity.cases.services import PAGE_SIZE
from solidarity.screening.models import CaseFlag
from solidarity.testing.factories import log_in, make_application, make_org, make_staff
from solidarity.vault import keyring
from solidarity.vault.models import AccessGrant


@pytest.fixture
def coordinator(db):
    make_org()
    return make_staff(role="coordinator", username="alice")


@pytest.fixture
def volunteer(coordinator):
    return make_staff(role="volunteer", username="victor")


@pytest.fixture
def signed_in(client, coordinator):
    log_in(client, coordinator)
    return client


def _codes(response) -> list[str]:
    return [row.case.code for row in response.context["rows"]]


def _assign(codes, to, coordinator):
    key = keyring.unlock_staff_key(coordinator.user, coordinator.passphrase)
    ids = list(Case.objects.filter(code__in=codes).values_list("id", flat=True))
    access.assign_cases(ids, to.user, by=coordinator.user, staff_private_key=key)


def test_the_queue_counts_cases_per_status(signed_in):
    make_application()
    rejected = make_application()
    Case.objects.filter(code=rejected.case_code).update(status=Case.Status.REJECTED)

    response = signed_in.get(reverse("staff:queue"))

    assert response.status_code == 200
    assert response.context["total"] == 2
    counts = dict(response.context["status_counts"])
    assert counts["Received"] == 1
    assert counts["Not accepted"] == 1


def test_the_queue_filters_by_programme_and_status(signed_in):
    officer = make_application()
    striker = make_application(programme="workers", situation="workers:strike")

    by_programme = signed_in.get(reverse("staff:queue"), {"programme": "workers"})
    by_status = signed_in.get(reverse("staff:queue"), {"status": "verified"})

    assert _codes(by_programme) == [striker.case_code]
    assert officer.case_code not in by_programme.content.decode()
    assert "No cases match." in by_status.content.decode()


def test_the_queue_filters_by_assignee_and_by_nobody(signed_in, coordinator, volunteer):
    mine, free = make_application(), make_application()
    _assign([mine.case_code], volunteer, coordinator)

    assigned = signed_in.get(reverse("staff:queue"), {"assignee": volunteer.user.pk})
    unassigned = signed_in.get(reverse("staff:queue"), {"assignee": "none"})

    assert _codes(assigned) == [mine.case_code]
    assert _codes(unassigned) == [free.case_code]
    assert "victor" in assigned.content.decode()


def test_the_queue_filters_by_the_day_received(signed_in):
    old, middle, new = (make_application().case_code for _ in range(3))
    today = datetime.date(2024, 5, 20)
    for code, days in ((old, 30), (middle, 10), (new, 0)):
        Case.objects.filter(code=code).update(received_on=today - datetime.timedelta(days=days))

    older_than = signed_in.get(reverse("staff:queue"), {"received_before": "2024-05-10"})
    window = signed_in.get(
        reverse("staff:queue"),
        {"received_after": "2024-05-01", "received_before": "2024-05-15"},
    )

    assert _codes(older_than) == [middle, old]
    assert _codes(window) == [middle]


def test_the_queue_filters_by_open_screening_flags(signed_in):
    flagged, cleared, plain = (make_application().case_code for _ in range(3))
    for code, state in ((flagged, "open"), (cleared, "cleared")):
        CaseFlag.objects.create(
            case=Case.objects.get(code=code),
            kind=CaseFlag.Kind.DUPLICATE_STORY,
            state=state,
            reason=CaseFlag.Reason.STORY,
            explanation="test",
            fingerprint=f"test-{code}",
            created_on=datetime.date(2024, 5, 1),
        )

    response = signed_in.get(reverse("staff:queue"), {"flag": "duplicate_story"})
    other_kind = signed_in.get(reverse("staff:queue"), {"flag": "abuser_match"})

    assert _codes(response) == [flagged]
    assert _codes(other_kind) == []
    assert plain not in response.content.decode()


def test_an_unknown_filter_value_shows_everything_instead_of_failing(signed_in):
    receipt = make_application()

    response = signed_in.get(
        reverse("staff:queue"),
        {"status": "nonsense", "cursor": "x", "assignee": "99", "received_after": "soon"},
    )

    assert response.status_code == 200
    assert receipt.case_code in response.content.decode()


def test_the_queue_pages_newest_first_by_keyset(signed_in):
    codes = [make_application().case_code for _ in range(PAGE_SIZE + 1)]
    oldest, newest = codes[0], codes[-1]

    first = signed_in.get(reverse("staff:queue"))
    second = signed_in.get(reverse("staff:queue") + first.context["older"])

    assert _codes(first)[0] == newest
    assert oldest not in _codes(first)
    assert _codes(second) == [oldest]
    assert second.context["older"] is None


def test_a_filtered_queue_keeps_its_filters_from_page_to_page(signed_in):
    workers = [
        make_application(programme="workers", situation="workers:strike").case_code
        for _ in range(PAGE_SIZE + 2)
    ]
    make_application()  # an officer, who must never appear below

    first = signed_in.get(reverse("staff:queue"), {"programme": "workers"})
    second = signed_in.get(reverse("staff:queue") + first.context["older"])

    assert "programme=workers" in first.context["older"]
    assert _codes(first) + _codes(second) == workers[::-1]


def test_pages_stay_in_order_when_days_and_ids_disagree(signed_in):
    # Cases backdated out of id order (as the demo does): the day decides, then the id
    codes = [make_application().case_code for _ in range(PAGE_SIZE + 5)]
    base = datetime.date(2024, 1, 1)
    for i, code in enumerate(codes):
        Case.objects.filter(code=code).update(received_on=base + datetime.timedelta(days=i % 7))
    expected = list(Case.objects.order_by("-received_on", "-id").values_list("code", flat=True))

    first = signed_in.get(reverse("staff:queue"))
    second = signed_in.get(reverse("staff:queue") + first.context["older"])

    assert _codes(first) + _codes(second) == expected


# --- bulk assignment -----------------------------------------------------------------------------


def test_bulk_assignment_assigns_every_ticked_case_with_a_grant(signed_in, coordinator, volunteer):
    codes = [make_application().case_code for _ in range(3)]
    ticked = list(Case.objects.filter(code__in=codes[:2]).values_list("id", flat=True))
    back = reverse("staff:queue") + "?programme=security_forces"

    response = signed_in.post(
        reverse("staff:bulk_assign"),
        {"case": ticked, "assignee": volunteer.user.pk, "back": back},
    )

    assert response.status_code == 302
    assert response["Location"] == back
    assert set(AccessGrant.objects.values_list("case_id", flat=True)) == set(ticked)
    assert Case.objects.filter(assignee=volunteer.user).count() == 2


def test_bulk_assignment_never_redirects_off_the_queue(signed_in, coordinator, volunteer):
    case_id = Case.objects.get(code=make_application().case_code).id

    response = signed_in.post(
        reverse("staff:bulk_assign"),
        {"case": [case_id], "assignee": volunteer.user.pk, "back": "https://evil.example/"},
    )

    assert response["Location"] == reverse("staff:queue")


def test_bulk_assignment_to_a_treasurer_assigns_nothing(signed_in, coordinator):
    treasurer = make_staff(role="treasurer")
    case_id = Case.objects.get(code=make_application().case_code).id

    signed_in.post(reverse("staff:bulk_assign"), {"case": [case_id], "assignee": treasurer.user.pk})

    assert not Case.objects.filter(assignee__isnull=False).exists()
    assert not AccessGrant.objects.exists()


def test_the_bulk_controls_are_shown_only_with_the_vault_unlocked(signed_in):
    make_application()
    assert 'name="case"' in signed_in.get(reverse("staff:queue")).content.decode()

    signed_in.post(reverse("staff:lock"))

    page = signed_in.get(reverse("staff:queue")).content.decode()
    assert 'name="case"' not in page
    assert "to assign cases" in page


# --- one case: assign and unassign ---------------------------------------------------------------


def test_a_coordinator_assigns_and_unassigns_from_the_case_page(signed_in, volunteer):
    code = make_application().case_code

    page = signed_in.get(reverse("staff:case", args=[code])).content.decode()
    signed_in.post(reverse("staff:case_assign", args=[code]), {"assignee": volunteer.user.pk})
    assigned = signed_in.get(reverse("staff:case", args=[code])).content.decode()
    signed_in.post(reverse("staff:case_unassign", args=[code]))

    assert 'id="access"' in page
    assert "victor" in assigned
    assert "Take the case off them" in assigned
    assert not AccessGrant.objects.exists()
    assert Case.objects.get(code=code).assignee is None


# --- my cases ----------------------------------------------------------------------------------


def test_a_volunteer_sees_only_the_cases_granted_to_them(coordinator, volunteer):
    granted, other = make_application().case_code, make_application().case_code
    _assign([granted], volunteer, coordinator)
    client = Client()
    log_in(client, volunteer)

    landing = client.get(reverse("staff:queue"))
    mine = client.get(reverse("staff:my_cases"))
    opened = client.get(reverse("staff:case", args=[granted]))
    refused = client.get(reverse("staff:case", args=[other]))

    assert landing["Location"] == reverse("staff:my_cases")
    assert _codes(mine) == [granted]
    assert other not in mine.content.decode()
    assert opened.status_code == 200
    assert "You hold an access grant for this case." in opened.content.decode()
    assert refused.status_code == 403


def test_a_volunteer_lands_on_their_cases_after_signing_in(coordinator, volunteer):
    client = Client()
    response = log_in(client, volunteer)
    assert response["Location"] == reverse("staff:my_cases")
