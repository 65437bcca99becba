"""A list of crypto payouts for whoever sends them from the fund's wallet: network, address,
amount. Amounts are in the batch currency (stablecoins track USD or EUR one to one); the
operator sends, then imports the transaction ids as confirmations."""

from __future__ import annotations

import csv
import io
import re

from django.utils.translation import gettext as _

from solidarity.ledger.rails import DestinationError, ExportBatch, ExportFile

CURRENCIES = ("USD", "EUR")
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# Address formats per network. A format check catches typos and wrong-network addresses;
# the operator's wallet checks the address checksums again before sending.
NETWORKS = {
    "TRC20": re.compile(rf"^T[{_BASE58}]{{33}}$"),
    "ERC20": re.compile(r"^0x[0-9a-fA-F]{40}$"),
    "BTC": re.compile(rf"^(bc1[02-9ac-hj-np-z]{{11,71}}|[13][{_BASE58}]{{25,34}})$"),
}
COLUMNS = ["end_to_end_id", "network", "address", "amount", "currency"]


def clean_details(data: dict) -> dict:
    network = str(data.get("network", "")).upper()
    address = str(data.get("address", "")).strip()
    if network not in NETWORKS:
        raise DestinationError(
            _("choose a network: %(networks)s") % {"networks": ", ".join(NETWORKS)}
        )
    if not NETWORKS[network].match(address):
        raise DestinationError(
            _("this is not an address on that network: a typo, or another network?")
        )
    return {"network": network, "address": address}


def rail_of(details: dict) -> tuple[str, str, str]:
    """(kind, country, label): a network has no country; the address is never part of it."""
    return "crypto", "", details["network"]


def mask(details: dict) -> str:
    address = details.get("address", "")
    return f"{details.get('network', '')} {address[:4]}…{address[-4:]}" if address else "—"


def export(batch: ExportBatch) -> ExportFile:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for payment in batch.payments:
        details = clean_details(payment.details)
        writer.writerow(
            [
                payment.end_to_end_id,
                details["network"],
                details["address"],
                f"{payment.amount:.2f}",
                payment.currency,
            ]
        )
    return ExportFile(out.getvalue().encode("utf-8"), f"{batch.message_id}-crypto.csv", "text/csv")
