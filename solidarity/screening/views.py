"""Screening in the staff console, under /staff/screening/. Coordinators only, with the vault
unlocked; each view calls one service, which checks the same again."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from solidarity.accounts.decorators import coordinator_required, forbidden, vault_required
from solidarity.cases.models import Case
from solidarity.screening import services
from solidarity.screening.forms import AbuserListForm, FlagDecisionForm
from solidarity.screening.models import CaseFlag


def _refused(request: HttpRequest) -> HttpResponse:
    return forbidden(
        request,
        _("Screening needs a coordinator who holds the intake key, with the vault unlocked."),
    )


def _overview_page(request: HttpRequest, form: AbuserListForm, problems=(), status=200):
    return render(
        request,
        "screening/overview.html",
        {"overview": services.overview(), "form": form, "problems": problems},
        status=status,
    )


@require_GET
@coordinator_required
@vault_required
def overview(request: HttpRequest, *, staff_key: bytes) -> HttpResponse:
    try:
        services.check_access(request.user, staff_key)
    except services.ScreeningRefusedError:
        return _refused(request)
    return _overview_page(request, AbuserListForm())


@require_POST
@coordinator_required
@vault_required
def run(request: HttpRequest, *, staff_key: bytes) -> HttpResponse:
    try:
        report = services.screen_pending_cases(request.user, staff_key)
    except services.ScreeningRefusedError:
        return _refused(request)
    messages.success(
        request,
        ngettext(
            "Screened %(n)d case; %(flags)d new flags; %(left)d cases still to screen.",
            "Screened %(n)d cases; %(flags)d new flags; %(left)d cases still to screen.",
            report.screened,
        )
        % {"n": report.screened, "flags": report.flags_raised, "left": report.remaining},
    )
    if report.unreadable:
        messages.error(
            request,
            _("%(n)d cases did not open with the intake key and were skipped. Report this.")
            % {"n": report.unreadable},
        )
    return redirect("staff:screening:overview")


@require_POST
@coordinator_required
@vault_required
def import_list(request: HttpRequest, *, staff_key: bytes) -> HttpResponse:
    form = AbuserListForm(request.POST, request.FILES)
    if not form.is_valid():
        return _overview_page(request, form, status=400)
    try:
        batch = services.import_abuser_list(
            request.user, staff_key, form.cleaned_data["file"], replace=form.cleaned_data["replace"]
        )
    except services.ScreeningRefusedError:
        return _refused(request)
    except services.AbuserListError as exc:
        return _overview_page(request, AbuserListForm(), problems=exc.problems, status=400)
    messages.success(
        request,
        _("%(n)d people were sealed into the list. Screen the cases again to compare them.")
        % {"n": batch.entry_count},
    )
    return redirect("staff:screening:overview")


@require_GET
@coordinator_required
@vault_required
def abuser_list(request: HttpRequest, *, staff_key: bytes) -> HttpResponse:
    try:
        entries = services.read_abuser_list(request.user, staff_key)
    except services.ScreeningRefusedError:
        return _refused(request)
    response = render(request, "screening/abuser_list.html", {"entries": entries})
    response["Cache-Control"] = "no-store"  # decrypted names must not stay in a cache
    return response


@require_POST
@coordinator_required
@vault_required
def screen_case(request: HttpRequest, code: str, *, staff_key: bytes) -> HttpResponse:
    case = get_object_or_404(Case, code=code)
    try:
        report = services.screen_case(request.user, staff_key, case)
    except services.ScreeningRefusedError:
        return _refused(request)
    if report.unreadable:
        messages.error(request, _("This case did not open with the intake key."))
    else:
        messages.success(
            request,
            _("Screened. %(flags)d new flags.") % {"flags": report.flags_raised},
        )
    return redirect(reverse("staff:case", args=[case.code]) + "#screening")


@require_POST
@coordinator_required
@vault_required
def decide(request: HttpRequest, flag_id: int, *, staff_key: bytes) -> HttpResponse:
    flag = get_object_or_404(CaseFlag.objects.select_related("case"), pk=flag_id)
    form = FlagDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decide_flag(request.user, staff_key, flag.id, form.cleaned_data["decision"])
        except services.ScreeningRefusedError:
            return _refused(request)
        except services.FlagStateError:
            messages.info(request, _("The flag was already in that state."))
    return redirect(reverse("staff:case", args=[flag.case.code]) + "#screening")
