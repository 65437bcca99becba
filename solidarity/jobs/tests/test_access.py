"""Who may open the job coaches' console. The cast: `coach` (a job coach) is let in;
`volunteer`, `treasurer` and `coordinator` are refused with a 403 page and change nothing;
the anonymous outsider is sent to the login page. Every route of solidarity/jobs/urls.py is
tried, so a new route cannot be forgotten."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from solidarity.jobs import services
from solidarity.jobs import urls as jobs_urls
from solidarity.jobs.tests.factories import (
    coach_client,
    make_course,
    make_opening,
    make_profile,
    opening_data,
)
from solidarity.testing.factories import log_in

# Routes that take only POST; the rest are tried with GET, and those with a form with POST too.
POST_ONLY = {"share_key", "introduce", "offer_course", "stage", "opening_close", "course_start"}
WITH_FORM = {"employers", "employer", "opening_new", "opening_edit", "courses", "proposal"}


@pytest.fixture
def world(coach):
    profile = make_profile(skills="python, sql, canaryskillx9")
    opening = make_opening(coach.user)
    intro = services.introduce(profile, opening, by=coach.user)
    course = make_course(coach.user, starts=[timezone.localdate() + datetime.timedelta(days=9)])
    return {
        "pseudonym": profile.pseudonym,
        "introduction_id": intro.pk,
        "employer_id": opening.employer_id,
        "opening_id": opening.pk,
        "course_id": course.pk,
        "start_id": course.starts.get().pk,
    }


def _posted(world) -> dict:
    """A valid body for every form, so a refusal is the role check and not bad input."""
    form = {k: v for k, v in opening_data(required_skills="python").items() if v is not None}
    return {
        **form,
        "title": "Changed title",
        "name": "Another employer",
        "contact": "someone",
        "opening": world["opening_id"],
        "start": world["start_id"],
        "stage": "interview",
        "on": timezone.localdate().isoformat(),
        "starts_on": "2031-01-05",
        "provider": "Academy",
        "length_weeks": "4",
        "fee": "100",
        "currency": "EUR",
        "pairs": ["1:1"],
        "seniority": "0",
        "positions": "2",
        "remote": "",
    }


def _requests(world) -> list[tuple[str, str]]:
    out = []
    for route in jobs_urls.urlpatterns:
        kwargs = {name: world[name] for name in route.pattern.converters}
        url = reverse(f"jobs:{route.name}", kwargs=kwargs)
        if route.name in POST_ONLY:
            out.append(("post", url))
        else:
            out.append(("get", url))
            if route.name in WITH_FORM:
                out.append(("post", url))
    return out


def _state() -> dict:
    return {m.__name__: list(m.objects.values()) for m in apps.get_app_config("jobs").get_models()}


def test_every_route_is_tried(world):
    names = {route.name for route in jobs_urls.urlpatterns}
    assert POST_ONLY | WITH_FORM <= names
    assert len(_requests(world)) == len(names) + len(WITH_FORM)


def test_the_outsider_is_sent_to_the_login_page(world):
    outsider = Client()
    before = _state()
    for method, url in _requests(world):
        response = getattr(outsider, method)(url, _posted(world) if method == "post" else None)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("staff:login")), url
    assert _state() == before


@pytest.mark.parametrize("role", ["volunteer", "treasurer", "coordinator"])
def test_staff_who_are_not_job_coaches_are_refused_everywhere(request, world, role):
    staff = request.getfixturevalue(role)
    client = Client()
    log_in(client, staff)
    before = _state()
    for method, url in _requests(world):
        response = getattr(client, method)(url, _posted(world) if method == "post" else None)
        assert response.status_code == 403, (method, url)
        assert "This page is for job coaches." in response.content.decode(), url
        assert "canaryskillx9" not in response.content.decode(), url
    assert _state() == before


def test_a_password_without_the_second_factor_opens_nothing(world, coach):
    client = Client()
    client.force_login(coach.user)  # never passed the TOTP check
    for method, url in _requests(world):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("staff:login")), url


def test_a_job_coach_is_let_in_everywhere(world, coach):
    client = coach_client(coach)
    for method, url in _requests(world):
        response = getattr(client, method)(url, _posted(world) if method == "post" else None)
        assert response.status_code in (200, 302, 400), (method, url, response.status_code)
        if response.status_code == 302:
            assert not response["Location"].startswith(reverse("staff:login")), url
