from __future__ import annotations

from django.urls import path

from solidarity.accounts import views

app_name = "staff"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("login/", views.login, name="login"),
    path("unlock/", views.unlock, name="unlock"),
    path("lock/", views.lock, name="lock"),
    path("logout/", views.logout, name="logout"),
    path("cases/<str:code>/", views.case_detail, name="case"),
    path("cases/<str:code>/files/<int:attachment_id>/", views.case_file, name="case_file"),
]
