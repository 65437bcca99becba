"""Insider limits in the staff console: alerts, expiring access grants and two-person
identity exports. Coordinators only; each view calls one service."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from solidarity.accounts.decorators import coordinator_required, vault_required
from solidarity.accounts.models import User
from solidarity.cases import access
from solidarity.cases.models import Case
from solidarity.oversight import alerts, exports
from solidarity.oversight.forms import ExportRequestForm
from solidarity.oversight.models import Alert, IdentityExport
from solidarity.vault import keyring

# --- alerts ----------------------------------------------------------------------------------


@require_GET
@coordinator_required
def alert_list(request: HttpRequest) -> HttpResponse:
    open_alerts, acknowledged = alerts.alerts_for_review()
    return render(
        request,
        "oversight/alerts.html",
        {"open_alerts": open_alerts, "acknowledged": acknowledged},
    )


@require_POST
@coordinator_required
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    try:
        alerts.acknowledge_alert(alert_id, by=request.user)
    except Alert.DoesNotExist:
        raise Http404() from None
    except alerts.SelfAcknowledgeError:
        messages.error(request, _("An alert about you is acknowledged by another coordinator."))
    else:
        messages.success(request, _("Alert acknowledged."))
    return redirect("oversight:alerts")


# --- access grants ---------------------------------------------------------------------------


@require_GET
@coordinator_required
def grant_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "oversight/grants.html",
        {
            "grants": access.grants_expiring_soon(),
            "days": access.EXPIRING_SOON_DAYS,
            "today": timezone.localdate(),
        },
    )


@require_POST
@coordinator_required
def grant_renew(request: HttpRequest, code: str, user_id: int) -> HttpResponse:
    case = get_object_or_404(Case, code=code)
    grantee = get_object_or_404(User, pk=user_id)
    if request.POST.get("back") == "grants":
        back = reverse("oversight:grants")
    else:
        back = reverse("staff:case", args=[case.code]) + "#access"
    try:
        grant = access.renew_grant(case.pk, grantee, by=request.user)
    except keyring.NoGrantError:
        messages.error(
            request,
            _("%(name)s holds no access grant for this case any more: assign the case again.")
            % {"name": grantee.username},
        )
        return redirect(back)
    messages.success(
        request,
        _("%(name)s can open %(code)s until %(day)s.")
        % {"name": grantee.username, "code": case.code, "day": grant.expires_on.isoformat()},
    )
    return redirect(back)


# --- identity exports ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@coordinator_required
def export_list(request: HttpRequest) -> HttpResponse:
    form = ExportRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                export = exports.request_export(
                    form.cleaned_data["case_codes"], form.cleaned_data["purpose"], by=request.user
                )
            except exports.ExportCasesError as exc:
                form.add_error(
                    "case_codes",
                    _("These codes name no verified case: %(codes)s")
                    % {"codes": ", ".join(exc.codes)},
                )
            else:
                messages.success(
                    request,
                    _("Export #%(id)d requested. Another coordinator must approve it.")
                    % {"id": export.pk},
                )
                return redirect("oversight:exports")
        status = 400
    return render(
        request,
        "oversight/exports.html",
        {"form": form, "exports": exports.recent_exports()},
        status=status,
    )


@require_POST
@coordinator_required
def export_approve(request: HttpRequest, export_id: int) -> HttpResponse:
    try:
        exports.approve_export(export_id, by=request.user)
    except IdentityExport.DoesNotExist:
        raise Http404() from None
    except exports.SelfApprovalError:
        messages.error(
            request, _("You asked for this export: a different coordinator approves it.")
        )
    except exports.ExportStateError:
        messages.error(request, _("This export is no longer waiting for approval."))
    else:
        messages.success(
            request, _("Approved. Only you can download it, once, with your vault unlocked.")
        )
    return redirect("oversight:exports")


@require_POST
@coordinator_required
def export_cancel(request: HttpRequest, export_id: int) -> HttpResponse:
    try:
        exports.cancel_export(export_id, by=request.user)
    except IdentityExport.DoesNotExist:
        raise Http404() from None
    except exports.ExportStateError:
        messages.error(request, _("This export can no longer be cancelled."))
    else:
        messages.success(request, _("Export cancelled."))
    return redirect("oversight:exports")


@require_POST
@coordinator_required
@vault_required
def export_download(request: HttpRequest, export_id: int, *, staff_key: bytes) -> HttpResponse:
    try:
        data = exports.download_export(export_id, by=request.user, staff_private_key=staff_key)
    except IdentityExport.DoesNotExist:
        raise Http404() from None
    except exports.NotTheApproverError:
        messages.error(request, _("Only the coordinator who approved this export downloads it."))
        return redirect("oversight:exports")
    except exports.ExportStateError:
        messages.error(
            request, _("This export cannot be downloaded: it is not approved, or was used.")
        )
        return redirect("oversight:exports")
    except exports.ExportError:
        messages.error(request, _("A case of this export did not open; nothing was downloaded."))
        return redirect("oversight:exports")
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="identities-{export_id}.csv"'
    # Names and contacts: no browser or proxy cache may keep a copy.
    response["Cache-Control"] = "no-store"
    return response
