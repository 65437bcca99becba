"""The books: accounts, append-only entries and postings, donations, support plans and
commitments, payout destinations (sealed), batches and their items.

Rules about one row live here; workflows across rows (and every ledger entry) are written
by ``services``, ``donations``, ``plans`` and ``payouts``.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from solidarity.cases.models import Case, Programme
from solidarity.ledger.money import Currency, money_field

# Beancount's account name rules, so the books export without renaming anything: capitalised
# components of letters, digits and dashes, under one of the five roots.
ACCOUNT_CODE_RE = re.compile(
    r"^(Assets|Liabilities|Equity|Income|Expenses)(:[A-Z0-9][A-Za-z0-9-]*)+$"
)


class LedgerImmutableError(Exception):
    """Ledger entries and postings are never changed or deleted: post a reversing entry."""


# --- accounts and rates ---------------------------------------------------------------------


class Account(models.Model):
    """One account in one currency. ``balance`` caches the sum of its postings (debit positive)."""

    class Kind(models.TextChoices):
        ASSET = "asset", _("Asset")
        LIABILITY = "liability", _("Liability")
        EQUITY = "equity", _("Equity")
        INCOME = "income", _("Income")
        EXPENSE = "expense", _("Expense")

    class Purpose(models.TextChoices):
        HELD = "held", _("Money held at a bank, processor or wallet")
        DONATIONS = "donations", _("Donations received")
        COMMITMENTS = "commitments", _("Owed to beneficiaries")
        IN_TRANSIT = "in_transit", _("Payouts sent, not yet confirmed")
        SUPPORT = "support", _("Support given")
        FEES = "fees", _("Fees")
        SEIZED = "seized", _("Payouts seized")
        CONVERSION = "conversion", _("Currency conversion")
        OPENING = "opening", _("Opening balances")

    code = models.CharField(max_length=120, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    programme = models.CharField(max_length=20, choices=Programme.choices, blank=True)
    balance = money_field(default=0)
    opened_on = models.DateField()
    # For held bank accounts only: the fund's own account, the debtor in a SEPA file. These
    # are the fund's details, published to donors anyway, never a beneficiary's.
    bank_holder = models.CharField(max_length=70, blank=True)
    bank_iban = models.CharField(max_length=34, blank=True)
    bank_bic = models.CharField(max_length=11, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        if not ACCOUNT_CODE_RE.match(self.code):
            raise ValidationError({"code": _("Not a valid account name.")})

    @property
    def display_balance(self):
        """The balance as an accountant reads it: credit-normal accounts shown positive."""
        if self.kind in (self.Kind.ASSET, self.Kind.EXPENSE):
            return self.balance
        return -self.balance


class ExchangeRate(models.Model):
    """How many reporting-currency units one unit of ``currency`` was worth on a day."""

    currency = models.CharField(max_length=3, choices=Currency.choices)
    on = models.DateField()
    rate = models.DecimalField(max_digits=18, decimal_places=8)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["currency", "on"], name="rate_one_per_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="rate_positive"),
        ]
        ordering = ["-on", "currency"]


# --- entries and postings: append-only --------------------------------------------------------


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerImmutableError("ledger rows are never updated")

    def delete(self):
        raise LedgerImmutableError("ledger rows are never deleted")


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise LedgerImmutableError("ledger rows are never updated: post a reversing entry")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutableError("ledger rows are never deleted: post a reversing entry")


class Entry(AppendOnly):
    """One balanced transaction. Never edited; a correction is another entry that reverses it."""

    class Kind(models.TextChoices):
        DONATION = "donation", _("Donation")
        COMMITMENT = "commitment", _("Commitment recognised")
        PAYOUT_SENT = "payout_sent", _("Payout sent")
        PAYOUT_SETTLED = "payout_settled", _("Payout left the bank")
        PAYOUT_SEIZED = "payout_seized", _("Payout seized")
        PAYOUT_RETURNED = "payout_returned", _("Payout returned")
        FEE = "fee", _("Fee")
        TRANSFER = "transfer", _("Transfer between accounts")
        CONVERSION = "conversion", _("Currency conversion")
        OPENING = "opening", _("Opening balance")
        REVERSAL = "reversal", _("Reversal")

    booked_on = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # A short, non-identifying description: never a name, an IBAN or a wallet.
    memo = models.CharField(max_length=200, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(AppendOnly.Meta):
        ordering = ["booked_on", "id"]
        verbose_name_plural = "entries"

    def __str__(self) -> str:
        return f"#{self.pk} {self.booked_on} {self.kind}"


class Posting(AppendOnly):
    """One leg of an entry: a signed amount (debit positive) on one account, in its currency."""

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount = money_field()
    currency = models.CharField(max_length=3, choices=Currency.choices)

    class Meta(AppendOnly.Meta):
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="posting_not_zero")]


# --- donations ----------------------------------------------------------------------------------


class Campaign(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    goal = money_field()
    currency = models.CharField(max_length=3, choices=Currency.choices)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "slug"]

    def __str__(self) -> str:
        return self.name


class Donation(models.Model):
    """Money in. No donor identity is kept unless the donor asked for a receipt, and then only
    sealed: giving to this fund is prosecuted as "financing extremism" in Belarus."""

    class Channel(models.TextChoices):
        MANUAL = "manual", _("Entered by hand")
        BANK = "bank", _("Bank statement import")
        CARD = "card", _("Card processor")

    class Receipt(models.TextChoices):
        NONE = "", _("Not asked for")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Could not be sent")

    channel = models.CharField(max_length=8, choices=Channel.choices)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="donations"
    )
    amount = money_field()
    currency = models.CharField(max_length=3, choices=Currency.choices)
    received_on = models.DateField()
    held_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    # A keyed digest of the bank's transaction reference or the processor's charge id
    # (donor_protection.reference_digest): importing the same statement or hearing the same
    # webhook twice must not record the money twice, but the reference itself is on the
    # donor's card statement, so the clear text would tie the donor to the fund.
    reference_digest = models.CharField(max_length=32, null=True, blank=True)
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="donation")
    receipt = models.CharField(max_length=8, choices=Receipt.choices, blank=True, default="")
    # Only when the donor asked for a receipt: their address, sealed to the payout key, kept
    # until ``receipt_kept_until`` (SOLIDARITY_DONOR_RECEIPT_MONTHS), then `donors purge`.
    donor_contact_sealed = models.BinaryField(null=True, blank=True)
    receipt_kept_until = models.DateField(null=True, blank=True)
    # The card or bank was issued in a SOLIDARITY_HIGH_RISK_COUNTRIES country. Only this flag
    # is kept, never the country: the treasurer sees it, the donor was warned if possible.
    high_risk_origin = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["held_account", "reference_digest"],
                condition=Q(reference_digest__isnull=False),
                name="donation_reference_digest_once_per_account",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="donation_positive"),
        ]

    @property
    def refunded(self) -> bool:
        return hasattr(self.entry, "reversed_by")


class WebhookEvent(models.Model):
    """Every processor event we accepted, by a keyed digest of the processor's id (the id
    itself would let the processor's records be matched to ours): a replay is a no-op."""

    provider = models.CharField(max_length=20)
    event_digest = models.CharField(max_length=32)
    kind = models.CharField(max_length=40)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_digest"], name="webhook_event_digest_once"
            )
        ]


