"""Amounts written the way the reader's language writes them.

English puts the sign first and groups with commas: ``$1,234.50``, ``€1,234.50``.
Belarusian and Russian put it after, group with a no-break space and use a decimal comma:
``1 234,50 $`` (the spaces are U+00A0, so a line never breaks inside an amount). A currency
without a well-known sign (BYN) is written with its code: ``1,234.50 BYN``, ``1 234,50 BYN``.

Amounts stay ``Decimal`` (STYLE.md §2); only the text is built here.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats, numberformat
from django.utils.translation import get_language

NBSP = "\xa0"
# Signs readers know; any other currency is shown by its ISO code.
SIGNS = {"USD": "$", "EUR": "€"}
# Languages that write the sign before the number (CLDR's pattern "¤#,##0.00").
SIGN_FIRST = frozenset({"en"})


def format_money(amount: Decimal | int, currency: str = "", language: str | None = None) -> str:
    """``amount`` in ``currency`` for ``language`` (default: the active one).

    A Decimal is shown with two places; an int is a whole-unit figure (the transparency page
    rounds to whole units on purpose) and is shown without any.
    """
    language = (language or get_language() or "en").split("-")[0]
    places = 0 if isinstance(amount, int) else 2
    number = numberformat.format(
        abs(amount),
        formats.get_format("DECIMAL_SEPARATOR", language),
        decimal_pos=places,
        grouping=formats.get_format("NUMBER_GROUPING", language),
        thousand_sep=formats.get_format("THOUSAND_SEPARATOR", language),
        force_grouping=True,
    ).replace(" ", NBSP)
    minus = "-" if amount < 0 else ""
    if not currency:
        return minus + number
    sign = SIGNS.get(currency)
    if sign and language in SIGN_FIRST:
        return f"{minus}{sign}{number}"
    return f"{minus}{number}{NBSP}{sign or currency}"
