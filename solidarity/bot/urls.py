from __future__ import annotations

from django.urls import path

from solidarity.bot import views

app_name = "bot"
urlpatterns = [
    path("webhook/<str:token>/", views.webhook, name="webhook"),
]
