"""Money in: donations entered by hand, bank statements imported, card processor webhooks.

No donor identity is kept (see ``donor_protection``). A donor who asks for a receipt gets it
at once, and their address is kept only sealed to the payout key (so a treasurer can resend
it), for SOLIDARITY_DONOR_RECEIPT_MONTHS; otherwise the fund knows an amount, a day, a keyed
digest of the bank's reference and whether the money came from a high-risk country, nothing
about who gave. Names, IBANs, card numbers, BINs and e-mail addresses in a statement or a
webhook are never read (an IBAN's first two letters excepted, for the country flag).

The card webhook is signed (HMAC-SHA256 over "<timestamp>.<body>", computed in the vault) and
carries its time: a request with a wrong signature is refused, one older or newer than
``WEBHOOK_TOLERANCE`` is refused, and one whose event id we already hold changes nothing.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidarity.audit import services as audit
from solidarity.ledger import donor_protection, roles, services
from solidarity.ledger.models import Account, Campaign, Donation, Entry, WebhookEvent
from solidarity.ledger.money import Currency, MoneyError, format_amount, to_amount
from solidarity.ledger.payouts import ensure_payout_key
from solidarity.vault import core, signatures

log = logging.getLogger(__name__)

# How far a webhook's timestamp may be from our clock, in seconds. Five minutes covers the
# processor's retries and clock drift; a captured request replayed later is refused.
WEBHOOK_TOLERANCE = 5 * 60
# Largest webhook body we read (bytes): processor events are a few kilobytes.
MAX_WEBHOOK_BYTES = 64 * 1024
# Largest bank statement we import at once (bytes).
MAX_STATEMENT_BYTES = 5 * 1024 * 1024
CARD_PROVIDER = "card"
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")


class DuplicateDonationError(Exception):
    """A donation with this reference was already recorded on this account."""


class WebhookNotConfiguredError(Exception):
    """No webhook secret is configured: the endpoint refuses everything."""


class BadSignatureError(Exception):
    """The webhook's signature is missing or does not match the body."""


class StaleWebhookError(Exception):
    """The webhook's timestamp is outside the tolerance: a replay, or a badly wrong clock."""


class MalformedWebhookError(Exception):
    """The webhook body is not an event we understand."""


# --- recording -----------------------------------------------------------------------------------


def _send_receipt(donation: Donation, address: str, *, warning: str = "") -> bool:
    subject = _("Thank you for your donation")
    body = _(
        "Thank you. We received your donation of %(amount)s on %(day)s.\n\n"
        "This is your receipt. We keep no record of who you are beyond this address, "
        "stored encrypted for %(months)d months; reply if you want us to delete it sooner."
    ) % {
        "amount": format_amount(donation.amount, donation.currency),
        "day": donation.received_on.isoformat(),
        "months": settings.DONOR_RECEIPT_MONTHS,
    }
    if warning:
        body += "\n\n" + warning
    try:
        send_mail(subject, body, None, [address], fail_silently=False)
    except Exception:  # noqa: BLE001 - any mail failure; never log the address
        log.warning("a donation receipt could not be sent")
        return False
    return True


