"""Factories for the money side (STYLE.md §6): plain ``make_<thing>(**overrides)`` functions
with ``setdefault`` defaults that go through the real services, like
``solidarity.testing.factories``. Canary builders make valid but unmistakable destinations."""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal

from solidarity.cases.models import Case
from solidarity.ledger import payouts, plans, rail_register, services
from solidarity.ledger.models import Account, Commitment, SupportPlan
from solidarity.ledger.rails.sepa import iban_checksum
from solidarity.testing.factories import make_application, make_org, make_staff
from solidarity.vault.models import Organisation

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def ensure_org() -> Organisation:
    return Organisation.objects.order_by("id").first() or make_org()


def make_held_account(**overrides) -> Account:
    overrides.setdefault("name", f"Bank {secrets.token_hex(3)}")
    overrides.setdefault("currency", "EUR")
    if overrides["currency"] == "EUR":
        overrides.setdefault("bank_holder", "Solidarity Fund e.V.")
        overrides.setdefault("bank_iban", "DE89370400440532013000")
        overrides.setdefault("bank_bic", "COBADEFFXXX")
    name = overrides.pop("name")
    currency = overrides.pop("currency")
    return services.open_held_account(name, currency, **overrides)


def make_verified_case(**answers) -> Case:
    """An application through the real intake, then marked verified (case work is another app's)."""
    ensure_org()
    receipt = make_application(**answers)
    Case.objects.filter(code=receipt.case_code).update(status=Case.Status.VERIFIED)
    return Case.objects.get(code=receipt.case_code)


def make_policy(**overrides):
    overrides.setdefault("programme", "security_forces")
    if overrides.get("by") is None:
        overrides["by"] = make_staff(role="coordinator").user
    overrides.setdefault("reason", "Initial policy")
    overrides.setdefault("currency", "EUR")
    overrides.setdefault("debt_cap", Decimal("10000.00"))
    overrides.setdefault("monthly_income_cap", Decimal("500.00"))
    overrides.setdefault("income_months", 3)
    overrides.setdefault("course_cap", Decimal("1500.00"))
    overrides.setdefault("legal_aid_cap", Decimal("800.00"))
    programme = overrides.pop("programme")
    return plans.set_policy(programme, **overrides)


def make_active_plan(**overrides) -> SupportPlan:
    """A verified case with an active plan built directly from ``items`` (default: one debt payment)."""
    coordinator = overrides.pop("by", None) or make_staff(role="coordinator").user
    case = overrides.pop("case", None) or make_verified_case()
    policy = plans.current_policy(case.programme) or make_policy(
        programme=case.programme, by=coordinator
    )
    items = overrides.pop("items", [{"kind": "debt", "amount": "1200.00"}])
    plan = SupportPlan.objects.create(
        case=case,
        policy=policy,
        currency=overrides.pop("currency", policy.currency),
        priority=overrides.pop("priority", 3),
        created_by=coordinator,
        created_on=datetime.date.today(),
    )
    plans.change_plan(plan, items, by=coordinator, reason="Test plan")
    plans.activate_plan(plan, by=coordinator, start=overrides.pop("start", None))
    return plan


def make_destination(case: Case, rail: str = "sepa", *, by=None, acknowledged=True, **details):
    """A destination through the real service; by default the applicant has already read the
    guidance about its rail (through the real service too), so a first payment may go."""
    by = by or make_staff(role="treasurer").user
    if rail == "sepa":
        details.setdefault("holder", "Test Holder")
        details.setdefault("iban", "LT121000011101001000")
    elif rail == "csv":
        details.setdefault("holder", "Test Holder")
        details.setdefault("kind", "card")
        details.setdefault("number", canary_card())
    elif rail == "crypto":
        details.setdefault("network", "TRC20")
        details.setdefault("address", canary_wallet())
    elif rail == "invoice":
        details.setdefault("provider", "Coding School UAB")
        details.setdefault("iban", "LT121000011101001000")
        details.setdefault("reference", "INV-2026-0042")
    destination = payouts.add_destination(case, rail, details, by=by)
    if acknowledged:
        destination = rail_register.acknowledge_guidance(case, destination.pk)
    return destination


def due_commitments_of(plan: SupportPlan) -> list[Commitment]:
    return list(plan.commitments.filter(status=Commitment.Status.OPEN).order_by("id"))


# --- canary destinations: valid for their rail, and unique enough to search bytes for ------------


def canary_iban(country: str = "LT", length: int = 20) -> str:
    """A valid IBAN with random digits (check digits computed), e.g. for Lithuania."""
    bban = "".join(secrets.choice("0123456789") for _ in range(length - 4))
    for check in range(100):
        candidate = f"{country}{check:02d}{bban}"
        if iban_checksum(candidate) == 1:
            return candidate
    raise AssertionError("no check digits found")


def canary_card() -> str:
    """A Luhn-valid 16-digit card number with random digits."""
    body = "4" + "".join(secrets.choice("0123456789") for _ in range(14))
    for last in "0123456789":
        from solidarity.ledger.rails.csv import luhn_ok

        if luhn_ok(body + last):
            return body + last
    raise AssertionError("no Luhn digit found")


def canary_wallet() -> str:
    return "T" + "".join(secrets.choice(_BASE58) for _ in range(33))
