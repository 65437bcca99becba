"""Money as ``Decimal`` with two places, in the three currencies the fund works with.

One choice everywhere (STYLE.md §2): amounts are ``Decimal`` quantized to cents; floats are
refused at the door, because ``Decimal(0.1)`` is already wrong.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.db import models
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
# Largest single amount we accept anywhere: far above any debt we have seen ($25,000) and
# any single donation, small enough to catch a typo of extra zeros.
MAX_AMOUNT = Decimal("100000000.00")
# Rates are "reporting-currency units per one unit", kept to 8 places (BYN/USD is ~0.3).
RATE_PLACES = Decimal("0.00000001")


class Currency(models.TextChoices):
    BYN = "BYN", _("Belarusian rubles (BYN)")
    USD = "USD", _("US dollars (USD)")
    EUR = "EUR", _("Euros (EUR)")


# Totals on the transparency page and in the runway forecast are in one currency. The fund
# raised and promised in dollars in 2020, so the books report in dollars.
REPORTING_CURRENCY = Currency.USD.value


class MoneyError(ValueError):
    """Not an amount we can hold: a float, too many decimal places, or out of range."""


def to_amount(value: object, *, allow_negative: bool = False) -> Decimal:
    """Parse ``value`` (Decimal, int or str) into cents. Raises MoneyError."""
    if isinstance(value, float | bool):
        raise MoneyError(_("amounts must not be floats"))
    try:
        amount = (
            Decimal(str(value).strip().replace(" ", ""))
            if isinstance(value, str)
            else Decimal(value)
        )
    except (InvalidOperation, TypeError, ValueError):
        raise MoneyError(_("not a number")) from None
    if not amount.is_finite():
        raise MoneyError(_("not a finite number"))
    if amount != amount.quantize(CENT):
        raise MoneyError(_("more than two decimal places"))
    amount = amount.quantize(CENT)
    if abs(amount) > MAX_AMOUNT:
        raise MoneyError(_("amount out of range"))
    if amount < 0 and not allow_negative:
        raise MoneyError(_("amount must not be negative"))
    return amount


def round_cents(value: Decimal) -> Decimal:
    """Round a computed amount (after a rate or a division) to cents, half to even."""
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def to_cents(amount: Decimal) -> int:
    """Integer minor units, for file formats that want them (sepaxml)."""
    return int((amount * 100).to_integral_exact())


def format_amount(amount: Decimal, currency: str = "") -> str:
    """``12,500.00 USD``: grouping with a thin-space-free comma, always two places."""
    text = f"{amount:,.2f}"
    return f"{text} {currency}".strip()


def money_field(**kwargs) -> models.DecimalField:
    """A column for an amount in cents: 14 digits hold up to a trillion with two places."""
    return models.DecimalField(max_digits=14, decimal_places=2, **kwargs)