# --- support policies, plans and commitments -------------------------------------------------------


class SupportKind(models.TextChoices):
    DEBT = "debt", _("Contract-break debt")
    INCOME = "income", _("Lost income")
    COURSE = "course", _("Retraining course")
    LEGAL = "legal", _("Legal aid")
    OTHER = "other", _("Other support")


class SupportPolicy(models.Model):
    """What a programme pays, as caps. Never edited: a change is a new version with a reason."""

    programme = models.CharField(max_length=20, choices=Programme.choices)
    version = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=Currency.choices)
    debt_cap = money_field(default=0)
    monthly_income_cap = money_field(default=0)
    income_months = models.PositiveSmallIntegerField(default=0)
    course_cap = money_field(default=0)
    legal_aid_cap = money_field(default=0)
    # The rest of a debt above the cap may be pledged, due only on a future event (for example
    # "forgiven after a transition of power"): kept apart from what is owed now.
    pledge_debt_above_cap = models.BooleanField(default=False)
    pledge_event = models.CharField(max_length=120, blank=True)
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["programme", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "version"], name="policy_version_once")
        ]


class SupportPlan(models.Model):
    """What the fund will pay one verified case, built from the programme's policy."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="support_plans")
    policy = models.ForeignKey(SupportPolicy, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3, choices=Currency.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    # 1 (can wait) to 5 (most urgent): what the allocation helper maximises when money is short.
    priority = models.PositiveSmallIntegerField(default=3)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_on = models.DateField()
    activated_on = models.DateField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=~Q(status="closed"),
                name="plan_one_open_per_case",
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=5), name="plan_priority_range"
            ),
        ]


class PlanItem(models.Model):
    """One line of a plan: an amount (monthly for income) and how many months."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=8, choices=SupportKind.choices)
    amount = money_field()
    months = models.PositiveSmallIntegerField(default=1)
    contingent = models.BooleanField(default=False)
    event = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["id"]

    @property
    def total(self):
        return self.amount * self.months


