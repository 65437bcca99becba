"""The public page: figures coarsened to complete weeks, counts under ten shown as "< 10",
every published change made by at least ten people, so one new beneficiary cannot be spotted
by comparing two snapshots; the page works without JavaScript and loads nothing from elsewhere."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from solidarity.ledger import payouts, services
from solidarity.ledger.models import Account, Entry
from solidarity.ledger.tests.factories import make_active_plan, make_destination, make_held_account
from solidarity.transparency import services as transparency
from solidarity.transparency.services import MIN_GROUP, Event, released_cumulative, week_start
from solidarity.vault import keyring

MONDAY = datetime.date(2024, 3, 4)
WEEKS = [MONDAY + datetime.timedelta(weeks=i) for i in range(12)]

events = st.lists(
    st.builds(
        Event,
        day=st.dates(min_value=MONDAY, max_value=MONDAY + datetime.timedelta(weeks=13)),
        contributor=st.integers(0, 40).map(str),
        amount=st.decimals(min_value=Decimal("1"), max_value=Decimal("5000"), places=2),
    ),
    max_size=120,
)


@given(events)
def test_every_published_change_is_made_by_at_least_ten_people(sample):
    series = released_cumulative(sample, WEEKS)

    last_change = None
    previous = Decimal("0")
    for week, value in zip(WEEKS, series, strict=True):
        if value != previous:
            window = [
                e
                for e in sample
                if (last_change is None or week_start(e.day) > last_change)
                and week_start(e.day) <= week
            ]
            assert len({e.contributor for e in window}) >= MIN_GROUP
            assert value - previous == sum(e.amount for e in window)
            last_change, previous = week, value


@given(events)
def test_nothing_after_the_last_complete_week_is_ever_shown(sample):
    later = [
        Event(WEEKS[-1] + datetime.timedelta(days=7 + i), f"late{i}", Decimal("99"))
        for i in range(20)
    ]
    assert released_cumulative(sample + later, WEEKS) == released_cumulative(sample, WEEKS)


# --- on the real tables ----------------------------------------------------------------------------


def _support(coordinator, treasurer, approver, bank, days: list[datetime.date]) -> None:
    """One case per day in ``days``: a plan activated and its one payment paid, that day.

    The clock is the one thing faked (STYLE.md §6): each day's work happens "on" that day."""
    for day in sorted(set(days)):
        noon = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
        with mock.patch("django.utils.timezone.now", autospec=True, return_value=noon):
            for _n in range(days.count(day)):
                plan = make_active_plan(
                    by=coordinator.user, items=[{"kind": "debt", "amount": "1000.00"}]
                )
                make_destination(plan.case, by=treasurer.user)
            batch = payouts.prepare_batch(by=treasurer.user, rail="sepa", held_account=bank)
            payouts.approve_batch(batch, by=approver.user)
            payouts.export_batch(
                batch,
                by=treasurer.user,
                staff_private_key=keyring.unlock_staff_key(treasurer.user, treasurer.passphrase),
            )
            lines = "".join(f"{item.end_to_end_id},paid\n" for item in batch.items.all())
            payouts.import_confirmations(
                f"end_to_end_id,status\n{lines}".encode(), by=treasurer.user
            )


@pytest.fixture
def bank(org):
    account = make_held_account(currency="EUR")
    services.post_entry(
        Entry.Kind.OPENING,
        [
            (account, Decimal("90000.00")),
            (services.standard_account(Account.Purpose.OPENING, "EUR"), Decimal("-90000.00")),
        ],
    )
    services.record_rate("EUR", datetime.date(2020, 1, 1), Decimal("1.10"))
    return account


def test_a_single_new_beneficiary_cannot_be_spotted_by_comparing_snapshots(
    coordinator, treasurer, second_treasurer, bank
):
    today = timezone.localdate()
    # Given 13 people supported and paid in weeks that are over: 10 published, 3 waiting for a group
    three_weeks_ago = week_start(today) - datetime.timedelta(weeks=3)
    _support(
        coordinator,
        treasurer,
        second_treasurer,
        bank,
        [three_weeks_ago] * 10 + [three_weeks_ago + datetime.timedelta(weeks=1)] * 3,
    )
    before_today = transparency.build_snapshot(today).as_json()
    before_next_week = transparency.build_snapshot(today + datetime.timedelta(weeks=1)).as_json()
    assert before_today["totals"]["people_supported"] == 10

    # When one more person is supported and paid today
    _support(coordinator, treasurer, second_treasurer, bank, [today])

    # Then neither today's snapshot nor next week's, when today's week is complete, changes
    assert transparency.build_snapshot(today).as_json() == before_today
    assert (
        transparency.build_snapshot(today + datetime.timedelta(weeks=1)).as_json()
        == before_next_week
    )


def test_small_counts_show_as_less_than_ten(client, coordinator, treasurer, second_treasurer, bank):
    _support(
        coordinator,
        treasurer,
        second_treasurer,
        bank,
        [timezone.localdate() - datetime.timedelta(weeks=2)] * 3,
    )

    data = client.get(reverse("transparency:json")).json()

    assert data["totals"]["people_supported"] == "< 10"
    assert set(data["people_supported_by_programme"].values()) == {"< 10"}
    assert data["totals"]["paid"] == 0  # three payouts are not a group yet
    assert all(re.fullmatch(r"\d{4}-W\d{2}", row["week"]) for row in data["weekly"])
    assert data["as_of_week"] == transparency.week_label(
        transparency.last_complete_week(timezone.localdate())
    )


def test_the_page_works_without_javascript_and_loads_nothing_else(
    client, coordinator, treasurer, second_treasurer, bank
):
    _support(
        coordinator,
        treasurer,
        second_treasurer,
        bank,
        [week_start(timezone.localdate()) - datetime.timedelta(weeks=2)] * 11,
    )

    response = client.get(reverse("transparency:page"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<script" not in html
    assert " style=" not in html
    assert "<style" not in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert html.count("<svg") == 2
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert ">11<" in html  # people supported, now a group
    data = client.get(reverse("transparency:json")).json()
    assert data["totals"]["people_supported"] == 11
    assert data["totals"]["paid"] == 12100  # 11 x 1,000 EUR at 1.10


def test_an_empty_fund_shows_an_empty_page(client, org):
    response = client.get(reverse("transparency:page"))
    assert response.status_code == 200
    assert client.get(reverse("transparency:json")).json()["totals"]["raised"] == 0


@pytest.mark.parametrize(
    ("language", "paid"),
    [("en", "$12,100"), ("be", "12\xa0100\xa0$"), ("ru", "12\xa0100\xa0$")],
)
def test_money_is_written_the_way_the_reader_writes_it(
    client, coordinator, treasurer, second_treasurer, bank, language, paid
):
    _support(
        coordinator,
        treasurer,
        second_treasurer,
        bank,
        [week_start(timezone.localdate()) - datetime.timedelta(weeks=2)] * 11,
    )
    client.cookies["lang"] = language

    html = client.get(reverse("transparency:page")).content.decode()

    assert f'<span class="value">{paid}</span>' in html
    assert f"<td>{paid}</td>" in html  # the weekly table too
