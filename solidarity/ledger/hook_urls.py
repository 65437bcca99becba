"""Endpoints called by outside services, not people: outside the staff console and CSRF."""

from __future__ import annotations

from django.urls import path

from solidarity.ledger import views

app_name = "hooks"
urlpatterns = [
    path("card/", views.card_webhook, name="card"),
]
