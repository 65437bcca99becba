from __future__ import annotations

from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "solidarity.transparency"
    label = "transparency"
    default_auto_field = "django.db.models.BigAutoField"
