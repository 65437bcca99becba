"""One adapter per payout rail (STYLE.md §1): how a destination is checked, how it is shown
masked, and how a batch becomes the file a bank, agent or wallet operator takes.

Each adapter works on plain values: the caller opens the sealed destinations in an unlocked
session, passes them in, and streams the bytes back to the browser. Nothing here stores,
logs or prints a destination.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from types import ModuleType

from django.utils.translation import gettext as _


class DestinationError(ValueError):
    """A payout destination that cannot be paid (bad checksum, wrong format, wrong rail)."""


class ExportError(Exception):
    """The batch cannot be turned into a file (missing debtor details, invalid output)."""


@dataclass(frozen=True)
class ExportPayment:
    end_to_end_id: str
    amount: Decimal
    currency: str
    details: dict
    remittance: str


@dataclass(frozen=True)
class ExportBatch:
    message_id: str
    created_at: datetime.datetime
    execution_date: datetime.date
    currency: str
    debtor: dict = field(default_factory=dict)  # the fund's own account: holder, iban, bic
    payments: list[ExportPayment] = field(default_factory=list)


@dataclass(frozen=True)
class ExportFile:
    data: bytes
    filename: str
    content_type: str


def adapter(rail: str) -> ModuleType:
    from solidarity.ledger.rails import crypto, csv, invoice, sepa

    adapters = {"sepa": sepa, "csv": csv, "crypto": crypto, "invoice": invoice}
    try:
        return adapters[rail]
    except KeyError:
        raise DestinationError(_("unknown rail %(rail)s") % {"rail": rail}) from None