class PlanChange(models.Model):
    """Why a plan's amounts changed, by whom, from what to what (amounts only)."""

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=300)
    before = models.JSONField(default=list)
    after = models.JSONField(default=list)

    class Meta:
        ordering = ["id"]


class Commitment(models.Model):
    """One scheduled payment to one case. Contingent pledges have no date until their event."""

    class Status(models.TextChoices):
        CONTINGENT = "contingent", _("Pledged on a future event")
        OPEN = "open", _("Owed")
        IN_BATCH = "in_batch", _("In a payout batch")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="commitments")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="commitments")
    kind = models.CharField(max_length=8, choices=SupportKind.choices)
    amount = money_field()
    currency = models.CharField(max_length=3, choices=Currency.choices)
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    event = models.CharField(max_length=120, blank=True)
    # Where to pay it; empty means the case's newest usable destination.
    destination = models.ForeignKey(
        "PayoutDestination", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Why the last payment attempt came back (failed or seized), shown until it is paid.
    last_failure = models.CharField(max_length=200, blank=True)
    recognised_entry = models.OneToOneField(
        Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_entry = models.OneToOneField(
        Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A tranche: one of several smaller payments a larger one was split into, so that a
    # frozen card or a watched account never sees the whole sum at once.
    tranche_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="tranches"
    )

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="commitment_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["contingent", "cancelled"]) | Q(due_on__isnull=False),
                name="commitment_dated_unless_contingent",
            ),
        ]


# --- payouts ------------------------------------------------------------------------------------


class PayoutKey(models.Model):
    """The public half of the fund's payout key (one row). Destinations are sealed to it, so
    treasurers can pay people without holding the intake key that opens whole cases."""

    public_key = models.BinaryField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)


class PayoutKeyWrap(models.Model):
    """The payout private key sealed to one treasurer's or coordinator's personal key."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payout_key_wrap"
    )
    payout_private_key_sealed = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)


class Rail(models.TextChoices):
    SEPA = "sepa", _("SEPA credit transfer")
    CSV = "csv", _("Bank or card transfer list (CSV)")
    CRYPTO = "crypto", _("Crypto wallet")
    INVOICE = "invoice", _("A provider's invoice (SEPA)")


class PayoutRail(models.Model):
    """One way money reaches people: a bank, a card issuer's BIN range, a crypto network, a
    provider's bank. The label names the rail, never the person: a bank code and country, a
    card's first six digits, a network. Its status comes from what confirmations report."""

    class Kind(models.TextChoices):
        BANK = "bank", _("Bank account")
        CARD = "card", _("Card")
        CRYPTO = "crypto", _("Crypto network")
        PROVIDER = "provider", _("Provider's invoice")

    class Status(models.TextChoices):
        WORKING = "working", _("Working")
        SUSPECT = "suspect", _("Suspect")
        BURNED = "burned", _("Burned")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    # ISO 3166 country of the bank or card issuer, when known.
    country = models.CharField(max_length=2, blank=True)
    label = models.CharField(max_length=40)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WORKING)
    status_reason = models.CharField(max_length=200, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_on = models.DateField()

    class Meta:
        ordering = ["kind", "country", "label"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "country", "label"], name="payout_rail_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label} {self.country}".strip()


class RailStatusChange(models.Model):
    """Why a rail's status changed: a treasurer's reason, or the count that tripped it."""

    rail = models.ForeignKey(PayoutRail, on_delete=models.CASCADE, related_name="changes")
    before = models.CharField(max_length=8, choices=PayoutRail.Status.choices)
    after = models.CharField(max_length=8, choices=PayoutRail.Status.choices)
    reason = models.CharField(max_length=200)
    # Empty when the confirmation import changed it.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]


class RailOutcome(models.Model):
    """What one confirmation said about one payment on a rail: the register's evidence."""

    rail = models.ForeignKey(PayoutRail, on_delete=models.CASCADE, related_name="outcomes")
    item = models.ForeignKey("PayoutItem", on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=10)
    on = models.DateField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "outcome"], name="rail_outcome_once_per_item")
        ]


