"""Payouts: the payout key, sealed destinations, four-eyes batches, exports and confirmations.

The rules this module keeps:

* A destination (IBAN, card, wallet, holder's name) is never stored in clear. It is sealed
  to the fund's *payout key* and to the case key. The payout private key exists only sealed
  to each treasurer's and coordinator's personal key, so a treasurer can pay people without
  holding the intake key that opens whole cases, and a seized server can pay nobody.
* A treasurer prepares a batch from what is due; somebody else approves it (the database
  refuses the same person twice as well); only then is it exported, in an unlocked session,
  as a file streamed to the browser and never written down.
* The first export books every payment as sent; exporting again yields the same file with
  the same message and end-to-end ids and books nothing, and a commitment can have only one
  live payment at a time, so nobody can be paid twice by exporting twice.
* A confirmation marks each payment paid, failed or seized. Failed and seized payments go
  back to owed with the reason; a seized destination is blocked, and the payment is re-routed.
* Every destination is linked to its rail (bank, card range, network), and each outcome is
  counted against it (``rail_register``): a batch warns about suspect rails, leaves out burned
  ones, and holds a first payment until the recipient has read the guidance about their rail.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from solidarity.accounts.models import User
from solidarity.audit import services as audit
from solidarity.cases.models import Case
from solidarity.ledger import rail_register, rails, roles, services
from solidarity.ledger.models import (
    Account,
    Commitment,
    Entry,
    PayoutBatch,
    PayoutDestination,
    PayoutItem,
    PayoutKey,
    PayoutKeyWrap,
    Rail,
)
from solidarity.ledger.money import MoneyError, to_amount
from solidarity.vault import core, escrow
from solidarity.vault.models import StaffKey

# What a recipient's statement shows unless the treasurer writes something else. A fund's
# name, "support" or "aid" on a transfer into Belarus is what gets a card blocked.
DEFAULT_REMITTANCE = "Transfer"
# Largest confirmation file we read in one go (bytes): a bank's day of confirmations is far less.
MAX_CONFIRMATION_BYTES = 2 * 1024 * 1024


class NoPayoutKeyError(core.VaultError):
    """This staff member holds no copy of the payout key (or the fund has none yet)."""


class FourEyesError(Exception):
    """The person who prepared a batch may not approve it."""


class BatchStateError(Exception):
    """The batch is not in a state that allows this."""


class NothingDueError(Exception):
    """No commitment is due on this rail and in this currency."""


class RouteError(Exception):
    """This payment cannot go to that destination."""


# --- the payout key ------------------------------------------------------------------------------


def _eligible_staff() -> Iterable[StaffKey]:
    return StaffKey.objects.filter(
        user__role__in=list(roles.MONEY_ROLES), user__is_active=True
    ).select_related("user")


@transaction.atomic
def ensure_payout_key() -> PayoutKey:
    """The fund's payout key, made on first use and sealed to every treasurer and coordinator.

    Making it needs no secret: the private half is sealed to public keys and forgotten.
    """
    existing = PayoutKey.objects.select_for_update().order_by("id").first()
    if existing is not None:
        return existing
    pair = core.generate_keypair()
    key = PayoutKey.objects.create(public_key=pair.public_key)
    for staff_key in _eligible_staff():
        PayoutKeyWrap.objects.create(
            user=staff_key.user,
            payout_private_key_sealed=core.seal_to(bytes(staff_key.public_key), pair.private_key),
        )
    escrow.escrow_key("payout", pair.private_key)  # no-op until trustees hold a recovery key
    audit.record("payout_key.created", subject=f"payout_key:{key.pk}")
    return key


def open_payout_key(user, staff_private_key: bytes) -> bytes:
    """The payout private key, opened with this staff member's unlocked key. Raises NoPayoutKeyError."""
    wrap = PayoutKeyWrap.objects.filter(user=user).first()
    if wrap is None or not roles.has_role(user, roles.MONEY_ROLES):
        raise NoPayoutKeyError("no payout key for this account")
    return core.open_sealed(staff_private_key, bytes(wrap.payout_private_key_sealed))


def staff_without_payout_key() -> list[User]:
    held = set(PayoutKeyWrap.objects.values_list("user_id", flat=True))
    return [s.user for s in _eligible_staff() if s.user_id not in held]


