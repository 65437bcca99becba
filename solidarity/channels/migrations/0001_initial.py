"""Official channels: a signed statement of the fund's addresses."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    initial = True

    dependencies: list = []

    operations: list = []
