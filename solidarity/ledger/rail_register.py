"""The register of payout rails: which banks, card ranges, networks and providers still carry
money to people, and which ones the state has started to freeze or sweep.

Another fund learnt it the hard way: banks were ordered to freeze every payment from one
sender, cards were blocked, pensions swept from the same accounts. The signal is in our own
confirmations: when payments on one rail fail or are seized again and again, the next batch
must not send more money down it without somebody deciding so.

* Every destination is linked to its rail when it is added (the rail is derived from the
  details before they are sealed; only the link is stored).
* Each confirmation is recorded against the rail. Several failures or seizures within a
  window make it *suspect*; more seizures make it *burned*. A treasurer may set the status
  by hand, with a reason, and that is audited.
* Preparing a batch warns about suspect rails (the treasurer must confirm) and leaves out
  burned ones; a first payment to a destination waits until the applicant has read the
  guidance about its rail, or a treasurer overrides with a reason.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from solidarity.audit import services as audit
from solidarity.cases.models import Case
from solidarity.ledger import roles
from solidarity.ledger.models import (
    PayoutDestination,
    PayoutItem,
    PayoutRail,
    RailOutcome,
    RailStatusChange,
)
from solidarity.ledger.rails import DestinationError

# A rail is suspect after this many failed or seized payments within WINDOW_DAYS: one
# failure is a typo or a closed account, three in a month is a pattern.
SUSPECT_AFTER = 3
# ... and burned after this many *seized* payments within the window: money is being taken.
BURNED_AFTER = 5
# The window, in days, counted back from today on the confirmations' own dates.
WINDOW_DAYS = 30
# Countries where transfers from abroad are watched and cards of recipients get blocked:
# the guidance says so plainly for rails there.
WATCHED_COUNTRIES = frozenset({"BY", "RU"})

_SEVERITY = {
    PayoutRail.Status.WORKING: 0,
    PayoutRail.Status.SUSPECT: 1,
    PayoutRail.Status.BURNED: 2,
}


class RailStatusError(ValueError):
    """A status change without a reason, or to an unknown status."""


class SuspectRailError(Exception):
    """Payments in this batch go down rails marked suspect: the treasurer must confirm."""

    def __init__(self, rails: list[PayoutRail], count: int):
        super().__init__(f"{count} payments on suspect rails")
        self.rails = rails
        self.count = count


class HeldBackError(Exception):
    """Every payment that was due is held back: down a burned rail, or waiting until the
    recipient has read the guidance about their rail."""

    def __init__(self, burned: int, waiting: int):
        super().__init__(f"{burned} on burned rails, {waiting} waiting for guidance")
        self.burned = burned
        self.waiting = waiting


# --- linking destinations -----------------------------------------------------------------------


def rail_for(kind: str, country: str, label: str) -> PayoutRail:
    """The register's row for this rail, made on first sight."""
    rail, _created = PayoutRail.objects.get_or_create(
        kind=kind,
        country=country[:2].upper(),
        label=label[:40],
        defaults={"created_on": timezone.localdate()},
    )
    return rail


def refuse_burned(adapter, cleaned: dict) -> None:
    """Refuse a new destination on a burned rail before anything is stored: money sent there
    is taken. Raises rails.DestinationError (a treasurer can clear the rail first)."""
    kind, country, label = adapter.rail_of(cleaned)
    if PayoutRail.objects.filter(
        kind=kind, country=country[:2].upper(), label=label[:40], status=PayoutRail.Status.BURNED
    ).exists():
        raise DestinationError(
            _(
                "payments on this rail (%(label)s) are being seized: choose another bank, card or network"
            )
            % {"label": label}
        )


def link_destination(destination: PayoutDestination, adapter, cleaned: dict) -> PayoutRail:
    """Link a new destination to its rail, from its cleaned details (before they are sealed)."""
    kind, country, label = adapter.rail_of(cleaned)
    rail = rail_for(kind, country, label)
    destination.payout_rail = rail
    destination.save(update_fields=["payout_rail"])
    return rail


# --- status from confirmations -------------------------------------------------------------------


def _since(
    rail: PayoutRail, today: datetime.date
) -> tuple[datetime.date, datetime.datetime | None]:
    """Outcomes count from the window's start, and only after the last change made by hand:
    a treasurer who clears a rail starts it with a clean count."""
    last_by_hand = (
        rail.changes.filter(changed_by__isnull=False).order_by("-id").values("changed_at").first()
    )
    return today - datetime.timedelta(days=WINDOW_DAYS), (
        last_by_hand["changed_at"] if last_by_hand else None
    )


def _change(rail: PayoutRail, status: str, reason: str, *, by=None) -> None:
    RailStatusChange.objects.create(
        rail=rail, before=rail.status, after=status, reason=reason[:200], changed_by=by
    )
    rail.status = status
    rail.status_reason = reason[:200]
    rail.status_changed_at = timezone.now()
    rail.save(update_fields=["status", "status_reason", "status_changed_at"])


