from __future__ import annotations

from django.urls import path

from solidarity.transparency import views

app_name = "transparency"
urlpatterns = [
    path("", views.page, name="page"),
    path("data.json", views.as_json, name="json"),
]
