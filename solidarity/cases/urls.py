"""Case-work routes of the staff console, included under /staff/ in the "staff" namespace."""

from __future__ import annotations

from django.urls import path

from solidarity.audit import views as audit_views
from solidarity.cases import views

urlpatterns = [
    path(
        "cases/<str:code>/verification/items/<str:item>/",
        views.checklist_item,
        name="verification_item",
    ),
    path(
        "cases/<str:code>/verification/decision/",
        views.decision,
        name="verification_decision",
    ),
    path("cases/<str:code>/verification/status/", views.status_action, name="verification_status"),
    path("audit/", audit_views.audit_log, name="audit"),
]
