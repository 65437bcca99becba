"""Public figures: raised, committed, paid, people supported per programme, jobs found, week
by week, built so that no individual can be inferred from them.

The rules, each against a way of singling someone out:

* Only complete weeks are shown, and every date is a week. What happened today does not
  appear until its week is over, together with everything else that week.
* Each series moves only when at least ``MIN_GROUP`` (10) different people (beneficiaries
  for money out and people counts, donations for money in) have contributed since it last
  moved. A single new beneficiary is held back until nine others join them, so two snapshots
  differ either not at all or by a group of at least ten.
* Any count under ten is shown as "< 10", never as the number.

Only columns that are public by design are read: amounts, days, programmes and statuses.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from solidarity.cases.models import Programme
from solidarity.ledger.models import Commitment, Donation, PayoutItem, SupportPlan
from solidarity.ledger.money import REPORTING_CURRENCY
from solidarity.ledger.services import RateBook

# Fewest contributors in any published change of a figure, and smallest count shown as a number.
MIN_GROUP = 10
SUPPRESSED = "< 10"


@dataclass(frozen=True)
class Event:
    """One contribution to a series: its day, who it is about, and how much it adds."""

    day: datetime.date
    contributor: str
    amount: Decimal = Decimal("1")


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def week_label(monday: datetime.date) -> str:
    year, week, _weekday = monday.isocalendar()
    return f"{year}-W{week:02d}"


def last_complete_week(today: datetime.date) -> datetime.date:
    """Monday of the newest week that has ended by ``today``."""
    return week_start(today) - datetime.timedelta(weeks=1)


def released_cumulative(
    events: Iterable[Event], weeks: list[datetime.date], *, min_group: int = MIN_GROUP
) -> list[Decimal]:
    """The published running total at the end of each week in ``weeks``.

    Events are taken week by week into a pending group; the group is added to the total only
    at the end of a week in which it holds ``min_group`` distinct contributors. Events after
    the last week are never seen.
    """
    by_week: dict[datetime.date, list[Event]] = defaultdict(list)
    last = weeks[-1] if weeks else None
    for event in events:
        monday = week_start(event.day)
        if last is not None and monday <= last:
            by_week[max(monday, weeks[0])].append(event)
    total = Decimal("0")
    pending_amount = Decimal("0")
    pending_people: set[str] = set()
    out = []
    for monday in weeks:
        for event in by_week.get(monday, []):
            pending_amount += event.amount
            pending_people.add(event.contributor)
        if len(pending_people) >= min_group:
            total += pending_amount
            pending_amount = Decimal("0")
            pending_people = set()
        out.append(total)
    return out


def shown_count(value: Decimal | int) -> int | str:
    return SUPPRESSED if value < MIN_GROUP else int(value)


def shown_money(value: Decimal) -> int:
    # Whole units: cents add nothing for the public and only make sums easier to take apart.
    return int(value)


# --- the events, from public-by-design columns only ----------------------------------------------


def donation_events(rates: RateBook) -> list[Event]:
    events = []
    for d in Donation.objects.select_related("entry__reversed_by"):
        if not rates.has(d.currency):
            continue
        value = rates.convert(d.amount, d.currency, d.received_on)
        events.append(Event(d.received_on, f"donation:{d.pk}", value))
        if d.refunded:
            events.append(Event(d.entry.reversed_by.booked_on, f"donation:{d.pk}", -value))
    return events


def paid_events(rates: RateBook) -> list[Event]:
    events = []
    for item in PayoutItem.objects.filter(status=PayoutItem.Status.PAID).select_related(
        "commitment"
    ):
        if rates.has(item.currency):
            day = item.confirmed_on or item.batch.execution_date
            events.append(
                Event(
                    day,
                    f"case:{item.commitment.case_id}",
                    rates.convert(item.amount, item.currency, day),
                )
            )
    return events


def committed_events(rates: RateBook) -> list[Event]:
    events = []
    for c in Commitment.objects.exclude(recognised_entry=None).select_related(
        "recognised_entry", "cancelled_entry"
    ):
        if not rates.has(c.currency):
            continue
        day = c.recognised_entry.booked_on
        value = rates.convert(c.amount, c.currency, day)
        events.append(Event(day, f"case:{c.case_id}", value))
        if c.cancelled_entry_id:
            events.append(Event(c.cancelled_entry.booked_on, f"case:{c.case_id}", -value))
    return events


def people_events(programme: str | None = None) -> list[Event]:
    """One event per case, on the day its first plan was activated."""
    first: dict[int, tuple[datetime.date, str]] = {}
    plans = (
        SupportPlan.objects.exclude(activated_on=None)
        .select_related("case")
        .order_by("activated_on")
    )
    for plan in plans:
        first.setdefault(plan.case_id, (plan.activated_on, plan.case.programme))
    return [
        Event(day, f"case:{case_id}")
        for case_id, (day, prog) in first.items()
        if programme is None or prog == programme
    ]


def job_events() -> list[Event] | None:
    """Jobs found, if the jobs app reports them: ``solidarity.jobs.services.public_placements()``
    yielding (day, opaque person id) pairs. None while nothing reports them."""
    from django.apps import apps

    if not apps.is_installed("solidarity.jobs"):
        return None
    from solidarity.jobs.services import public_placements

    return [Event(day, f"person:{person}") for day, person in public_placements()]


# --- the snapshot --------------------------------------------------------------------------------


@dataclass
class Snapshot:
    as_of_week: datetime.date | None
    currency: str
    weeks: list[datetime.date] = field(default_factory=list)
    raised: list[Decimal] = field(default_factory=list)
    committed: list[Decimal] = field(default_factory=list)
    paid: list[Decimal] = field(default_factory=list)
    people: list[Decimal] = field(default_factory=list)
    people_by_programme: dict[str, Decimal] = field(default_factory=dict)
    jobs: list[Decimal] | None = None

    def as_json(self) -> dict:
        """The JSON twin of the page: the same figures, suppressed the same way."""
        last = lambda series: series[-1] if series else Decimal("0")  # noqa: E731
        return {
            "as_of_week": week_label(self.as_of_week) if self.as_of_week else None,
            "currency": self.currency,
            "rules": {
                "minimum_group": MIN_GROUP,
                "small_counts_shown_as": SUPPRESSED,
                "dates": "ISO weeks; only complete weeks",
            },
            "totals": {
                "raised": shown_money(last(self.raised)),
                "committed": shown_money(last(self.committed)),
                "paid": shown_money(last(self.paid)),
                "people_supported": shown_count(last(self.people)),
                "jobs_found": shown_count(last(self.jobs)) if self.jobs is not None else None,
            },
            "people_supported_by_programme": {
                programme: shown_count(value)
                for programme, value in self.people_by_programme.items()
            },
            "weekly": [
                {
                    "week": week_label(monday),
                    "raised": shown_money(self.raised[i]),
                    "committed": shown_money(self.committed[i]),
                    "paid": shown_money(self.paid[i]),
                    "people_supported": shown_count(self.people[i]),
                    **({"jobs_found": shown_count(self.jobs[i])} if self.jobs is not None else {}),
                }
                for i, monday in enumerate(self.weeks)
            ],
        }


def _first_day() -> datetime.date | None:
    days = [
        d
        for d in (
            Donation.objects.order_by("received_on").values_list("received_on", flat=True).first(),
            SupportPlan.objects.exclude(activated_on=None)
            .order_by("activated_on")
            .values_list("activated_on", flat=True)
            .first(),
        )
        if d
    ]
    return min(days) if days else None


def build_snapshot(today: datetime.date | None = None) -> Snapshot:
    """Every public figure as of the last complete week before ``today``."""
    today = today or timezone.localdate()
    last = last_complete_week(today)
    first = _first_day()
    snapshot = Snapshot(as_of_week=last, currency=REPORTING_CURRENCY)
    if first is None or week_start(first) > last:
        return snapshot
    weeks = []
    monday = week_start(first)
    while monday <= last:
        weeks.append(monday)
        monday += datetime.timedelta(weeks=1)
    rates = RateBook()
    snapshot.weeks = weeks
    snapshot.raised = released_cumulative(donation_events(rates), weeks)
    snapshot.committed = released_cumulative(committed_events(rates), weeks)
    snapshot.paid = released_cumulative(paid_events(rates), weeks)
    snapshot.people = released_cumulative(people_events(), weeks)
    snapshot.people_by_programme = {
        value: released_cumulative(people_events(value), weeks)[-1]
        for value, _label in Programme.choices
    }
    jobs = job_events()
    snapshot.jobs = released_cumulative(jobs, weeks) if jobs is not None else None
    return snapshot


def programme_label(value: str) -> str:
    try:
        return str(Programme(value).label)
    except ValueError:
        return _("Other")
