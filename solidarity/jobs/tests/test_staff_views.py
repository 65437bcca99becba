"""The job coaches' console: recording employers (sealed), openings and courses, reading the
suggestions with their reasons, the pool proposal, and moving the pipeline."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from solidarity.jobs import keys, services
from solidarity.jobs.models import (
    CourseStart,
    Employer,
    Enrolment,
    Introduction,
    JobsKeyWrap,
    Opening,
    Stage,
)
from solidarity.jobs.tests.factories import (
    coach_client,
    make_coach,
    make_course,
    make_employer,
    make_opening,
    make_profile,
)

NAME = "Sensitive Hiring Company LLC"
CONTACT = "Olga Petrova, +48 600 000 000"


@pytest.fixture
def browser(coach):
    return coach_client(coach)


def test_an_employer_is_recorded_sealed_and_read_back_unlocked(browser, coach):
    response = browser.post(
        reverse("jobs:employers"),
        {
            "name": NAME,
            "contact": CONTACT,
            "notes": "Hires without a diploma",
            "field": "it",
            "region": "pl",
        },
    )

    employer = Employer.objects.get()
    assert response.status_code == 302
    for sealed in (employer.name_sealed, employer.contact_sealed, employer.notes_sealed):
        assert NAME.encode() not in bytes(sealed)
        assert CONTACT.encode() not in bytes(sealed)
    page = browser.get(reverse("jobs:employer", args=[employer.pk])).content.decode()
    assert NAME in page
    assert CONTACT in page
    assert JobsKeyWrap.objects.filter(user=coach.user).exists()


def test_a_locked_vault_shows_sealed_placeholders(browser, coach):
    employer = make_employer(coach.user, name=NAME, contact=CONTACT)
    browser.post(reverse("staff:lock"))

    listing = browser.get(reverse("jobs:employers")).content.decode()
    detail = browser.get(reverse("jobs:employer", args=[employer.pk])).content.decode()
    refused = browser.post(reverse("jobs:employer", args=[employer.pk]), {"name": "x"})

    assert NAME not in listing
    assert NAME not in detail
    assert CONTACT not in detail
    assert f"Employer {employer.pk} (sealed)" in listing
    assert refused.status_code == 302


def test_a_coach_enrolled_later_gets_the_key_from_a_holder(browser, coach):
    employer = make_employer(coach.user, name=NAME)
    newcomer = make_coach(username="newcoach")
    newcomer_browser = coach_client(newcomer)

    before = newcomer_browser.get(reverse("jobs:employer", args=[employer.pk])).content.decode()
    browser.post(reverse("jobs:share_key"))
    after = newcomer_browser.get(reverse("jobs:employer", args=[employer.pk])).content.decode()

    assert NAME not in before
    assert NAME in after
    assert keys.staff_without_jobs_key() == []


def test_an_opening_is_recorded_and_edited(browser, coach):
    employer = make_employer(coach.user)
    created = browser.post(
        reverse("jobs:opening_new", args=[employer.pk]),
        {
            "title": "Junior QA engineer",
            "field": "it",
            "region": "lt",
            "remote": "on",
            "required_skills": "Testing, SQL",
            "nice_skills": "python",
            "languages": ["en", "lt"],
            "seniority": "1",
            "salary_min": "1500",
            "salary_max": "2200",
            "salary_currency": "EUR",
            "positions": "2",
        },
    )
    opening = Opening.objects.get()
    edited = browser.post(
        reverse("jobs:opening_edit", args=[opening.pk]),
        {
            "title": "QA engineer",
            "field": "it",
            "region": "lt",
            "required_skills": "testing",
            "seniority": "2",
            "positions": "3",
            "salary_min": "3000",
            "salary_max": "2000",
            "salary_currency": "EUR",
        },
    )

    assert created.status_code == 302
    assert opening.required_skills == ["sql", "testing"]
    assert opening.languages == ["en", "lt"]
    assert opening.remote
    assert edited.status_code == 400
    assert "The upper end is below the lower end." in edited.content.decode()


def test_the_candidate_page_suggests_openings_with_reasons_and_introduces(browser, coach):
    profile = make_profile(skills="python, sql, linux", languages=["ru", "pl"], region="by")
    opening = make_opening(
        coach.user,
        title="Backend developer",
        required_skills=["python", "sql", "linux", "docker"],
        languages=["pl"],
    )

    page = browser.get(reverse("jobs:candidate", args=[profile.pseudonym])).content.decode()
    response = browser.post(
        reverse("jobs:introduce", args=[profile.pseudonym]),
        {"opening": opening.pk, "note": "Write to Anna"},
    )

    assert "Backend developer" in page
    assert "3 of 4 required skills" in page
    assert "speaks Polish" in page
    assert "open to relocation" in page
    assert response.status_code == 302
    intro = Introduction.objects.get()
    assert (intro.profile, intro.opening) == (profile, opening)
    assert b"Write to Anna" not in bytes(intro.note_for_candidate_sealed)


def test_the_opening_page_ranks_candidates(browser, coach):
    strong = make_profile(skills="python, sql", region="pl", seniority="2")
    weak = make_profile(skills="python", region="by")
    opening = make_opening(coach.user, required_skills=["python", "sql"])

    page = browser.get(reverse("jobs:opening", args=[opening.pk])).content.decode()

    assert page.index(strong.pseudonym) < page.index(weak.pseudonym)
    assert "already in Poland" in page


def test_the_pool_proposal_page_shows_reasons_and_makes_the_ticked_introductions(browser, coach):
    a = make_profile()
    b = make_profile(field="logistics", skills="driving c", languages=["ru"])
    python = make_opening(coach.user, title="Python job", required_skills=["python"])
    driving = make_opening(
        coach.user, title="Driver", field="logistics", required_skills=["driving c"]
    )

    page = browser.get(reverse("jobs:proposal")).content.decode()
    done = browser.post(
        reverse("jobs:proposal"), {"pairs": [f"{a.pk}:{python.pk}", f"{b.pk}:{driving.pk}"]}
    )

    assert "Python job" in page
    assert "Driver" in page
    assert "1 of 1 required skill" in page
    assert done.status_code == 302
    assert set(Introduction.objects.values_list("profile_id", "opening_id")) == {
        (a.pk, python.pk),
        (b.pk, driving.pk),
    }
    assert "Nothing to propose" in browser.get(reverse("jobs:proposal")).content.decode()


def test_the_stage_form_moves_the_pipeline(browser, coach):
    profile = make_profile()
    intro = services.introduce(profile, make_opening(coach.user), by=coach.user)
    today = timezone.localdate().isoformat()

    browser.post(reverse("jobs:stage", args=[intro.pk]), {"stage": "interview", "on": today})
    browser.post(
        reverse("jobs:stage", args=[intro.pk]), {"stage": "hired", "on": today, "note": "Welcome!"}
    )
    refused = browser.post(reverse("jobs:stage", args=[intro.pk]), {"stage": "offer", "on": today})

    intro.refresh_from_db()
    assert intro.stage == Stage.HIRED
    assert refused.status_code == 302
    page = browser.get(reverse("jobs:overview")).content.decode()
    assert "People placed" in page


def test_courses_are_recorded_with_start_dates_and_offered(browser, coach):
    profile = make_profile()
    soon = timezone.localdate() + datetime.timedelta(days=14)

    browser.post(
        reverse("jobs:courses"),
        {
            "provider": "Academy",
            "title": "Java basics",
            "field": "it",
            "length_weeks": "10",
            "fee": "1200.00",
            "currency": "EUR",
            "starts": f"{soon.isoformat()}, 2099-01-10",
        },
    )
    course = make_course(coach.user, title="Welding")
    browser.post(reverse("jobs:course_start", args=[course.pk]), {"starts_on": soon.isoformat()})
    start = CourseStart.objects.get(course__title="Java basics", starts_on=soon)
    browser.post(reverse("jobs:offer_course", args=[profile.pseudonym]), {"start": start.pk})

    assert CourseStart.objects.filter(course__title="Java basics").count() == 2
    assert course.starts.count() == 1
    assert Enrolment.objects.get().start == start
    page = browser.get(reverse("jobs:candidate", args=[profile.pseudonym])).content.decode()
    assert "Java basics" in page


def test_the_salary_reads_the_way_the_reader_writes_money(browser, coach):
    opening = make_opening(
        coach.user, salary_min="1200.00", salary_max="2500.00", salary_currency="EUR"
    )

    page = browser.get(reverse("jobs:opening", args=[opening.pk])).content.decode()

    assert "€1,200.00–€2,500.00" in page