@transaction.atomic
def share_payout_key(holder, staff_private_key: bytes) -> list[User]:
    """Seal the payout key to every treasurer and coordinator who lacks it (new staff).

    Raises NoPayoutKeyError if the holder cannot open it.
    """
    private = open_payout_key(holder, staff_private_key)
    given = []
    for user in staff_without_payout_key():
        staff_key = StaffKey.objects.get(user=user)
        PayoutKeyWrap.objects.create(
            user=user, payout_private_key_sealed=core.seal_to(bytes(staff_key.public_key), private)
        )
        given.append(user)
    audit.record(
        "payout_key.shared", actor=holder, subject="payout_key", staff=[u.username for u in given]
    )
    return given


# --- destinations --------------------------------------------------------------------------------


def _seal_details(public_key: bytes, rail: str, details: dict) -> bytes:
    document = json.dumps({"rail": rail, **details}, ensure_ascii=False, sort_keys=True)
    return core.seal_to(public_key, document.encode("utf-8"))


@transaction.atomic
def add_destination(case: Case, rail: str, details: dict, *, by) -> PayoutDestination:
    """Check a destination for its rail and store it sealed. Needs no unlocked key.

    Raises rails.DestinationError for a bad IBAN, card number or wallet, or a burned rail;
    NotAllowedError.
    """
    roles.require(by, roles.MONEY_ROLES)
    adapter = rails.adapter(rail)
    cleaned = adapter.clean_details(details)
    rail_register.refuse_burned(adapter, cleaned)
    payout_key = ensure_payout_key()
    destination = PayoutDestination.objects.create(
        case=case,
        rail=rail,
        details_for_payouts_sealed=_seal_details(bytes(payout_key.public_key), rail, cleaned),
        details_for_case_sealed=_seal_details(bytes(case.case_public_key), rail, cleaned),
        created_by=by,
        created_on=timezone.localdate(),
    )
    payout_rail = rail_register.link_destination(destination, adapter, cleaned)
    audit.record(
        "payout.destination_added",
        actor=by,
        subject=case.code,
        destination=destination.pk,
        rail=rail,
        payout_rail=payout_rail.pk,
    )
    return destination


def open_destination(destination: PayoutDestination, payout_private_key: bytes) -> dict:
    plain = core.open_sealed(payout_private_key, bytes(destination.details_for_payouts_sealed))
    return json.loads(plain.decode("utf-8"))


def masked_destinations(
    destinations: Iterable[PayoutDestination], user, staff_private_key: bytes | None
) -> dict[int, str]:
    """{destination id: masked text}: the last digits only, and only in an unlocked session."""
    if staff_private_key is None:
        return {}
    try:
        private = open_payout_key(user, staff_private_key)
    except (NoPayoutKeyError, core.VaultError):
        return {}
    out = {}
    for destination in destinations:
        try:
            details = open_destination(destination, private)
        except core.VaultError:
            continue
        out[destination.pk] = rails.adapter(destination.rail).mask(details)
    return out


@transaction.atomic
def block_destination(destination: PayoutDestination, *, by, reason: str) -> PayoutDestination:
    """Stop paying to a destination (card blocked, account watched). Raises NotAllowedError."""
    roles.require(by, roles.MONEY_ROLES)
    destination.status = PayoutDestination.Status.BLOCKED
    destination.status_reason = reason.strip()[:200]
    destination.save(update_fields=["status", "status_reason"])
    audit.record(
        "payout.destination_blocked",
        actor=by,
        subject=destination.case.code,
        destination=destination.pk,
    )
    return destination


def route_for(commitment: Commitment) -> PayoutDestination | None:
    """Where a payment goes: its chosen destination while usable, else the case's newest usable one."""
    chosen = commitment.destination
    if chosen is not None and chosen.status == PayoutDestination.Status.ACTIVE:
        return chosen
    return (
        PayoutDestination.objects.filter(
            case_id=commitment.case_id, status=PayoutDestination.Status.ACTIVE
        )
        .order_by("-id")
        .first()
    )


