"""Support policies, plans and the commitments they create.

A coordinator keeps one policy per programme (caps on what the fund pays). For a verified
case the plan is proposed from the policy and the case's own answers, opened in the
coordinator's unlocked session; the coordinator may change amounts, with a reason; on
activation the plan becomes commitments: a schedule of payments that are recognised in the
books as owed. Pledges that fall due only on a future event stay contingent, outside the
books, until a coordinator releases them.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from solidarity.audit import services as audit
from solidarity.cases import sealed
from solidarity.cases import services as cases
from solidarity.cases.models import Case
from solidarity.ledger import roles, services
from solidarity.ledger.models import (
    Account,
    Commitment,
    Entry,
    PlanChange,
    PlanItem,
    SupportKind,
    SupportPlan,
    SupportPolicy,
)
from solidarity.ledger.money import MoneyError, round_cents, to_amount

# Most months of lost income a policy may promise: two years is already far beyond what
# the fund could carry for hundreds of people.
MAX_INCOME_MONTHS = 24


class PlanStateError(Exception):
    """The plan or commitment is not in a state that allows this."""


class CaseNotVerifiedError(Exception):
    """Plans are only for verified cases."""


class NoPolicyError(Exception):
    """The case's programme has no support policy yet."""


# --- policies --------------------------------------------------------------------------------


def current_policy(programme: str) -> SupportPolicy | None:
    return SupportPolicy.objects.filter(programme=programme).order_by("-version").first()


@transaction.atomic
def set_policy(
    programme: str,
    *,
    by,
    reason: str,
    currency: str,
    debt_cap: Decimal,
    monthly_income_cap: Decimal,
    income_months: int,
    course_cap: Decimal,
    legal_aid_cap: Decimal,
    pledge_debt_above_cap: bool = False,
    pledge_event: str = "",
) -> SupportPolicy:
    """A new version of a programme's policy; plans already made keep the version they used.

    Raises NotAllowedError for anyone but a coordinator, MoneyError for a bad amount.
    """
    roles.require(by, roles.PLAN_ROLES)
    if not 0 <= income_months <= MAX_INCOME_MONTHS:
        raise MoneyError(f"income months must be between 0 and {MAX_INCOME_MONTHS}")
    if not reason.strip():
        raise PlanStateError("a policy change needs a reason")
    previous = (
        SupportPolicy.objects.select_for_update()
        .filter(programme=programme)
        .order_by("-version")
        .first()
    )
    policy = SupportPolicy.objects.create(
        programme=programme,
        version=(previous.version + 1) if previous else 1,
        currency=currency,
        debt_cap=to_amount(debt_cap),
        monthly_income_cap=to_amount(monthly_income_cap),
        income_months=income_months,
        course_cap=to_amount(course_cap),
        legal_aid_cap=to_amount(legal_aid_cap),
        pledge_debt_above_cap=pledge_debt_above_cap,
        pledge_event=pledge_event.strip()[:120],
        reason=reason.strip()[:300],
        created_by=by,
    )
    audit.record("policy.changed", actor=by, subject=programme, version=policy.version)
    return policy


# --- proposing a plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposedItem:
    kind: str
    amount: Decimal
    months: int = 1
    contingent: bool = False
    event: str = ""

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "amount": str(self.amount),
            "months": self.months,
            "contingent": self.contingent,
            "event": self.event,
        }


def _answer_amount(answers: dict, field: str, currency: str, rates: services.RateBook) -> Decimal:
    """An amount the applicant gave, converted to ``currency``; zero when absent or unreadable."""
    raw = answers.get(field)
    if raw in (None, ""):
        return Decimal("0.00")
    try:
        amount = to_amount(raw)
    except MoneyError:
        return Decimal("0.00")
    source = answers.get(f"{field}_currency") or currency
    if source == currency:
        return amount
    today = timezone.localdate()
    in_reporting = amount * rates.rate(source, today)
    return round_cents(in_reporting / rates.rate(currency, today))


