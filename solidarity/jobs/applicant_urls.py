"""The candidate's pages, included in solidarity/urls.py under /status/jobs/."""

from __future__ import annotations

from django.urls import path

from solidarity.jobs import applicant_views as views

app_name = "jobs_status"
urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    path("withdraw/", views.withdraw, name="withdraw"),
    path("courses/<int:enrolment_id>/", views.answer_course, name="answer_course"),
]
