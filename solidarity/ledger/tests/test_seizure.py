"""The seizure test for money: payout destinations (IBAN, card, wallet, holder's name) and a
donor's receipt address are recorded with canary values; then every value the ORM returns for
every model of the ledger, and every byte of every table in the database, are searched for
them. They may appear only inside the exported file, never at rest.

This complements intake's seizure test, which scans a real server's data directory.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.apps import apps
from django.core import mail
from django.db import connection

from solidarity.ledger import donations, payouts, services
from solidarity.ledger.models import Account, Entry
from solidarity.ledger.tests.factories import (
    canary_card,
    canary_iban,
    canary_wallet,
    make_active_plan,
    make_destination,
    make_held_account,
)
from solidarity.vault import keyring


def _encodings(value: str) -> list[bytes]:
    return [
        value.encode("utf-8"),
        value.encode("utf-16-le"),
        value.lower().encode(),
        value.upper().encode(),
    ]


def _orm_values() -> list[str]:
    """Every field of every row of every ledger model, as the ORM returns it."""
    out = []
    for model in apps.get_app_config("ledger").get_models():
        for row in model.objects.values():
            for value in row.values():
                out.append(
                    bytes(value).hex() if isinstance(value, bytes | memoryview) else str(value)
                )
    return out


def _raw_tables() -> bytes:
    """Every cell of every table in the database, as raw bytes (SQLite dump or PostgreSQL rows)."""
    chunks = []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for line in connection.connection.iterdump():
                chunks.append(line.encode("utf-8", errors="replace"))
        else:
            for table in connection.introspection.table_names(cursor):
                cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
                for row in cursor.fetchall():
                    for cell in row:
                        chunks.append(
                            bytes(cell)
                            if isinstance(cell, bytes | memoryview)
                            else str(cell).encode("utf-8", errors="replace")
                        )
    return b"\n".join(chunks)


def test_destinations_and_donor_addresses_are_found_only_sealed(
    org, coordinator, treasurer, second_treasurer
):
    tag = secrets.token_hex(4).upper()
    holder = f"Canary Holder {tag}"
    iban = canary_iban()
    card = canary_card()
    wallet = canary_wallet()
    card_holder = f"Canary Cardholder {tag}"
    donor = f"canary-donor-{tag.lower()}@example.org"
    invoice_iban = canary_iban()
    invoice_reference = f"INV-{tag}"
    canaries = [holder, iban, card, wallet, card_holder, donor, invoice_iban, invoice_reference]

    # Given destinations on all three rails and a donor who asked for a receipt
    eur = make_held_account(name="Main bank", currency="EUR")
    services.post_entry(
        Entry.Kind.OPENING,
        [
            (eur, Decimal("9000.00")),
            (services.standard_account(Account.Purpose.OPENING, "EUR"), Decimal("-9000.00")),
        ],
    )
    sepa_plan = make_active_plan(by=coordinator.user, items=[{"kind": "debt", "amount": "2500.00"}])
    make_destination(sepa_plan.case, "sepa", by=coordinator.user, holder=holder, iban=iban)
    other = make_active_plan(by=coordinator.user, items=[{"kind": "legal", "amount": "300.00"}])
    make_destination(other.case, "csv", by=treasurer.user, holder=card_holder, number=card)
    make_destination(other.case, "crypto", by=treasurer.user, address=wallet)
    # A provider's invoice: the IBAN and the reference (which can lead to the student) sealed too,
    # and the rail register keeps a bank code and a BIN range, never the whole number.
    make_destination(
        other.case, "invoice", by=treasurer.user, iban=invoice_iban, reference=invoice_reference
    )
    make_destination(other.case, "csv", by=treasurer.user, number=canary_card(), country="BY")
    donations.record_donation(
        amount=Decimal("40.00"),
        currency="EUR",
        held_account=eur,
        receipt_to=donor,
        by=treasurer.user,
    )
    # ... and a batch prepared, approved, exported and confirmed
    batch = payouts.prepare_batch(by=treasurer.user, rail="sepa", held_account=eur)
    payouts.approve_batch(batch, by=second_treasurer.user)
    exported = payouts.export_batch(
        batch,
        by=treasurer.user,
        staff_private_key=keyring.unlock_staff_key(treasurer.user, treasurer.passphrase),
    )
    payouts.import_confirmations(
        f"end_to_end_id,status\n{batch.items.get().end_to_end_id},paid\n".encode(),
        by=treasurer.user,
    )

    # The canaries are real: the exported file and the receipt carry them in clear.
    assert iban in exported.data.decode()
    assert holder in exported.data.decode()
    assert mail.outbox[-1].to == [donor]

    # Then no ORM value and no byte of any table holds any of them
    values = "\n".join(_orm_values()).encode()
    dump = _raw_tables()
    for canary in canaries:
        for encoded in _encodings(canary):
            assert encoded not in values, canary
            assert encoded not in dump, canary
    # while the scan does see what is stored in clear (the case code, the batch's message id)
    assert sepa_plan.case.code.encode() in dump
    assert batch.message_id.encode() in values
    assert batch.message_id.encode() in dump