def items_from_policy(
    policy: SupportPolicy, answers: dict, rates: services.RateBook | None = None
) -> list[ProposedItem]:
    """What the policy offers for these answers. Pure: no database writes.

    Raises services.UnknownRateError when an answer is in a currency without a recorded rate.
    """
    rates = rates or services.RateBook()
    needs = set(answers.get("needs") or [])
    items: list[ProposedItem] = []
    debt = _answer_amount(answers, "debt_contract", policy.currency, rates)
    if debt > 0 and policy.debt_cap > 0:
        paid_now = min(debt, policy.debt_cap)
        items.append(ProposedItem(SupportKind.DEBT, paid_now))
        if debt > paid_now and policy.pledge_debt_above_cap:
            items.append(
                ProposedItem(
                    SupportKind.DEBT, debt - paid_now, contingent=True, event=policy.pledge_event
                )
            )
    income = _answer_amount(answers, "income_lost", policy.currency, rates)
    if income > 0 and policy.income_months and policy.monthly_income_cap > 0:
        items.append(
            ProposedItem(
                SupportKind.INCOME, min(income, policy.monthly_income_cap), policy.income_months
            )
        )
    if "retraining" in needs and policy.course_cap > 0:
        items.append(ProposedItem(SupportKind.COURSE, policy.course_cap))
    if "legal" in needs and policy.legal_aid_cap > 0:
        items.append(ProposedItem(SupportKind.LEGAL, policy.legal_aid_cap))
    return items


@transaction.atomic
def propose_plan(case: Case, *, by, staff_key: bytes, priority: int = 3) -> SupportPlan:
    """Open the case in the coordinator's session and propose a plan from its programme's policy.

    Raises CaseNotVerifiedError, NoPolicyError, PlanStateError (an open plan exists),
    cases.CaseAccessDeniedError, NotAllowedError or services.UnknownRateError.
    """
    roles.require(by, roles.PLAN_ROLES)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != Case.Status.VERIFIED:
        raise CaseNotVerifiedError(case.status)
    if case.support_plans.exclude(status=SupportPlan.Status.CLOSED).exists():
        raise PlanStateError("this case already has a plan")
    policy = current_policy(case.programme)
    if policy is None:
        raise NoPolicyError(case.programme)
    key = cases.case_private_key_for_staff(case, by, staff_key)
    answers = sealed.open_json(key, case.answers_sealed)
    items = items_from_policy(policy, answers)
    plan = SupportPlan.objects.create(
        case=case,
        policy=policy,
        currency=policy.currency,
        priority=priority,
        created_by=by,
        created_on=timezone.localdate(),
    )
    PlanItem.objects.bulk_create(
        PlanItem(
            plan=plan,
            kind=i.kind,
            amount=i.amount,
            months=i.months,
            contingent=i.contingent,
            event=i.event,
        )
        for i in items
    )
    audit.record(
        "plan.proposed", actor=by, subject=case.code, plan=plan.pk, policy_version=policy.version
    )
    return plan


def _item_rows(plan: SupportPlan) -> list[dict]:
    return [
        {
            "kind": i.kind,
            "amount": str(i.amount),
            "months": i.months,
            "contingent": i.contingent,
            "event": i.event,
        }
        for i in plan.items.all()
    ]


def _clean_items(items: Sequence[dict]) -> list[ProposedItem]:
    cleaned = []
    for item in items:
        if item.get("kind") not in SupportKind.values:
            raise PlanStateError("unknown kind of support")
        months = int(item.get("months") or 1)
        if not 1 <= months <= MAX_INCOME_MONTHS:
            raise MoneyError(f"months must be between 1 and {MAX_INCOME_MONTHS}")
        amount = to_amount(item.get("amount"))
        if amount == 0:
            continue
        contingent = bool(item.get("contingent"))
        cleaned.append(
            ProposedItem(
                item["kind"],
                amount,
                months,
                contingent,
                str(item.get("event", ""))[:120] if contingent else "",
            )
        )
    return cleaned


