"""Donors protected by default (issue 8)."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_rails"),
    ]

    operations: list = []
