"""The job coaches' console, included in solidarity/urls.py under /staff/jobs/."""

from __future__ import annotations

from django.urls import path

from solidarity.jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("key/share/", views.share_key, name="share_key"),
    path("candidates/", views.candidates, name="candidates"),
    path("candidates/<str:pseudonym>/", views.candidate, name="candidate"),
    path("candidates/<str:pseudonym>/introduce/", views.introduce, name="introduce"),
    path("candidates/<str:pseudonym>/courses/", views.offer_course, name="offer_course"),
    path("introductions/<int:introduction_id>/stage/", views.stage, name="stage"),
    path("employers/", views.employers, name="employers"),
    path("employers/<int:employer_id>/", views.employer, name="employer"),
    path("employers/<int:employer_id>/openings/new/", views.opening_new, name="opening_new"),
    path("openings/<int:opening_id>/", views.opening, name="opening"),
    path("openings/<int:opening_id>/edit/", views.opening_edit, name="opening_edit"),
    path("openings/<int:opening_id>/close/", views.opening_close, name="opening_close"),
    path("courses/", views.courses, name="courses"),
    path("courses/<int:course_id>/starts/", views.course_start, name="course_start"),
    path("proposal/", views.proposal, name="proposal"),
]