@transaction.atomic
def change_plan(
    plan: SupportPlan, items: Sequence[dict], *, by, reason: str, priority: int | None = None
) -> SupportPlan:
    """Replace a plan's items, keeping the before and after with the reason.

    On an active plan the unpaid commitments are cancelled (their recognition reversed) and
    the new items are scheduled again, less what has already been paid or is on its way.
    Raises PlanStateError, MoneyError or NotAllowedError.
    """
    roles.require(by, roles.PLAN_ROLES)
    plan = SupportPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status == SupportPlan.Status.CLOSED:
        raise PlanStateError("a closed plan cannot change")
    if not reason.strip():
        raise PlanStateError("a change needs a reason")
    cleaned = _clean_items(items)
    before = _item_rows(plan)
    plan.items.all().delete()
    PlanItem.objects.bulk_create(
        PlanItem(
            plan=plan,
            kind=i.kind,
            amount=i.amount,
            months=i.months,
            contingent=i.contingent,
            event=i.event,
        )
        for i in cleaned
    )
    if priority is not None:
        plan.priority = max(1, min(5, int(priority)))
        plan.save(update_fields=["priority"])
    PlanChange.objects.create(
        plan=plan, changed_by=by, reason=reason.strip()[:300], before=before, after=_item_rows(plan)
    )
    if plan.status == SupportPlan.Status.ACTIVE:
        for commitment in plan.commitments.filter(
            status__in=[Commitment.Status.OPEN, Commitment.Status.CONTINGENT]
        ):
            _cancel(commitment, by=by, memo="Plan changed")
        _schedule(plan, by=by, start=timezone.localdate(), already=_already_paid(plan))
    audit.record("plan.changed", actor=by, subject=plan.case.code, plan=plan.pk)
    return plan


# --- activation and the schedule ---------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _already_paid(plan: SupportPlan) -> dict[str, list[Decimal]]:
    """Amounts per kind paid or on their way: these are not scheduled again after a change."""
    done: dict[str, list[Decimal]] = {}
    for c in plan.commitments.filter(
        status__in=[Commitment.Status.PAID, Commitment.Status.IN_BATCH]
    ):
        done.setdefault(c.kind, []).append(c.amount)
    return done


def _recognise(commitment: Commitment, *, by) -> None:
    programme = commitment.case.programme
    entry = services.post_entry(
        Entry.Kind.COMMITMENT,
        [
            (
                services.standard_account(Account.Purpose.SUPPORT, commitment.currency, programme),
                commitment.amount,
            ),
            (
                services.standard_account(Account.Purpose.COMMITMENTS, commitment.currency),
                -commitment.amount,
            ),
        ],
        memo=f"Commitment {commitment.pk} ({commitment.kind})",
        by=by,
    )
    commitment.recognised_entry = entry
    commitment.save(update_fields=["recognised_entry"])


def _schedule(
    plan: SupportPlan, *, by, start: datetime.date, already: dict[str, list[Decimal]] | None = None
) -> list[Commitment]:
    already = {kind: list(amounts) for kind, amounts in (already or {}).items()}
    made = []
    for item in plan.items.all():
        if item.contingent:
            made.append(
                Commitment.objects.create(
                    plan=plan,
                    case=plan.case,
                    kind=item.kind,
                    amount=item.amount,
                    currency=plan.currency,
                    status=Commitment.Status.CONTINGENT,
                    event=item.event,
                )
            )
            continue
        if item.kind == SupportKind.INCOME:
            done_months = len(already.pop(SupportKind.INCOME, []))
            schedule = [
                (add_months(start, m), item.amount)
                for m in range(max(item.months - done_months, 0))
            ]
        else:
            paid = sum(already.pop(item.kind, []), Decimal("0.00"))
            remaining = item.amount - paid
            schedule = [(start, remaining)] if remaining > 0 else []
        for due_on, amount in schedule:
            commitment = Commitment.objects.create(
                plan=plan,
                case=plan.case,
                kind=item.kind,
                amount=amount,
                currency=plan.currency,
                due_on=due_on,
                status=Commitment.Status.OPEN,
            )
            _recognise(commitment, by=by)
            made.append(commitment)
    return made


