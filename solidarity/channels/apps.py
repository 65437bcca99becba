from __future__ import annotations

from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "solidarity.channels"
    default_auto_field = "django.db.models.BigAutoField"
