"""The double-entry core: accounts, balanced entries, reversals, rates and balances.

Every money movement in the fund goes through ``post_entry``: it refuses an entry that does
not balance in each currency, writes the postings and moves the cached balances in the same
transaction. Nothing is ever updated or deleted; ``reverse_entry`` is how a mistake is undone.
The workflows (donations, plans, payouts) call these inside their own transactions and write
their own audit events.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from solidarity.audit import services as audit
from solidarity.cases.models import Programme
from solidarity.ledger.models import ACCOUNT_CODE_RE, Account, Entry, ExchangeRate, Posting
from solidarity.ledger.money import (
    RATE_PLACES,
    REPORTING_CURRENCY,
    Currency,
    round_cents,
    to_amount,
)


class UnbalancedEntryError(Exception):
    """The postings of an entry do not sum to zero in every currency."""


class EntryAlreadyReversedError(Exception):
    """This entry was reversed already; reverse the reversal instead if that is meant."""


class UnknownRateError(Exception):
    """No exchange rate is recorded for this currency on or before this day."""


class AccountSetupError(Exception):
    """An account cannot be created as asked (bad name, duplicate, wrong currency)."""


# Which kind of account each purpose is, and how its name is built.
_PURPOSE_KIND = {
    Account.Purpose.HELD: Account.Kind.ASSET,
    Account.Purpose.DONATIONS: Account.Kind.INCOME,
    Account.Purpose.COMMITMENTS: Account.Kind.LIABILITY,
    Account.Purpose.IN_TRANSIT: Account.Kind.LIABILITY,
    Account.Purpose.SUPPORT: Account.Kind.EXPENSE,
    Account.Purpose.FEES: Account.Kind.EXPENSE,
    Account.Purpose.SEIZED: Account.Kind.EXPENSE,
    Account.Purpose.CONVERSION: Account.Kind.EQUITY,
    Account.Purpose.OPENING: Account.Kind.EQUITY,
}
_STANDARD_CODES = {
    Account.Purpose.DONATIONS: "Income:Donations:{cur}",
    Account.Purpose.COMMITMENTS: "Liabilities:Commitments:{cur}",
    Account.Purpose.IN_TRANSIT: "Liabilities:PayoutsInTransit:{cur}",
    Account.Purpose.SUPPORT: "Expenses:Support:{prog}:{cur}",
    Account.Purpose.FEES: "Expenses:Fees:{cur}",
    Account.Purpose.SEIZED: "Expenses:Seized:{cur}",
    Account.Purpose.CONVERSION: "Equity:Conversion:{cur}",
    Account.Purpose.OPENING: "Equity:Opening:{cur}",
}


def _camel(value: str) -> str:
    return "".join(part.capitalize() for part in value.replace("-", "_").split("_") if part)


def standard_account(purpose: str, currency: str, programme: str = "") -> Account:
    """The one account of a purpose in a currency (per programme for support), made on first use."""
    if purpose == Account.Purpose.HELD:
        raise AccountSetupError("held accounts are opened by name with open_held_account")
    if currency not in Currency.values:
        raise AccountSetupError(f"unknown currency {currency}")
    if purpose == Account.Purpose.SUPPORT and programme not in Programme.values:
        raise AccountSetupError("support accounts are per programme")
    code = _STANDARD_CODES[purpose].format(cur=currency, prog=_camel(programme))
    account, _created = Account.objects.get_or_create(
        code=code,
        defaults={
            "name": code.replace(":", " · "),
            "kind": _PURPOSE_KIND[purpose],
            "purpose": purpose,
            "currency": currency,
            "programme": programme if purpose == Account.Purpose.SUPPORT else "",
            "opened_on": timezone.localdate(),
        },
    )
    return account


@transaction.atomic
def open_held_account(
    name: str,
    currency: str,
    *,
    by=None,
    bank_holder: str = "",
    bank_iban: str = "",
    bank_bic: str = "",
    opened_on: datetime.date | None = None,
) -> Account:
    """Open an account for money held at one bank, processor or wallet, in one currency.

    Raises AccountSetupError for an unknown currency, a name that gives no account code, or a
    duplicate.
    """
    if currency not in Currency.values:
        raise AccountSetupError(f"unknown currency {currency}")
    component = _camel(slugify(name).replace("-", "_"))[:60]
    code = f"Assets:Held:{component}:{currency}"
    if not component or not ACCOUNT_CODE_RE.match(code):
        raise AccountSetupError("the name must contain letters or digits")
    if Account.objects.filter(code=code).exists():
        raise AccountSetupError("an account with this name and currency exists")
    if bank_iban:
        from solidarity.ledger.rails.sepa import normalise_iban

        bank_iban = normalise_iban(bank_iban)
    account = Account.objects.create(
        code=code,
        name=name[:120],
        kind=Account.Kind.ASSET,
        purpose=Account.Purpose.HELD,
        currency=currency,
        opened_on=opened_on or timezone.localdate(),
        bank_holder=bank_holder[:70],
        bank_iban=bank_iban,
        bank_bic=bank_bic.replace(" ", "").upper()[:11],
    )
    audit.record("ledger.account_opened", actor=by, subject=code)
    return account


def held_accounts(currency: str | None = None) -> list[Account]:
    qs = Account.objects.filter(purpose=Account.Purpose.HELD)
    if currency:
        qs = qs.filter(currency=currency)
    return list(qs.order_by("code"))


# --- entries ---------------------------------------------------------------------------------


Line = tuple[Account, Decimal]


def _check_balanced(lines: Sequence[Line]) -> None:
    if len(lines) < 2:
        raise UnbalancedEntryError("an entry needs at least two postings")
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for account, amount in lines:
        amount = to_amount(amount, allow_negative=True)
        if amount == 0:
            raise UnbalancedEntryError("a posting of zero says nothing")
        totals[account.currency] += amount
    unbalanced = {cur: total for cur, total in totals.items() if total != 0}
    if unbalanced:
        raise UnbalancedEntryError(f"entry does not balance: {unbalanced}")


def post_entry(
    kind: str,
    lines: Sequence[Line],
    *,
    booked_on: datetime.date | None = None,
    memo: str = "",
    by=None,
    reverses: Entry | None = None,
) -> Entry:
    """Write one balanced entry and move the balances. Call inside the workflow's transaction.

    ``lines`` are (account, signed amount): debits positive, credits negative, each in its
    account's currency. Raises UnbalancedEntryError or money.MoneyError.
    """
    _check_balanced(lines)
    with transaction.atomic():
        # Lock the touched accounts in id order, so two entries never wait on each other.
        ids = sorted({account.pk for account, _amount in lines})
        locked = {
            a.pk: a for a in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        }
        entry = Entry.objects.create(
            booked_on=booked_on or timezone.localdate(),
            kind=kind,
            memo=memo[:200],
            reverses=reverses,
            created_by=by,
        )
        Posting.objects.bulk_create(
            Posting(
                entry=entry,
                account=account,
                amount=to_amount(amount, allow_negative=True),
                currency=account.currency,
            )
            for account, amount in lines
        )
        moves: dict[int, Decimal] = defaultdict(Decimal)
        for account, amount in lines:
            moves[account.pk] += to_amount(amount, allow_negative=True)
        # Read under the lock and written back exact: an SQL "balance + x" would run in
        # floating point on SQLite, whose numeric columns hold REALs.
        for pk, amount in moves.items():
            account = locked[pk]
            account.balance = account.balance + amount
            account.save(update_fields=["balance"])
    return entry


def reverse_entry(
    entry: Entry,
    *,
    by=None,
    memo: str = "",
    booked_on: datetime.date | None = None,
    audit_event: bool = True,
) -> Entry:
    """Undo ``entry`` with a new entry of opposite postings. Raises EntryAlreadyReversedError."""
    with transaction.atomic():
        # The OneToOne on ``reverses`` makes a second reversal fail in the database as well.
        if Entry.objects.filter(reverses=entry).exists():
            raise EntryAlreadyReversedError(f"entry {entry.pk} was already reversed")
        lines = [(p.account, -p.amount) for p in entry.postings.select_related("account")]
        reversal = post_entry(
            Entry.Kind.REVERSAL,
            lines,
            booked_on=booked_on,
            memo=memo or f"Reverses entry {entry.pk}",
            by=by,
            reverses=entry,
        )
        if audit_event:
            audit.record(
                "ledger.entry_reversed", actor=by, subject=f"entry:{entry.pk}", reversal=reversal.pk
            )
    return reversal


@transaction.atomic
def record_transfer(
    source: Account,
    target: Account,
    amount: Decimal,
    *,
    received: Decimal | None = None,
    fee: Decimal | None = None,
    booked_on: datetime.date | None = None,
    by=None,
) -> Entry:
    """Move money between two held accounts; across currencies, ``received`` is what arrived.

    A conversion books both legs against the conversion (trading) account of each currency,
    so every currency balances on its own. A fee is paid from the source account.
    """
    amount = to_amount(amount)
    lines: list[Line] = [(source, -amount)]
    if source.currency == target.currency:
        arrived = amount if received is None else to_amount(received)
        if arrived != amount:
            raise UnbalancedEntryError("same-currency transfers arrive in full; book the fee")
        lines.append((target, amount))
        kind = Entry.Kind.TRANSFER
    else:
        if received is None:
            raise UnbalancedEntryError("a conversion needs the amount received")
        arrived = to_amount(received)
        lines += [
            (standard_account(Account.Purpose.CONVERSION, source.currency), amount),
            (standard_account(Account.Purpose.CONVERSION, target.currency), -arrived),
            (target, arrived),
        ]
        kind = Entry.Kind.CONVERSION
    if fee:
        fee = to_amount(fee)
        lines += [(source, -fee), (standard_account(Account.Purpose.FEES, source.currency), fee)]
    entry = post_entry(
        kind, lines, booked_on=booked_on, memo="Transfer between held accounts", by=by
    )
    audit.record(
        "ledger.transfer",
        actor=by,
        subject=f"entry:{entry.pk}",
        source=source.code,
        target=target.code,
    )
    return entry


# --- rates ---------------------------------------------------------------------------------


@transaction.atomic
def record_rate(currency: str, on: datetime.date, rate: Decimal, *, by=None) -> ExchangeRate:
    """Record what one unit of ``currency`` was worth in the reporting currency on a day."""
    if currency not in Currency.values:
        raise UnknownRateError(currency)
    rate = Decimal(rate).quantize(RATE_PLACES)
    if rate <= 0:
        raise UnknownRateError("a rate must be positive")
    row, _created = ExchangeRate.objects.update_or_create(
        currency=currency, on=on, defaults={"rate": rate, "recorded_by": by}
    )
    audit.record(
        "ledger.rate_recorded", actor=by, subject=currency, on=on.isoformat(), rate=str(rate)
    )
    return row


class RateBook:
    """Rates loaded once for a report: the newest rate on or before each day."""

    def __init__(self) -> None:
        self._rates: dict[str, list[tuple[datetime.date, Decimal]]] = defaultdict(list)
        for row in ExchangeRate.objects.order_by("on"):
            self._rates[row.currency].append((row.on, row.rate))

    def rate(self, currency: str, on: datetime.date) -> Decimal:
        if currency == REPORTING_CURRENCY:
            return Decimal(1)
        best = None
        for day, rate in self._rates.get(currency, []):
            if day > on:
                break
            best = rate
        if best is None:
            # Before the first recorded rate, the earliest one is the best we know.
            rates = self._rates.get(currency)
            if not rates:
                raise UnknownRateError(f"no rate recorded for {currency}")
            best = rates[0][1]
        return best

    def convert(self, amount: Decimal, currency: str, on: datetime.date) -> Decimal:
        return round_cents(amount * self.rate(currency, on))

    def has(self, currency: str) -> bool:
        return currency == REPORTING_CURRENCY or bool(self._rates.get(currency))


# --- reading balances -------------------------------------------------------------------------


@dataclass(frozen=True)
class BalanceCheck:
    account: Account
    cached: Decimal
    summed: Decimal

    @property
    def ok(self) -> bool:
        return self.cached == self.summed


def check_balances() -> list[BalanceCheck]:
    """Each account's cached balance against the sum of its postings (they must agree)."""
    # Summed here in Decimal: SQLite's SUM works in floating point.
    sums: dict[int, Decimal] = defaultdict(Decimal)
    for account_id, amount in Posting.objects.values_list("account_id", "amount").iterator(
        chunk_size=5000
    ):
        sums[account_id] += amount
    return [
        BalanceCheck(account, account.balance, sums.get(account.pk) or Decimal("0.00"))
        for account in Account.objects.all()
    ]


def currency_totals() -> dict[str, Decimal]:
    """Sum of every posting per currency: zero in each, or the books are broken."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for currency, amount in Posting.objects.values_list("currency", "amount").iterator(
        chunk_size=5000
    ):
        totals[currency] += amount
    return dict(totals)


def totals_by_purpose(purposes: Iterable[str]) -> dict[tuple[str, str], Decimal]:
    """{(purpose, currency): display balance} over all accounts of those purposes."""
    out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for account in Account.objects.filter(purpose__in=list(purposes)):
        out[(account.purpose, account.currency)] += account.display_balance
    return dict(out)
