"""``{% load money %}`` then ``{{ amount|money:currency }}``: see solidarity.lib.money."""

from __future__ import annotations

from decimal import Decimal

from django import template

from solidarity.lib.money import format_money

register = template.Library()


@register.filter
def money(amount, currency: str = "") -> str:
    """An amount in the active language's way; anything that is not a number (a "—", a
    suppressed "< 5") is shown as it is."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        return "" if amount is None else amount
    return format_money(amount, currency)