@transaction.atomic
def record_donation(
    *,
    amount: Decimal,
    currency: str,
    held_account: Account,
    received_on: datetime.date | None = None,
    channel: str = Donation.Channel.MANUAL,
    reference: str | None = None,
    campaign: Campaign | None = None,
    receipt_to: str = "",
    payer_country: str = "",
    by=None,
) -> Donation:
    """Book a donation into a held account. Anonymous unless ``receipt_to`` is given.

    Of ``reference`` only a keyed digest is stored; of ``payer_country`` (the card's or the
    bank's, two letters) only whether it is a high-risk country. The donation's
    ``donor_warning`` attribute (not stored) holds the warning for the donor, or "".
    Raises DuplicateDonationError for a reference already recorded on the account,
    MoneyError for a bad amount, ValueError for a currency that is not the account's.
    """
    if by is not None:
        roles.require(by, roles.TREASURY_ROLES)
    amount = to_amount(amount)
    if amount == 0:
        raise MoneyError(_("a donation of zero"))
    if currency != held_account.currency or held_account.purpose != Account.Purpose.HELD:
        raise ValueError(_("the donation must go to a held account in its currency"))
    reference = (reference or "").strip()[:100] or None
    digest = donor_protection.reference_digest(reference) if reference else None
    if (
        digest
        and Donation.objects.filter(held_account=held_account, reference_digest=digest).exists()
    ):
        raise DuplicateDonationError()
    country = donor_protection.country_code(payer_country)
    high_risk = donor_protection.is_high_risk(country)
    entry = services.post_entry(
        Entry.Kind.DONATION,
        [
            (held_account, amount),
            (services.standard_account(Account.Purpose.DONATIONS, currency), -amount),
        ],
        booked_on=received_on,
        memo=f"Donation ({channel})" + (f" to {campaign.slug}" if campaign else ""),
        by=by,
    )
    receipt_to = receipt_to.strip()
    contact_sealed = kept_until = None
    if receipt_to:
        if not _EMAIL_RE.match(receipt_to):
            raise ValueError(_("not an e-mail address"))
        contact_sealed = core.seal_to(
            bytes(ensure_payout_key().public_key), receipt_to.encode("utf-8")
        )
        kept_until = donor_protection.receipt_kept_until()
    try:
        with transaction.atomic():
            donation = Donation.objects.create(
                channel=channel,
                campaign=campaign,
                amount=amount,
                currency=currency,
                received_on=entry.booked_on,
                held_account=held_account,
                reference_digest=digest,
                entry=entry,
                donor_contact_sealed=contact_sealed,
                receipt_kept_until=kept_until,
                high_risk_origin=high_risk,
                recorded_by=by,
            )
    except IntegrityError:
        # Two deliveries of the same reference at once: the unique constraint decides.
        raise DuplicateDonationError() from None
    donation.donor_warning = donor_protection.donor_warning(country) if high_risk else ""
    if receipt_to:
        donation.receipt = (
            Donation.Receipt.SENT
            if _send_receipt(donation, receipt_to, warning=donation.donor_warning)
            else Donation.Receipt.FAILED
        )
        donation.save(update_fields=["receipt"])
    audit.record(
        "donation.recorded",
        actor=by,
        subject=f"donation:{donation.pk}",
        channel=channel,
        amount=str(amount),
        currency=currency,
        high_risk=high_risk,
    )
    return donation


@transaction.atomic
def refund_donation(donation: Donation, *, by=None, reason: str = "") -> Entry:
    """Give a donation back (a chargeback, a mistake): its entry is reversed, nothing deleted."""
    if by is not None:
        roles.require(by, roles.TREASURY_ROLES)
    reversal = services.reverse_entry(
        donation.entry, by=by, memo=f"Donation {donation.pk} refunded", audit_event=False
    )
    audit.record(
        "donation.refunded", actor=by, subject=f"donation:{donation.pk}", reason=reason[:200]
    )
    return reversal


