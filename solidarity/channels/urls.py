from __future__ import annotations

from django.urls import path

from solidarity.channels import views

app_name = "channels"

urlpatterns = [
    path("", views.page, name="page"),
    path("statement.json", views.statement_file, name="statement"),
]
