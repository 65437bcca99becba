from __future__ import annotations

from django.urls import path

from solidarity.intake import views

app_name = "intake"
urlpatterns = [
    path("", views.home, name="home"),
    path("apply/", views.apply, name="apply"),
    path("status/", views.status_login, name="status"),
    path("status/case/", views.status_case, name="status_case"),
    path("status/files/<int:attachment_id>/", views.status_file, name="status_file"),
    path("status/guidance/<int:destination_id>/", views.status_guidance, name="status_guidance"),
    path("status/leave/", views.status_leave, name="status_leave"),
]
