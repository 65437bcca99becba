"""The coordinators' queue: counts, filters and keyset pages, with nothing decrypted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from solidarity.cases.models import Case
from solidarity.cases.services import PAGE_SIZE
from solidarity.testing.factories import log_in, make_application, make_org, make_staff


@pytest.fixture
def signed_in(db, client):
    make_org()
    log_in(client, make_staff(role="coordinator"))
    return client


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

    assert striker.case_code in by_programme.content.decode()
    assert officer.case_code not in by_programme.content.decode()
    assert "No cases match." in by_status.content.decode()


def test_an_unknown_filter_value_shows_everything_instead_of_failing(signed_in):
    receipt = make_application()

    response = signed_in.get(reverse("staff:queue"), {"status": "nonsense", "before": "x"})

    assert response.status_code == 200
    assert receipt.case_code in response.content.decode()


def test_the_queue_pages_by_case_id_newest_first(signed_in):
    codes = [make_application().case_code for _ in range(PAGE_SIZE + 1)]
    oldest, newest = codes[0], codes[-1]

    first = signed_in.get(reverse("staff:queue"))
    older = first.context["older"]
    second = signed_in.get(reverse("staff:queue"), older)

    assert newest in first.content.decode()
    assert oldest not in first.content.decode()
    assert [case.code for case, _assignee in second.context["rows"]] == [oldest]
    assert second.context["older"] is None