@transaction.atomic
def reroute_commitment(
    commitment: Commitment, destination: PayoutDestination, *, by, reason: str
) -> Commitment:
    """Send an owed payment to another destination of the same case, on any rail.

    Raises RouteError or NotAllowedError.
    """
    roles.require(by, roles.MONEY_ROLES)
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if commitment.status != Commitment.Status.OPEN:
        raise RouteError("only an owed payment can be re-routed")
    if destination.case_id != commitment.case_id:
        raise RouteError("that destination belongs to another case")
    if destination.status != PayoutDestination.Status.ACTIVE:
        raise RouteError("that destination is blocked")
    if (
        destination.payout_rail is not None
        and destination.payout_rail.status == destination.payout_rail.Status.BURNED
    ):
        raise RouteError("that destination is on a burned rail")
    commitment.destination = destination
    commitment.save(update_fields=["destination"])
    audit.record(
        "payout.rerouted",
        actor=by,
        subject=commitment.case.code,
        commitment=commitment.pk,
        destination=destination.pk,
        rail=destination.rail,
        reason=reason.strip()[:200],
    )
    return commitment


# --- what is due --------------------------------------------------------------------------------


def due_commitments(
    as_of: datetime.date | None = None, *, currency: str | None = None
) -> list[Commitment]:
    as_of = as_of or timezone.localdate()
    qs = Commitment.objects.filter(status=Commitment.Status.OPEN, due_on__lte=as_of).select_related(
        "case", "destination"
    )
    if currency:
        qs = qs.filter(currency=currency)
    return list(qs.order_by("due_on", "id"))


# --- batches ------------------------------------------------------------------------------------


def _new_message_id(today: datetime.date) -> str:
    # 3 + 6 + 10 = 19 characters, leaving room for "-<n>" end-to-end ids within SEPA's 35.
    return f"SOL{today:%y%m%d}{secrets.token_hex(5).upper()}"


@transaction.atomic
def prepare_batch(
    *,
    by,
    rail: str,
    held_account: Account,
    remittance: str = DEFAULT_REMITTANCE,
    execution_date: datetime.date | None = None,
    as_of: datetime.date | None = None,
    commitment_ids: Iterable[int] | None = None,
    include_suspect: bool = False,
) -> PayoutBatch:
    """Put every due commitment routed to ``rail`` in the held account's currency in a new batch.

    Payments down a burned rail are left out, and so is a first payment to a destination
    whose guidance is not acknowledged (or overridden); ``batch.held_burned`` and
    ``batch.held_for_guidance`` say how many. Payments down a suspect rail go in only with
    ``include_suspect``.

    Raises NotAllowedError (treasurers prepare), NothingDueError, RouteError,
    rail_register.SuspectRailError, rail_register.HeldBackError.
    """
    roles.require(by, roles.TREASURY_ROLES)
    if held_account.purpose != Account.Purpose.HELD:
        raise RouteError("payouts are paid from a held account")
    adapter = rails.adapter(rail)
    currency = held_account.currency
    if currency not in adapter.CURRENCIES:
        raise RouteError(f"this rail does not pay in {currency}")
    today = timezone.localdate()
    candidates = Commitment.objects.select_for_update(of=("self",)).filter(
        status=Commitment.Status.OPEN, due_on__lte=as_of or today, currency=currency
    )
    if commitment_ids is not None:
        candidates = candidates.filter(pk__in=list(commitment_ids))
    routed = []
    for commitment in candidates.select_related("destination").order_by("due_on", "id"):
        destination = route_for(commitment)
        if destination is not None and destination.rail == rail:
            routed.append((commitment, destination))
    if not routed:
        raise NothingDueError(rail)
    screened = rail_register.screen(routed)
    if screened.suspect and not include_suspect:
        raise rail_register.SuspectRailError(screened.suspect_rails(), len(screened.suspect))
    # In due order, as before screening: end-to-end ids follow the due dates.
    allowed = {c.pk for c, _d in screened.ok + screened.suspect}
    chosen = [(c, d) for c, d in routed if c.pk in allowed]
    if not chosen:
        raise rail_register.HeldBackError(len(screened.burned), len(screened.waiting))
    message_id = _new_message_id(today)
    batch = PayoutBatch.objects.create(
        rail=rail,
        currency=currency,
        held_account=held_account,
        message_id=message_id,
        remittance=(remittance or DEFAULT_REMITTANCE).strip()[:140],
        execution_date=execution_date or today,
        prepared_by=by,
    )
    for n, (commitment, destination) in enumerate(chosen, start=1):
        PayoutItem.objects.create(
            batch=batch,
            commitment=commitment,
            destination=destination,
            amount=commitment.amount,
            currency=commitment.currency,
            end_to_end_id=f"{message_id}-{n}",
        )
        commitment.status = Commitment.Status.IN_BATCH
        commitment.save(update_fields=["status"])
    audit.record(
        "payout.batch_prepared",
        actor=by,
        subject=f"batch:{batch.pk}",
        rail=rail,
        currency=currency,
        items=len(chosen),
        total=str(sum((c.amount for c, _d in chosen), Decimal("0.00"))),
        on_suspect_rails=len(screened.suspect),
        held_burned=len(screened.burned),
        held_for_guidance=len(screened.waiting),
    )
    batch.held_burned = len(screened.burned)
    batch.held_for_guidance = len(screened.waiting)
    return batch


