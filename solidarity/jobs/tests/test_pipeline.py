"""The pipeline: introductions and their rules (one opening at a time, no overbooking), the
stages with their days, hires counted by field, and the pool proposal over the database."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from solidarity.audit.models import AuditEvent
from solidarity.audit.services import verify_chain
from solidarity.jobs import records, roles, services
from solidarity.jobs.models import Introduction, Opening, Placement, Stage
from solidarity.jobs.tests.factories import (
    make_applicant,
    make_coach,
    make_employer,
    make_opening,
    make_profile,
)


@pytest.fixture
def profile(org):
    return make_profile()


def test_an_introduction_keeps_its_score_reasons_and_audit_event(profile, coach):
    opening = make_opening(
        coach.user, required_skills=["python", "sql", "docker"], languages=["pl"]
    )

    intro = services.introduce(profile, opening, by=coach.user)

    assert intro.stage == Stage.INTRODUCED
    assert intro.introduced_on == timezone.localdate()
    assert intro.score == 30 + 10 + 15 + 15 + 10 + 5
    assert ["skills", False, [2, 3]] in intro.reasons
    assert ["speaks", True, ["pl"]] in intro.reasons
    event = AuditEvent.objects.get(action="jobs.introduced")
    assert event.subject == f"profile:{profile.pseudonym}"
    assert event.actor == coach.user
    assert verify_chain().ok


def test_a_candidate_is_in_one_pipeline_at_a_time(profile, coach):
    first, second = make_opening(coach.user), make_opening(coach.user)
    intro = services.introduce(profile, first, by=coach.user)

    with pytest.raises(services.CandidateBusyError):
        services.introduce(profile, second, by=coach.user)
    services.move_stage(intro, Stage.NOT_HIRED, by=coach.user)
    services.introduce(profile, second, by=coach.user)

    assert profile.introductions.filter(stage=Stage.INTRODUCED).count() == 1


def test_the_database_also_refuses_two_active_introductions(profile, coach):
    first, second = make_opening(coach.user), make_opening(coach.user)
    services.introduce(profile, first, by=coach.user)
    with pytest.raises(Exception):  # noqa: B017,PT011 - IntegrityError from the constraint
        Introduction.objects.create(
            profile=profile, opening=second, score=0, introduced_on=timezone.localdate()
        )


def test_an_opening_takes_no_more_candidates_than_its_seats(org, coach):
    opening = make_opening(coach.user, positions=2)
    a, b, c = make_profile(), make_profile(), make_profile()
    services.introduce(a, opening, by=coach.user)
    services.introduce(b, opening, by=coach.user)

    with pytest.raises(services.OpeningFullError):
        services.introduce(c, opening, by=coach.user)


def test_a_hire_keeps_its_seat_and_a_rejection_frees_it(org, coach):
    opening = make_opening(coach.user, positions=2)
    a, b, c = make_profile(), make_profile(), make_profile()
    hired = services.introduce(a, opening, by=coach.user)
    rejected = services.introduce(b, opening, by=coach.user)

    services.move_stage(hired, Stage.HIRED, by=coach.user)
    services.move_stage(rejected, Stage.NOT_HIRED, by=coach.user)
    services.introduce(c, opening, by=coach.user)

    assert services.free_seats([opening])[opening.pk] == 0


def test_the_same_candidate_is_not_introduced_to_the_same_opening_twice(profile, coach):
    opening = make_opening(coach.user, positions=3)
    intro = services.introduce(profile, opening, by=coach.user)
    services.move_stage(intro, Stage.NOT_HIRED, by=coach.user)
    with pytest.raises(services.AlreadyIntroducedError):
        services.introduce(profile, opening, by=coach.user)


def test_a_closed_opening_takes_nobody(profile, coach):
    opening = make_opening(coach.user)
    records.close_opening(opening, by=coach.user)
    with pytest.raises(services.OpeningClosedError):
        services.introduce(profile, opening, by=coach.user)


def test_stages_move_forward_with_their_days(profile, coach):
    opening = make_opening(coach.user)
    intro = services.introduce(profile, opening, by=coach.user)
    today = timezone.localdate()

    services.move_stage(intro, Stage.INTERVIEW, by=coach.user, on=today)
    with pytest.raises(services.StageError):
        services.move_stage(intro, Stage.INTERVIEW, by=coach.user, on=today)
    with pytest.raises(services.StageError):
        services.move_stage(
            intro, Stage.OFFER, by=coach.user, on=today + datetime.timedelta(days=1)
        )
    with pytest.raises(services.StageError):
        services.move_stage(
            intro, Stage.OFFER, by=coach.user, on=today - datetime.timedelta(days=1)
        )
    services.move_stage(intro, Stage.OFFER, by=coach.user, on=today)
    services.move_stage(intro, Stage.HIRED, by=coach.user, on=today)
    with pytest.raises(services.StageError):
        services.move_stage(intro, Stage.NOT_HIRED, by=coach.user, on=today)

    intro.refresh_from_db()
    assert (intro.interview_on, intro.offer_on, intro.hired_on) == (today, today, today)
    assert intro.ended_on is None
    assert AuditEvent.objects.filter(action="jobs.stage_changed").count() == 3


def test_an_offer_can_come_without_an_interview(profile, coach):
    intro = services.introduce(profile, make_opening(coach.user), by=coach.user)
    services.move_stage(intro, Stage.OFFER, by=coach.user)
    intro.refresh_from_db()
    assert intro.stage == Stage.OFFER
    assert intro.interview_on is None


def test_a_hire_is_counted_by_field_and_fills_the_opening(org, coach):
    it_job = make_opening(coach.user)
    driving = make_opening(
        coach.user, field="logistics", required_skills=["driving c"], positions=2
    )
    a = make_profile()
    b = make_profile(field="logistics", skills="driving c")

    services.move_stage(services.introduce(a, it_job, by=coach.user), Stage.HIRED, by=coach.user)
    services.move_stage(services.introduce(b, driving, by=coach.user), Stage.HIRED, by=coach.user)

    counts = services.placements_by_field()
    assert counts["it"] == 1
    assert counts["logistics"] == 1
    assert counts["education"] == 0
    assert sum(counts.values()) == 2
    it_job.refresh_from_db()
    driving.refresh_from_db()
    assert it_job.status == Opening.Status.CLOSED  # its one seat is filled
    assert driving.status == Opening.Status.OPEN
    days = services.public_placements()
    assert [day for day, _id in days] == [timezone.localdate()] * 2
    assert len({person for _day, person in days}) == 2


def test_only_job_coaches_may_act(profile, volunteer, coordinator, coach):
    opening = make_opening(coach.user)
    for user in (volunteer.user, coordinator.user, None):
        with pytest.raises(roles.NotAllowedError):
            services.introduce(profile, opening, by=user)
        with pytest.raises(roles.NotAllowedError):
            make_employer(user)
    assert not Introduction.objects.exists()


def test_fewer_positions_than_seats_taken_is_refused(org, coach):
    opening = make_opening(coach.user, positions=2)
    services.introduce(make_profile(), opening, by=coach.user)
    services.introduce(make_profile(), opening, by=coach.user)
    from solidarity.jobs.tests.factories import opening_data

    with pytest.raises(services.OpeningFullError):
        records.update_opening(opening, by=coach.user, **opening_data(positions=1))


# --- suggestions and the pool proposal over the database ---------------------------------------


def test_suggestions_leave_out_what_was_tried_and_openings_without_seats(org, coach):
    profile = make_profile()
    tried = make_opening(coach.user, title="Tried")
    full = make_opening(coach.user, title="Full")
    fresh = make_opening(coach.user, title="Fresh")
    services.move_stage(
        services.introduce(profile, tried, by=coach.user), Stage.NOT_HIRED, by=coach.user
    )
    services.introduce(make_profile(), full, by=coach.user)

    titles = [o.title for o, _m in services.suggestions_for_candidate(profile)]
    candidates = [p for p, _m in services.suggestions_for_opening(fresh)]

    assert titles == ["Fresh"]
    assert profile in candidates


def test_the_pool_proposal_places_each_free_candidate_once_without_overbooking(org, coach):
    openings = [
        make_opening(coach.user, title="Python", required_skills=["python"], positions=2),
        make_opening(coach.user, title="Drivers", field="logistics", required_skills=["driving c"]),
    ]
    pythonistas = [make_profile() for _ in range(4)]
    driver = make_profile(field="logistics", skills="driving c")
    busy = make_profile()
    services.introduce(busy, make_opening(coach.user, title="Elsewhere"), by=coach.user)

    proposals = services.propose_pool()

    pairs = [(p.profile, p.opening) for p in proposals]
    assert len(pairs) == 3
    assert (driver, openings[1]) in pairs
    assert sum(1 for _p, o in pairs if o == openings[0]) == 2
    assert busy not in [p for p, _o in pairs]
    assert all(p in pythonistas + [driver] for p, _o in pairs)
    assert all(p.match.reasons for p in proposals)

    made, skipped = services.introduce_proposals(
        [(p.profile.pk, p.opening.pk) for p in proposals] + [(pythonistas[0].pk, openings[1].pk)],
        by=coach.user,
    )
    assert (len(made), skipped) == (3, 1)
    assert services.propose_pool() == []


class TestNoOverbookingInTheDatabase(TestCase):
    """Whatever order coaches introduce people in, the database never holds more candidates
    for an opening than its positions, nor a candidate in two pipelines."""

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        positions=st.lists(st.integers(1, 3), min_size=1, max_size=3),
        attempts=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2)), max_size=12),
    )
    def test_random_introductions_never_overbook(self, positions, attempts):
        coach = make_coach()
        openings = [make_opening(coach.user, positions=n) for n in positions]
        profiles = [make_profile(make_applicant()) for _ in range(5)]
        for who, where in attempts:
            try:
                services.introduce(profiles[who], openings[where % len(openings)], by=coach.user)
            except services.JobsError:
                pass
        for opening in openings:
            held = opening.introductions.count() + Placement.objects.filter(opening=opening).count()
            assert held <= opening.positions
        for profile in profiles:
            assert (
                profile.introductions.filter(stage__in=["introduced", "interview", "offer"]).count()
                <= 1
            )
