"""Runway: cash against commitments under donation and applicant scenarios, and who to fund
when demand exceeds the money.

Everything is in the reporting currency, week by week. The model is deliberately simple and
stated in the output, so a coordinator can argue with it:

* cash now = money held in every bank, processor and wallet;
* out = commitments already scheduled (by due date; overdue ones in week 0), and for each
  new supported person an average plan: the one-off part when the plan starts, the monthly
  part over the following months;
* in = donations per week (the recent average unless given);
* new supported people per week = applications x share verified, starting after a lag.

A surge multiplies daily applications by a factor day over day for some days (in August
2020 they tripled day over day for a week), then falls back to the base rate.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from scipy.optimize import LinearConstraint, linprog, milp

from solidarity.cases.models import Case
from solidarity.ledger import services
from solidarity.ledger.models import Account, Commitment, Donation, SupportKind, SupportPlan
from solidarity.ledger.money import REPORTING_CURRENCY, round_cents

DAYS_PER_WEEK = 7
# Weeks between an application and its first payment: screening and verification take time.
DEFAULT_VERIFICATION_LAG_WEEKS = 2
# Share of applications verified when there is no history yet (2020: most applicants were real).
DEFAULT_VERIFIED_SHARE = 0.5
HISTORY_WEEKS = 8  # weeks of donations and applications the "recent average" looks at


@dataclass(frozen=True)
class Scenario:
    name: str
    weekly_donations: Decimal | None = None  # None: the recent average
    daily_applications: float | None = None  # None: the recent average
    surge_factor: float = 1.0  # day-over-day multiplier during the surge
    surge_days: int = 0
    verified_share: float | None = None
    lag_weeks: int = DEFAULT_VERIFICATION_LAG_WEEKS
    take_new_people: bool = True

    @classmethod
    def named(cls, name: str) -> Scenario:
        presets = {
            "current": cls("current", take_new_people=False),
            "steady": cls("steady"),
            "surge": cls("surge", surge_factor=3.0, surge_days=7),
            "no-donations": cls("no-donations", weekly_donations=Decimal("0")),
        }
        try:
            return presets[name]
        except KeyError:
            raise ValueError(f"unknown scenario {name}: choose from {', '.join(presets)}") from None


SCENARIOS = ("current", "steady", "surge", "no-donations")


@dataclass
class PersonProfile:
    """What one newly supported person costs on average, in the reporting currency."""

    upfront: Decimal
    monthly: Decimal
    months: int

    def weekly_costs(self, weeks: int) -> list[Decimal]:
        costs = [Decimal("0")] * weeks
        if weeks:
            costs[0] += self.upfront
        for month in range(self.months):
            week = round(month * 52 / 12)
            if week < weeks:
                costs[week] += self.monthly
        return costs

    @property
    def total(self) -> Decimal:
        return self.upfront + self.monthly * self.months


@dataclass
class Week:
    start: datetime.date
    inflow: Decimal
    committed_out: Decimal
    new_people: float
    new_people_out: Decimal
    cash: Decimal


@dataclass
class Forecast:
    as_of: datetime.date
    scenario: Scenario
    cash_now: Decimal
    owed_now: Decimal
    contingent: Decimal
    weekly_donations: Decimal
    daily_applications: float
    verified_share: float
    profile: PersonProfile
    weeks: list[Week] = field(default_factory=list)
    runs_out_on: datetime.date | None = None
    capacity: int = 0
    assumptions: list[str] = field(default_factory=list)
    missing_rates: list[str] = field(default_factory=list)


def _to_reporting(
    amount: Decimal, currency: str, on: datetime.date, rates: services.RateBook, missing: set[str]
) -> Decimal:
    if not rates.has(currency):
        missing.add(currency)
        return Decimal("0")
    return rates.convert(amount, currency, on)


def _cash(rates, as_of, missing) -> Decimal:
    total = Decimal("0")
    for account in Account.objects.filter(purpose=Account.Purpose.HELD):
        total += _to_reporting(account.balance, account.currency, as_of, rates, missing)
    return total


def _recent_weekly_donations(as_of, rates, missing) -> Decimal:
    since = as_of - datetime.timedelta(weeks=HISTORY_WEEKS)
    total = Decimal("0")
    for donation in Donation.objects.filter(
        received_on__gt=since, received_on__lte=as_of
    ).select_related("entry"):
        if not donation.refunded:
            total += _to_reporting(
                donation.amount, donation.currency, donation.received_on, rates, missing
            )
    return round_cents(total / HISTORY_WEEKS)


def _recent_daily_applications(as_of) -> float:
    since = as_of - datetime.timedelta(weeks=HISTORY_WEEKS)
    count = Case.objects.filter(received_on__gt=since, received_on__lte=as_of).count()
    return count / (HISTORY_WEEKS * DAYS_PER_WEEK)


def _verified_share() -> float:
    decided = Case.objects.filter(status__in=[Case.Status.VERIFIED, Case.Status.REJECTED])
    total = decided.count()
    if total < 10:  # too few decisions to mean anything
        return DEFAULT_VERIFIED_SHARE
    return decided.filter(status=Case.Status.VERIFIED).count() / total


def person_profile(as_of, rates, missing) -> PersonProfile:
    """The average plan: from the plans made so far, else from the current policies."""
    plans = list(
        SupportPlan.objects.exclude(status=SupportPlan.Status.CLOSED).prefetch_related("items")
    )
    if not plans:
        from solidarity.ledger.models import SupportPolicy

        policies = [p for p in SupportPolicy.objects.order_by("programme", "-version")]
        latest = {}
        for p in policies:
            latest.setdefault(p.programme, p)
        if not latest:
            return PersonProfile(Decimal("0"), Decimal("0"), 0)
        ups, monthlies, months = [], [], []
        for p in latest.values():
            ups.append(_to_reporting(p.debt_cap + p.course_cap, p.currency, as_of, rates, missing))
            monthlies.append(_to_reporting(p.monthly_income_cap, p.currency, as_of, rates, missing))
            months.append(p.income_months)
        n = len(latest)
        return PersonProfile(
            round_cents(sum(ups) / n), round_cents(sum(monthlies) / n), round(sum(months) / n)
        )
    upfront = monthly = Decimal("0")
    months = 0
    for plan in plans:
        for item in plan.items.all():
            if item.contingent:
                continue
            value = _to_reporting(item.amount, plan.currency, as_of, rates, missing)
            if item.kind == SupportKind.INCOME:
                monthly += value
                months = max(months, item.months)
            else:
                upfront += value
    n = len(plans)
    return PersonProfile(round_cents(upfront / n), round_cents(monthly / n), months)


def _daily_applications(scenario: Scenario, base: float, days: int) -> list[float]:
    out = []
    for day in range(days):
        if day < scenario.surge_days:
            out.append(base * scenario.surge_factor ** (day + 1))
        else:
            out.append(base)
    return out


def run_forecast(
    scenario: Scenario | str = "steady", *, weeks: int = 26, as_of: datetime.date | None = None
) -> Forecast:
    """Project cash week by week. Pure reading: it writes nothing."""
    if isinstance(scenario, str):
        scenario = Scenario.named(scenario)
    as_of = as_of or timezone.localdate()
    rates = services.RateBook()
    missing: set[str] = set()
    cash_now = _cash(rates, as_of, missing)
    weekly_in = (
        scenario.weekly_donations
        if scenario.weekly_donations is not None
        else _recent_weekly_donations(as_of, rates, missing)
    )
    base_daily = (
        scenario.daily_applications
        if scenario.daily_applications is not None
        else _recent_daily_applications(as_of)
    )
    share = scenario.verified_share if scenario.verified_share is not None else _verified_share()
    profile = person_profile(as_of, rates, missing)

    # Money already promised, by week of its due date (overdue and in-flight in week 0).
    committed = [Decimal("0")] * weeks
    owed_now = Decimal("0")
    contingent = Decimal("0")
    for c in Commitment.objects.filter(
        Q(status__in=[Commitment.Status.OPEN, Commitment.Status.IN_BATCH])
        | Q(status=Commitment.Status.CONTINGENT)
    ):
        value = _to_reporting(c.amount, c.currency, as_of, rates, missing)
        if c.status == Commitment.Status.CONTINGENT:
            contingent += value
            continue
        owed_now += value
        week = max(0, (c.due_on - as_of).days // DAYS_PER_WEEK)
        if week < weeks:
            committed[week] += value

    # New people: applications per week x verified share, paid after the lag.
    daily = (
        _daily_applications(scenario, base_daily, weeks * DAYS_PER_WEEK)
        if scenario.take_new_people
        else [0.0] * (weeks * DAYS_PER_WEEK)
    )
    arrivals = [
        sum(daily[w * DAYS_PER_WEEK : (w + 1) * DAYS_PER_WEEK]) * share for w in range(weeks)
    ]
    person_costs = profile.weekly_costs(weeks)
    new_out = [Decimal("0")] * weeks
    for week, people in enumerate(arrivals):
        start = week + scenario.lag_weeks
        for offset, cost in enumerate(person_costs):
            if start + offset < weeks and cost:
                new_out[start + offset] += cost * Decimal(str(round(people, 4)))

    forecast = Forecast(
        as_of=as_of,
        scenario=scenario,
        cash_now=cash_now,
        owed_now=owed_now,
        contingent=contingent,
        weekly_donations=weekly_in,
        daily_applications=base_daily,
        verified_share=share,
        profile=profile,
        missing_rates=sorted(missing),
    )
    cash = cash_now
    for week in range(weeks):
        cash = cash + weekly_in - committed[week] - new_out[week]
        start = as_of + datetime.timedelta(weeks=week)
        forecast.weeks.append(
            Week(
                start,
                weekly_in,
                committed[week],
                arrivals[week],
                round_cents(new_out[week]),
                round_cents(cash),
            )
        )
        if cash < 0 and forecast.runs_out_on is None:
            forecast.runs_out_on = start
    forecast.capacity = _capacity(cash_now, weekly_in, committed, new_out, person_costs)
    surge = ""
    if scenario.surge_days:
        surge = _(", multiplied by %(factor)s a day for %(days)d days") % {
            "factor": f"{scenario.surge_factor:g}",
            "days": scenario.surge_days,
        }
    forecast.assumptions = [
        _("donations of %(amount)s %(cur)s a week")
        % {"amount": weekly_in, "cur": REPORTING_CURRENCY},
        _("%(n)s applications a day") % {"n": f"{base_daily:.1f}"} + surge,
        _("%(share)s of applications verified, first payment after %(weeks)d weeks")
        % {"share": f"{share:.0%}", "weeks": scenario.lag_weeks},
        _("an average plan of %(upfront)s up front and %(monthly)s a month for %(months)d months")
        % {"upfront": profile.upfront, "monthly": profile.monthly, "months": profile.months},
    ]
    return forecast


def _capacity(cash_now, weekly_in, committed, new_out, person_costs) -> int:
    """How many more people could start today with cash never going below zero in the horizon."""
    cumulative_cash = cash_now
    cumulative_person = Decimal("0")
    best: int | None = None
    for week in range(len(committed)):
        cumulative_cash += weekly_in - committed[week] - new_out[week]
        cumulative_person += person_costs[week]
        if cumulative_cash < 0:
            return 0
        if cumulative_person > 0:
            people = int(cumulative_cash // cumulative_person)  # Decimal floor division
            best = people if best is None else min(best, people)
    return best or 0


# --- allocation when demand exceeds funds --------------------------------------------------------


@dataclass
class Candidate:
    plan_id: int
    case_code: str
    programme: str
    cost: Decimal  # reporting currency, contingent items excluded
    priority: int


@dataclass
class Allocation:
    budget: Decimal
    funded: list[Candidate]
    unfunded: list[Candidate]
    spent: Decimal
    value: int
    marginal_value_per_1000: float | None
    explanation: list[str]


def candidates_from_plans(as_of: datetime.date | None = None) -> list[Candidate]:
    """Proposed plans, each costed in the reporting currency (pledges left out: not owed now)."""
    as_of = as_of or timezone.localdate()
    rates = services.RateBook()
    missing: set[str] = set()
    out = []
    for plan in (
        SupportPlan.objects.filter(status=SupportPlan.Status.PROPOSED)
        .select_related("case")
        .prefetch_related("items")
    ):
        cost = sum(
            (
                _to_reporting(i.amount * i.months, plan.currency, as_of, rates, missing)
                for i in plan.items.all()
                if not i.contingent
            ),
            Decimal("0"),
        )
        out.append(Candidate(plan.pk, plan.case.code, plan.case.programme, cost, plan.priority))
    return out


def free_budget(as_of: datetime.date | None = None) -> Decimal:
    """Cash held minus everything already owed: what new plans can be funded from today."""
    as_of = as_of or timezone.localdate()
    rates = services.RateBook()
    missing: set[str] = set()
    owed = sum(
        (
            _to_reporting(c.amount, c.currency, as_of, rates, missing)
            for c in Commitment.objects.filter(
                status__in=[Commitment.Status.OPEN, Commitment.Status.IN_BATCH]
            )
        ),
        Decimal("0"),
    )
    return _cash(rates, as_of, missing) - owed


def allocate(candidates: Sequence[Candidate], budget: Decimal) -> Allocation:
    """Choose whom to fund fully, maximising the sum of priorities within the budget.

    A 0/1 linear programme (SciPy's milp, HiGHS); its LP relaxation gives the budget's shadow
    price, i.e. how much priority another 1,000 would buy, which goes into the explanation.
    Ties go to the cheaper plan, then the older one.
    """
    budget = max(budget, Decimal("0"))
    items = [c for c in candidates if c.cost >= 0]
    if not items:
        return Allocation(
            budget, [], [], Decimal("0"), 0, None, [_("There are no proposed plans to fund.")]
        )
    # The solver works in floats; costs go in as whole minor units (cents), which floats hold
    # exactly up to 2**53, so the budget constraint is never off by a rounding error.
    cost = np.array([float((c.cost * 100).to_integral_value()) for c in items])
    # A tiny tie-breaker: prefer cheaper plans, then lower ids, without ever trading away priority.
    scale = 1e-6 / (1 + cost.max())
    weight = (
        np.array([c.priority for c in items], dtype=float)
        - scale * cost
        - 1e-9 * np.arange(len(items))
    )
    constraint = LinearConstraint(
        cost.reshape(1, -1),
        -np.inf,
        float((budget * 100).to_integral_value(rounding="ROUND_FLOOR")),
    )
    result = milp(
        c=-weight, constraints=[constraint], integrality=np.ones(len(items)), bounds=(0, 1)
    )
    chosen = np.round(result.x).astype(int) if result.success else np.zeros(len(items), dtype=int)
    funded = [c for c, x in zip(items, chosen, strict=True) if x]
    unfunded = [c for c, x in zip(items, chosen, strict=True) if not x]
    spent = sum((c.cost for c in funded), Decimal("0"))
    relaxed = linprog(
        -weight, A_ub=cost.reshape(1, -1), b_ub=[float(budget)], bounds=(0, 1), method="highs"
    )
    marginal = None
    if relaxed.success and relaxed.ineqlin is not None:
        marginal = float(-relaxed.ineqlin.marginals[0]) * 1000
    explanation = [
        _("Budget %(budget)s %(cur)s; %(n)d proposed plans cost %(total)s in all.")
        % {
            "budget": budget,
            "cur": REPORTING_CURRENCY,
            "n": len(items),
            "total": sum((c.cost for c in items), Decimal("0")),
        },
        _(
            "Funded %(n)d plans for %(spent)s, total priority %(value)d: the most any choice within the budget reaches."
        )
        % {"n": len(funded), "spent": spent, "value": sum(c.priority for c in funded)},
    ]
    if marginal:
        explanation.append(
            _("Each further 1,000 %(cur)s would buy about %(points)s more priority points.")
            % {"cur": REPORTING_CURRENCY, "points": f"{marginal:.2f}"}
        )
    for c in sorted(funded, key=lambda c: (-c.priority, c.cost)):
        explanation.append(
            _("%(case)s: funded, priority %(priority)d for %(cost)s.")
            % {"case": c.case_code, "priority": c.priority, "cost": c.cost}
        )
    left = budget - spent
    for c in sorted(unfunded, key=lambda c: (-c.priority, c.cost)):
        # With positive priorities an optimal choice leaves out only plans that no longer fit.
        explanation.append(
            _(
                "%(case)s: not funded, priority %(priority)d; needs %(cost)s, only %(left)s left after higher-value choices."
            )
            % {"case": c.case_code, "priority": c.priority, "cost": c.cost, "left": left}
        )
    return Allocation(
        budget, funded, unfunded, spent, sum(c.priority for c in funded), marginal, explanation
    )
