from __future__ import annotations

from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "solidarity.oversight"
    default_auto_field = "django.db.models.BigAutoField"
