"""Insider limits: alerts from the audit trail and two-person exports."""

from __future__ import annotations

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies: list = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Alert",
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
                            ("many_cases", "Opened far more cases than other volunteers"),
                            ("not_assigned", "Tried to open a case not assigned to them"),
                            ("failed_unlocks", "Repeated failed sign-ins or vault unlocks"),
                        ],
                        max_length=20,
                    ),
                ),
                ("staff_name", models.CharField(max_length=150)),
                ("subject", models.CharField(blank=True, max_length=64)),
                ("details", models.JSONField(default=dict)),
                ("dedup_key", models.CharField(max_length=200, unique=True)),
                ("raised_at", models.DateTimeField(auto_now_add=True)),
                ("acknowledged_at", models.DateTimeField(blank=True, null=True)),
                (
                    "acknowledged_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "staff",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-raised_at", "-id"],
                "indexes": [
                    models.Index(fields=["acknowledged_at", "-raised_at"], name="alert_open")
                ],
            },
        ),
        migrations.CreateModel(
            name="IdentityExport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("requested", "Waiting for a second coordinator"),
                            ("approved", "Approved, not downloaded yet"),
                            ("downloaded", "Downloaded"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="requested",
                        max_length=12,
                    ),
                ),
                (
                    "purpose",
                    models.CharField(
                        choices=[
                            ("lawyer", "Hand-over to a partner lawyer"),
                            ("partner", "Hand-over to a partner organisation"),
                            ("evacuation", "Evacuation or relocation"),
                            ("other", "Other (explained to the approver in person)"),
                        ],
                        max_length=12,
                    ),
                ),
                ("case_codes", models.JSONField(default=list)),
                ("requested_at", models.DateTimeField(auto_now_add=True)),
                ("approved_at", models.DateTimeField(blank=True, null=True)),
                ("downloaded_at", models.DateTimeField(blank=True, null=True)),
                (
                    "approved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("approved_by__isnull", True),
                            models.Q(("approved_by", models.F("requested_by")), _negated=True),
                            _connector="OR",
                        ),
                        name="export_approver_is_not_requester",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("downloaded_at__isnull", True),
                            ("approved_by__isnull", False),
                            _connector="OR",
                        ),
                        name="export_downloaded_only_if_approved",
                    ),
                ],
            },
        ),
    ]
