"""DEMO ONLY: money for the demo organisation. Call ``build_ledger_demo()`` after
``accounts.demo.load_demo()`` has created the staff and the invented applications.

It opens two bank accounts and records rates, a campaign and six weeks of invented
donations; sets a support policy per programme; turns the first verified demo case into an
active plan (proposed from its sealed answers with the demo coordinator's public
passphrase); gives it an invented SEPA destination; and has the demo treasurer prepare a
payout batch, which the demo coordinator can approve and export in the console.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from solidarity.accounts.models import User
from solidarity.cases.models import Case, Programme
from solidarity.ledger import donations, payouts, plans, rail_register, services
from solidarity.ledger.models import Donation
from solidarity.vault import keyring

# Invented, checksum-valid IBANs (the fund's and a beneficiary's). Never real accounts.
DEMO_FUND_IBAN = "DE02100100100006820101"
DEMO_BENEFICIARY_IBAN = "LT601010012345678901"
_DONATIONS = [
    "25.00",
    "50.00",
    "10.00",
    "100.00",
    "20.00",
    "500.00",
    "35.00",
    "15.00",
    "250.00",
    "75.00",
]
_POLICIES = {
    Programme.SECURITY_FORCES: dict(
        debt_cap="10000.00",
        monthly_income_cap="450.00",
        income_months=3,
        course_cap="1500.00",
        legal_aid_cap="800.00",
        pledge_debt_above_cap=True,
    ),
    Programme.WORKERS: dict(
        debt_cap="3000.00",
        monthly_income_cap="400.00",
        income_months=3,
        course_cap="1200.00",
        legal_aid_cap="800.00",
        pledge_debt_above_cap=False,
    ),
    Programme.REPRESSION: dict(
        debt_cap="2000.00",
        monthly_income_cap="350.00",
        income_months=2,
        course_cap="1000.00",
        legal_aid_cap="1200.00",
        pledge_debt_above_cap=False,
    ),
}


def _demo_user(username: str) -> User:
    return User.objects.get(username=username)


def _demo_passphrase(username: str) -> str:
    from solidarity.accounts.demo import DEMO_STAFF

    return next(p for name, _role, p in DEMO_STAFF if name == username)


@transaction.atomic
def build_ledger_demo() -> bool:
    """Add the demo money once. Returns False (and changes nothing) if it is already there."""
    if Donation.objects.exists():
        return False
    coordinator = _demo_user("coordinator")
    treasurer = _demo_user("treasurer")
    today = timezone.localdate()

    bank = services.open_held_account(
        "Main bank",
        "EUR",
        by=treasurer,
        bank_holder="Demo Solidarity Fund",
        bank_iban=DEMO_FUND_IBAN,
        bank_bic="MARKDEF1100",
    )
    dollars = services.open_held_account("Dollar account", "USD", by=treasurer)
    services.record_rate("EUR", today - datetime.timedelta(days=60), Decimal("1.08"), by=treasurer)
    services.record_rate("BYN", today - datetime.timedelta(days=60), Decimal("0.31"), by=treasurer)
    campaign = donations.create_campaign(
        slug="first-wave",
        name="The first wave",
        goal=Decimal("50000.00"),
        currency="EUR",
        starts_on=today - datetime.timedelta(days=42),
        by=treasurer,
    )
    for n in range(42):
        day = today - datetime.timedelta(days=42 - n)
        account = bank if n % 4 else dollars
        donations.record_donation(
            amount=Decimal(_DONATIONS[n % len(_DONATIONS)]) * (20 if n % 9 == 0 else 1),
            currency=account.currency,
            held_account=account,
            received_on=day,
            channel=Donation.Channel.BANK if n % 3 else Donation.Channel.MANUAL,
            reference=f"DEMO-{n:04d}" if n % 3 else None,
            campaign=campaign if account is bank else None,
            by=treasurer,
        )

    for programme, caps in _POLICIES.items():
        plans.set_policy(
            programme,
            by=coordinator,
            reason="Demo policy",
            currency="EUR",
            debt_cap=Decimal(caps["debt_cap"]),
            monthly_income_cap=Decimal(caps["monthly_income_cap"]),
            income_months=caps["income_months"],
            course_cap=Decimal(caps["course_cap"]),
            legal_aid_cap=Decimal(caps["legal_aid_cap"]),
            pledge_debt_above_cap=caps["pledge_debt_above_cap"],
            pledge_event="after a transition of power" if caps["pledge_debt_above_cap"] else "",
        )

    verified = Case.objects.filter(status=Case.Status.VERIFIED).order_by("id")
    case = verified.first()
    if case is not None:
        staff_key = keyring.unlock_staff_key(coordinator, _demo_passphrase("coordinator"))
        plan = plans.propose_plan(case, by=coordinator, staff_key=staff_key, priority=4)
        plans.activate_plan(plan, by=coordinator)
        destination = payouts.add_destination(
            case,
            "sepa",
            {"holder": "Demo Beneficiary", "iban": DEMO_BENEFICIARY_IBAN},
            by=coordinator,
        )
        # The demo beneficiary has read the guidance about the rail, so the demo can pay.
        rail_register.acknowledge_guidance(case, destination.pk)
        # A second verified case gets a proposed plan only, for the allocation helper.
        second = verified.exclude(pk=case.pk).first()
        if second is not None:
            plans.propose_plan(second, by=coordinator, staff_key=staff_key, priority=2)
        try:
            payouts.prepare_batch(by=treasurer, rail="sepa", held_account=bank)
        except payouts.NothingDueError:
            pass
    return True