@transaction.atomic
def approve_batch(batch: PayoutBatch, *, by) -> PayoutBatch:
    """The second pair of eyes. Raises FourEyesError, BatchStateError or NotAllowedError."""
    roles.require(by, roles.APPROVER_ROLES)
    batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.prepared_by_id == by.pk:
        audit.record("payout.batch_self_approval_refused", actor=by, subject=f"batch:{batch.pk}")
        raise FourEyesError("the person who prepared a batch cannot approve it")
    if batch.status != PayoutBatch.Status.PREPARED:
        raise BatchStateError(batch.status)
    batch.status = PayoutBatch.Status.APPROVED
    batch.approved_by = by
    batch.approved_at = timezone.now()
    batch.save(update_fields=["status", "approved_by", "approved_at"])
    audit.record("payout.batch_approved", actor=by, subject=f"batch:{batch.pk}")
    return batch


@transaction.atomic
def cancel_batch(batch: PayoutBatch, *, by, reason: str) -> PayoutBatch:
    """Withdraw a batch that was not exported; its payments are owed again. Raises BatchStateError."""
    roles.require(by, roles.APPROVER_ROLES)
    batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status not in (PayoutBatch.Status.PREPARED, PayoutBatch.Status.APPROVED):
        raise BatchStateError(batch.status)
    for item in batch.items.select_related("commitment"):
        item.status = PayoutItem.Status.WITHDRAWN
        item.reason = reason.strip()[:200]
        item.save(update_fields=["status", "reason"])
        item.commitment.status = Commitment.Status.OPEN
        item.commitment.save(update_fields=["status"])
    batch.status = PayoutBatch.Status.CANCELLED
    batch.save(update_fields=["status"])
    audit.record(
        "payout.batch_cancelled", actor=by, subject=f"batch:{batch.pk}", reason=reason.strip()[:200]
    )
    return batch


def _post_sent(item: PayoutItem, *, by) -> Entry:
    return services.post_entry(
        Entry.Kind.PAYOUT_SENT,
        [
            (services.standard_account(Account.Purpose.COMMITMENTS, item.currency), item.amount),
            (services.standard_account(Account.Purpose.IN_TRANSIT, item.currency), -item.amount),
        ],
        memo=f"Payout {item.end_to_end_id} sent",
        by=by,
    )


@transaction.atomic
def export_batch(batch: PayoutBatch, *, by, staff_private_key: bytes) -> rails.ExportFile:
    """The file for the bank, agent or wallet, built in memory from the opened destinations.

    The first export books each payment as sent; a later one returns the same bytes and
    books nothing. Raises BatchStateError, NoPayoutKeyError, NotAllowedError,
    rails.ExportError or rails.DestinationError (then nothing is booked).
    """
    roles.require(by, roles.MONEY_ROLES)
    batch = PayoutBatch.objects.select_for_update().select_related("held_account").get(pk=batch.pk)
    if batch.status not in (PayoutBatch.Status.APPROVED, PayoutBatch.Status.EXPORTED):
        raise BatchStateError(batch.status)
    private = open_payout_key(by, staff_private_key)
    first = batch.status == PayoutBatch.Status.APPROVED
    now = timezone.now().replace(microsecond=0)
    items = list(batch.items.select_related("destination").order_by("id"))
    if first:
        for item in items:
            item.sent_entry = _post_sent(item, by=by)
            item.status = PayoutItem.Status.SENT
            item.save(update_fields=["sent_entry", "status"])
        batch.status = PayoutBatch.Status.EXPORTED
        batch.first_exported_at = now
    batch.export_count += 1
    batch.save(update_fields=["status", "first_exported_at", "export_count"])
    account = batch.held_account
    exported = rails.ExportBatch(
        message_id=batch.message_id,
        created_at=timezone.localtime(batch.first_exported_at),
        execution_date=batch.execution_date,
        currency=batch.currency,
        debtor={"holder": account.bank_holder, "iban": account.bank_iban, "bic": account.bank_bic},
        payments=[
            rails.ExportPayment(
                end_to_end_id=item.end_to_end_id,
                amount=item.amount,
                currency=item.currency,
                details=open_destination(item.destination, private),
                remittance=batch.remittance,
            )
            # Only payments still on their way: one confirmed failed is not sent again from here.
            for item in items
            if item.status in (PayoutItem.Status.SENT, PayoutItem.Status.PAID)
        ],
    )
    export_file = rails.adapter(batch.rail).export(exported)
    audit.record(
        "payout.batch_exported" if first else "payout.batch_reexported",
        actor=by,
        subject=f"batch:{batch.pk}",
        export=batch.export_count,
        items=len(exported.payments),
    )
    return export_file


