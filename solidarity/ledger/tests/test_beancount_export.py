"""`solidarity ledger export --format beancount` writes books that bean-check accepts, with
every entry, reversal and rate, and a balance assertion per account."""

from __future__ import annotations

import shutil
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from solidarity.ledger import donations, payouts, services
from solidarity.ledger.models import Account, Entry
from solidarity.ledger.tests.factories import make_active_plan, make_destination, make_held_account
from solidarity.vault import keyring


def _bean_check() -> str:
    found = Path(sys.executable).with_name("bean-check")
    return (
        str(found)
        if found.exists()
        else (
            shutil.which("bean-check")
            or pytest.fail("bean-check is not installed (pip install beancount)")
        )
    )


def _check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_bean_check(), str(path)], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_exported_books_pass_bean_check(
    tmp_path, org, coordinator, treasurer, second_treasurer
):
    # Given a little of everything: rates, donations (one refunded), a conversion, a plan,
    # a batch exported and confirmed with a fee, and a seized payment.
    import datetime

    eur = make_held_account(name="Main bank", currency="EUR")
    usd = make_held_account(name="Dollar account", currency="USD")
    services.record_rate("EUR", datetime.date(2024, 1, 1), Decimal("1.08"))
    services.record_rate("BYN", datetime.date(2024, 1, 1), Decimal("0.31"))
    gift = donations.record_donation(
        amount=Decimal("5000.00"), currency="EUR", held_account=eur, by=treasurer.user
    )
    donations.record_donation(
        amount=Decimal("300.00"),
        currency="USD",
        held_account=usd,
        reference="TRX-1",
        by=treasurer.user,
    )
    donations.refund_donation(gift, by=treasurer.user)
    donations.record_donation(
        amount=Decimal("9000.00"), currency="EUR", held_account=eur, by=treasurer.user
    )
    services.record_transfer(
        eur, usd, Decimal("1000.00"), received=Decimal("1079.50"), fee=Decimal("2.00")
    )
    for amount in ("700.00", "1300.00"):
        plan = make_active_plan(by=coordinator.user, items=[{"kind": "debt", "amount": amount}])
        make_destination(plan.case, "sepa", by=treasurer.user)
    batch = payouts.prepare_batch(by=treasurer.user, rail="sepa", held_account=eur)
    payouts.approve_batch(batch, by=second_treasurer.user)
    payouts.export_batch(
        batch,
        by=treasurer.user,
        staff_private_key=keyring.unlock_staff_key(treasurer.user, treasurer.passphrase),
    )
    first, second = batch.items.order_by("id")
    payouts.import_confirmations(
        f"end_to_end_id,status,reason,fee\n{first.end_to_end_id},paid,,0.50\n{second.end_to_end_id},seized,blocked,\n".encode(),
        by=treasurer.user,
    )

    # When the books are exported through the command
    target = tmp_path / "books.beancount"
    call_command(
        "ledger", "export", "--format", "beancount", "--output", str(target), stderr=StringIO()
    )

    # Then bean-check finds no error, and the file has what it should
    result = _check(target)
    assert result.returncode == 0, result.stdout + result.stderr
    text = target.read_text()
    assert text.count(" * ") == Entry.objects.count()
    assert f"^entry-{gift.entry_id}" in text
    assert "price EUR 1.08 USD" in text
    assert "balance Liabilities:Commitments:EUR" in text


def test_bean_check_catches_books_that_do_not_agree(tmp_path, org):
    # The balance assertions are real: a file whose balance differs from its postings fails.
    eur = make_held_account(currency="EUR")
    services.post_entry(
        Entry.Kind.OPENING,
        [
            (eur, Decimal("10.00")),
            (services.standard_account(Account.Purpose.OPENING, "EUR"), Decimal("-10.00")),
        ],
    )
    out = StringIO()
    call_command("ledger", "export", stdout=out)
    broken = tmp_path / "broken.beancount"
    broken.write_text(
        out.getvalue().replace(f"balance {eur.code}  10.00 EUR", f"balance {eur.code}  11.00 EUR")
    )

    assert _check(broken).returncode != 0


def test_ledger_check_reports_books_in_balance(org):
    eur = make_held_account(currency="EUR")
    services.post_entry(
        Entry.Kind.OPENING,
        [
            (eur, Decimal("10.00")),
            (services.standard_account(Account.Purpose.OPENING, "EUR"), Decimal("-10.00")),
        ],
    )
    out = StringIO()
    call_command("ledger", "check", stdout=out)
    assert "The books balance" in out.getvalue()


def test_exporting_the_books_leaves_a_trace_in_the_audit_trail(tmp_path, org):
    from solidarity.audit.models import AuditEvent
    from solidarity.audit.services import verify_chain

    target = tmp_path / "books.beancount"
    call_command("ledger", "export", "--output", str(target), stderr=StringIO())

    event = AuditEvent.objects.get(action="ledger.export")
    assert event.details["lines"] == len(target.read_text().splitlines())
    assert verify_chain().ok