class PayoutDestination(models.Model):
    """Where one case is paid. The details (IBAN, card, wallet, holder) exist only sealed: to
    the payout key for exports, and to the case key so shredding the case shreds them too."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("In use")
        BLOCKED = "blocked", _("Blocked (seized or failed)")
        RETIRED = "retired", _("Retired")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="payout_destinations")
    rail = models.CharField(max_length=8, choices=Rail.choices)
    details_for_payouts_sealed = models.BinaryField()
    details_for_case_sealed = models.BinaryField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_on = models.DateField()
    # The rail it travels on, derived from the details before they were sealed; the
    # details themselves are not kept here.
    payout_rail = models.ForeignKey(
        PayoutRail, null=True, blank=True, on_delete=models.PROTECT, related_name="destinations"
    )
    # The applicant read the guidance about this rail's risks (a day, no time of day).
    guidance_acknowledged_on = models.DateField(null=True, blank=True)
    # Or a treasurer let the first payment go without it, and said why.
    guidance_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    guidance_override_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_rail_display()} #{self.pk}"

    @property
    def guidance_settled(self) -> bool:
        return self.guidance_acknowledged_on is not None or bool(self.guidance_override_reason)


class PayoutBatch(models.Model):
    """Payments on one rail, in one currency, from one held account. Prepared by a treasurer,
    approved by somebody else, then exported."""

    class Status(models.TextChoices):
        PREPARED = "prepared", _("Prepared, waiting for approval")
        APPROVED = "approved", _("Approved, ready to export")
        EXPORTED = "exported", _("Exported")
        CANCELLED = "cancelled", _("Cancelled")

    rail = models.CharField(max_length=8, choices=Rail.choices)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    held_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREPARED)
    # The bank's duplicate check keys on this: a file exported twice carries the same id.
    message_id = models.CharField(max_length=35, unique=True)
    # What the recipient's bank statement shows. Deliberately bland: a fund's name on a
    # transfer into Belarus is what gets a card blocked.
    remittance = models.CharField(max_length=140)
    execution_date = models.DateField()
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    first_exported_at = models.DateTimeField(null=True, blank=True)
    export_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # Four eyes, held by the database too: nobody approves their own batch.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="batch_four_eyes",
            ),
        ]

    @property
    def total(self):
        return sum((i.amount for i in self.items.all()), start=Decimal("0.00"))


class PayoutItem(models.Model):
    """One payment in a batch: one commitment to one destination."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for export")
        SENT = "sent", _("Sent to the bank")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        SEIZED = "seized", _("Seized")
        WITHDRAWN = "withdrawn", _("Withdrawn before export")

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="items")
    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, related_name="payout_items"
    )
    destination = models.ForeignKey(PayoutDestination, on_delete=models.PROTECT, related_name="+")
    amount = money_field()
    currency = models.CharField(max_length=3, choices=Currency.choices)
    end_to_end_id = models.CharField(max_length=35, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=200, blank=True)
    confirmed_on = models.DateField(null=True, blank=True)
    sent_entry = models.OneToOneField(
        Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    settled_entry = models.OneToOneField(
        Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undo_entry = models.OneToOneField(
        Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            # However often a batch is exported or prepared, one commitment has at most one
            # payment on its way or done. A failed or seized one frees it for the next batch.
            models.UniqueConstraint(
                fields=["commitment"],
                condition=Q(status__in=["pending", "sent", "paid"]),
                name="payout_one_live_item_per_commitment",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_item_positive"),
        ]
