"""Insider limits under /staff/ (namespace "oversight"): alerts, grants, identity exports."""

from __future__ import annotations

from django.urls import path

from solidarity.oversight import views

app_name = "oversight"

urlpatterns = [
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("grants/", views.grant_list, name="grants"),
    path("cases/<str:code>/grants/<int:user_id>/renew/", views.grant_renew, name="grant_renew"),
    path("exports/", views.export_list, name="exports"),
    path("exports/<int:export_id>/approve/", views.export_approve, name="export_approve"),
    path("exports/<int:export_id>/cancel/", views.export_cancel, name="export_cancel"),
    path("exports/<int:export_id>/download/", views.export_download, name="export_download"),
]
