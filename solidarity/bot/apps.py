from __future__ import annotations

from django.apps import AppConfig


class BotConfig(AppConfig):
    name = "solidarity.bot"
    label = "bot"
    default_auto_field = "django.db.models.BigAutoField"
