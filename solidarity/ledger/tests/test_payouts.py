"""Payout batches: four eyes, exporting twice pays nobody twice, the SEPA file validates, and
confirmations move payments to paid, or back to owed when they fail or are seized."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
import sepaxml
import xmlschema
from django.db import IntegrityError, transaction

from solidarity.ledger import payouts, rails, services
from solidarity.ledger.models import (
    Account,
    Commitment,
    Entry,
    PayoutBatch,
    PayoutDestination,
    PayoutItem,
)
from solidarity.ledger.roles import NotAllowedError
from solidarity.ledger.tests.factories import (
    make_active_plan,
    make_destination,
    make_held_account,
)
from solidarity.testing.factories import make_staff
from solidarity.vault import keyring

PAIN_001 = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", "pain.001.001.03.xsd")


def _key(staff) -> bytes:
    return keyring.unlock_staff_key(staff.user, staff.passphrase)


@pytest.fixture
def bank(org):
    account = make_held_account(name="Main bank", currency="EUR")
    services.post_entry(
        Entry.Kind.OPENING,
        [
            (account, Decimal("50000.00")),
            (services.standard_account(Account.Purpose.OPENING, "EUR"), Decimal("-50000.00")),
        ],
    )
    return account


@pytest.fixture
def due_plan(coordinator, treasurer, bank):
    """Two verified cases, each owed one payment today, each with a SEPA destination."""
    plans = []
    for amount in ("1200.00", "800.50"):
        plan = make_active_plan(by=coordinator.user, items=[{"kind": "debt", "amount": amount}])
        make_destination(plan.case, "sepa", by=treasurer.user)
        plans.append(plan)
    return plans


def _prepared(treasurer, bank) -> PayoutBatch:
    return payouts.prepare_batch(by=treasurer.user, rail="sepa", held_account=bank)


def _confirm(lines: list[str], by) -> payouts.ConfirmationReport:
    data = "end_to_end_id,status,reason,fee\n" + "\n".join(lines) + "\n"
    return payouts.import_confirmations(data.encode(), by=by)


# --- four eyes --------------------------------------------------------------------------------


def test_the_preparer_can_never_approve_their_own_batch(treasurer, bank, due_plan):
    batch = _prepared(treasurer, bank)

    with pytest.raises(payouts.FourEyesError):
        payouts.approve_batch(batch, by=treasurer.user)

    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.PREPARED
    assert batch.approved_by is None


def test_the_database_refuses_a_batch_approved_by_its_preparer(treasurer, bank, due_plan):
    # Even code that skips the service cannot record one person as both.
    batch = _prepared(treasurer, bank)
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutBatch.objects.filter(pk=batch.pk).update(
            approved_by=treasurer.user, status="approved"
        )


def test_an_unapproved_batch_cannot_be_exported(treasurer, bank, due_plan):
    batch = _prepared(treasurer, bank)
    with pytest.raises(payouts.BatchStateError):
        payouts.export_batch(batch, by=treasurer.user, staff_private_key=_key(treasurer))
    assert not Entry.objects.filter(kind=Entry.Kind.PAYOUT_SENT).exists()


@pytest.mark.parametrize("approver", ["second_treasurer", "coordinator"])
def test_a_second_treasurer_or_a_coordinator_approves(request, treasurer, bank, due_plan, approver):
    batch = _prepared(treasurer, bank)
    other = request.getfixturevalue(approver)

    payouts.approve_batch(batch, by=other.user)

    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.APPROVED
    assert batch.approved_by == other.user


def test_a_volunteer_can_neither_prepare_nor_approve(treasurer, volunteer, bank, due_plan):
    with pytest.raises(NotAllowedError):
        payouts.prepare_batch(by=volunteer.user, rail="sepa", held_account=bank)
    batch = _prepared(treasurer, bank)
    with pytest.raises(NotAllowedError):
        payouts.approve_batch(batch, by=volunteer.user)


def test_a_coordinator_cannot_prepare(coordinator, bank, due_plan):
    with pytest.raises(NotAllowedError):
        payouts.prepare_batch(by=coordinator.user, rail="sepa", held_account=bank)


# --- export ------------------------------------------------------------------------------------


def test_the_sepa_file_validates_against_pain_001_and_carries_the_real_destinations(
    treasurer, coordinator, bank, due_plan
):
    batch = _prepared(treasurer, bank)
    payouts.approve_batch(batch, by=coordinator.user)

    exported = payouts.export_batch(batch, by=treasurer.user, staff_private_key=_key(treasurer))

    xmlschema.XMLSchema(PAIN_001).validate(exported.data.decode())
    text = exported.data.decode()
    assert "LT121000011101001000" in text
    assert "<CtrlSum>2000.50</CtrlSum>" in text
    assert f"<MsgId>{batch.message_id}</MsgId>" in text
    assert exported.content_type == "application/xml"


def test_exporting_twice_pays_nobody_twice(treasurer, coordinator, bank, due_plan):
    batch = _prepared(treasurer, bank)
    payouts.approve_batch(batch, by=coordinator.user)

    first = payouts.export_batch(batch, by=treasurer.user, staff_private_key=_key(treasurer))
    entries_after_first = Entry.objects.count()
    second = payouts.export_batch(batch, by=coordinator.user, staff_private_key=_key(coordinator))

    # The same bytes: same message id (the bank refuses it twice), same end-to-end ids.
    assert second.data == first.data
    assert Entry.objects.count() == entries_after_first
    assert Entry.objects.filter(kind=Entry.Kind.PAYOUT_SENT).count() == 2
    batch.refresh_from_db()
    assert batch.export_count == 2
    # Nothing is due any more, so no second batch can take the same payments.
    with pytest.raises(payouts.NothingDueError):
        _prepared(treasurer, bank)
    # Confirming both files' payments pays each commitment once.
    report = _confirm(
        [f"{i.end_to_end_id},paid,," for i in batch.items.all()] * 2, coordinator.user
    )
    assert (report.paid, report.unchanged) == (2, 2)
    assert Entry.objects.filter(kind=Entry.Kind.PAYOUT_SETTLED).count() == 2
    assert services.standard_account(Account.Purpose.COMMITMENTS, "EUR").balance == 0


def test_one_commitment_cannot_be_in_two_live_payments(treasurer, coordinator, bank, due_plan):
    batch = _prepared(treasurer, bank)
    item = batch.items.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutItem.objects.create(
            batch=batch,
            commitment=item.commitment,
            destination=item.destination,
            amount=item.amount,
            currency="EUR",
            end_to_end_id="DUPLICATE-1",
        )


def test_export_needs_the_payout_key(treasurer, coordinator, bank, due_plan):
    batch = _prepared(treasurer, bank)
    payouts.approve_batch(batch, by=coordinator.user)
    wrong_key = keyring.unlock_staff_key(coordinator.user, coordinator.passphrase)

    # The treasurer's session with the coordinator's private key cannot open the treasurer's wrap.
    with pytest.raises(Exception):  # noqa: B017,PT011 - the vault refuses; which error is the vault's business
        payouts.export_batch(batch, by=treasurer.user, staff_private_key=wrong_key)
    assert not Entry.objects.filter(kind=Entry.Kind.PAYOUT_SENT).exists()
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.APPROVED


def test_csv_and_crypto_rails_export_their_lists(org, coordinator, treasurer, second_treasurer):
    usd = make_held_account(name="Dollar account", currency="USD")
    card_plan = make_active_plan(
        by=coordinator.user,
        currency="USD",
        items=[{"kind": "income", "amount": "300.00", "months": 1}],
    )
    wallet_plan = make_active_plan(
        by=coordinator.user, currency="USD", items=[{"kind": "legal", "amount": "90.00"}]
    )
    card = make_destination(card_plan.case, "csv", by=treasurer.user)
    wallet = make_destination(wallet_plan.case, "crypto", by=treasurer.user)
    files = {}
    for rail in ("csv", "crypto"):
        batch = payouts.prepare_batch(by=treasurer.user, rail=rail, held_account=usd)
        payouts.approve_batch(batch, by=second_treasurer.user)
        files[rail] = payouts.export_batch(
            batch, by=treasurer.user, staff_private_key=_key(treasurer)
        ).data.decode()

    private = payouts.open_payout_key(treasurer.user, _key(treasurer))
    assert payouts.open_destination(card, private)["number"] in files["csv"]
    assert ",300.00,USD," in files["csv"]
    assert payouts.open_destination(wallet, private)["address"] in files["crypto"]


# --- confirmations ---------------------------------------------------------------------------------


def _exported(treasurer, coordinator, bank) -> PayoutBatch:
    batch = _prepared(treasurer, bank)
    payouts.approve_batch(batch, by=coordinator.user)
    payouts.export_batch(batch, by=treasurer.user, staff_private_key=_key(treasurer))
    return batch


def test_a_seized_payment_returns_to_due_and_is_rerouted_to_another_rail(
    treasurer, coordinator, second_treasurer, bank, due_plan
):
    # Given an exported batch of two payments
    batch = _exported(treasurer, coordinator, bank)
    seized_item, paid_item = list(batch.items.order_by("id"))

    # When the bank confirms one paid and the other seized at the recipient's end
    report = _confirm(
        [
            f"{paid_item.end_to_end_id},paid,,0.35",
            f"{seized_item.end_to_end_id},seized,card blocked by the state,",
        ],
        treasurer.user,
    )

    # Then the seized one is owed again with the reason, and its destination is blocked
    assert (report.paid, report.seized, report.errors) == (1, 1, [])
    commitment = Commitment.objects.get(pk=seized_item.commitment_id)
    assert commitment.status == Commitment.Status.OPEN
    assert "card blocked by the state" in commitment.last_failure
    assert (
        PayoutDestination.objects.get(pk=seized_item.destination_id).status
        == PayoutDestination.Status.BLOCKED
    )
    assert payouts.route_for(commitment) is None
    assert Commitment.objects.get(pk=paid_item.commitment_id).status == Commitment.Status.PAID
    # The money is gone from the bank and booked as seized; the person is still owed it.
    assert services.standard_account(Account.Purpose.SEIZED, "EUR").balance == seized_item.amount
    assert (
        services.standard_account(Account.Purpose.COMMITMENTS, "EUR").display_balance
        == seized_item.amount
    )
    bank.refresh_from_db()
    assert bank.balance == Decimal("50000.00") - seized_item.amount - paid_item.amount - Decimal(
        "0.35"
    )

    # When it is re-routed to a crypto wallet and paid from the fund's euro stablecoin wallet
    eur_wallet = make_held_account(
        name="Euro stablecoin wallet", currency="EUR", bank_iban="", bank_holder=""
    )
    services.post_entry(
        Entry.Kind.OPENING,
        [
            (eur_wallet, Decimal("5000.00")),
            (services.standard_account("opening", "EUR"), Decimal("-5000.00")),
        ],
    )
    wallet = make_destination(commitment.case, "crypto", by=treasurer.user)
    payouts.reroute_commitment(commitment, wallet, by=treasurer.user, reason="card seized")
    second = payouts.prepare_batch(by=treasurer.user, rail="crypto", held_account=eur_wallet)
    payouts.approve_batch(second, by=second_treasurer.user)
    payouts.export_batch(second, by=treasurer.user, staff_private_key=_key(treasurer))
    _confirm([f"{second.items.get().end_to_end_id},paid,,"], treasurer.user)

    # Then it is paid, once, on the new rail
    commitment.refresh_from_db()
    assert commitment.status == Commitment.Status.PAID
    assert commitment.payout_items.filter(status=PayoutItem.Status.PAID).count() == 1
    assert services.standard_account(Account.Purpose.COMMITMENTS, "EUR").balance == 0
    assert all(check.ok for check in services.check_balances())


def test_a_failed_payment_is_undone_by_a_reversing_entry_and_owed_again(
    treasurer, coordinator, bank, due_plan
):
    batch = _exported(treasurer, coordinator, bank)
    item = batch.items.order_by("id").first()

    report = _confirm([f"{item.end_to_end_id},failed,AC04 account closed,"], treasurer.user)

    item.refresh_from_db()
    assert report.failed == 1
    assert item.undo_entry.reverses_id == item.sent_entry_id
    assert item.commitment.status == Commitment.Status.OPEN
    # A failed (not seized) destination stays usable; the treasurer decides.
    assert item.destination.status == PayoutDestination.Status.ACTIVE
    bank.refresh_from_db()
    assert bank.balance == Decimal("50000.00")


def test_importing_the_same_confirmations_twice_changes_nothing(
    treasurer, coordinator, bank, due_plan
):
    batch = _exported(treasurer, coordinator, bank)
    lines = [f"{i.end_to_end_id},seized,blocked," for i in batch.items.all()]
    _confirm(lines, treasurer.user)
    entries = Entry.objects.count()

    report = _confirm(lines, treasurer.user)

    assert report.unchanged == 2
    assert Entry.objects.count() == entries


def test_bad_confirmation_lines_are_reported_and_skipped(treasurer, coordinator, bank, due_plan):
    batch = _exported(treasurer, coordinator, bank)
    item = batch.items.first()

    report = _confirm(
        [f"{item.end_to_end_id},lost,,", "NO-SUCH-ID,paid,,", f"{item.end_to_end_id},paid,,1.234"],
        treasurer.user,
    )

    assert [line for line, _msg in report.errors] == [2, 3, 4]
    item.refresh_from_db()
    assert item.status == PayoutItem.Status.SENT


def test_a_cancelled_batch_returns_its_payments_to_due(treasurer, coordinator, bank, due_plan):
    batch = _prepared(treasurer, bank)
    payouts.cancel_batch(batch, by=coordinator.user, reason="wrong account")
    assert all(c.status == Commitment.Status.OPEN for c in Commitment.objects.all())
    assert _prepared(treasurer, bank).items.count() == 2


# --- destinations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rail", "details"),
    [
        ("sepa", {"holder": "A B", "iban": "LT121000011101001001"}),  # check digits wrong
        ("sepa", {"holder": "A B", "iban": "BY13NBRB3600900000002Z00AB00"}),  # valid, but not SEPA
        ("sepa", {"holder": "", "iban": "LT121000011101001000"}),
        ("csv", {"holder": "A B", "kind": "card", "number": "4111111111111112"}),  # Luhn fails
        ("crypto", {"network": "TRC20", "address": "0x52908400098527886E0F7030069857D2E4169EE7"}),
    ],
)
def test_bad_destinations_are_refused_before_anything_is_stored(treasurer, due_plan, rail, details):
    before = PayoutDestination.objects.count()
    with pytest.raises(rails.DestinationError):
        payouts.add_destination(due_plan[0].case, rail, details, by=treasurer.user)
    assert PayoutDestination.objects.count() == before


def test_a_new_treasurer_gets_the_payout_key_from_a_holder(treasurer, bank, due_plan):
    newcomer = make_staff(role="treasurer", username="nina")
    assert newcomer.user in payouts.staff_without_payout_key()
    with pytest.raises(payouts.NoPayoutKeyError):
        payouts.open_payout_key(newcomer.user, _key(newcomer))

    payouts.share_payout_key(treasurer.user, _key(treasurer))

    assert payouts.open_payout_key(newcomer.user, _key(newcomer)) == payouts.open_payout_key(
        treasurer.user, _key(treasurer)
    )