# --- confirmations ------------------------------------------------------------------------------


@dataclass
class ConfirmationReport:
    paid: int = 0
    failed: int = 0
    seized: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


_OUTCOMES = {
    "paid": PayoutItem.Status.PAID,
    "failed": PayoutItem.Status.FAILED,
    "seized": PayoutItem.Status.SEIZED,
}


def _settle(item: PayoutItem, *, by, booked_on: datetime.date) -> Entry:
    account = item.batch.held_account
    return services.post_entry(
        Entry.Kind.PAYOUT_SETTLED,
        [
            (services.standard_account(Account.Purpose.IN_TRANSIT, item.currency), item.amount),
            (account, -item.amount),
        ],
        booked_on=booked_on,
        memo=f"Payout {item.end_to_end_id} left the bank",
        by=by,
    )


def _back_to_due(item: PayoutItem, outcome: str, reason: str, *, by) -> None:
    commitment = item.commitment
    commitment.status = Commitment.Status.OPEN
    commitment.last_failure = f"{outcome}: {reason}"[:200]
    fields = ["status", "last_failure"]
    if outcome == PayoutItem.Status.SEIZED:
        # Never pay to a seized card or account again: the next payment needs a new route.
        item.destination.status = PayoutDestination.Status.BLOCKED
        item.destination.status_reason = f"seized: {reason}"[:200]
        item.destination.save(update_fields=["status", "status_reason"])
        if commitment.destination_id == item.destination_id:
            commitment.destination = None
            fields.append("destination")
    commitment.save(update_fields=fields)