def record_outcome(item: PayoutItem, outcome: str, on: datetime.date) -> PayoutRail | None:
    """Count a confirmed payment against its rail and raise the rail's status if the count
    says so. Never lowers a status: only a treasurer clears a rail. Called inside the
    confirmation's transaction."""
    rail_id = item.destination.payout_rail_id
    if rail_id is None:
        return None
    rail = PayoutRail.objects.select_for_update().get(pk=rail_id)
    RailOutcome.objects.get_or_create(item=item, outcome=outcome, defaults={"rail": rail, "on": on})
    if outcome == PayoutItem.Status.PAID:
        return rail
    window_start, after = _since(rail, timezone.localdate())
    recent = rail.outcomes.filter(on__gte=window_start)
    if after is not None:
        recent = recent.filter(recorded_at__gt=after)
    bad = recent.filter(outcome__in=[PayoutItem.Status.FAILED, PayoutItem.Status.SEIZED]).count()
    seized = recent.filter(outcome=PayoutItem.Status.SEIZED).count()
    target = rail.status
    if seized >= BURNED_AFTER:
        target = PayoutRail.Status.BURNED
    elif bad >= SUSPECT_AFTER:
        target = PayoutRail.Status.SUSPECT
    if _SEVERITY[target] > _SEVERITY[rail.status]:
        reason = (
            f"{seized} seized and {bad - seized} failed payments in {WINDOW_DAYS} days "
            "(confirmation import)"
        )
        _change(rail, target, reason)
        audit.record(
            "payout.rail_status_changed",
            subject=f"rail:{rail.pk}",
            status=target,
            failed=bad - seized,
            seized=seized,
        )
    return rail


@transaction.atomic
def set_rail_status(rail: PayoutRail, status: str, *, by, reason: str) -> PayoutRail:
    """A treasurer marks a rail working, suspect or burned, with a reason (audited).

    Raises RailStatusError, NotAllowedError.
    """
    roles.require(by, roles.TREASURY_ROLES)
    if status not in PayoutRail.Status.values:
        raise RailStatusError(_("choose working, suspect or burned"))
    reason = " ".join(reason.split())
    if not reason:
        raise RailStatusError(_("a change of a rail's status needs a reason"))
    rail = PayoutRail.objects.select_for_update().get(pk=rail.pk)
    if rail.status == status:
        return rail
    before = rail.status
    _change(rail, status, reason, by=by)
    audit.record(
        "payout.rail_status_set",
        actor=by,
        subject=f"rail:{rail.pk}",
        before=before,
        status=status,
        reason=reason[:200],
    )
    return rail


@dataclass
class RailRow:
    rail: PayoutRail
    destinations: int
    paid: int
    failed: int
    seized: int
    changes: list[RailStatusChange] = field(default_factory=list)


def register() -> list[RailRow]:
    """Every rail with its counts and history, the worst first, for the staff page."""
    rows = []
    for rail in PayoutRail.objects.all():
        counts = {o: 0 for o in ("paid", "failed", "seized")}
        for outcome in rail.outcomes.values_list("outcome", flat=True):
            counts[outcome] = counts.get(outcome, 0) + 1
        rows.append(
            RailRow(
                rail=rail,
                destinations=rail.destinations.count(),
                paid=counts["paid"],
                failed=counts["failed"],
                seized=counts["seized"],
                changes=list(rail.changes.select_related("changed_by")[:10]),
            )
        )
    rows.sort(key=lambda r: (-_SEVERITY[r.rail.status], r.rail.kind, r.rail.label))
    return rows


# --- screening a batch ---------------------------------------------------------------------------


@dataclass
class Screened:
    ok: list = field(default_factory=list)
    suspect: list = field(default_factory=list)
    burned: list = field(default_factory=list)
    waiting: list = field(default_factory=list)

    def suspect_rails(self) -> list[PayoutRail]:
        seen: dict[int, PayoutRail] = {}
        for _c, destination in self.suspect:
            seen[destination.payout_rail_id] = destination.payout_rail
        return list(seen.values())


