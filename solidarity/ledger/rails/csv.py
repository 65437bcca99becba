"""A CSV list for rails without a standard file: card-to-card transfers through an agent, a
bank in a non-SEPA country, a person who carries cash. One row per payment."""

from __future__ import annotations

import csv
import io
import re

from django.utils.translation import gettext as _

from solidarity.ledger.rails import DestinationError, ExportBatch, ExportFile

CURRENCIES = ("BYN", "USD", "EUR")
COLUMNS = ["end_to_end_id", "amount", "currency", "holder", "kind", "number", "bank", "reference"]


def luhn_ok(number: str) -> bool:
    """The Luhn check every payment card number passes."""
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def clean_details(data: dict) -> dict:
    """A card number (Luhn-checked) or an account number, with the holder and bank."""
    holder = " ".join(str(data.get("holder", "")).split())
    if not holder or len(holder) > 100:
        raise DestinationError(_("the holder's name is required (at most 100 characters)"))
    kind = data.get("kind") or "card"
    number = re.sub(r"[\s-]+", "", str(data.get("number", ""))).upper()
    if kind == "card":
        if not re.fullmatch(r"[0-9]{12,19}", number) or not luhn_ok(number):
            raise DestinationError(_("this is not a valid card number: a typo?"))
    elif kind == "account":
        if not re.fullmatch(r"[A-Z0-9]{5,40}", number):
            raise DestinationError(_("an account number has 5 to 40 letters or digits"))
    else:
        raise DestinationError(_("choose a card or an account"))
    bank = " ".join(str(data.get("bank", "")).split())[:100]
    country = str(data.get("country", "") or "").strip().upper()
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        raise DestinationError(_("a country is two letters, such as BY or LT"))
    return {"holder": holder, "kind": kind, "number": number, "bank": bank, "country": country}


# A card's first six digits name its issuer (the BIN), not its holder: enough to tell which
# bank's cards are being blocked, with nothing that finds the person.
BIN_DIGITS = 6


def rail_of(details: dict) -> tuple[str, str, str]:
    """(kind, country, label) of the rail: the card's BIN range, or the account's bank name."""
    country = details.get("country", "")
    if details["kind"] == "card":
        return "card", country, f"BIN {details['number'][:BIN_DIGITS]}"
    bank = details.get("bank", "").upper()[:30] or "?"
    return "bank", country, f"BANK {bank}"


def mask(details: dict) -> str:
    number = details.get("number", "")
    return f"•••• {number[-4:]}" if number else "—"


def _safe(value: str) -> str:
    # A cell starting with = + - @ is a formula in a spreadsheet: neutralise it.
    value = str(value)
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export(batch: ExportBatch) -> ExportFile:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for payment in batch.payments:
        details = clean_details(payment.details)
        writer.writerow(
            [
                payment.end_to_end_id,
                f"{payment.amount:.2f}",
                payment.currency,
                _safe(details["holder"]),
                details["kind"],
                details["number"],
                _safe(details["bank"]),
                _safe(payment.remittance),
            ]
        )
    return ExportFile(out.getvalue().encode("utf-8"), f"{batch.message_id}.csv", "text/csv")
