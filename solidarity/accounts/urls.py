from __future__ import annotations

from django.urls import include, path

from solidarity.accounts import team_views, views
from solidarity.cases import urls as casework_urls

app_name = "staff"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("login/", views.login, name="login"),
    path("unlock/", views.unlock, name="unlock"),
    path("lock/", views.lock, name="lock"),
    path("logout/", views.logout, name="logout"),
    path("cases/<str:code>/", views.case_detail, name="case"),
    path("cases/<str:code>/files/<int:attachment_id>/", views.case_file, name="case_file"),
    path("cases/<str:code>/assign/", views.case_assign, name="case_assign"),
    path("cases/<str:code>/unassign/", views.case_unassign, name="case_unassign"),
    path("mine/", views.my_cases, name="my_cases"),
    path("queue/assign/", views.bulk_assign, name="bulk_assign"),
    path("people/", team_views.people, name="people"),
    path("people/add/", team_views.person_add, name="person_add"),
    path("people/<int:user_id>/approve/", team_views.person_approve, name="person_approve"),
    path("people/<int:user_id>/revoke/", team_views.person_revoke, name="person_revoke"),
    path("revocations/<int:job_id>/", team_views.rekey_job, name="rekey_job"),
    path("enrol/<str:token>/", team_views.enrol, name="enrol"),
    *casework_urls.urlpatterns,  # verification and the audit log: solidarity/cases/urls.py
    path("screening/", include("solidarity.screening.urls")),
]