def apply_confirmation(
    item: PayoutItem,
    outcome: str,
    *,
    reason: str = "",
    fee: Decimal | None = None,
    on: datetime.date | None = None,
    by=None,
) -> bool:
    """Move one payment to paid, failed or seized. Returns False when nothing changed
    (the same confirmation twice). Raises BatchStateError for an impossible transition."""
    on = on or timezone.localdate()
    target = _OUTCOMES[outcome]
    item = (
        PayoutItem.objects.select_for_update()
        .select_related("batch__held_account", "commitment", "destination")
        .get(pk=item.pk)
    )
    if item.status == target:
        return False
    commitment = item.commitment
    if item.status == PayoutItem.Status.SENT and target == PayoutItem.Status.PAID:
        item.settled_entry = _settle(item, by=by, booked_on=on)
        commitment.status = Commitment.Status.PAID
        commitment.last_failure = ""
        commitment.save(update_fields=["status", "last_failure"])
    elif item.status == PayoutItem.Status.SENT and target == PayoutItem.Status.FAILED:
        # The money never left (or came straight back): undo the "sent" entry.
        item.undo_entry = services.reverse_entry(
            item.sent_entry,
            by=by,
            memo=f"Payout {item.end_to_end_id} failed",
            booked_on=on,
            audit_event=False,
        )
        _back_to_due(item, target, reason, by=by)
    elif target == PayoutItem.Status.SEIZED and item.status in (
        PayoutItem.Status.SENT,
        PayoutItem.Status.PAID,
    ):
        if item.status == PayoutItem.Status.SENT:
            item.settled_entry = _settle(item, by=by, booked_on=on)
        # The money left and is lost; the person is still owed it.
        item.undo_entry = services.post_entry(
            Entry.Kind.PAYOUT_SEIZED,
            [
                (services.standard_account(Account.Purpose.SEIZED, item.currency), item.amount),
                (
                    services.standard_account(Account.Purpose.COMMITMENTS, item.currency),
                    -item.amount,
                ),
            ],
            booked_on=on,
            memo=f"Payout {item.end_to_end_id} seized; owed again",
            by=by,
        )
        _back_to_due(item, target, reason, by=by)
    elif item.status == PayoutItem.Status.PAID and target == PayoutItem.Status.FAILED:
        # A late return: the money came back to our account and is owed again.
        item.undo_entry = services.post_entry(
            Entry.Kind.PAYOUT_RETURNED,
            [
                (item.batch.held_account, item.amount),
                (
                    services.standard_account(Account.Purpose.COMMITMENTS, item.currency),
                    -item.amount,
                ),
            ],
            booked_on=on,
            memo=f"Payout {item.end_to_end_id} returned",
            by=by,
        )
        _back_to_due(item, target, reason, by=by)
    else:
        raise BatchStateError(
            _("a payment that is %(now)s cannot become %(outcome)s")
            % {"now": item.status, "outcome": outcome}
        )
    item.status = target
    item.reason = reason[:200]
    item.confirmed_on = on
    item.save(update_fields=["status", "reason", "confirmed_on", "settled_entry", "undo_entry"])
    rail_register.record_outcome(item, target, on)
    if fee:
        account = item.batch.held_account
        services.post_entry(
            Entry.Kind.FEE,
            [
                (services.standard_account(Account.Purpose.FEES, account.currency), fee),
                (account, -fee),
            ],
            booked_on=on,
            memo=f"Fee for payout {item.end_to_end_id}",
            by=by,
        )
    return True


def _parse_day(value: str) -> datetime.date | None:
    value = (value or "").strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(_("dates are YYYY-MM-DD or DD.MM.YYYY"))


def import_confirmations(data: bytes, *, by) -> ConfirmationReport:
    """Read a confirmation CSV (end_to_end_id, status, reason, fee, date) line by line.

    Each line is applied in its own transaction; a bad line is reported and skipped.
    Importing the same file twice changes nothing the second time. Raises NotAllowedError.
    """
    roles.require(by, roles.MONEY_ROLES)
    report = ConfirmationReport()
    if len(data) > MAX_CONFIRMATION_BYTES:
        report.errors.append((0, _("file too large")))
        return report
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"end_to_end_id", "status"} <= {
        f.strip() for f in reader.fieldnames
    }:
        report.errors.append((1, _("the header must name end_to_end_id and status")))
        return report
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        outcome = row.get("status", "").lower()
        try:
            if outcome not in _OUTCOMES:
                raise ValueError(_("status must be paid, failed or seized"))
            fee = to_amount(row["fee"]) if row.get("fee") else None
            on = _parse_day(row.get("date", ""))
            with transaction.atomic():
                item = PayoutItem.objects.filter(end_to_end_id=row.get("end_to_end_id", "")).first()
                if item is None:
                    raise ValueError(_("no payment with this end-to-end id"))
                changed = apply_confirmation(
                    item, outcome, reason=row.get("reason", ""), fee=fee, on=on, by=by
                )
                if changed:
                    audit.record(
                        "payout.confirmed", actor=by, subject=item.end_to_end_id, status=outcome
                    )
        except (ValueError, MoneyError, BatchStateError, IntegrityError) as exc:
            report.errors.append((line, str(exc)))
            continue
        if not changed:
            report.unchanged += 1
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def batch_outstanding(batch: PayoutBatch) -> Decimal:
    return sum(
        (i.amount for i in batch.items.filter(status=PayoutItem.Status.SENT)), Decimal("0.00")
    )


def batches_waiting_for(user) -> list[PayoutBatch]:
    """Prepared batches this person could approve (not their own)."""
    if not roles.has_role(user, roles.APPROVER_ROLES):
        return []
    return list(
        PayoutBatch.objects.filter(Q(status=PayoutBatch.Status.PREPARED) & ~Q(prepared_by=user))
    )


RAIL_CHOICES = Rail.choices
