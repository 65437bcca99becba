"""The candidate's side: opting in on /status/jobs/ with the receipt, editing, withdrawing
(which deletes), and seeing their own progress."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from solidarity.audit.models import AuditEvent
from solidarity.jobs import keys, records, services
from solidarity.jobs.models import CandidateProfile, Enrolment, Introduction, Placement, Stage
from solidarity.jobs.tests.factories import (
    applicant_client,
    make_applicant,
    make_course,
    make_employer,
    make_opening,
    make_profile,
    profile_data,
)


@pytest.fixture
def applicant(org):
    return make_applicant()


def test_a_verified_applicant_opts_in_from_the_status_page(applicant):
    client = applicant_client(applicant)

    status_page = client.get(reverse("intake:status_case"))
    home = client.get(reverse("jobs_status:home"))
    form = client.get(reverse("jobs_status:profile"))
    saved = client.post(reverse("jobs_status:profile"), profile_data(skills="Python, SQL , python"))

    assert reverse("jobs_status:home") in status_page.content.decode()
    assert "Create my job profile" in home.content.decode()
    assert form.status_code == 200
    assert saved.status_code == 302
    profile = CandidateProfile.objects.get()
    assert profile.skills == ["python", "sql"]
    assert profile.languages == ["be", "pl", "ru"]
    assert profile.relocate is True
    assert profile.remote is False
    assert profile.updated_on == timezone.localdate().replace(day=1)
    page = client.get(reverse("jobs_status:home") + "?done=saved").content.decode()
    assert "Your job profile was saved." in page
    assert profile.pseudonym in page


def test_an_unverified_applicant_cannot_opt_in(org):
    applicant = make_applicant(verified=False)
    client = applicant_client(applicant)

    home = client.get(reverse("jobs_status:home"))
    form = client.get(reverse("jobs_status:profile"))
    post = client.post(reverse("jobs_status:profile"), profile_data())

    assert "once your application is verified" in home.content.decode()
    assert form.status_code == 302
    assert post.status_code == 302
    assert not CandidateProfile.objects.exists()
    with pytest.raises(services.CaseNotVerifiedError):
        services.save_profile(applicant.case, applicant.key, profile_data())


def test_the_status_page_links_to_jobs_only_once_verified(org):
    applicant = make_applicant(verified=False)
    page = applicant_client(applicant).get(reverse("intake:status_case")).content.decode()
    assert reverse("jobs_status:home") not in page


def test_without_the_receipt_session_every_candidate_page_sends_to_the_status_login(applicant):
    outsider = Client()
    profile = make_profile(applicant)
    for method, url in [
        ("get", reverse("jobs_status:home")),
        ("get", reverse("jobs_status:profile")),
        ("post", reverse("jobs_status:profile")),
        ("get", reverse("jobs_status:withdraw")),
        ("post", reverse("jobs_status:withdraw")),
        ("post", reverse("jobs_status:answer_course", args=[1])),
    ]:
        response = getattr(outsider, method)(url, profile_data() if method == "post" else None)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("intake:status"), url
    assert CandidateProfile.objects.filter(pk=profile.pk).exists()


def test_the_candidate_edits_their_profile(applicant):
    make_profile(applicant)
    client = applicant_client(applicant)

    form = client.get(reverse("jobs_status:profile")).content.decode()
    client.post(
        reverse("jobs_status:profile"),
        profile_data(skills="welding", field="engineering", relocate=""),
    )

    assert 'value="linux, python, sql"' in form
    profile = CandidateProfile.objects.get()
    assert (profile.skills, profile.field, profile.relocate) == (["welding"], "engineering", False)
    assert CandidateProfile.objects.count() == 1


def test_invalid_skills_are_explained_and_nothing_is_saved(applicant):
    client = applicant_client(applicant)

    response = client.post(
        reverse("jobs_status:profile"), profile_data(skills="I served in <unit 3214> until 2020!")
    )

    assert response.status_code == 400
    assert "short tag" in response.content.decode()
    assert not CandidateProfile.objects.exists()


def test_two_cases_get_two_profiles_each_finding_their_own(org):
    first, second = make_applicant(), make_applicant()
    one = make_profile(first)
    two = make_profile(second, field="logistics", skills="driving c")

    assert services.find_profile(first.key) == one
    assert services.find_profile(second.key) == two
    assert one.pseudonym != two.pseudonym


def test_withdrawal_deletes_the_profile_its_introductions_and_course_offers(applicant, coach):
    profile = make_profile(applicant)
    opening = make_opening(coach.user)
    services.introduce(profile, opening, by=coach.user, note="Write to Anna")
    course = make_course(coach.user, starts=[timezone.localdate() + datetime.timedelta(days=30)])
    records.offer_course(profile, course.starts.get(), by=coach.user)
    client = applicant_client(applicant)

    confirm = client.get(reverse("jobs_status:withdraw"))
    done = client.post(reverse("jobs_status:withdraw"))

    assert confirm.status_code == 200
    assert done.status_code == 302
    assert not CandidateProfile.objects.exists()
    assert not Introduction.objects.exists()
    assert not Enrolment.objects.exists()
    assert services.find_profile(applicant.key) is None
    assert "Create my job profile" in client.get(reverse("jobs_status:home")).content.decode()
    # The opening's seat is free again.
    assert services.free_seats([opening])[opening.pk] == 1


def test_a_hire_stays_counted_after_the_candidate_withdraws(applicant, coach):
    profile = make_profile(applicant)
    intro = services.introduce(profile, make_opening(coach.user), by=coach.user)
    services.move_stage(intro, Stage.HIRED, by=coach.user)

    services.withdraw_profile(applicant.key)

    placement = Placement.objects.get()
    assert placement.introduction is None
    assert services.placements_by_field()["it"] == 1


def test_the_candidates_own_actions_write_no_audit_event(applicant):
    """Audit timestamps and the applicant's session rows (which name the case) would join
    the profile to the case."""
    before = AuditEvent.objects.count()
    client = applicant_client(applicant)
    client.post(reverse("jobs_status:profile"), profile_data())
    client.post(reverse("jobs_status:profile"), profile_data(skills="go"))
    client.post(reverse("jobs_status:withdraw"))
    assert AuditEvent.objects.count() == before


def test_the_candidate_sees_their_progress_and_the_coachs_note(applicant, coach):
    profile = make_profile(applicant)
    opening = make_opening(coach.user, title="QA engineer (manual testing)")
    intro = services.introduce(
        profile, opening, by=coach.user, note="Write to Anna, say you come from us"
    )
    today = timezone.localdate()
    services.move_stage(intro, Stage.INTERVIEW, by=coach.user, on=today)
    client = applicant_client(applicant)

    during = client.get(reverse("jobs_status:home")).content.decode()
    services.move_stage(intro, Stage.OFFER, by=coach.user, on=today, note="The offer came by mail")
    services.move_stage(intro, Stage.HIRED, by=coach.user, on=today)
    after = client.get(reverse("jobs_status:home")).content.decode()

    assert "QA engineer (manual testing)" in during
    assert "Interview" in during
    assert "Write to Anna, say you come from us" in during
    assert '<strong class="stage">Hired</strong>' in after
    for stage in ("Introduced", "Interview", "Offer", "Hired"):
        assert stage in after
    assert "The offer came by mail" in after


def test_a_contact_for_coaches_is_sealed_and_can_be_removed(applicant, coach):
    make_employer(coach.user)  # makes the jobs key
    client = applicant_client(applicant)

    client.post(reverse("jobs_status:profile"), profile_data(contact="@my_jobs_handle"))
    profile = CandidateProfile.objects.get()
    sealed = bytes(profile.contact_for_coaches_sealed)
    edit_form = client.get(reverse("jobs_status:profile")).content.decode()
    client.post(reverse("jobs_status:profile"), profile_data(remove_contact="on"))

    assert sealed
    assert b"my_jobs_handle" not in sealed
    assert "@my_jobs_handle" not in edit_form
    assert "Remove the contact I gave before" in edit_form
    assert bytes(CandidateProfile.objects.get().contact_for_coaches_sealed) == b""


def test_no_contact_is_asked_before_a_jobs_key_exists(applicant):
    form = applicant_client(applicant).get(reverse("jobs_status:profile")).content.decode()
    assert keys.current_key() is None
    assert 'name="contact"' not in form


def test_the_candidate_pages_load_nothing_from_elsewhere_and_need_no_script(applicant, coach):
    profile = make_profile(applicant)
    services.introduce(profile, make_opening(coach.user), by=coach.user)
    client = applicant_client(applicant)
    for url in (
        reverse("jobs_status:home"),
        reverse("jobs_status:profile"),
        reverse("jobs_status:withdraw"),
    ):
        response = client.get(url)
        page = response.content.decode()
        assert "default-src 'none'" in response["Content-Security-Policy"]
        assert "style=" not in page
        assert "<script>" not in page
        assert "onclick" not in page
        assert "http://" not in page
        assert "https://" not in page.replace('href="https://www.wikipedia.org/"', "")