@transaction.atomic
def activate_plan(plan: SupportPlan, *, by, start: datetime.date | None = None) -> list[Commitment]:
    """Turn a proposed plan into commitments: one-off items due at ``start``, income monthly.

    Raises PlanStateError, CaseNotVerifiedError or NotAllowedError.
    """
    roles.require(by, roles.PLAN_ROLES)
    plan = SupportPlan.objects.select_for_update().select_related("case").get(pk=plan.pk)
    if plan.status != SupportPlan.Status.PROPOSED:
        raise PlanStateError("only a proposed plan can be activated")
    if plan.case.status != Case.Status.VERIFIED:
        raise CaseNotVerifiedError(plan.case.status)
    if not plan.items.exists():
        raise PlanStateError("the plan has nothing in it")
    start = start or timezone.localdate()
    plan.status = SupportPlan.Status.ACTIVE
    plan.activated_on = timezone.localdate()
    plan.activated_by = by
    plan.save(update_fields=["status", "activated_on", "activated_by"])
    made = _schedule(plan, by=by, start=start)
    audit.record(
        "plan.activated", actor=by, subject=plan.case.code, plan=plan.pk, commitments=len(made)
    )
    return made


def _cancel(commitment: Commitment, *, by, memo: str) -> None:
    if commitment.recognised_entry_id:
        reversal = services.reverse_entry(
            commitment.recognised_entry, by=by, memo=memo, audit_event=False
        )
        commitment.cancelled_entry = reversal
    commitment.status = Commitment.Status.CANCELLED
    commitment.save(update_fields=["status", "cancelled_entry"])


@transaction.atomic
def cancel_commitment(commitment: Commitment, *, by, reason: str) -> Commitment:
    """Stop a payment that is owed or pledged; its recognition in the books is reversed.

    Raises PlanStateError if it is paid or in a batch, NotAllowedError.
    """
    roles.require(by, roles.PLAN_ROLES)
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if commitment.status not in (Commitment.Status.OPEN, Commitment.Status.CONTINGENT):
        raise PlanStateError("only an owed or pledged payment can be cancelled")
    _cancel(commitment, by=by, memo=f"Cancelled: {reason.strip()[:150]}")
    audit.record(
        "commitment.cancelled", actor=by, subject=commitment.case.code, commitment=commitment.pk
    )
    return commitment


@transaction.atomic
def release_pledges(event: str, *, by, due_on: datetime.date | None = None) -> list[Commitment]:
    """The event happened: every pledge waiting on it becomes owed, and enters the books.

    Raises NotAllowedError.
    """
    roles.require(by, roles.PLAN_ROLES)
    released = []
    for commitment in Commitment.objects.select_for_update().filter(
        status=Commitment.Status.CONTINGENT, event=event
    ):
        commitment.status = Commitment.Status.OPEN
        commitment.due_on = due_on or timezone.localdate()
        commitment.save(update_fields=["status", "due_on"])
        _recognise(commitment, by=by)
        released.append(commitment)
    audit.record("pledges.released", actor=by, subject=event[:64], commitments=len(released))
    return released


@transaction.atomic
def close_plan(plan: SupportPlan, *, by, reason: str) -> SupportPlan:
    """End a plan: what is still owed or pledged is cancelled. Raises PlanStateError."""
    roles.require(by, roles.PLAN_ROLES)
    plan = SupportPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status == SupportPlan.Status.CLOSED:
        raise PlanStateError("already closed")
    if plan.commitments.filter(status=Commitment.Status.IN_BATCH).exists():
        raise PlanStateError("a payment of this plan is in a batch: wait for its confirmation")
    for commitment in plan.commitments.filter(
        status__in=[Commitment.Status.OPEN, Commitment.Status.CONTINGENT]
    ):
        _cancel(commitment, by=by, memo="Plan closed")
    plan.status = SupportPlan.Status.CLOSED
    plan.save(update_fields=["status"])
    PlanChange.objects.create(
        plan=plan,
        changed_by=by,
        reason=reason.strip()[:300] or "closed",
        before=_item_rows(plan),
        after=[],
    )
    audit.record("plan.closed", actor=by, subject=plan.case.code, plan=plan.pk)
    return plan


