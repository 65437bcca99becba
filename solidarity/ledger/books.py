"""The books for accountants: the whole ledger as a Beancount file that passes bean-check.

Every entry becomes a transaction with its id and, for a reversal, a link to what it
reverses; every account is opened on its first day; recorded exchange rates become price
directives; and each account ends with a balance assertion, so bean-check also proves that
our cached balances equal the sum of the postings.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.utils import timezone

from solidarity.ledger.models import Account, Entry, ExchangeRate
from solidarity.ledger.money import REPORTING_CURRENCY

ENTRY_CHUNK = 2000


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def beancount_lines(
    *, title: str = "Solidarity fund", until: datetime.date | None = None
) -> Iterator[str]:
    """Yield the file line by line (the books can be large; nothing is held in memory twice)."""
    yield f"; Exported {timezone.now():%Y-%m-%d %H:%M} UTC. Amounts in each account's own currency."
    yield f'option "title" {_quote(title)}'
    yield f'option "operating_currency" "{REPORTING_CURRENCY}"'
    yield ""
    first_use: dict[int, datetime.date] = {}
    for account_id, booked_on in Entry.objects.values_list(
        "postings__account", "booked_on"
    ).order_by("booked_on"):
        if account_id is not None:
            first_use.setdefault(account_id, booked_on)
    accounts = list(Account.objects.order_by("code"))
    for account in accounts:
        opened = min(account.opened_on, first_use.get(account.pk, account.opened_on))
        yield f"{opened:%Y-%m-%d} open {account.code} {account.currency}"
    yield ""
    for rate in ExchangeRate.objects.order_by("on", "currency"):
        yield f"{rate.on:%Y-%m-%d} price {rate.currency} {rate.rate.normalize():f} {REPORTING_CURRENCY}"
    yield ""
    entries = Entry.objects.prefetch_related("postings__account").order_by("booked_on", "id")
    if until:
        entries = entries.filter(booked_on__lte=until)
    last_day = None
    for entry in entries.iterator(chunk_size=ENTRY_CHUNK):
        last_day = entry.booked_on
        links = f" ^entry-{entry.reverses_id}" if entry.reverses_id else ""
        yield f"{entry.booked_on:%Y-%m-%d} * {_quote(entry.get_kind_display())} {_quote(entry.memo)}{links}"
        yield f'  entry: "{entry.pk}"'
        for posting in entry.postings.all():
            yield f"  {posting.account.code}  {posting.amount:f} {posting.currency}"
        yield ""
    if until is None and last_day is not None:
        # Beancount checks a balance at the start of the day given: assert the day after the last entry.
        check_day = last_day + datetime.timedelta(days=1)
        for account in accounts:
            yield f"{check_day:%Y-%m-%d} balance {account.code}  {account.balance:f} {account.currency}"


def export_beancount(out, **kwargs) -> int:
    """Write the books to a text stream; returns the number of lines."""
    count = 0
    for line in beancount_lines(**kwargs):
        out.write(line + "\n")
        count += 1
    return count
