"""The demo money: donations, a plan for a verified demo case and a prepared batch, waiting for
the demo coordinator's approval; built once."""

from __future__ import annotations

import pytest

from solidarity.accounts import demo as accounts_demo
from solidarity.ledger import payouts, services
from solidarity.ledger.demo import build_ledger_demo
from solidarity.ledger.models import Donation, PayoutBatch, SupportPlan
from solidarity.vault import keyring


@pytest.mark.slow
def test_the_demo_builds_books_that_balance_and_a_batch_to_approve(db):
    accounts_demo.load_demo(20)

    assert build_ledger_demo() is True
    assert build_ledger_demo() is False

    assert Donation.objects.count() == 42
    assert SupportPlan.objects.filter(status="active").count() == 1
    batch = PayoutBatch.objects.get()
    assert batch.status == PayoutBatch.Status.PREPARED
    assert batch.prepared_by.username == "treasurer"
    assert all(check.ok for check in services.check_balances())
    # The demo coordinator can approve and export it.
    coordinator = batch.prepared_by.__class__.objects.get(username="coordinator")
    payouts.approve_batch(batch, by=coordinator)
    key = keyring.unlock_staff_key(
        coordinator, dict((n, p) for n, _r, p in accounts_demo.DEMO_STAFF)["coordinator"]
    )
    exported = payouts.export_batch(batch, by=coordinator, staff_private_key=key)
    assert b"LT601010012345678901" in exported.data
