"""Verification actions on the case page. Each view checks the form, calls one service in
solidarity.cases.verification and returns to the case page with what happened."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from solidarity.accounts.decorators import forbidden, vault_required
from solidarity.cases import verification
from solidarity.cases.forms import ChecklistItemForm, DecisionForm, StatusActionForm
from solidarity.cases.models import Case


def _back(case: Case) -> HttpResponse:
    return redirect(reverse("staff:case", args=[case.code]) + "#verification")


def _refused(request: HttpRequest, case: Case, exc: Exception) -> HttpResponse:
    """Turn a service error into a 403 page or a notice on the case page."""
    if isinstance(exc, verification.VerificationDeniedError):
        return forbidden(request, str(exc))
    if isinstance(exc, verification.CaseStateError):
        messages.error(
            request,
            _("This is not possible while the case is “%(status)s”.")
            % {"status": case.get_status_display()},
        )
    else:
        messages.error(request, str(exc))
    return _back(case)


_SERVICE_ERRORS = (verification.VerificationError, verification.CaseStateError)


@require_POST
@vault_required
def checklist_item(request: HttpRequest, code: str, item: str, *, staff_key: bytes):
    case = get_object_or_404(Case, code=code)
    form = ChecklistItemForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The note is too long."))
        return _back(case)
    try:
        verification.set_checklist_item(
            case,
            item,
            by=request.user,
            staff_key=staff_key,
            done=form.cleaned_data["done"],
            note=form.cleaned_data["note"],
            voucher_code=form.cleaned_data["voucher_code"],
        )
    except _SERVICE_ERRORS as exc:
        return _refused(request, case, exc)
    messages.success(request, _("The checklist was updated."))
    return _back(case)


@require_POST
@vault_required
def decision(request: HttpRequest, code: str, *, staff_key: bytes):
    case = get_object_or_404(Case, code=code)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision from the list; texts must be shorter."))
        return _back(case)
    try:
        made = verification.decide_case(
            case, by=request.user, staff_key=staff_key, **form.cleaned_data
        )
    except _SERVICE_ERRORS as exc:
        return _refused(request, case, exc)
    messages.success(
        request, _("Decision recorded: %(outcome)s.") % {"outcome": made.get_outcome_display()}
    )
    return _back(case)


_STATUS_ACTIONS = {
    "resume": verification.resume_review,
    "reopen": verification.reopen_case,
    "close": verification.close_case,
}


@require_POST
@vault_required
def status_action(request: HttpRequest, code: str, *, staff_key: bytes):
    case = get_object_or_404(Case, code=code)
    form = StatusActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown action."))
        return _back(case)
    try:
        _STATUS_ACTIONS[form.cleaned_data["action"]](case, by=request.user, staff_key=staff_key)
    except _SERVICE_ERRORS as exc:
        return _refused(request, case, exc)
    messages.success(
        request, _("The case is now “%(status)s”.") % {"status": case.get_status_display()}
    )
    return _back(case)
