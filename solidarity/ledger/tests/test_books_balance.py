"""The double-entry core: random sequences of operations keep every balance equal to the sum
of its postings and every currency summing to zero; nothing in the books can be edited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError, IntegrityError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solidarity.ledger import services
from solidarity.ledger.models import Account, Entry, LedgerImmutableError, Posting
from solidarity.ledger.money import MoneyError, to_amount

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50000"), places=2)
currencies = st.sampled_from(["BYN", "USD", "EUR"])

operation = st.one_of(
    st.tuples(st.just("donate"), st.integers(0, 5), amounts),
    st.tuples(st.just("transfer"), st.integers(0, 5), st.integers(0, 5), amounts, amounts),
    st.tuples(st.just("fee"), st.integers(0, 5), amounts),
    st.tuples(st.just("commit"), currencies, amounts),
    st.tuples(st.just("reverse"), st.integers(0, 10_000)),
    st.tuples(st.just("unbalanced"), st.integers(0, 5), amounts, amounts),
)


def _held_accounts() -> list[Account]:
    accounts = list(Account.objects.filter(purpose=Account.Purpose.HELD).order_by("id"))
    if accounts:
        return accounts
    for name, currency in [
        ("Bank A", "EUR"),
        ("Bank B", "EUR"),
        ("Bank C", "USD"),
        ("Wallet", "USD"),
        ("Minsk", "BYN"),
        ("Vilnius", "BYN"),
    ]:
        accounts.append(services.open_held_account(name, currency))
    return accounts


def _apply(op, held: list[Account]) -> None:
    kind = op[0]
    if kind == "donate":
        account = held[op[1]]
        services.post_entry(
            Entry.Kind.DONATION,
            [
                (account, op[2]),
                (services.standard_account(Account.Purpose.DONATIONS, account.currency), -op[2]),
            ],
        )
    elif kind == "transfer":
        source, target = held[op[1]], held[op[2]]
        if source.pk == target.pk:
            return
        received = op[4] if source.currency != target.currency else None
        services.record_transfer(source, target, op[3], received=received)
    elif kind == "fee":
        account = held[op[1]]
        services.post_entry(
            Entry.Kind.FEE,
            [
                (services.standard_account(Account.Purpose.FEES, account.currency), op[2]),
                (account, -op[2]),
            ],
        )
    elif kind == "commit":
        services.post_entry(
            Entry.Kind.COMMITMENT,
            [
                (services.standard_account(Account.Purpose.SUPPORT, op[1], "workers"), op[2]),
                (services.standard_account(Account.Purpose.COMMITMENTS, op[1]), -op[2]),
            ],
        )
    elif kind == "reverse":
        candidates = list(Entry.objects.filter(reversed_by__isnull=True).order_by("id"))
        if not candidates:
            return
        entry = candidates[op[1] % len(candidates)]
        services.reverse_entry(entry)
        with pytest.raises(services.EntryAlreadyReversedError):
            services.reverse_entry(entry)
    elif kind == "unbalanced":
        account = held[op[1]]
        if op[2] == op[3]:
            return
        before = Posting.objects.count()
        with pytest.raises(services.UnbalancedEntryError):
            services.post_entry(
                Entry.Kind.DONATION,
                [
                    (account, op[2]),
                    (
                        services.standard_account(Account.Purpose.DONATIONS, account.currency),
                        -op[3],
                    ),
                ],
            )
        assert Posting.objects.count() == before


def _assert_books_hold() -> None:
    for check in services.check_balances():
        assert check.ok, f"{check.account.code}: cached {check.cached} != summed {check.summed}"
    for currency, total in services.currency_totals().items():
        assert total == 0, f"{currency} sums to {total}"
    for entry in Entry.objects.prefetch_related("postings"):
        by_currency: dict[str, Decimal] = {}
        for posting in entry.postings.all():
            by_currency[posting.currency] = (
                by_currency.get(posting.currency, Decimal(0)) + posting.amount
            )
            assert posting.currency == posting.account.currency
        assert all(v == 0 for v in by_currency.values()), entry


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(operation, min_size=1, max_size=25))
def test_balances_equal_postings_and_every_currency_balances_after_any_sequence(ops):
    # Each example runs in its own savepoint and is rolled back, so examples start clean.
    with transaction.atomic():
        held = _held_accounts()
        for op in ops:
            _apply(op, held)
            _assert_books_hold()
        transaction.set_rollback(True)


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(amounts, min_size=1, max_size=10))
def test_reversing_every_entry_returns_every_balance_to_zero(values):
    with transaction.atomic():
        held = _held_accounts()
        for i, value in enumerate(values):
            _apply(("donate", i % len(held), value), held)
        for entry in list(Entry.objects.filter(reverses__isnull=True)):
            services.reverse_entry(entry)
        assert all(a.balance == 0 for a in Account.objects.all())
        _assert_books_hold()
        transaction.set_rollback(True)


def test_entries_and_postings_refuse_update_and_delete_in_the_orm(db):
    held = _held_accounts()
    entry = services.post_entry(
        Entry.Kind.DONATION,
        [
            (held[0], Decimal("5.00")),
            (services.standard_account("donations", "EUR"), Decimal("-5.00")),
        ],
    )
    posting = entry.postings.first()

    entry.memo = "edited"
    with pytest.raises(LedgerImmutableError):
        entry.save()
    with pytest.raises(LedgerImmutableError):
        entry.delete()
    with pytest.raises(LedgerImmutableError):
        Posting.objects.filter(pk=posting.pk).update(amount=Decimal("500.00"))
    with pytest.raises(LedgerImmutableError):
        Posting.objects.all().delete()


def test_the_database_itself_refuses_to_rewrite_a_posting(db):
    # Given a posting, when someone bypasses the ORM with raw SQL, then the trigger refuses it.
    held = _held_accounts()
    entry = services.post_entry(
        Entry.Kind.DONATION,
        [
            (held[0], Decimal("5.00")),
            (services.standard_account("donations", "EUR"), Decimal("-5.00")),
        ],
    )
    posting_id = entry.postings.first().pk
    with (
        pytest.raises((IntegrityError, DatabaseError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE ledger_posting SET amount = 500 WHERE id = %s", [posting_id])
    assert Posting.objects.get(pk=posting_id).amount == Decimal("5.00")


@pytest.mark.parametrize("bad", [0.1, "1.001", "abc", "NaN", "Infinity", "-5", "1e12"])
def test_money_refuses_floats_extra_places_and_nonsense(bad):
    with pytest.raises(MoneyError):
        to_amount(bad)


def test_an_entry_must_balance_in_each_currency_separately(db):
    eur = services.open_held_account("Euro bank", "EUR")
    usd = services.open_held_account("Dollar bank", "USD")
    # 10 EUR in, 10 USD out: the total is zero but each currency is not.
    with pytest.raises(services.UnbalancedEntryError):
        services.post_entry(
            Entry.Kind.TRANSFER, [(eur, Decimal("10.00")), (usd, Decimal("-10.00"))]
        )


def test_a_conversion_balances_each_currency_through_the_conversion_accounts(db):
    eur = services.open_held_account("Euro bank", "EUR")
    usd = services.open_held_account("Dollar bank", "USD")
    services.post_entry(
        Entry.Kind.OPENING,
        [
            (usd, Decimal("100.00")),
            (services.standard_account("opening", "USD"), Decimal("-100.00")),
        ],
    )

    services.record_transfer(
        usd, eur, Decimal("100.00"), received=Decimal("91.50"), fee=Decimal("1.00")
    )

    eur.refresh_from_db()
    usd.refresh_from_db()
    assert eur.balance == Decimal("91.50")
    assert usd.balance == Decimal("-1.00")
    _assert_books_hold()
