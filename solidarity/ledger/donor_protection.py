"""Donors protected by default: what the fund keeps about a donation, and for how long.

Once a fund is declared "extremist", its donors are prosecuted years later from their card
statements and from the fund's own records. So the fund keeps:

* of a bank reference, a charge id or a processor's event id, only a keyed digest (enough to
  book each one once, useless for matching a donor's statement without the secret);
* ... and only for ``DONOR_REFERENCE_MONTHS``: then ``donors purge`` forgets the digest too;
* a receipt address only when the donor asked for a receipt, sealed to the payout key, and
  only for ``DONOR_RECEIPT_MONTHS`` months: ``solidarity donors purge`` deletes it after;
* of the country of a card or bank, only a flag: "from a high-risk country", shown to the
  treasurer, and a warning to the donor where the channel can carry one.

Nothing here reads a name, an IBAN beyond its two-letter country, a card number or a BIN.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from solidarity.audit import services as audit
from solidarity.ledger.models import Donation, WebhookEvent
from solidarity.vault import donor_keys

_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
# The countries whose names the warning spells out; any other listed code is shown as is.
COUNTRY_NAMES = {
    "BY": gettext_lazy("Belarus"),
    "RU": gettext_lazy("Russia"),
}


# --- keyed digests -------------------------------------------------------------------------------


def donor_key() -> bytes:
    """The key of the donor digests, from settings (also used by migration 0004)."""
    configured = getattr(settings, "DONOR_REFERENCE_SECRET", None)
    secret = configured or f"donor-reference:{settings.SECRET_KEY}"
    return donor_keys.donor_key(secret.encode("utf-8") if isinstance(secret, str) else secret)


def reference_digest(reference: str) -> str:
    """What is stored of a bank reference or a charge id: its keyed digest."""
    return donor_keys.reference_digest(donor_key(), reference)


def event_digest(provider: str, event_id: str) -> str:
    """What is stored of a processor's event id: its keyed digest."""
    return donor_keys.event_digest(donor_key(), provider, event_id)


# --- countries ---------------------------------------------------------------------------------


def country_code(raw: object) -> str:
    """A two-letter country code from a processor's or a statement's field, or ""."""
    text = str(raw or "").strip().upper()
    return text if _COUNTRY_RE.match(text) else ""


def country_of_iban(iban: object) -> str:
    """The country of an IBAN (its first two letters); the rest is never looked at."""
    return country_code(str(iban or "").strip()[:2])


def is_high_risk(country: str) -> bool:
    return bool(country) and country in settings.HIGH_RISK_COUNTRIES


def donor_warning(country: str) -> str:
    """The warning for a donor who paid from a card or bank of a high-risk country."""
    name = COUNTRY_NAMES.get(country, country)
    return _(
        "Paying from a card or bank account issued in %(country)s may be visible to the "
        "authorities there: the bank keeps a record of every payment and can be made to hand "
        "it over. If you can, give from a card or account issued elsewhere."
    ) % {"country": name}


# --- receipt addresses ---------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def receipt_kept_until(sent_on: datetime.date | None = None) -> datetime.date:
    """The last day a receipt address sent on ``sent_on`` (default today) is kept."""
    return add_months(sent_on or timezone.localdate(), settings.DONOR_RECEIPT_MONTHS)


@transaction.atomic
def purge_expired_receipts(*, today: datetime.date | None = None) -> int:
    """Delete every sealed receipt address kept past its day. Returns how many were deleted."""
    today = today or timezone.localdate()
    expired = Donation.objects.filter(
        donor_contact_sealed__isnull=False, receipt_kept_until__lt=today
    )
    count = expired.update(donor_contact_sealed=None, receipt_kept_until=None)
    audit.record("donation.receipts_purged", subject="donors", count=count)
    return count


@transaction.atomic
def forget_old_references(*, today: datetime.date | None = None) -> tuple[int, int]:
    """Forget the digests of references and events older than DONOR_REFERENCE_MONTHS.

    A donation is forgotten only when both its day and the day it was recorded are past the
    window (a statement imported late keeps its references for the full window). Returns
    (donations whose reference digest was cleared, processor events deleted).
    """
    today = today or timezone.localdate()
    cutoff = add_months(today, -settings.DONOR_REFERENCE_MONTHS)
    cutoff_at = datetime.datetime.combine(cutoff, datetime.time.min, tzinfo=datetime.UTC)
    donations = Donation.objects.filter(
        reference_digest__isnull=False, received_on__lt=cutoff, entry__created_at__lt=cutoff_at
    ).update(reference_digest=None)
    events, _by_model = WebhookEvent.objects.filter(received_at__lt=cutoff_at).delete()
    audit.record(
        "donation.references_forgotten", subject="donors", donations=donations, events=events
    )
    return donations, events


@dataclass(frozen=True)
class DonorStatus:
    """Counts only: nothing here can tell one donor from another."""

    donations: int
    receipt_addresses: int
    expired_addresses: int
    high_risk: int
    retention_months: int
    reference_digests: int
    reference_months: int
    secret_configured: bool


def donor_status(*, today: datetime.date | None = None) -> DonorStatus:
    today = today or timezone.localdate()
    kept = Donation.objects.filter(donor_contact_sealed__isnull=False)
    return DonorStatus(
        donations=Donation.objects.count(),
        receipt_addresses=kept.count(),
        expired_addresses=kept.filter(receipt_kept_until__lt=today).count(),
        high_risk=Donation.objects.filter(high_risk_origin=True).count(),
        retention_months=settings.DONOR_RECEIPT_MONTHS,
        reference_digests=Donation.objects.filter(reference_digest__isnull=False).count()
        + WebhookEvent.objects.count(),
        reference_months=settings.DONOR_REFERENCE_MONTHS,
        secret_configured=bool(getattr(settings, "DONOR_REFERENCE_SECRET", None)),
    )
