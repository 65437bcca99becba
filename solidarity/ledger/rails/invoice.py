"""Paying a provider's invoice instead of the person: a course fee to the school, a legal fee
to the lawyer. The money never touches the recipient's card or account, so there is nothing
of theirs to freeze or sweep. A SEPA credit transfer to the provider's IBAN, with the invoice
reference as the text the provider's bank shows.

The provider is a business, not a person, but its IBAN and the invoice reference are sealed
like every destination: an invoice number at a school can lead to its student.
"""

from __future__ import annotations

import dataclasses
import re

from django.utils.translation import gettext as _

from solidarity.ledger.rails import DestinationError, ExportBatch, ExportFile, sepa

CURRENCIES = sepa.CURRENCIES
# SEPA's structured creditor reference is at most 35 characters; free text allows 140, but
# providers match invoices on a short reference.
MAX_REFERENCE = 35
_REFERENCE_RE = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]+$")


def clean_details(data: dict) -> dict:
    """A provider: business name, SEPA IBAN, optional BIC, the invoice reference."""
    provider = " ".join(str(data.get("provider") or data.get("holder") or "").split())
    if not provider:
        raise DestinationError(_("the provider's name is required"))
    if len(provider) > 70:
        raise DestinationError(_("the provider's name is at most 70 characters"))
    reference = " ".join(str(data.get("reference", "")).split())
    if not reference:
        raise DestinationError(_("the invoice reference is required"))
    if len(reference) > MAX_REFERENCE or not _REFERENCE_RE.match(reference):
        raise DestinationError(
            _("an invoice reference has at most 35 Latin letters, digits and simple signs")
        )
    iban = sepa.normalise_iban(data.get("iban", ""))
    if iban[:2] not in sepa.SEPA_COUNTRIES:
        raise DestinationError(_("this IBAN is outside the SEPA area: use another rail"))
    return {
        "provider": provider,
        "iban": iban,
        "bic": sepa.normalise_bic(data.get("bic", "")),
        "reference": reference,
    }


def rail_of(details: dict) -> tuple[str, str, str]:
    country, label = sepa.bank_of(details["iban"], details.get("bic", ""))
    return "provider", country, label


def mask(details: dict) -> str:
    return f"{details.get('provider', '')} · {sepa.mask(details)}"


def export(batch: ExportBatch) -> ExportFile:
    """A pain.001.001.03 file paying each invoice, its reference as the remittance text."""
    payments = []
    for payment in batch.payments:
        details = clean_details(payment.details)
        payments.append(
            dataclasses.replace(
                payment,
                details={
                    "holder": details["provider"],
                    "iban": details["iban"],
                    "bic": details["bic"],
                },
                remittance=details["reference"],
            )
        )
    exported = sepa.export(dataclasses.replace(batch, payments=payments))
    return ExportFile(exported.data, f"{batch.message_id}-invoices.xml", exported.content_type)
