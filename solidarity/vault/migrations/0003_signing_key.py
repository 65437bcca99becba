"""The organisation's Ed25519 signing key for channel statements (issue 8)."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0002_access_grants_and_rekeying"),
    ]

    operations: list = []
