"""Message templates marked for before or after verification (issue 8)."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_queue_indexes"),
    ]

    operations: list = []
