"""Backups, and handover of the work to another organisation."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    initial = True

    dependencies: list = []

    operations: list = []
