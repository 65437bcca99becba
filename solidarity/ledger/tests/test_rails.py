"""Rails that get seized (issue 8): banks ordered to freeze every payment from one sender,
recipients' cards blocked, pensions swept. Played through the real confirmation import, the
real batch services and the real pages: seized payments mark a rail suspect, then burned; the
treasurer is warned and must confirm; a burned rail is refused; tranches sum to the cent; a
provider's invoice is paid instead of the person; the recipient reads guidance first."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import xmlschema
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from solidarity.audit.models import AuditEvent
from solidarity.cases.models import Case
from solidarity.ledger import payouts, plans, rail_register, rails, services
from solidarity.ledger.models import (
    Account,
    Commitment,
    Entry,
    PayoutDestination,
    PayoutItem,
    PayoutRail,
)
from solidarity.ledger.money import MAX_AMOUNT, MoneyError
from solidarity.ledger.roles import NotAllowedError
from solidarity.ledger.tests.factories import (
    canary_card,
    canary_iban,
    make_active_plan,
    make_destination,
    make_held_account,
)
from solidarity.ledger.tests.test_payouts import PAIN_001
from solidarity.testing.factories import log_in, make_application
from solidarity.vault import keyring

# One bank every recipient in these tests uses: the rail the state leans on.
WATCHED_BIC = "HABALT22"


@pytest.fixture
def bank(org):
    account = make_held_account(name="Main bank", currency="EUR")
    services.post_entry(
        Entry.Kind.OPENING,
        [
            (account, Decimal("90000.00")),
            (services.standard_account(Account.Purpose.OPENING, "EUR"), Decimal("-90000.00")),
        ],
    )
    return account


def _owed_at_watched_bank(coordinator, treasurer, n: int, amount: str = "300.00") -> list:
    """``n`` cases, each owed one payment today, each paid to an account at the same bank."""
    made = []
    for _i in range(n):
        plan = make_active_plan(by=coordinator.user, items=[{"kind": "debt", "amount": amount}])
        make_destination(plan.case, "sepa", by=treasurer.user, iban=canary_iban(), bic=WATCHED_BIC)
        made.append(plan)
    return made


def _send(treasurer, approver, bank, **kwargs):
    batch = payouts.prepare_batch(by=treasurer.user, rail="sepa", held_account=bank, **kwargs)
    payouts.approve_batch(batch, by=approver.user)
    payouts.export_batch(
        batch,
        by=treasurer.user,
        staff_private_key=keyring.unlock_staff_key(treasurer.user, treasurer.passphrase),
    )
    return batch


def _confirm(batch, outcome: str, by, on: datetime.date | None = None):
    day = (on or timezone.localdate()).isoformat()
    lines = [
        f"{item.end_to_end_id},{outcome},account frozen by court order,,{day}"
        for item in batch.items.order_by("id")
    ]
    data = "end_to_end_id,status,reason,fee,date\n" + "\n".join(lines) + "\n"
    return payouts.import_confirmations(data.encode(), by=by)


def _watched_rail() -> PayoutRail:
    return PayoutRail.objects.get(kind="bank", label=f"BIC {WATCHED_BIC}")


# --- the register --------------------------------------------------------------------------------


def test_a_destination_is_linked_to_its_rail_and_the_rail_names_no_person(coordinator, treasurer):
    plan = make_active_plan(by=coordinator.user)
    iban = canary_iban("DE", 22)
    card = canary_card()

    sepa = make_destination(plan.case, "sepa", by=treasurer.user, iban=iban)
    card_dest = make_destination(plan.case, "csv", by=treasurer.user, number=card, country="by")
    wallet = make_destination(plan.case, "crypto", by=treasurer.user)

    sepa.refresh_from_db()
    assert (sepa.payout_rail.kind, sepa.payout_rail.country) == ("bank", "DE")
    # The German bank code (Bankleitzahl) is the first 8 digits after the check digits.
    assert sepa.payout_rail.label == f"BANK {iban[4:12]}"
    assert card_dest.payout_rail.label == f"BIN {card[:6]}"
    assert card_dest.payout_rail.country == "BY"
    assert (wallet.payout_rail.kind, wallet.payout_rail.label) == ("crypto", "TRC20")
    for rail in PayoutRail.objects.all():
        assert iban not in rail.label
        assert card not in rail.label


def test_two_recipients_at_one_bank_share_one_rail(coordinator, treasurer):
    _owed_at_watched_bank(coordinator, treasurer, 2)
    assert PayoutRail.objects.count() == 1
    assert _watched_rail().destinations.count() == 2


# --- status from confirmations -------------------------------------------------------------------


def test_three_seized_payments_mark_the_rail_suspect(
    coordinator, treasurer, second_treasurer, bank
):
    # Given three recipients at one bank, paid in one batch
    _owed_at_watched_bank(coordinator, treasurer, 3)
    batch = _send(treasurer, second_treasurer, bank)
    assert _watched_rail().status == PayoutRail.Status.WORKING

    # When the bank's confirmations say all three were seized
    report = _confirm(batch, "seized", treasurer.user)

    # Then the rail is suspect, with the count as its reason, recorded and audited
    assert report.seized == 3
    rail = _watched_rail()
    assert rail.status == PayoutRail.Status.SUSPECT
    change = rail.changes.get()
    assert (change.before, change.after, change.changed_by) == ("working", "suspect", None)
    assert "3 seized" in change.reason
    assert AuditEvent.objects.filter(
        action="payout.rail_status_changed", subject=f"rail:{rail.pk}"
    ).exists()
    assert rail.outcomes.filter(outcome="seized").count() == 3


def test_failures_count_too_but_two_are_not_yet_a_pattern(
    coordinator, treasurer, second_treasurer, bank
):
    _owed_at_watched_bank(coordinator, treasurer, 2)
    batch = _send(treasurer, second_treasurer, bank)

    _confirm(batch, "failed", treasurer.user)

    assert _watched_rail().status == PayoutRail.Status.WORKING


def test_old_seizures_outside_the_window_do_not_count(
    coordinator, treasurer, second_treasurer, bank
):
    _owed_at_watched_bank(coordinator, treasurer, 3)
    batch = _send(treasurer, second_treasurer, bank)
    long_ago = timezone.localdate() - datetime.timedelta(days=rail_register.WINDOW_DAYS + 10)

    _confirm(batch, "seized", treasurer.user, on=long_ago)

    assert _watched_rail().status == PayoutRail.Status.WORKING


def test_the_same_confirmation_file_twice_counts_once(
    coordinator, treasurer, second_treasurer, bank
):
    _owed_at_watched_bank(coordinator, treasurer, 2)
    batch = _send(treasurer, second_treasurer, bank)

    _confirm(batch, "seized", treasurer.user)
    _confirm(batch, "seized", treasurer.user)

    assert _watched_rail().outcomes.count() == 2
    assert _watched_rail().status == PayoutRail.Status.WORKING


def test_a_treasurer_is_warned_about_a_suspect_rail_and_must_confirm(
    coordinator, treasurer, second_treasurer, bank
):
    # Given a rail made suspect by three seizures, and a new recipient at the same bank
    _owed_at_watched_bank(coordinator, treasurer, 3)
    _confirm(_send(treasurer, second_treasurer, bank), "seized", treasurer.user)
    newcomer = _owed_at_watched_bank(coordinator, treasurer, 1)[0]

    # When the treasurer prepares a batch, it is refused with the rail named
    with pytest.raises(rail_register.SuspectRailError) as refused:
        payouts.prepare_batch(by=treasurer.user, rail="sepa", held_account=bank)
    assert refused.value.count == 1
    assert refused.value.rails == [_watched_rail()]
    assert not PayoutItem.objects.filter(commitment__case=newcomer.case).exists()

    # and only an explicit confirmation puts the payment in a batch
    confirmed = payouts.prepare_batch(
        by=treasurer.user, rail="sepa", held_account=bank, include_suspect=True
    )
    assert confirmed.items.get().commitment.case == newcomer.case
    event = AuditEvent.objects.get(action="payout.batch_prepared", subject=f"batch:{confirmed.pk}")
    assert event.details["on_suspect_rails"] == 1


def test_five_seizures_burn_the_rail_and_a_burned_rail_is_refused(
    coordinator, treasurer, second_treasurer, bank
):
    # Given five seized payments at one bank, and a sixth recipient there not yet paid
    five = _owed_at_watched_bank(coordinator, treasurer, 5)
    newcomer = _owed_at_watched_bank(coordinator, treasurer, 1)[0]
    first_five = [p.commitments.get().pk for p in five]
    batch = _send(treasurer, second_treasurer, bank, commitment_ids=first_five)
    _confirm(batch, "seized", treasurer.user)
    rail = _watched_rail()
    assert rail.status == PayoutRail.Status.BURNED
    assert [c.after for c in rail.changes.order_by("id")] == ["suspect", "burned"]

    # When the sixth is owed money, nothing goes down that rail, even with the suspect box
    # ticked
    with pytest.raises(rail_register.HeldBackError) as refused:
        payouts.prepare_batch(
            by=treasurer.user, rail="sepa", held_account=bank, include_suspect=True
        )
    assert (refused.value.burned, refused.value.waiting) == (1, 0)

    # while a recipient at another bank is paid, and the batch says what it left out
    elsewhere = make_active_plan(by=coordinator.user, items=[{"kind": "debt", "amount": "99.00"}])
    make_destination(elsewhere.case, "sepa", by=treasurer.user, iban=canary_iban())
    batch = payouts.prepare_batch(by=treasurer.user, rail="sepa", held_account=bank)
    assert [i.commitment.case for i in batch.items.all()] == [elsewhere.case]
    assert batch.held_burned == 1
    assert Commitment.objects.get(case=newcomer.case).status == Commitment.Status.OPEN


def test_a_treasurer_sets_a_status_by_hand_with_a_reason(
    coordinator, treasurer, second_treasurer, bank
):
    _owed_at_watched_bank(coordinator, treasurer, 3)
    _confirm(_send(treasurer, second_treasurer, bank), "seized", treasurer.user)
    rail = _watched_rail()

    with pytest.raises(rail_register.RailStatusError):
        rail_register.set_rail_status(rail, "working", by=treasurer.user, reason="  ")
    with pytest.raises(NotAllowedError):
        rail_register.set_rail_status(rail, "working", by=coordinator.user, reason="Cleared")

    rail_register.set_rail_status(
        rail, "working", by=treasurer.user, reason="The bank lifted the order"
    )

    rail.refresh_from_db()
    assert rail.status == PayoutRail.Status.WORKING
    change = rail.changes.order_by("-id").first()
    assert (change.changed_by, change.reason) == (treasurer.user, "The bank lifted the order")
    event = AuditEvent.objects.get(action="payout.rail_status_set")
    assert event.actor == treasurer.user
    assert event.details["status"] == "working"

    # A cleared rail starts with a clean count: one more failure does not make it suspect.
    _owed_at_watched_bank(coordinator, treasurer, 1)
    _confirm(_send(treasurer, second_treasurer, bank), "failed", treasurer.user)
    rail.refresh_from_db()
    assert rail.status == PayoutRail.Status.WORKING


# --- the staff page ------------------------------------------------------------------------------


def test_the_rails_page_lists_status_counts_and_history(
    client, coordinator, treasurer, second_treasurer, bank
):
    _owed_at_watched_bank(coordinator, treasurer, 3)
    _confirm(_send(treasurer, second_treasurer, bank), "seized", treasurer.user)
    log_in(client, treasurer)

    page = client.get(reverse("ledger:rails")).content.decode()

    assert f"BIC {WATCHED_BIC}" in page
    assert "Suspect" in page
    assert "3 seized and 0 failed payments" in page


def test_a_treasurer_sets_a_status_on_the_page_and_a_coordinator_cannot(
    client, coordinator, treasurer
):
    _owed_at_watched_bank(coordinator, treasurer, 1)
    rail = _watched_rail()
    log_in(client, coordinator)
    client.post(reverse("ledger:rails"), {"rail": rail.pk, "status": "burned", "reason": "Raided"})
    rail.refresh_from_db()
    assert rail.status == PayoutRail.Status.WORKING

    client.post(reverse("staff:logout"))
    log_in(client, treasurer)
    response = client.post(
        reverse("ledger:rails"), {"rail": rail.pk, "status": "burned", "reason": ""}, follow=True
    )
    assert "Choose a status and give a reason." in response.content.decode()
    client.post(
        reverse("ledger:rails"), {"rail": rail.pk, "status": "burned", "reason": "Bank raided"}
    )
    rail.refresh_from_db()
    assert (rail.status, rail.status_reason) == ("burned", "Bank raided")


def test_the_batch_page_warns_and_a_ticked_box_confirms(
    client, coordinator, treasurer, second_treasurer, bank
):
    _owed_at_watched_bank(coordinator, treasurer, 3)
    _confirm(_send(treasurer, second_treasurer, bank), "seized", treasurer.user)
    _owed_at_watched_bank(coordinator, treasurer, 1)
    log_in(client, treasurer)
    form = {
        "rail": "sepa",
        "held_account": bank.pk,
        "execution_date": timezone.localdate().isoformat(),
        "remittance": "Transfer",
    }
    before = set(payouts.PayoutBatch.objects.values_list("pk", flat=True))

    page = client.post(reverse("ledger:batches"), form).content.decode()

    assert "would go down rails marked suspect" in page
    assert set(payouts.PayoutBatch.objects.values_list("pk", flat=True)) == before

    response = client.post(reverse("ledger:batches"), {**form, "include_suspect": "on"})
    assert response.status_code == 302
    assert payouts.PayoutBatch.objects.exclude(pk__in=before).count() == 1


# --- tranches ------------------------------------------------------------------------------------


@given(
    cents=st.integers(min_value=1, max_value=int(MAX_AMOUNT * 100)),
    parts=st.integers(min_value=2, max_value=plans.MAX_TRANCHES),
)
def test_tranches_always_sum_exactly_to_the_amount(cents, parts):
    amount = Decimal(cents) / 100
    if cents < parts:
        with pytest.raises(MoneyError):
            plans.split_amount(amount, parts)
        return
    tranches = plans.split_amount(amount, parts)
    assert len(tranches) == parts
    assert sum(tranches, Decimal("0.00")) == amount
    assert max(tranches) - min(tranches) <= Decimal("0.01")
    assert all(t == t.quantize(Decimal("0.01")) and t > 0 for t in tranches)


def test_a_payment_split_into_tranches_keeps_the_books_balanced(coordinator, treasurer, bank):
    plan = make_active_plan(by=coordinator.user, items=[{"kind": "debt", "amount": "1000.00"}])
    make_destination(plan.case, "sepa", by=treasurer.user)
    original = plan.commitments.get()
    owed = services.standard_account(Account.Purpose.COMMITMENTS, "EUR")
    owed_before = Account.objects.get(pk=owed.pk).balance

    tranches = plans.split_commitment(
        original, 3, every_days=7, by=treasurer.user, reason="Card limits"
    )

    assert [t.amount for t in tranches] == [Decimal("333.34"), Decimal("333.33"), Decimal("333.33")]
    assert [(t.due_on - original.due_on).days for t in tranches] == [0, 7, 14]
    original.refresh_from_db()
    assert original.status == Commitment.Status.CANCELLED
    assert all(t.tranche_of == original for t in tranches)
    # The total owed is unchanged to the cent, and every entry balances.
    assert Account.objects.get(pk=owed.pk).balance == owed_before
    for entry in Entry.objects.all():
        assert sum(p.amount for p in entry.postings.all()) == 0
    # Only the tranche due today goes in today's batch.
    batch = payouts.prepare_batch(by=treasurer.user, rail="sepa", held_account=bank)
    assert [i.amount for i in batch.items.all()] == [Decimal("333.34")]
    with pytest.raises(plans.PlanStateError):
        plans.split_commitment(original, 2, every_days=7, by=treasurer.user, reason="again")


# --- paying a provider's invoice -----------------------------------------------------------------


def test_a_course_fee_is_paid_to_the_providers_invoice(
    coordinator, treasurer, second_treasurer, bank
):
    plan = make_active_plan(by=coordinator.user, items=[{"kind": "course", "amount": "1450.00"}])
    school_iban = canary_iban()
    destination = make_destination(
        plan.case, "invoice", by=treasurer.user, iban=school_iban, reference="INV 2026/118"
    )
    assert destination.payout_rail.kind == PayoutRail.Kind.PROVIDER

    batch = payouts.prepare_batch(by=treasurer.user, rail="invoice", held_account=bank)
    payouts.approve_batch(batch, by=second_treasurer.user)
    exported = payouts.export_batch(
        batch,
        by=treasurer.user,
        staff_private_key=keyring.unlock_staff_key(treasurer.user, treasurer.passphrase),
    )

    text = exported.data.decode()
    xmlschema.XMLSchema(PAIN_001).validate(text)
    assert school_iban in text
    assert "<Nm>Coding School UAB</Nm>" in text
    assert "<Ustrd>INV 2026/118</Ustrd>" in text
    assert '<InstdAmt Ccy="EUR">1450.00</InstdAmt>' in text
    assert exported.filename.endswith("-invoices.xml")


@pytest.mark.parametrize(
    "details",
    [
        {"provider": "", "iban": "LT121000011101001000", "reference": "INV1"},
        {"provider": "School", "iban": "LT121000011101001000", "reference": ""},
        {"provider": "School", "iban": "LT121000011101001000", "reference": "x" * 36},
        {"provider": "School", "iban": "BY13NBRB3600900000002Z00AB00", "reference": "INV1"},
    ],
)
def test_an_incomplete_invoice_is_refused_with_a_reason(coordinator, treasurer, details):
    plan = make_active_plan(by=coordinator.user)
    with pytest.raises(rails.DestinationError):
        payouts.add_destination(plan.case, "invoice", details, by=treasurer.user)
    assert not PayoutDestination.objects.exists()


# --- guidance before the first payment -----------------------------------------------------------


def _applicant_owed(coordinator) -> tuple:
    receipt = make_application()
    Case.objects.filter(code=receipt.case_code).update(status=Case.Status.VERIFIED)
    case = Case.objects.get(code=receipt.case_code)
    make_active_plan(by=coordinator.user, case=case, items=[{"kind": "debt", "amount": "700.00"}])
    return receipt, case


def test_the_first_payment_waits_until_the_recipient_reads_the_guidance(
    client, coordinator, treasurer, bank
):
    # Given an owed recipient and a new account to pay them on
    receipt, case = _applicant_owed(coordinator)
    destination = make_destination(
        case, "sepa", by=treasurer.user, acknowledged=False, iban=canary_iban()
    )

    # The first payment waits
    with pytest.raises(rail_register.HeldBackError) as held:
        payouts.prepare_batch(by=treasurer.user, rail="sepa", held_account=bank)
    assert held.value.waiting == 1

    # When the applicant opens their status page, the guidance is there
    client.post("/status/", {"code": receipt.case_code, "passphrase": receipt.passphrase})
    page = client.get("/status/case/").content.decode()
    assert "Before your first payment: read this" in page
    assert "Do not keep more money on this account" in page
    assert "the fund can pay a course, a lawyer or another provider directly" in page

    # and they acknowledge it
    response = client.post(reverse("intake:status_guidance", args=[destination.pk]))
    assert response.status_code == 302
    destination.refresh_from_db()
    assert destination.guidance_acknowledged_on == timezone.localdate()
    # Only the day is kept, and no audit event with a time of day: an applicant's action is
    # never recorded in a way that could be matched to a network log.
    assert not AuditEvent.objects.filter(subject=case.code, actor__isnull=True).exists()
    page = client.get("/status/case/?read=1").content.decode()
    assert "Before your first payment" not in page
    assert "The fund can now send your first payment." in page

    # Then the payment goes
    batch = payouts.prepare_batch(by=treasurer.user, rail="sepa", held_account=bank)
    assert batch.items.get().destination == destination


def test_a_card_in_a_watched_country_gets_the_warning(client, coordinator, treasurer):
    receipt, case = _applicant_owed(coordinator)
    make_destination(case, "csv", by=treasurer.user, acknowledged=False, country="BY")

    client.post("/status/", {"code": receipt.case_code, "passphrase": receipt.passphrase})
    page = client.get("/status/case/").content.decode()

    assert "Transfers to cards are watched" in page
    assert "Transfers into this country are watched" in page


def test_an_applicant_cannot_acknowledge_another_cases_destination(client, coordinator, treasurer):
    receipt, _case = _applicant_owed(coordinator)
    _other_receipt, other_case = _applicant_owed(coordinator)
    theirs = make_destination(other_case, "sepa", by=treasurer.user, acknowledged=False)
    client.post("/status/", {"code": receipt.case_code, "passphrase": receipt.passphrase})

    response = client.post(reverse("intake:status_guidance", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.guidance_acknowledged_on is None
    # and nobody without a receipt gets anywhere
    assert client.__class__().post(reverse("intake:status_guidance", args=[theirs.pk]))[
        "Location"
    ] == reverse("intake:status")


def test_a_treasurer_may_override_the_guidance_with_a_reason(coordinator, treasurer, bank):
    _receipt, case = _applicant_owed(coordinator)
    destination = make_destination(case, "sepa", by=treasurer.user, acknowledged=False)

    with pytest.raises(rail_register.GuidanceError):
        rail_register.override_guidance(destination, by=treasurer.user, reason=" ")
    with pytest.raises(NotAllowedError):
        rail_register.override_guidance(destination, by=coordinator.user, reason="Urgent")
    rail_register.override_guidance(destination, by=treasurer.user, reason="Told by phone")

    event = AuditEvent.objects.get(action="payout.guidance_overridden")
    assert event.actor == treasurer.user
    assert event.details["reason"] == "Told by phone"
    batch = payouts.prepare_batch(by=treasurer.user, rail="sepa", held_account=bank)
    assert batch.items.get().destination == destination


@pytest.mark.parametrize(
    ("language", "phrase"), [("be", "Фонд аплачвае"), ("ru", "Фонд оплачивает")]
)
def test_the_guidance_is_read_in_the_applicants_language(coordinator, treasurer, language, phrase):
    plan = make_active_plan(by=coordinator.user, items=[{"kind": "course", "amount": "900.00"}])
    destination = make_destination(plan.case, "invoice", by=treasurer.user, acknowledged=False)

    with translation.override(language):
        paragraphs = rail_register.guidance_for(destination)

    assert paragraphs[0].startswith(phrase)


def test_the_plan_page_splits_a_payment_and_shows_what_waits_for_guidance(
    client, coordinator, treasurer
):
    plan = make_active_plan(by=coordinator.user, items=[{"kind": "debt", "amount": "900.00"}])
    make_destination(plan.case, "csv", by=treasurer.user, acknowledged=False, country="BY")
    original = plan.commitments.get()
    log_in(client, treasurer)

    page = client.get(reverse("ledger:plan", args=[plan.pk])).content.decode()
    assert "The first payment waits until the recipient reads the guidance" in page
    assert "Pay without waiting" in page

    response = client.post(
        reverse("ledger:plan", args=[plan.pk]),
        {"action": "split", "commitment": original.pk, "parts": 3, "every_days": 10, "reason": "x"},
    )
    assert response.status_code == 302
    assert sorted(original.tranches.values_list("amount", flat=True)) == [Decimal("300.00")] * 3

    # Bad input is a message, not a 500 and not a half-split payment.
    tranche = original.tranches.first()
    page = client.post(
        reverse("ledger:plan", args=[plan.pk]),
        {"action": "split", "commitment": tranche.pk, "parts": 40, "every_days": 10, "reason": "x"},
        follow=True,
    ).content.decode()
    assert "Give 2 to 12 tranches" in page
    assert not tranche.tranches.exists()


def test_the_owed_list_marks_payments_on_a_suspect_rail(client, coordinator, treasurer):
    _owed_at_watched_bank(coordinator, treasurer, 1)
    rail_register.set_rail_status(
        _watched_rail(), "suspect", by=treasurer.user, reason="Heard from another fund"
    )
    log_in(client, treasurer)

    page = client.get(reverse("ledger:commitments")).content.decode()

    assert "(rail Suspect)" in page


def test_nothing_new_is_routed_onto_a_burned_rail(coordinator, treasurer):
    plan = make_active_plan(by=coordinator.user)
    other = make_destination(
        plan.case, "sepa", by=treasurer.user, iban=canary_iban(), bic="CBVILT2X"
    )
    watched = make_destination(
        plan.case, "sepa", by=treasurer.user, iban=canary_iban(), bic=WATCHED_BIC
    )
    rail_register.set_rail_status(_watched_rail(), "burned", by=treasurer.user, reason="Seized")

    # A new account at the burned bank is refused before anything is stored
    with pytest.raises(rails.DestinationError, match="being seized"):
        make_destination(plan.case, "sepa", by=treasurer.user, iban=canary_iban(), bic=WATCHED_BIC)
    assert plan.case.payout_destinations.count() == 2

    # and a payment cannot be re-routed onto one already recorded there
    commitment = plan.commitments.get()
    with pytest.raises(payouts.RouteError):
        payouts.reroute_commitment(commitment, watched, by=treasurer.user, reason="try")
    payouts.reroute_commitment(commitment, other, by=treasurer.user, reason="safer bank")
