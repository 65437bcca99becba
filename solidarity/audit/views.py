"""The audit log page for coordinators: who did what to which case, never what it said."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from solidarity.accounts.decorators import coordinator_required
from solidarity.audit import services as audit
from solidarity.audit.forms import AuditFilterForm


@require_GET
@coordinator_required
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    action = filters.get("action") or ""
    subject = filters.get("subject") or ""
    page = audit.recent_events(
        action=action,
        subject=subject,
        before_id=filters.get("before"),
        size=audit.AUDIT_PAGE_SIZE + 1,
    )
    # Reading the log is itself a staff action; recorded after the query so the reader's
    # own entry does not push a row off the page they asked for.
    audit.record("audit.viewed", actor=request.user, subject=subject, action_filter=action)
    older = None
    if len(page) > audit.AUDIT_PAGE_SIZE:
        page = page[: audit.AUDIT_PAGE_SIZE]
        older = {"action": action, "subject": subject, "before": page[-1].id}
    return render(
        request,
        "staff/audit.html",
        {"form": form, "events": page, "older": older, "total": audit.log_size()},
    )
