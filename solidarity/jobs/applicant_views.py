"""The candidate's pages under /status/jobs/, inside the receipt session of /status/.

They work without JavaScript and load nothing from elsewhere, like every applicant page.
Nothing here puts the profile in the session: the profile is found again on each request
from the case key (``services.find_profile``), so the session rows, which name the case,
never name the profile.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from solidarity.intake.views import _applicant_case
from solidarity.jobs import ledger_link, services
from solidarity.jobs.forms import EnrolmentAnswerForm
from solidarity.jobs.models import Enrolment


def _opened(request: HttpRequest):
    """(case, case private key) of the unlocked receipt session, or None."""
    return _applicant_case(request)


@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    opened = _opened(request)
    if opened is None:
        return redirect("intake:status")
    case, key = opened
    view = services.candidate_view(key)
    return render(
        request,
        "jobs/applicant/home.html",
        {
            "case": case,
            "view": view,
            "may_opt_in": services.may_opt_in(case),
            "ledger": ledger_link.ledger_available(),
            "done": request.GET.get("done", ""),
        },
    )


@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    opened = _opened(request)
    if opened is None:
        return redirect("intake:status")
    case, key = opened
    existing = services.find_profile(key)
    if existing is None and not services.may_opt_in(case):
        return redirect("jobs_status:home")
    form = services.profile_form(key, profile=existing)
    status = 200
    if request.method == "POST":
        try:
            services.save_profile(case, key, request.POST)
        except services.InvalidFormError as exc:
            form, status = exc.form, 400
        except services.CaseNotVerifiedError:
            return redirect("jobs_status:home")
        else:
            return redirect(reverse("jobs_status:home") + "?done=saved")
    return render(
        request,
        "jobs/applicant/profile.html",
        {"form": form, "existing": existing},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest) -> HttpResponse:
    opened = _opened(request)
    if opened is None:
        return redirect("intake:status")
    _case, key = opened
    if request.method == "POST":
        services.withdraw_profile(key)
        return redirect(reverse("jobs_status:home") + "?done=withdrawn")
    if services.find_profile(key) is None:
        return redirect("jobs_status:home")
    return render(request, "jobs/applicant/withdraw.html")


@require_POST
def answer_course(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    opened = _opened(request)
    if opened is None:
        return redirect("intake:status")
    case, key = opened
    form = EnrolmentAnswerForm(request.POST)
    if not form.is_valid():
        return redirect("jobs_status:home")
    try:
        services.answer_enrolment(
            case, key, enrolment_id, accept=form.cleaned_data["answer"] == "accept"
        )
    except (services.NoProfileError, Enrolment.DoesNotExist):
        raise Http404 from None
    except services.EnrolmentStateError:
        pass
    return redirect(reverse("jobs_status:home") + "?done=answered")
