"""The register of payout rails and tranches (issue 8)."""

from __future__ import annotations

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _existing_destinations_may_be_paid(apps, schema_editor):
    # Destinations recorded before the guidance existed: their recipients were told by the
    # volunteers, and holding their payments back now would only delay money people wait for.
    PayoutDestination = apps.get_model("ledger", "PayoutDestination")
    PayoutDestination.objects.filter(guidance_acknowledged_on__isnull=True).update(
        guidance_override_reason="Recorded before the rail guidance existed"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="commitment",
            name="tranche_of",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="tranches",
                to="ledger.commitment",
            ),
        ),
        migrations.AddField(
            model_name="payoutdestination",
            name="guidance_acknowledged_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="payoutdestination",
            name="guidance_override_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="payoutdestination",
            name="guidance_override_reason",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AlterField(
            model_name="payoutbatch",
            name="rail",
            field=models.CharField(
                choices=[
                    ("sepa", "SEPA credit transfer"),
                    ("csv", "Bank or card transfer list (CSV)"),
                    ("crypto", "Crypto wallet"),
                    ("invoice", "A provider's invoice (SEPA)"),
                ],
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="payoutdestination",
            name="rail",
            field=models.CharField(
                choices=[
                    ("sepa", "SEPA credit transfer"),
                    ("csv", "Bank or card transfer list (CSV)"),
                    ("crypto", "Crypto wallet"),
                    ("invoice", "A provider's invoice (SEPA)"),
                ],
                max_length=8,
            ),
        ),
        migrations.CreateModel(
            name="PayoutRail",
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
                            ("bank", "Bank account"),
                            ("card", "Card"),
                            ("crypto", "Crypto network"),
                            ("provider", "Provider's invoice"),
                        ],
                        max_length=8,
                    ),
                ),
                ("country", models.CharField(blank=True, max_length=2)),
                ("label", models.CharField(max_length=40)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("working", "Working"),
                            ("suspect", "Suspect"),
                            ("burned", "Burned"),
                        ],
                        default="working",
                        max_length=8,
                    ),
                ),
                ("status_reason", models.CharField(blank=True, max_length=200)),
                ("status_changed_at", models.DateTimeField(blank=True, null=True)),
                ("created_on", models.DateField()),
            ],
            options={
                "ordering": ["kind", "country", "label"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("kind", "country", "label"), name="payout_rail_once"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="payoutdestination",
            name="payout_rail",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="destinations",
                to="ledger.payoutrail",
            ),
        ),
        migrations.CreateModel(
            name="RailStatusChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "before",
                    models.CharField(
                        choices=[
                            ("working", "Working"),
                            ("suspect", "Suspect"),
                            ("burned", "Burned"),
                        ],
                        max_length=8,
                    ),
                ),
                (
                    "after",
                    models.CharField(
                        choices=[
                            ("working", "Working"),
                            ("suspect", "Suspect"),
                            ("burned", "Burned"),
                        ],
                        max_length=8,
                    ),
                ),
                ("reason", models.CharField(max_length=200)),
                ("changed_at", models.DateTimeField(auto_now_add=True)),
                (
                    "changed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "rail",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="changes",
                        to="ledger.payoutrail",
                    ),
                ),
            ],
            options={
                "ordering": ["-id"],
            },
        ),
        migrations.CreateModel(
            name="RailOutcome",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("outcome", models.CharField(max_length=10)),
                ("on", models.DateField()),
                ("recorded_at", models.DateTimeField(auto_now_add=True)),
                (
                    "item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="ledger.payoutitem",
                    ),
                ),
                (
                    "rail",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="outcomes",
                        to="ledger.payoutrail",
                    ),
                ),
            ],
            options={
                "ordering": ["-id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("item", "outcome"), name="rail_outcome_once_per_item"
                    )
                ],
            },
        ),
        migrations.RunPython(_existing_destinations_may_be_paid, migrations.RunPython.noop),
    ]
