"""Donors protected by default (issue 8).

Bank references, charge ids and processor event ids become keyed digests: the digests are
computed from the clear columns, then the clear columns are dropped. Receipt addresses
already kept get their retention day (13 months, or SOLIDARITY_DONOR_RECEIPT_MONTHS, after
they were recorded), so `solidarity donors purge` can delete them. On PostgreSQL the
dropped values stay in dead row versions until `VACUUM FULL ledger_donation,
ledger_webhookevent` (docs/treasurer-guide.md, "Protecting donors").
"""

from __future__ import annotations

from django.db import migrations, models


def digest_references(apps, schema_editor):
    # The running code's key, so the digests stored here match the ones it computes later.
    from solidarity.ledger import donor_protection
    from solidarity.vault import donor_keys

    key = donor_protection.donor_key()
    Donation = apps.get_model("ledger", "Donation")
    WebhookEvent = apps.get_model("ledger", "WebhookEvent")
    for donation in Donation.objects.exclude(reference=None).only("pk", "reference"):
        Donation.objects.filter(pk=donation.pk).update(
            reference_digest=donor_keys.reference_digest(key, donation.reference)
        )
    for event in WebhookEvent.objects.only("pk", "provider", "event_id"):
        WebhookEvent.objects.filter(pk=event.pk).update(
            event_digest=donor_keys.event_digest(key, event.provider, event.event_id)
        )
    for donation in Donation.objects.exclude(donor_contact_sealed=None).select_related("entry"):
        Donation.objects.filter(pk=donation.pk).update(
            receipt_kept_until=donor_protection.receipt_kept_until(
                donation.entry.created_at.date()
            )
        )
    if schema_editor.connection.vendor == "postgresql":
        # The updates above queued PostgreSQL's deferred foreign-key checks; the columns
        # cannot be dropped in this transaction until they have run.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_rails"),
    ]

    operations = [
        migrations.AddField(
            model_name="donation",
            name="high_risk_origin",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="donation",
            name="receipt_kept_until",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="donation",
            name="reference_digest",
            field=models.CharField(blank=True, max_length=32, null=True),
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="event_digest",
            field=models.CharField(default="", max_length=32),
            preserve_default=False,
        ),
        migrations.RunPython(digest_references, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="donation",
            name="donation_reference_once_per_account",
        ),
        migrations.RemoveConstraint(
            model_name="webhookevent",
            name="webhook_event_once",
        ),
        migrations.RemoveField(
            model_name="donation",
            name="reference",
        ),
        migrations.RemoveField(
            model_name="webhookevent",
            name="event_id",
        ),
        migrations.AddConstraint(
            model_name="donation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("reference_digest__isnull", False)),
                fields=("held_account", "reference_digest"),
                name="donation_reference_digest_once_per_account",
            ),
        ),
        migrations.AddConstraint(
            model_name="webhookevent",
            constraint=models.UniqueConstraint(
                fields=("provider", "event_digest"), name="webhook_event_digest_once"
            ),
        ),
    ]