@transaction.atomic
def create_campaign(
    *,
    slug: str,
    name: str,
    goal: Decimal,
    currency: str,
    starts_on: datetime.date,
    ends_on=None,
    by,
) -> Campaign:
    roles.require(by, roles.MONEY_ROLES)
    campaign = Campaign.objects.create(
        slug=slug,
        name=name,
        goal=to_amount(goal),
        currency=currency,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    audit.record("campaign.created", actor=by, subject=slug)
    return campaign


def campaign_raised(campaign: Campaign, rates: services.RateBook | None = None) -> Decimal:
    """What a campaign raised, in its own currency (other currencies at the day's rate), net of refunds."""
    rates = rates or services.RateBook()
    total = Decimal("0.00")
    for donation in campaign.donations.select_related("entry"):
        if donation.refunded:
            continue
        if donation.currency == campaign.currency:
            total += donation.amount
        else:
            in_reporting = donation.amount * rates.rate(donation.currency, donation.received_on)
            total += services.round_cents(
                in_reporting / rates.rate(campaign.currency, donation.received_on)
            )
    return total


def donation_totals() -> dict[str, Decimal]:
    # Summed in Decimal: SQLite's SUM works in floating point.
    totals: dict[str, Decimal] = {}
    for currency, amount in Donation.objects.values_list("currency", "amount"):
        totals[currency] = totals.get(currency, Decimal("0.00")) + amount
    return totals


# --- bank statements -------------------------------------------------------------------------------


@dataclass
class ImportReport:
    created: int = 0
    duplicates: int = 0
    outgoing: int = 0
    high_risk: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _parse_statement_amount(raw: str) -> Decimal:
    text = raw.strip().replace("\u00a0", "").replace(" ", "")
    if "," in text and "." in text:
        # 1.234,56 (continental) or 1,234.56 (English): the last separator is the decimal one.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        text = text.replace(",", ".")
    return to_amount(text, allow_negative=True)


def _parse_statement_day(raw: str) -> datetime.date:
    raw = raw.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(_("dates are YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY"))


def import_bank_statement(
    data: bytes, *, held_account: Account, by, campaign: Campaign | None = None
) -> ImportReport:
    """Record each incoming row of a bank statement CSV as a donation, once per bank reference.

    Columns: date, amount, reference, and optionally currency and the payer's country
    (``country``, or failing that the first two letters of ``iban``). Outgoing rows (negative
    amounts) are counted and skipped; other columns (a payer's name, say) are never read, and
    of the reference only a keyed digest is kept. Importing the same file twice records
    nothing the second time. Raises NotAllowedError.
    """
    roles.require(by, roles.TREASURY_ROLES)
    report = ImportReport()
    if len(data) > MAX_STATEMENT_BYTES:
        report.errors.append((0, _("file too large")))
        return report
    text = data.decode("utf-8-sig", errors="replace")
    dialect = csv.excel
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        pass
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    fields = {(f or "").strip().lower() for f in reader.fieldnames or []}
    if not {"date", "amount", "reference"} <= fields:
        report.errors.append((1, _("the header must name date, amount and reference")))
        return report
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        try:
            amount = _parse_statement_amount(row.get("amount", ""))
            day = _parse_statement_day(row.get("date", ""))
            reference = row.get("reference", "")
            if not reference:
                raise ValueError(_("a row without a bank reference cannot be imported safely"))
            currency = (row.get("currency") or held_account.currency).upper()
            if currency != held_account.currency:
                raise ValueError(
                    _("this account holds %(account)s, the row is in %(row)s")
                    % {"account": held_account.currency, "row": currency}
                )
            if amount <= 0:
                report.outgoing += 1
                continue
            donation = record_donation(
                amount=amount,
                currency=currency,
                held_account=held_account,
                received_on=day,
                channel=Donation.Channel.BANK,
                reference=reference,
                campaign=campaign,
                payer_country=_statement_country(row),
                by=by,
            )
            report.created += 1
            report.high_risk += donation.high_risk_origin
        except DuplicateDonationError:
            report.duplicates += 1
        except (ValueError, MoneyError) as exc:
            report.errors.append((line, str(exc)))
    audit.record(
        "donation.statement_imported",
        actor=by,
        subject=held_account.code[:64],
        created=report.created,
        duplicates=report.duplicates,
        high_risk=report.high_risk,
        errors=len(report.errors),
    )
    return report


def _statement_country(row: dict[str, str]) -> str:
    """The payer's country from a statement row: a country column, else the IBAN's prefix.

    Banks name these columns differently; these are the names we accept. Only two letters
    of the IBAN are read, and only to set the high-risk flag."""
    for name in ("country", "payer_country", "payer country"):
        if row.get(name):
            return donor_protection.country_code(row[name])
    for name in ("iban", "payer_iban", "payer iban"):
        if row.get(name):
            return donor_protection.country_of_iban(row[name])
    return ""


# --- the card processor's webhook ---------------------------------------------------------------


def webhook_secret() -> bytes:
    """The shared secret: settings.CARD_WEBHOOK_SECRET, or SOLIDARITY_CARD_WEBHOOK_SECRET(_FILE).

    Raises WebhookNotConfiguredError when none is set.
    """
    value = getattr(settings, "CARD_WEBHOOK_SECRET", None) or os.environ.get(
        "SOLIDARITY_CARD_WEBHOOK_SECRET"
    )
    path = os.environ.get("SOLIDARITY_CARD_WEBHOOK_SECRET_FILE")
    if not value and path:
        value = Path(path).read_text(encoding="utf-8").strip()
    if not value:
        raise WebhookNotConfiguredError()
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def signature_header(secret: bytes, body: bytes, timestamp: int) -> str:
    """The header value a processor sends: ``t=<unix seconds>,v1=<hex HMAC>``."""
    return (
        f"t={timestamp},v1={signatures.sign_hmac_sha256(secret, f'{timestamp}.'.encode() + body)}"
    )


def verify_webhook(body: bytes, header: str, *, now: float | None = None) -> None:
    """Raises BadSignatureError, StaleWebhookError or WebhookNotConfiguredError."""
    secret = webhook_secret()
    parts: dict[str, list[str]] = {}
    for piece in (header or "").split(","):
        key, _sep, value = piece.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError, IndexError):
        raise BadSignatureError("no timestamp") from None
    signed = f"{timestamp}.".encode() + body
    # Any one v1 matching is enough: processors send two while they rotate secrets.
    if not any(signatures.hmac_sha256_matches(secret, signed, sig) for sig in parts.get("v1", [])):
        raise BadSignatureError("signature does not match")
    # Checked after the signature, so an attacker cannot learn our clock from the answers.
    if abs((now if now is not None else time.time()) - timestamp) > WEBHOOK_TOLERANCE:
        raise StaleWebhookError("timestamp outside the tolerance")


