"""Screening routes, included under /staff/screening/ (namespace "staff:screening")."""

from __future__ import annotations

from django.urls import path

from solidarity.screening import views

app_name = "screening"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("run/", views.run, name="run"),
    path("list/", views.abuser_list, name="abuser_list"),
    path("list/import/", views.import_list, name="import"),
    path("cases/<str:code>/", views.screen_case, name="case"),
    path("flags/<int:flag_id>/", views.decide, name="decide"),
]
