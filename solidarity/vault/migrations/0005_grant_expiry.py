"""Access grants expire unless renewed (issue 8)."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0004_recovery"),
    ]

    operations: list = []
