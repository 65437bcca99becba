"""M-of-N recovery of the organisation keys (issue 8)."""

from __future__ import annotations

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0003_signing_key"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RecoveryKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_key", models.BinaryField(max_length=32)),
                ("set_id", models.CharField(max_length=16, unique=True)),
                ("threshold", models.PositiveSmallIntegerField()),
                ("shares", models.PositiveSmallIntegerField()),
                ("share_digests", models.JSONField(default=dict)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="RecoveryEscrow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("intake", "Intake key (opens every case)"),
                            ("payout", "Payout key (opens payout destinations)"),
                            ("jobs", "Jobs key (opens employers and candidate contacts)"),
                            (
                                "signing",
                                "Signing key (signs the statement of official channels)",
                            ),
                        ],
                        max_length=16,
                    ),
                ),
                ("escrowed_public_key", models.BinaryField(max_length=32)),
                ("private_key_sealed", models.BinaryField()),
                ("escrowed_at", models.DateTimeField(auto_now=True)),
                (
                    "recovery_key",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="escrows",
                        to="vault.recoverykey",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("recovery_key", "kind"), name="escrow_one_per_kind"
                    )
                ],
            },
        ),
    ]
