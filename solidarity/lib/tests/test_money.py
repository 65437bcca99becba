"""Amounts read the way each language writes them: the function, and the template filter."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from solidarity.lib.money import format_money

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("en", Decimal("1234.50"), "EUR", "€1,234.50"),
        ("en", Decimal("1234567.05"), "USD", "$1,234,567.05"),
        ("en", Decimal("1234.50"), "BYN", f"1,234.50{NBSP}BYN"),
        ("en", Decimal("-20.00"), "USD", "-$20.00"),
        ("en", Decimal("0.00"), "EUR", "€0.00"),
        ("be", Decimal("1234.50"), "EUR", f"1{NBSP}234,50{NBSP}€"),
        ("be", Decimal("12500.00"), "USD", f"12{NBSP}500,00{NBSP}$"),
        ("be", Decimal("950.00"), "BYN", f"950,00{NBSP}BYN"),
        ("ru", Decimal("1234.50"), "EUR", f"1{NBSP}234,50{NBSP}€"),
        ("ru", Decimal("1234567.05"), "USD", f"1{NBSP}234{NBSP}567,05{NBSP}$"),
        ("ru", Decimal("-20.00"), "BYN", f"-20,00{NBSP}BYN"),
    ],
)
def test_amounts_are_written_as_each_language_writes_them(language, amount, currency, expected):
    assert format_money(amount, currency, language) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "$48,210"), ("be", f"48{NBSP}210{NBSP}$"), ("ru", f"48{NBSP}210{NBSP}$")],
)
def test_whole_unit_figures_have_no_cents(language, expected):
    # The transparency page rounds to whole units on purpose; an int says so.
    assert format_money(48210, "USD", language) == expected


def test_the_active_language_is_used_when_none_is_given():
    with translation.override("ru"):
        assert format_money(Decimal("1000.00"), "EUR") == f"1{NBSP}000,00{NBSP}€"
    with translation.override("en-gb"):
        assert format_money(Decimal("1000.00"), "EUR") == "€1,000.00"


def test_an_amount_without_a_currency_is_just_the_number():
    assert format_money(Decimal("1234.50"), "", "be") == f"1{NBSP}234,50"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "€1,234.50|$7|—|&lt; 5|"), ("be", f"1{NBSP}234,50{NBSP}€|7{NBSP}$|—|&lt; 5|")],
)
def test_the_template_filter_formats_numbers_and_leaves_anything_else(language, expected):
    template = Template(
        "{% load money %}{{ a|money:'EUR' }}|{{ b|money:'USD' }}|{{ c|money:'USD' }}"
        "|{{ d|money:'USD' }}|{{ e|money:'USD' }}"
    )
    context = Context({"a": Decimal("1234.50"), "b": 7, "c": "—", "d": "< 5", "e": None})
    with translation.override(language):
        assert template.render(context) == expected