def processor_account(currency: str) -> Account:
    """The held account for money waiting at the card processor, made on first use."""
    code = f"Assets:Held:CardProcessor:{currency}"
    account = Account.objects.filter(code=code).first()
    return account or services.open_held_account("Card processor", currency)


@dataclass(frozen=True)
class WebhookOutcome:
    """What the processor is told: ``result`` ("recorded", "refunded", "duplicate" or
    "ignored") and, for a card from a high-risk country, a warning it may show the donor."""

    result: str
    donor_warning: str = ""


def _card_country(data: dict) -> str:
    """The issuing country of the card, from the fields processors use for it.

    Only the country is read: the card number, its BIN, the holder's name and the billing
    address in the same event are never looked at."""
    card = data.get("card")
    nested = card.get("country") if isinstance(card, dict) else ""
    return donor_protection.country_code(data.get("card_country") or nested)


@transaction.atomic
def handle_card_webhook(body: bytes, header: str, *, now: float | None = None) -> WebhookOutcome:
    """Verify and apply one processor event (see WebhookOutcome).

    Raises BadSignatureError, StaleWebhookError, MalformedWebhookError,
    WebhookNotConfiguredError."""
    if len(body) > MAX_WEBHOOK_BYTES:
        raise MalformedWebhookError("body too large")
    verify_webhook(body, header, now=now)
    try:
        event = json.loads(body.decode("utf-8"))
        event_id = str(event["id"])[:100]
        kind = str(event["type"])[:40]
        data = event.get("data") or {}
        if not isinstance(data, dict) or not event_id:
            raise ValueError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise MalformedWebhookError("not an event") from None
    event_digest = donor_protection.event_digest(CARD_PROVIDER, event_id)
    if WebhookEvent.objects.filter(provider=CARD_PROVIDER, event_digest=event_digest).exists():
        return WebhookOutcome("duplicate")
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(
                provider=CARD_PROVIDER, event_digest=event_digest, kind=kind
            )
    except IntegrityError:
        return WebhookOutcome("duplicate")
    try:
        if kind == "charge.succeeded":
            currency = str(data["currency"]).upper()
            if currency not in Currency.values:
                raise ValueError(_("currency"))
            campaign = Campaign.objects.filter(slug=str(data.get("campaign") or "")).first()
            donation = record_donation(
                amount=to_amount(str(data["amount"])),
                currency=currency,
                held_account=processor_account(currency),
                received_on=datetime.datetime.fromtimestamp(
                    int(data["created"]), tz=datetime.UTC
                ).date()
                if data.get("created")
                else timezone.localdate(),
                channel=Donation.Channel.CARD,
                reference=str(data["charge_id"]),
                campaign=campaign,
                receipt_to=str(data.get("receipt_email") or ""),
                payer_country=_card_country(data),
            )
            return WebhookOutcome("recorded", donation.donor_warning)
        if kind == "charge.refunded":
            donation = Donation.objects.filter(
                channel=Donation.Channel.CARD,
                reference_digest=donor_protection.reference_digest(
                    str(data["charge_id"]).strip()[:100]
                ),
            ).first()
            if donation is None or donation.refunded:
                return WebhookOutcome("ignored")
            refund_donation(donation, reason="card refund")
            return WebhookOutcome("refunded")
    except DuplicateDonationError:
        return WebhookOutcome("duplicate")
    except (KeyError, ValueError, TypeError, MoneyError):
        raise MalformedWebhookError("event data incomplete") from None
    return WebhookOutcome("ignored")
