"""Case-work routes of the staff console, included under /staff/ in the "staff" namespace."""

from __future__ import annotations

from django.urls import path

from solidarity.audit import views as audit_views
from solidarity.cases import disclosure_views, views

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
    # staged disclosure (issue 8): what applicants may be told before verification
    path("templates/", disclosure_views.templates, name="message_templates"),
    path("templates/add/", disclosure_views.template_edit, name="message_template_add"),
    path(
        "templates/<int:template_id>/edit/",
        disclosure_views.template_edit,
        name="message_template_edit",
    ),
    path(
        "templates/<int:template_id>/deactivate/",
        disclosure_views.template_deactivate,
        name="message_template_deactivate",
    ),
    path("terms/", disclosure_views.terms, name="operational_terms"),
    path(
        "terms/<int:term_id>/deactivate/",
        disclosure_views.term_deactivate,
        name="operational_term_deactivate",
    ),
]
