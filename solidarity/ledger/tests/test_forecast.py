"""Runway and allocation: the forecast runs cash against what is owed under scenarios, and
the allocation helper finds the best set of plans to fund fully (where greedy would not)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from solidarity.ledger import forecast, services
from solidarity.ledger.forecast import Candidate
from solidarity.ledger.models import Account, Entry
from solidarity.ledger.tests.factories import make_active_plan, make_held_account

TODAY = datetime.date(2024, 6, 3)


@pytest.fixture
def funded(org, coordinator):
    bank = make_held_account(currency="USD")
    services.post_entry(
        Entry.Kind.OPENING,
        [
            (bank, Decimal("20000.00")),
            (services.standard_account(Account.Purpose.OPENING, "USD"), Decimal("-20000.00")),
        ],
    )
    make_active_plan(
        by=coordinator.user,
        currency="USD",
        start=TODAY,
        items=[
            {"kind": "debt", "amount": "5000.00"},
            {"kind": "income", "amount": "500.00", "months": 6},
        ],
    )
    return bank


def test_current_scenario_counts_only_what_is_owed(funded):
    result = forecast.run_forecast("current", weeks=30, as_of=TODAY)

    assert result.cash_now == Decimal("20000.00")
    assert result.owed_now == Decimal("8000.00")
    assert result.weeks[-1].cash == Decimal("12000.00")
    assert result.runs_out_on is None
    assert result.capacity >= 1


def test_a_surge_runs_out_sooner_than_steady_growth(funded):
    steady = forecast.Scenario(
        "steady", weekly_donations=Decimal("0"), daily_applications=0.1, verified_share=0.5
    )
    surge = forecast.Scenario(
        "surge",
        weekly_donations=Decimal("0"),
        daily_applications=0.1,
        verified_share=0.5,
        surge_factor=3.0,
        surge_days=7,
    )

    calm = forecast.run_forecast(steady, weeks=26, as_of=TODAY)
    storm = forecast.run_forecast(surge, weeks=26, as_of=TODAY)

    assert storm.runs_out_on is not None
    assert calm.runs_out_on is None or storm.runs_out_on < calm.runs_out_on
    assert min(w.cash for w in storm.weeks) < min(w.cash for w in calm.weeks)


def test_capacity_is_how_many_more_plans_fit_the_cash(funded):
    # 12,000 free; each new person costs 5,000 now + 500 x 6 = 8,000: one fits, two do not.
    result = forecast.run_forecast(
        forecast.Scenario("x", weekly_donations=Decimal("0"), take_new_people=False),
        weeks=30,
        as_of=TODAY,
    )
    assert result.capacity == 1


def test_allocation_finds_the_best_set_where_greedy_fails():
    # Greedy by priority takes A (priority 5, cost 60) and nothing else fits: value 5.
    # B and C together (4 + 4 = 8, cost 50 + 50) fit exactly and are better.
    candidates = [
        Candidate(1, "A", "workers", Decimal("60"), 5),
        Candidate(2, "B", "workers", Decimal("50"), 4),
        Candidate(3, "C", "workers", Decimal("50"), 4),
    ]

    result = forecast.allocate(candidates, Decimal("100"))

    assert {c.case_code for c in result.funded} == {"B", "C"}
    assert result.value == 8
    assert result.spent == Decimal("100")
    assert any("A: not funded" in line for line in result.explanation)


def test_allocation_with_no_money_funds_nobody():
    result = forecast.allocate([Candidate(1, "A", "workers", Decimal("10"), 3)], Decimal("-5"))
    assert result.funded == []


def test_the_forecast_command_prints_the_runway_and_an_allocation(funded, coordinator):
    out = StringIO()
    call_command("forecast", "--scenario", "surge", "--weeks", "12", "--allocate", stdout=out)
    text = out.getvalue()
    assert "Scenario: surge" in text
    assert "More people who could start today" in text
    assert "There are no proposed plans to fund." in text
