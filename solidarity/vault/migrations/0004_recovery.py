"""M-of-N recovery of the organisation keys (issue 8)."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0003_signing_key"),
    ]

    operations: list = []
