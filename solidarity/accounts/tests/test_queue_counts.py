"""The queue's counts come from a table the database keeps by triggers: they must equal a
real count after every way a case can be created, moved or deleted."""

from __future__ import annotations

import pytest
from django.db.models import Count

from solidarity.accounts.models import QueueCount
from solidarity.cases.models import Case
from solidarity.cases.services import programme_status_counts, status_counts
from solidarity.testing.factories import make_application, make_org


def _real() -> list[dict]:
    return list(
        Case.objects.values("programme", "status")
        .annotate(n=Count("id"))
        .order_by("programme", "status")
    )


@pytest.fixture
def cases(db):
    make_org()
    return [
        make_application(programme=p, situation=s).case_code
        for p, s in (
            ("security_forces", "security_forces:quit"),
            ("security_forces", "security_forces:fired"),
            ("workers", "workers:strike"),
            ("repression", "repression:repressed"),
        )
    ]


def test_new_cases_are_counted(cases):
    assert programme_status_counts() == _real()
    assert status_counts()["new"] == 4


def test_a_status_change_by_any_path_moves_the_count(cases):
    # a save() of one row, and an update() of many, as the verification service and the demo do
    case = Case.objects.get(code=cases[0])
    case.status = Case.Status.IN_REVIEW
    case.save(update_fields=["status"])
    Case.objects.filter(code__in=cases[1:3]).update(status=Case.Status.VERIFIED)
    Case.objects.filter(code=cases[3]).update(programme="workers")

    assert programme_status_counts() == _real()
    assert status_counts() == {
        "new": 1,
        "in_review": 1,
        "more_info": 0,
        "verified": 2,
        "rejected": 0,
        "closed": 0,
    }


def test_a_deleted_case_is_no_longer_counted(cases):
    Case.objects.filter(code=cases[0]).delete()

    assert programme_status_counts() == _real()
    assert sum(status_counts().values()) == 3


def test_an_update_that_changes_neither_column_leaves_the_counts(cases):
    before = list(QueueCount.objects.order_by("id").values_list("n", flat=True))

    Case.objects.update(language="be")

    assert list(QueueCount.objects.order_by("id").values_list("n", flat=True)) == before
