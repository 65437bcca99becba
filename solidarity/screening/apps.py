from __future__ import annotations

from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "solidarity.screening"
    default_auto_field = "django.db.models.BigAutoField"