def pledge_events() -> list[tuple[str, int, Decimal]]:
    """(event, number of pledges, total) per currency-agnostic event label, for the console."""
    rows: dict[str, list] = {}
    for c in Commitment.objects.filter(status=Commitment.Status.CONTINGENT):
        row = rows.setdefault(c.event, [c.event, 0, Decimal("0.00")])
        row[1] += 1
        row[2] += c.amount
    return [tuple(r) for r in rows.values()]


# --- tranches -------------------------------------------------------------------------------------

# At most this many tranches per payment: more only multiplies fees and confirmations.
MAX_TRANCHES = 12
# At most this many days between two tranches: the last one must still arrive while needed.
MAX_TRANCHE_GAP_DAYS = 60


def split_amount(amount: Decimal, parts: int) -> list[Decimal]:
    """``amount`` in ``parts`` as equal as cents allow; the first ones carry the odd cents.

    Exact: the parts always sum to the amount. Raises MoneyError.
    """
    amount = to_amount(amount)
    cents = int(amount * 100)
    if parts < 2 or cents < parts:
        raise MoneyError("a payment splits into at least two tranches of at least one cent")
    base, extra = divmod(cents, parts)
    return [
        (Decimal(base + (1 if n < extra else 0)) / 100).quantize(Decimal("0.01"))
        for n in range(parts)
    ]


@transaction.atomic
def split_commitment(
    commitment: Commitment, parts: int, *, every_days: int, by, reason: str
) -> list[Commitment]:
    """Split an owed payment into smaller tranches due ``every_days`` apart, starting on its
    own due day, so no single transfer is large and a freeze takes only one tranche.

    The original is cancelled (its recognition reversed) and each tranche is recognised, so
    the books stay balanced and the total owed is unchanged to the cent. Each tranche keeps
    the original's destination; re-route any of them to spread them over rails.
    Raises PlanStateError, MoneyError, NotAllowedError.
    """
    roles.require(by, roles.MONEY_ROLES)
    if not 2 <= parts <= MAX_TRANCHES:
        raise MoneyError(f"between 2 and {MAX_TRANCHES} tranches")
    if not 1 <= every_days <= MAX_TRANCHE_GAP_DAYS:
        raise MoneyError(f"between 1 and {MAX_TRANCHE_GAP_DAYS} days between tranches")
    if not reason.strip():
        raise PlanStateError("a split needs a reason")
    commitment = Commitment.objects.select_for_update().select_related("case").get(pk=commitment.pk)
    if commitment.status != Commitment.Status.OPEN:
        raise PlanStateError("only an owed payment can be split")
    amounts = split_amount(commitment.amount, parts)
    _cancel(commitment, by=by, memo=f"Split into {parts} tranches")
    start = commitment.due_on or timezone.localdate()
    tranches = []
    for n, amount in enumerate(amounts):
        tranche = Commitment.objects.create(
            plan=commitment.plan,
            case=commitment.case,
            kind=commitment.kind,
            amount=amount,
            currency=commitment.currency,
            due_on=start + datetime.timedelta(days=n * every_days),
            status=Commitment.Status.OPEN,
            destination=commitment.destination,
            tranche_of=commitment,
        )
        _recognise(tranche, by=by)
        tranches.append(tranche)
    audit.record(
        "commitment.split",
        actor=by,
        subject=commitment.case.code,
        commitment=commitment.pk,
        tranches=parts,
        every_days=every_days,
        reason=reason.strip()[:200],
    )
    return tranches
