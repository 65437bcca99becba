"""Migration 0004 on a fund that already has donations: clear bank references and event ids
become keyed digests, the clear columns are gone, receipt addresses get their retention day,
and booking each reference once still works afterwards."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from solidarity.ledger import donations, donor_protection
from solidarity.ledger.models import Account, Donation, WebhookEvent

BEFORE = [("ledger", "0003_rails")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_old_references_become_digests_and_dedup_still_holds(org, treasurer):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        # Given a fund on 0003 with a bank donation, a card donation with a receipt and an event
        old = _migrate(BEFORE)
        account = old.get_model("ledger", "Account").objects.create(
            code="Assets:Held:Bank:EUR",
            name="Bank",
            kind="asset",
            purpose="held",
            currency="EUR",
            opened_on=datetime.date(2024, 1, 1),
        )
        entry_model = old.get_model("ledger", "Entry")
        donation_model = old.get_model("ledger", "Donation")
        for n, (reference, sealed) in enumerate(
            [("TRX-CANARY-OLD-1", None), ("ch_canary_old_2", b"\x01" * 80)]
        ):
            entry = entry_model.objects.create(booked_on=datetime.date(2024, 5, 1), kind="donation")
            donation_model.objects.create(
                channel="bank",
                amount=Decimal("10.00") + n,
                currency="EUR",
                received_on=datetime.date(2024, 5, 1),
                held_account=account,
                reference=reference,
                entry=entry,
                donor_contact_sealed=sealed,
            )
        old.get_model("ledger", "WebhookEvent").objects.create(
            provider="card", event_id="evt_canary_old", kind="charge.succeeded"
        )

        # When the fund upgrades
        _migrate(latest)

        # Then only digests remain, computed with the running key
        by_amount = {d.amount: d for d in Donation.objects.all()}
        assert by_amount[Decimal("10.00")].reference_digest == donor_protection.reference_digest(
            "TRX-CANARY-OLD-1"
        )
        assert by_amount[Decimal("11.00")].reference_digest == donor_protection.reference_digest(
            "ch_canary_old_2"
        )
        assert "reference" not in {
            f.name
            for f in connection.introspection.get_table_description(
                connection.cursor(), Donation._meta.db_table
            )
        }
        assert WebhookEvent.objects.get().event_digest == donor_protection.event_digest(
            "card", "evt_canary_old"
        )
        # and the kept receipt address has a retention day, the anonymous donation none
        today = datetime.date.today()
        kept_until = by_amount[Decimal("11.00")].receipt_kept_until
        assert kept_until is not None
        assert kept_until > today
        assert by_amount[Decimal("10.00")].receipt_kept_until is None
        # and the same reference, imported again, is still recognised
        bank = Account.objects.get(code="Assets:Held:Bank:EUR")
        report = donations.import_bank_statement(
            b"date,amount,reference\n2024-05-01,10.00,TRX-CANARY-OLD-1\n",
            held_account=bank,
            by=treasurer.user,
        )
        assert (report.created, report.duplicates) == (0, 1)
    finally:
        _migrate(latest)
