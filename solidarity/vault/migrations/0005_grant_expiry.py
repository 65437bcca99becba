"""Access grants expire unless renewed (issue 8).

Grants that exist when this runs get the full period from today, not from the day they were
made: cutting every volunteer off at once on upgrade would stop the casework.
"""

from __future__ import annotations

from django.db import migrations, models

import solidarity.vault.models


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0004_recovery"),
    ]

    operations: list = [
        migrations.AddField(
            model_name="accessgrant",
            name="expires_on",
            field=models.DateField(
                db_index=True, default=solidarity.vault.models.default_grant_expiry
            ),
        ),
    ]
