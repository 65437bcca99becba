"""Courses: a coach offers a seat, the candidate accepts or declines on /status/jobs/, and
accepting asks the ledger to commit the fee through ``ledger_link``."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from solidarity.jobs import ledger_link, records, services
from solidarity.jobs.models import Enrolment
from solidarity.jobs.tests.factories import (
    applicant_client,
    make_applicant,
    make_course,
    make_profile,
)


@pytest.fixture
def offer(org, coach):
    applicant = make_applicant()
    profile = make_profile(applicant)
    course = make_course(
        coach.user,
        title="Manual QA from zero",
        fee=Decimal("750.00"),
        starts=[timezone.localdate() + datetime.timedelta(days=20)],
    )
    enrolment = records.offer_course(profile, course.starts.get(), by=coach.user)
    return applicant, enrolment


def test_the_candidate_sees_the_offer_and_declines_it(offer):
    applicant, enrolment = offer
    client = applicant_client(applicant)

    page = client.get(reverse("jobs_status:home")).content.decode()
    client.post(reverse("jobs_status:answer_course", args=[enrolment.pk]), {"answer": "decline"})

    assert "Manual QA from zero" in page
    assert "Accept the seat" in page
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.DECLINED
    assert enrolment.answered_on == timezone.localdate().replace(day=1)
    assert not enrolment.fee_committed


@pytest.mark.skipif(
    ledger_link.ledger_available(),
    reason="the ledger now exposes commit_course_fee; its own tests cover the booking",
)
def test_accepting_without_a_ledger_function_books_nothing_and_says_so(offer):
    from solidarity.ledger.models import Commitment

    applicant, enrolment = offer
    client = applicant_client(applicant)

    page = client.get(reverse("jobs_status:home")).content.decode()
    client.post(reverse("jobs_status:answer_course", args=[enrolment.pk]), {"answer": "accept"})

    assert "your job coach arranges the fee with the fund" in page
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.ACCEPTED
    assert enrolment.fee_committed is False
    assert not Commitment.objects.filter(case=applicant.case).exists()


def test_an_answered_offer_cannot_be_answered_again(offer):
    applicant, enrolment = offer
    services.answer_enrolment(applicant.case, applicant.key, enrolment.pk, accept=False)
    with pytest.raises(services.EnrolmentStateError):
        services.answer_enrolment(applicant.case, applicant.key, enrolment.pk, accept=True)


def test_nobody_answers_another_candidates_offer(offer):
    _applicant, enrolment = offer
    stranger = make_applicant()
    make_profile(stranger)

    response = applicant_client(stranger).post(
        reverse("jobs_status:answer_course", args=[enrolment.pk]), {"answer": "accept"}
    )

    assert response.status_code == 404
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.OFFERED


def test_a_seat_is_offered_once(offer, coach):
    _applicant, enrolment = offer
    with pytest.raises(services.EnrolmentStateError):
        records.offer_course(enrolment.profile, enrolment.start, by=coach.user)


def test_the_ledger_link_books_nothing_for_a_free_course(org):
    case = make_applicant().case
    assert not ledger_link.commit_course_fee(
        case, amount=Decimal("0.00"), currency="EUR", due_on=timezone.localdate(), requested_by=None
    )
