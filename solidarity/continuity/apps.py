from __future__ import annotations

from django.apps import AppConfig


class ContinuityConfig(AppConfig):
    name = "solidarity.continuity"
    default_auto_field = "django.db.models.BigAutoField"