def screen(chosen: list[tuple]) -> Screened:
    """Sort (commitment, destination) pairs by what their rail and guidance allow."""
    out = Screened()
    # One query for all: which of these destinations were already paid or have a payment
    # on its way (a batch of hundreds must not ask once per payment).
    unsettled = {d.pk for _c, d in chosen if not d.guidance_settled}
    paid_before = set(
        PayoutItem.objects.filter(
            destination_id__in=unsettled,
            status__in=[PayoutItem.Status.PENDING, PayoutItem.Status.SENT, PayoutItem.Status.PAID],
        ).values_list("destination_id", flat=True)
    )
    rails_by_id = PayoutRail.objects.in_bulk({d.payout_rail_id for _c, d in chosen} - {None})
    for commitment, destination in chosen:
        rail = rails_by_id.get(destination.payout_rail_id)
        if rail is not None:
            destination.payout_rail = rail
        status = rail.status if rail is not None else PayoutRail.Status.WORKING
        if status == PayoutRail.Status.BURNED:
            out.burned.append((commitment, destination))
            continue
        # Two payments to a new destination in one batch are both first payments.
        if not destination.guidance_settled and destination.pk not in paid_before:
            out.waiting.append((commitment, destination))
            continue
        if status == PayoutRail.Status.SUSPECT:
            out.suspect.append((commitment, destination))
        else:
            out.ok.append((commitment, destination))
    return out


# --- guidance for the recipient ------------------------------------------------------------------

_GUIDANCE = {
    PayoutRail.Kind.BANK: gettext_lazy(
        "Payments to a bank account can be frozen when the bank is ordered to stop transfers "
        "from abroad. Do not keep more money on this account than you need for the next few "
        "days, and keep savings or a pension on another account."
    ),
    PayoutRail.Kind.CARD: gettext_lazy(
        "Transfers to cards are watched, and cards that receive them get blocked, sometimes "
        "together with every other account at the same bank. Withdraw or spend what arrives "
        "soon, keep the balance small, and do not receive a pension or salary on this card."
    ),
    PayoutRail.Kind.CRYPTO: gettext_lazy(
        "A crypto payment cannot be frozen by a bank, but exchanging it can be traced. Use an "
        "exchange or a person you trust, exchange small amounts, and never reuse an address "
        "that was published anywhere."
    ),
    PayoutRail.Kind.PROVIDER: gettext_lazy(
        "The fund pays this invoice directly to the provider: no money passes through your "
        "own accounts. Keep the invoice, and tell us if the provider asks you to pay it again."
    ),
}
_WATCHED = gettext_lazy(
    "Transfers into this country are watched: a payment from abroad can be enough to have a "
    "card blocked or an account searched."
)
_GENERAL = gettext_lazy(
    "If you would rather not receive money yourself, the fund can pay a course, a lawyer or "
    "another provider directly: write to us below."
)


def guidance_for(destination: PayoutDestination) -> list[str]:
    """The plain paragraphs an applicant reads about the rail their payments will take."""
    rail = destination.payout_rail
    kind = rail.kind if rail is not None else PayoutRail.Kind.BANK
    paragraphs = [str(_GUIDANCE[kind])]
    if rail is not None and rail.country in WATCHED_COUNTRIES:
        paragraphs.append(str(_WATCHED))
    if kind != PayoutRail.Kind.PROVIDER:
        paragraphs.append(str(_GENERAL))
    return paragraphs


def guidance_pending(case: Case) -> list[tuple[PayoutDestination, list[str]]]:
    """Destinations of this case whose guidance the applicant has not yet acknowledged."""
    pending = PayoutDestination.objects.filter(
        case=case,
        status=PayoutDestination.Status.ACTIVE,
        guidance_acknowledged_on__isnull=True,
    ).select_related("payout_rail")
    return [(d, guidance_for(d)) for d in pending.order_by("id")]


class GuidanceError(Exception):
    """No such destination for this case, or a missing reason."""


@transaction.atomic
def acknowledge_guidance(case: Case, destination_id: int) -> PayoutDestination:
    """The applicant has read the guidance for one of their destinations. Raises GuidanceError."""
    destination = (
        PayoutDestination.objects.select_for_update().filter(case=case, pk=destination_id).first()
    )
    if destination is None:
        raise GuidanceError(destination_id)
    if destination.guidance_acknowledged_on is None:
        # The day only, and no audit event: like the applicant's messages, an applicant's
        # action is never kept with a time of day that could be matched to a network log.
        destination.guidance_acknowledged_on = timezone.localdate()
        destination.save(update_fields=["guidance_acknowledged_on"])
    return destination


@transaction.atomic
def override_guidance(destination: PayoutDestination, *, by, reason: str) -> PayoutDestination:
    """Let the first payment go before the applicant acknowledged the guidance (they were told
    another way, or the money is urgent). Raises GuidanceError, NotAllowedError."""
    roles.require(by, roles.TREASURY_ROLES)
    reason = " ".join(reason.split())
    if not reason:
        raise GuidanceError(_("an override needs a reason"))
    destination = PayoutDestination.objects.select_for_update().get(pk=destination.pk)
    destination.guidance_override_by = by
    destination.guidance_override_reason = reason[:200]
    destination.save(update_fields=["guidance_override_by", "guidance_override_reason"])
    audit.record(
        "payout.guidance_overridden",
        actor=by,
        subject=destination.case.code,
        destination=destination.pk,
        reason=reason[:200],
    )
    return destination
