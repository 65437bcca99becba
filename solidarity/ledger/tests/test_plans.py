"""Support plans: a policy per programme, a plan proposed from a verified case's sealed
answers, changes with a reason, and the schedule of commitments, with pledges kept apart."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from solidarity.cases.models import Case
from solidarity.ledger import plans, services
from solidarity.ledger.models import Account, Commitment, Entry, PlanChange, SupportPlan
from solidarity.ledger.roles import NotAllowedError
from solidarity.ledger.tests.factories import make_policy, make_verified_case
from solidarity.vault import keyring

POWER = "after a transition of power"


@pytest.fixture
def policy(coordinator):
    return make_policy(
        programme="security_forces",
        by=coordinator.user,
        currency="USD",
        debt_cap=Decimal("10000.00"),
        monthly_income_cap=Decimal("400.00"),
        income_months=3,
        course_cap=Decimal("1500.00"),
        legal_aid_cap=Decimal("700.00"),
        pledge_debt_above_cap=True,
        pledge_event=POWER,
    )


def _key(staff) -> bytes:
    return keyring.unlock_staff_key(staff.user, staff.passphrase)


def test_a_plan_is_proposed_from_the_policy_and_the_sealed_answers(coordinator, policy):
    # Given a verified officer who owes 12,500 USD, lost 1,500 BYN a month and wants retraining
    services.record_rate("BYN", datetime.date(2020, 1, 1), Decimal("0.30"))
    case = make_verified_case(
        income_lost="1500", income_lost_currency="BYN", needs=["money", "retraining"]
    )

    plan = plans.propose_plan(case, by=coordinator.user, staff_key=_key(coordinator))

    items = {(i.kind, i.contingent): i for i in plan.items.all()}
    assert items[("debt", False)].amount == Decimal("10000.00")
    assert items[("debt", True)].amount == Decimal("2500.00")
    assert items[("debt", True)].event == POWER
    assert (items[("income", False)].amount, items[("income", False)].months) == (
        Decimal("400.00"),
        3,
    )
    assert items[("course", False)].amount == Decimal("1500.00")
    assert ("legal", False) not in items
    assert plan.status == SupportPlan.Status.PROPOSED
    assert not Entry.objects.exists()  # nothing is owed until the plan is activated


def test_activation_schedules_payments_and_keeps_pledges_out_of_the_books(coordinator, policy):
    case = make_verified_case(income_lost="300", income_lost_currency="USD")
    plan = plans.propose_plan(case, by=coordinator.user, staff_key=_key(coordinator))
    start = datetime.date(2024, 1, 31)

    made = plans.activate_plan(plan, by=coordinator.user, start=start)

    owed = [c for c in made if c.status == Commitment.Status.OPEN]
    pledged = [c for c in made if c.status == Commitment.Status.CONTINGENT]
    assert sorted((c.kind, c.due_on, c.amount) for c in owed) == [
        ("debt", start, Decimal("10000.00")),
        ("income", datetime.date(2024, 1, 31), Decimal("300.00")),
        ("income", datetime.date(2024, 2, 29), Decimal("300.00")),
        ("income", datetime.date(2024, 3, 31), Decimal("300.00")),
    ]
    assert [(c.amount, c.due_on, c.event) for c in pledged] == [(Decimal("2500.00"), None, POWER)]
    commitments = services.standard_account(Account.Purpose.COMMITMENTS, "USD")
    assert commitments.display_balance == Decimal("10900.00")
    assert services.standard_account(
        Account.Purpose.SUPPORT, "USD", "security_forces"
    ).balance == Decimal("10900.00")


def test_released_pledges_become_owed_and_enter_the_books(coordinator, policy):
    case = make_verified_case()
    plan = plans.propose_plan(case, by=coordinator.user, staff_key=_key(coordinator))
    plans.activate_plan(plan, by=coordinator.user)

    released = plans.release_pledges(POWER, by=coordinator.user)

    assert [c.amount for c in released] == [Decimal("2500.00")]
    assert released[0].status == Commitment.Status.OPEN
    assert services.standard_account(Account.Purpose.COMMITMENTS, "USD").display_balance == Decimal(
        "12500.00"
    )


def test_a_change_keeps_before_after_and_reason_and_reschedules_an_active_plan(coordinator, policy):
    case = make_verified_case()
    plan = plans.propose_plan(case, by=coordinator.user, staff_key=_key(coordinator))
    plans.activate_plan(plan, by=coordinator.user)

    plans.change_plan(
        plan,
        [{"kind": "debt", "amount": "8000.00"}, {"kind": "legal", "amount": "500.00"}],
        by=coordinator.user,
        reason="The unit reduced the penalty",
    )

    change = PlanChange.objects.get(plan=plan)
    assert change.reason == "The unit reduced the penalty"
    assert {row["amount"] for row in change.before} == {"10000.00", "2500.00"}
    assert {row["amount"] for row in change.after} == {"8000.00", "500.00"}
    open_now = plan.commitments.filter(status=Commitment.Status.OPEN)
    assert sorted(c.amount for c in open_now) == [Decimal("500.00"), Decimal("8000.00")]
    assert plan.commitments.filter(status=Commitment.Status.CANCELLED).count() == 2
    # The cancelled ones were reversed, not deleted: the books show both.
    assert services.standard_account(Account.Purpose.COMMITMENTS, "USD").display_balance == Decimal(
        "8500.00"
    )
    assert Entry.objects.filter(kind=Entry.Kind.REVERSAL).count() == 1


def test_only_verified_cases_get_plans(coordinator, policy):
    case = make_verified_case()
    Case.objects.filter(pk=case.pk).update(status=Case.Status.IN_REVIEW)
    case.refresh_from_db()
    with pytest.raises(plans.CaseNotVerifiedError):
        plans.propose_plan(case, by=coordinator.user, staff_key=_key(coordinator))


def test_a_case_has_one_open_plan_at_a_time(coordinator, policy):
    case = make_verified_case()
    plans.propose_plan(case, by=coordinator.user, staff_key=_key(coordinator))
    with pytest.raises(plans.PlanStateError):
        plans.propose_plan(case, by=coordinator.user, staff_key=_key(coordinator))


def test_a_programme_without_a_policy_cannot_plan(coordinator):
    case = make_verified_case(programme="workers", situation="workers:fired")
    with pytest.raises(plans.NoPolicyError):
        plans.propose_plan(case, by=coordinator.user, staff_key=_key(coordinator))


@pytest.mark.parametrize("role", ["treasurer", "volunteer"])
def test_only_coordinators_edit_policies_and_plans(request, coordinator, policy, role):
    other = request.getfixturevalue(role)
    case = make_verified_case()
    with pytest.raises(NotAllowedError):
        plans.set_policy(
            "workers",
            by=other.user,
            reason="x",
            currency="USD",
            debt_cap=1,
            monthly_income_cap=1,
            income_months=1,
            course_cap=1,
            legal_aid_cap=1,
        )
    with pytest.raises(NotAllowedError):
        plans.propose_plan(case, by=other.user, staff_key=_key(other))


def test_a_policy_change_is_a_new_version(coordinator, policy):
    newer = make_policy(
        programme="security_forces",
        by=coordinator.user,
        debt_cap=Decimal("12000.00"),
        reason="More donations",
    )
    assert (policy.version, newer.version) == (1, 2)
    assert plans.current_policy("security_forces") == newer


def test_closing_a_plan_cancels_what_is_unpaid(coordinator, policy):
    case = make_verified_case()
    plan = plans.propose_plan(case, by=coordinator.user, staff_key=_key(coordinator))
    plans.activate_plan(plan, by=coordinator.user)

    plans.close_plan(plan, by=coordinator.user, reason="Left the programme")

    assert set(plan.commitments.values_list("status", flat=True)) == {"cancelled"}
    assert services.standard_account(Account.Purpose.COMMITMENTS, "USD").balance == 0
