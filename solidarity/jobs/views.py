"""The job coaches' console under /staff/jobs/. Each view checks the role, calls one service
and renders the result; the services check the role again."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from solidarity.accounts.decorators import forbidden, staff_required
from solidarity.jobs import display, keys, records, services
from solidarity.jobs.forms import (
    CourseForm,
    CourseStartForm,
    EmployerForm,
    IntroduceForm,
    OfferCourseForm,
    OpeningForm,
    ProposalForm,
    StageForm,
)
from solidarity.jobs.models import (
    ACTIVE_STAGES,
    CandidateProfile,
    Course,
    Employer,
    Field,
    Introduction,
    Opening,
    Region,
)
from solidarity.jobs.roles import is_job_coach
from solidarity.vault import session as vault_session


def coach_required(view):
    """Signed in with both factors and a job coach; otherwise the login or a 403 page."""

    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_job_coach(request.user):
            return forbidden(request, _("This page is for job coaches."))
        return view(request, *args, **kwargs)

    return wrapper


def _jobs_key(request: HttpRequest) -> bytes | None:
    """The jobs private key in this unlocked session, or None (locked, or not shared yet)."""
    staff_key = vault_session.unlocked_key(request, vault_session.STAFF)
    if staff_key is None:
        return None
    try:
        return keys.open_jobs_key(request.user, staff_key)
    except keys.NoJobsKeyError:
        return None


_REFUSALS = {
    services.OpeningClosedError: gettext_lazy("The opening is closed."),
    services.OpeningFullError: gettext_lazy("Every seat of this opening is taken."),
    services.CandidateBusyError: gettext_lazy(
        "The candidate is already in the pipeline for another opening."
    ),
    services.AlreadyIntroducedError: gettext_lazy(
        "The candidate was introduced to this opening before."
    ),
    services.StageError: gettext_lazy("The introduction cannot move to that stage on that day."),
    services.EnrolmentStateError: gettext_lazy("This course seat was offered before."),
    keys.NoJobCoachError: gettext_lazy("There is no job coach with a vault key yet."),
    keys.NoJobsKeyError: gettext_lazy(
        "You hold no copy of the jobs key. Ask a job coach who has it to share it."
    ),
}


def _refuse(request: HttpRequest, exc: Exception) -> None:
    messages.error(request, str(_REFUSALS.get(type(exc), _("That was refused."))))


def _with_reasons(pairs):
    return [(item, match, display.reason_rows(match.reasons)) for item, match in pairs]


# --- overview and the key ---------------------------------------------------------------------


@require_GET
@coach_required
def overview(request: HttpRequest) -> HttpResponse:
    figures = services.overview()
    return render(
        request,
        "jobs/staff/overview.html",
        {
            "figures": figures,
            "by_field": [(Field(f).label, n) for f, n in figures.by_field.items()],
            "has_key": keys.has_jobs_key(request.user),
            "key_exists": keys.current_key() is not None,
            "missing_key": keys.staff_without_jobs_key(),
            "unlocked": _jobs_key(request) is not None,
        },
    )


@require_POST
@coach_required
def share_key(request: HttpRequest) -> HttpResponse:
    staff_key = vault_session.unlocked_key(request, vault_session.STAFF)
    if staff_key is None:
        return redirect(f"{reverse('staff:unlock')}?next={reverse('jobs:overview')}")
    try:
        given = keys.share_jobs_key(request.user, staff_key)
    except keys.NoJobsKeyError as exc:
        _refuse(request, exc)
    else:
        messages.success(
            request, _("Job coaches who received the jobs key now: %(n)d.") % {"n": len(given)}
        )
    return redirect("jobs:overview")


# --- candidates -----------------------------------------------------------------------------


@require_GET
@coach_required
def candidates(request: HttpRequest) -> HttpResponse:
    field = request.GET.get("field", "")
    region = request.GET.get("region", "")
    profiles = CandidateProfile.objects.order_by("-id")
    if field in Field.values:
        profiles = profiles.filter(field=field)
    if region in Region.values:
        profiles = profiles.filter(region=region)
    stages = dict(
        Introduction.objects.filter(stage__in=[*ACTIVE_STAGES, "hired"]).values_list(
            "profile_id", "stage"
        )
    )
    return render(
        request,
        "jobs/staff/candidates.html",
        {
            "rows": [(p, stages.get(p.pk, "")) for p in profiles[:500]],
            "fields": Field.choices,
            "regions": Region.choices,
            "field": field,
            "region": region,
        },
    )


@require_GET
@coach_required
def candidate(request: HttpRequest, pseudonym: str) -> HttpResponse:
    profile = get_object_or_404(CandidateProfile, pseudonym=pseudonym)
    jobs_key = _jobs_key(request)
    introductions = list(profile.introductions.select_related("opening").order_by("-id"))
    return render(
        request,
        "jobs/staff/candidate.html",
        {
            "profile": profile,
            "contact": records.open_contact(profile, jobs_key),
            "has_contact": bool(bytes(profile.contact_for_coaches_sealed)),
            "unlocked": jobs_key is not None,
            "introductions": [
                (i, display.reason_rows(services.reasons_from_json(i.reasons)))
                for i in introductions
            ],
            "busy": any(i.is_active for i in introductions),
            "hired": any(i.stage == "hired" for i in introductions),
            "suggestions": _with_reasons(services.suggestions_for_candidate(profile)),
            "enrolments": profile.enrolments.select_related("start__course"),
            "stage_form": StageForm(),
            "introduce_form": IntroduceForm(),
            "offer_form": OfferCourseForm(),
        },
    )


@require_POST
@coach_required
def introduce(request: HttpRequest, pseudonym: str) -> HttpResponse:
    profile = get_object_or_404(CandidateProfile, pseudonym=pseudonym)
    form = IntroduceForm(request.POST)
    if form.is_valid():
        try:
            services.introduce(
                profile,
                form.cleaned_data["opening"],
                by=request.user,
                note=form.cleaned_data["note"],
            )
        except services.JobsError as exc:
            _refuse(request, exc)
        else:
            messages.success(request, _("Introduced."))
    else:
        messages.error(request, _("Choose an open opening."))
    if request.POST.get("back") == "opening" and form.is_valid():
        return redirect("jobs:opening", opening_id=form.cleaned_data["opening"].pk)
    return redirect("jobs:candidate", pseudonym=profile.pseudonym)


@require_POST
@coach_required
def stage(request: HttpRequest, introduction_id: int) -> HttpResponse:
    introduction = get_object_or_404(
        Introduction.objects.select_related("profile"), pk=introduction_id
    )
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            services.move_stage(
                introduction,
                form.cleaned_data["stage"],
                by=request.user,
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"],
            )
        except services.JobsError as exc:
            _refuse(request, exc)
        else:
            messages.success(request, _("The pipeline was updated."))
    else:
        messages.error(request, _("Choose a stage and a day."))
    return redirect("jobs:candidate", pseudonym=introduction.profile.pseudonym)


@require_POST
@coach_required
def offer_course(request: HttpRequest, pseudonym: str) -> HttpResponse:
    profile = get_object_or_404(CandidateProfile, pseudonym=pseudonym)
    form = OfferCourseForm(request.POST)
    if form.is_valid():
        try:
            records.offer_course(profile, form.cleaned_data["start"], by=request.user)
        except services.JobsError as exc:
            _refuse(request, exc)
        else:
            messages.success(
                request,
                _("The course seat was offered; the candidate answers on their status page."),
            )
    else:
        messages.error(request, _("Choose a course start."))
    return redirect("jobs:candidate", pseudonym=profile.pseudonym)


# --- employers and openings -------------------------------------------------------------------


def _employer_form_data(cleaned: dict) -> dict:
    return {name: cleaned[name] for name in ("name", "contact", "notes", "field", "region")}


@require_http_methods(["GET", "POST"])
@coach_required
def employers(request: HttpRequest) -> HttpResponse:
    form = EmployerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            employer = records.add_employer(
                by=request.user, **_employer_form_data(form.cleaned_data)
            )
        except keys.NoJobCoachError as exc:
            _refuse(request, exc)
        else:
            messages.success(request, _("The employer was recorded; name and contact are sealed."))
            return redirect("jobs:employer", employer_id=employer.pk)
    listed = list(Employer.objects.all())
    jobs_key = _jobs_key(request)
    texts = records.open_employers(listed, jobs_key)
    return render(
        request,
        "jobs/staff/employers.html",
        {
            "rows": [(e, texts.get(e.pk)) for e in listed],
            "form": form,
            "unlocked": jobs_key is not None,
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@coach_required
def employer(request: HttpRequest, employer_id: int) -> HttpResponse:
    item = get_object_or_404(Employer, pk=employer_id)
    jobs_key = _jobs_key(request)
    text = records.open_employers([item], jobs_key).get(item.pk)
    form = None
    if text is not None:
        initial = {
            "name": text.name,
            "contact": text.contact,
            "notes": text.notes,
            "field": item.field,
            "region": item.region,
            "active": item.active,
        }
        form = EmployerForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            records.update_employer(
                item,
                by=request.user,
                active=form.cleaned_data["active"],
                **_employer_form_data(form.cleaned_data),
            )
            messages.success(request, _("The employer was updated."))
            return redirect("jobs:employer", employer_id=item.pk)
    elif request.method == "POST":
        messages.error(request, _("Unlock the vault first: the employer's name is sealed."))
        return redirect("jobs:employer", employer_id=item.pk)
    openings = list(item.openings.order_by("-id"))
    seats = services.free_seats(openings)
    return render(
        request,
        "jobs/staff/employer.html",
        {
            "employer": item,
            "text": text,
            "form": form,
            "openings": [(o, seats[o.pk]) for o in openings],
        },
        status=400 if form is not None and form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@coach_required
def opening_new(request: HttpRequest, employer_id: int) -> HttpResponse:
    item = get_object_or_404(Employer, pk=employer_id)
    form = OpeningForm(request.POST or None, initial={"field": item.field, "region": item.region})
    if request.method == "POST" and form.is_valid():
        opening = records.add_opening(item, by=request.user, **form.cleaned_data)
        messages.success(request, _("The opening was recorded."))
        return redirect("jobs:opening", opening_id=opening.pk)
    return render(
        request,
        "jobs/staff/opening_form.html",
        {"form": form, "employer": item, "opening": None},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@coach_required
def opening_edit(request: HttpRequest, opening_id: int) -> HttpResponse:
    opening = get_object_or_404(Opening, pk=opening_id)
    initial = {
        name: getattr(opening, name)
        for name in (
            "title",
            "field",
            "region",
            "remote",
            "required_skills",
            "nice_skills",
            "languages",
            "seniority",
            "salary_min",
            "salary_max",
            "salary_currency",
            "positions",
        )
    }
    form = OpeningForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            records.update_opening(opening, by=request.user, **form.cleaned_data)
        except services.OpeningFullError:
            form.add_error("positions", _("More candidates than that already hold a seat."))
        else:
            messages.success(request, _("The opening was updated."))
            return redirect("jobs:opening", opening_id=opening.pk)
    return render(
        request,
        "jobs/staff/opening_form.html",
        {"form": form, "employer": opening.employer, "opening": opening},
        status=400 if form.errors else 200,
    )


@require_GET
@coach_required
def opening(request: HttpRequest, opening_id: int) -> HttpResponse:
    item = get_object_or_404(Opening.objects.select_related("employer"), pk=opening_id)
    text = records.open_employers([item.employer], _jobs_key(request)).get(item.employer_id)
    open_now = item.status == Opening.Status.OPEN
    return render(
        request,
        "jobs/staff/opening.html",
        {
            "opening": item,
            "employer_text": text,
            "free": services.free_seats([item])[item.pk],
            "introductions": item.introductions.select_related("profile").order_by("-id"),
            "placed": item.placements.count(),
            "suggestions": _with_reasons(services.suggestions_for_opening(item))
            if open_now
            else [],
        },
    )


@require_POST
@coach_required
def opening_close(request: HttpRequest, opening_id: int) -> HttpResponse:
    item = get_object_or_404(Opening, pk=opening_id)
    records.close_opening(item, by=request.user)
    messages.success(request, _("The opening was closed."))
    return redirect("jobs:opening", opening_id=item.pk)


# --- courses --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@coach_required
def courses(request: HttpRequest) -> HttpResponse:
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        records.add_course(by=request.user, **form.cleaned_data)
        messages.success(request, _("The course was recorded."))
        return redirect("jobs:courses")
    return render(
        request,
        "jobs/staff/courses.html",
        {
            "courses": Course.objects.prefetch_related("starts"),
            "form": form,
            "start_form": CourseStartForm(),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@coach_required
def course_start(request: HttpRequest, course_id: int) -> HttpResponse:
    course = get_object_or_404(Course, pk=course_id)
    form = CourseStartForm(request.POST)
    if form.is_valid():
        records.add_course_start(course, form.cleaned_data["starts_on"], by=request.user)
        messages.success(request, _("The start date was added."))
    else:
        messages.error(request, _("Give the start date as YYYY-MM-DD."))
    return redirect("jobs:courses")


# --- the pool proposal ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@coach_required
def proposal(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ProposalForm(request.POST)
        if form.is_valid():
            made, skipped = services.introduce_proposals(
                form.cleaned_data["pairs"], by=request.user
            )
            messages.success(
                request,
                _("Introductions made: %(made)d. No longer possible: %(skipped)d.")
                % {"made": len(made), "skipped": skipped},
            )
            return redirect("jobs:proposal")
        messages.error(request, _("Tick at least one introduction."))
    proposals = services.propose_pool()
    texts = records.open_employers({p.opening.employer for p in proposals}, _jobs_key(request))
    return render(
        request,
        "jobs/staff/proposal.html",
        {
            "rows": [
                (p, display.reason_rows(p.match.reasons), texts.get(p.opening.employer_id))
                for p in proposals
            ],
        },
    )
