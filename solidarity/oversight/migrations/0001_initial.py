"""Insider limits: alerts from the audit trail and two-person exports."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    initial = True

    dependencies: list = []

    operations: list = []
