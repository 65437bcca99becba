"""The register of payout rails and tranches (issue 8)."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_append_only"),
    ]

    operations: list = []
