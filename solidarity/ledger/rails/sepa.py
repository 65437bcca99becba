"""SEPA credit transfers: IBAN checks by hand and pain.001.001.03 files through sepaxml.

sepaxml validates the XML against the schema but not IBAN checksums (STACK-NOTES), so every
IBAN is checked here, when a destination is recorded and again when a file is built.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError as SepaValidationError
from sepaxml.validation import try_valid_xml

from solidarity.ledger.money import to_cents
from solidarity.ledger.rails import DestinationError, ExportBatch, ExportError, ExportFile

SCHEMA = "pain.001.001.03"
CURRENCIES = ("EUR",)

# IBAN length per country (ISO 13616 registry). A wrong length is caught before the checksum.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
# Countries in the SEPA scheme: a SEPA transfer to any other IBAN (a Belarusian one, say)
# is refused by the sending bank, so it is refused here first.
SEPA_COUNTRIES = frozenset(
    "AD AT BE BG CH CY CZ DE DK EE ES FI FR GB GI GR HR HU IE IS IT LI LT LU LV MC MT NL NO "
    "PL PT RO SE SI SK SM VA".split()
)
_BIC_RE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
# Characters the SEPA "Latin" character set allows in names and references.
_SEPA_TEXT_RE = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")


def normalise_iban(value: str) -> str:
    """Upper-case, spaces removed, length and mod-97 checksum verified. Raises DestinationError."""
    iban = re.sub(r"\s+", "", str(value)).upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}", iban):
        raise DestinationError(
            _("an IBAN is a country code, two check digits and up to 30 letters or digits")
        )
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is None:
        raise DestinationError(_("this country does not use IBANs"))
    if len(iban) != expected:
        raise DestinationError(
            _("an IBAN from this country has %(n)d characters") % {"n": expected}
        )
    if iban_checksum(iban) != 1:
        raise DestinationError(_("the IBAN check digits are wrong: a typo?"))
    return iban


def iban_checksum(iban: str) -> int:
    """ISO 7064 mod 97-10 over the rearranged IBAN: 1 for a valid one."""
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    # Piecewise, as the standard describes, so no giant integer is needed (any would do in Python).
    remainder = 0
    for start in range(0, len(digits), 7):
        remainder = int(f"{remainder}{digits[start : start + 7]}") % 97
    return remainder


def normalise_bic(value: str) -> str:
    bic = re.sub(r"\s+", "", str(value or "")).upper()
    if bic and not _BIC_RE.match(bic):
        raise DestinationError(_("a BIC has 8 or 11 letters and digits"))
    return bic


def clean_details(data: dict) -> dict:
    """A SEPA destination: holder name, IBAN in a SEPA country, optional BIC."""
    holder = " ".join(str(data.get("holder", "")).split())
    if not holder:
        raise DestinationError(_("the account holder's name is required"))
    if len(holder) > 70:
        raise DestinationError(_("the account holder's name is at most 70 characters"))
    iban = normalise_iban(data.get("iban", ""))
    if iban[:2] not in SEPA_COUNTRIES:
        raise DestinationError(_("this IBAN is outside the SEPA area: use another rail"))
    return {"holder": holder, "iban": iban, "bic": normalise_bic(data.get("bic", ""))}


# Where the bank's code sits in the BBAN (offset, length) for the countries recipients use
# most; elsewhere the first four characters. The code names a bank, which is the rail.
_BANK_CODE = {
    "AT": (0, 5), "BE": (0, 3), "CH": (0, 5), "CZ": (0, 4), "DE": (0, 8), "EE": (0, 2),
    "ES": (0, 4), "FR": (0, 5), "GB": (0, 4), "IE": (0, 4), "IT": (1, 5), "LT": (0, 5),
    "LV": (0, 4), "NL": (0, 4), "PL": (0, 3), "SK": (0, 4),
}  # fmt: skip


def bank_of(iban: str, bic: str = "") -> tuple[str, str]:
    """(country, bank label) of an account: the BIC's bank and country part when given, else
    the IBAN's bank code. Never the account number itself."""
    country = iban[:2]
    if bic:
        return country, f"BIC {bic[:8]}"
    offset, length = _BANK_CODE.get(country, (0, 4))
    bban = iban[4:]
    return country, f"BANK {bban[offset : offset + length]}"


def rail_of(details: dict) -> tuple[str, str, str]:
    """(kind, country, label) of the rail this destination travels on."""
    country, label = bank_of(details["iban"], details.get("bic", ""))
    return "bank", country, label


def mask(details: dict) -> str:
    iban = details.get("iban", "")
    return f"{iban[:2]}•• •••• {iban[-4:]}" if iban else "—"


def _sepa_text(value: str, limit: int) -> str:
    return _SEPA_TEXT_RE.sub(" ", value)[:limit].strip() or "-"


def export(batch: ExportBatch) -> ExportFile:
    """A pain.001.001.03 file, validated against the schema. Raises ExportError.

    Ids and the creation time come from the batch, not from the clock or sepaxml's random
    ids, so exporting the same batch again yields the same bytes and the same message id,
    which the bank's duplicate check refuses a second time.
    """
    if batch.currency not in CURRENCIES:
        raise ExportError("SEPA credit transfers are in euros")
    debtor = batch.debtor
    if not debtor.get("iban") or not debtor.get("holder"):
        raise ExportError("the paying account has no IBAN or holder name for SEPA")
    config = {
        "name": _sepa_text(debtor["holder"], 70),
        "IBAN": normalise_iban(debtor["iban"]),
        "batch": True,
        "currency": "EUR",
    }
    if debtor.get("bic"):
        config["BIC"] = normalise_bic(debtor["bic"])
    transfer = SepaTransfer(config, schema=SCHEMA, clean=True)
    for payment in batch.payments:
        details = clean_details(payment.details)
        entry = {
            "name": details["holder"],
            "IBAN": details["iban"],
            "amount": to_cents(payment.amount),
            "execution_date": batch.execution_date,
            "description": _sepa_text(payment.remittance, 140),
            "endtoend_id": payment.end_to_end_id,
        }
        if details["bic"]:
            entry["BIC"] = details["bic"]
        # sepaxml changes the dict it is given (STACK-NOTES): hand it a copy.
        transfer.add_payment(dict(entry))
    xml = transfer.export(validate=False)
    xml = _replace_once(xml, b"MsgId", batch.message_id.encode("ascii"))
    xml = _replace_once(xml, b"PmtInfId", f"{batch.message_id}-1".encode("ascii")[:35])
    xml = _replace_once(
        xml, b"CreDtTm", batch.created_at.strftime("%Y-%m-%dT%H:%M:%S").encode("ascii")
    )
    try:
        try_valid_xml(xml, SCHEMA)
    except SepaValidationError as exc:
        raise ExportError("the SEPA file does not validate against pain.001.001.03") from exc
    return ExportFile(xml, f"{batch.message_id}.xml", "application/xml")


def _replace_once(xml: bytes, tag: bytes, value: bytes) -> bytes:
    pattern = re.compile(b"<" + tag + b">[^<]*</" + tag + b">")
    result, count = pattern.subn(b"<" + tag + b">" + value + b"</" + tag + b">", xml, count=1)
    if count != 1:
        raise ExportError(f"unexpected SEPA output: no {tag.decode()}")
    return result
