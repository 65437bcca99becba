"""The money console: who may open which page, and the demo's path through it by real
requests: donations recorded, a plan proposed and activated, a batch prepared by one person
and approved by another, exported as a file, and a confirmation imported."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from solidarity.ledger import services, urls
from solidarity.ledger.models import Commitment, Donation, Entry, PayoutBatch, SupportPlan
from solidarity.ledger.tests.factories import (
    make_active_plan,
    make_destination,
    make_held_account,
    make_policy,
    make_verified_case,
)
from solidarity.testing.factories import log_in


@pytest.fixture
def every_ledger_url(org, coordinator):
    plan = make_active_plan(by=coordinator.user)
    bank = make_held_account(currency="EUR")
    batch = PayoutBatch.objects.create(
        rail="sepa",
        currency="EUR",
        held_account=bank,
        message_id="SOLTEST1",
        remittance="Transfer",
        execution_date="2024-01-01",
        prepared_by=coordinator.user,
    )
    args = {
        "policy_edit": ["workers"],
        "plan_propose": [plan.case.code],
        "plan": [plan.pk],
        "batch": [batch.pk],
    }
    methods = {"share_key": "post", "plan_propose": "post"}
    return [
        (methods.get(p.name, "get"), reverse(f"ledger:{p.name}", args=args.get(p.name, [])))
        for p in urls.urlpatterns
    ]


def test_outsider_is_sent_to_login_from_every_ledger_page(client, every_ledger_url):
    for method, url in every_ledger_url:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("staff:login")), url


def test_a_volunteer_is_refused_every_ledger_page(client, volunteer, every_ledger_url):
    log_in(client, volunteer)
    for method, url in every_ledger_url:
        response = getattr(client, method)(url)
        assert response.status_code == 403, url


def test_a_treasurer_may_not_edit_policies_or_propose_plans(client, treasurer, every_ledger_url):
    log_in(client, treasurer)
    assert client.get(reverse("ledger:policy_edit", args=["workers"])).status_code == 403
    case = make_verified_case()
    assert client.post(reverse("ledger:plan_propose", args=[case.code])).status_code == 403
    assert not SupportPlan.objects.filter(case=case).exists()


def test_the_pages_render_for_a_treasurer(client, treasurer, every_ledger_url):
    log_in(client, treasurer)
    for method, url in every_ledger_url:
        if method == "post" or "policies/workers" in url:
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"<script" not in response.content


def test_the_demo_path_through_the_console(client, org, coordinator, treasurer):
    bank = make_held_account(name="Main bank", currency="EUR")
    make_policy(programme="security_forces", by=coordinator.user, currency="EUR", income_months=0)
    services.record_rate(
        "EUR", datetime.date(2024, 1, 1), Decimal("1.10")
    )  # the answers are in USD
    case = make_verified_case()

    # A treasurer records donations by hand and from a statement.
    log_in(client, treasurer)
    response = client.post(
        reverse("ledger:donations"),
        {
            "action": "record",
            "donation-amount": "15000.00",
            "donation-held_account": bank.pk,
            "donation-received_on": "2024-05-01",
        },
    )
    assert response.status_code == 302
    statement = SimpleUploadedFile("s.csv", b"date,amount,reference\n2024-05-02,250.00,TRX-9\n")
    client.post(
        reverse("ledger:donations"),
        {"action": "import", "statement-held_account": bank.pk, "statement-file": statement},
    )
    assert Donation.objects.count() == 2

    # A coordinator turns the verified case into a plan, activates it and records where to pay.
    coordinator_client = client.__class__()
    log_in(coordinator_client, coordinator)
    response = coordinator_client.post(reverse("ledger:plan_propose", args=[case.code]))
    plan = SupportPlan.objects.get(case=case)
    assert response["Location"] == reverse("ledger:plan", args=[plan.pk])
    coordinator_client.post(reverse("ledger:plan", args=[plan.pk]), {"action": "activate"})
    coordinator_client.post(
        reverse("ledger:plan", args=[plan.pk]),
        {
            "action": "destination",
            "dest-rail": "sepa",
            "dest-holder": "Ivan Test",
            "dest-iban": "LT12 1000 0111 0100 1000",
        },
    )
    plan.refresh_from_db()
    assert plan.status == SupportPlan.Status.ACTIVE
    assert plan.case.payout_destinations.count() == 1
    # The recipient was told about the rail's risks by phone: the treasurer says so.
    destination = plan.case.payout_destinations.get()
    client.post(
        reverse("ledger:plan", args=[plan.pk]),
        {"action": "guidance_override", "destination": destination.pk, "reason": "Told by phone"},
    )
    destination.refresh_from_db()
    assert destination.guidance_override_reason == "Told by phone"

    # The treasurer prepares a batch; approving it themselves is refused; the coordinator approves.
    client.post(
        reverse("ledger:batches"),
        {
            "rail": "sepa",
            "held_account": bank.pk,
            "execution_date": "2024-05-06",
            "remittance": "Transfer",
        },
    )
    batch = PayoutBatch.objects.get()
    page = client.post(reverse("ledger:batch", args=[batch.pk]), {"action": "approve"}, follow=True)
    assert b"somebody else must approve it" in page.content
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.PREPARED
    coordinator_client.post(reverse("ledger:batch", args=[batch.pk]), {"action": "approve"})
    batch.refresh_from_db()
    assert (batch.status, batch.approved_by) == (PayoutBatch.Status.APPROVED, coordinator.user)

    # The treasurer exports: the file comes back as a download, not stored, not cached.
    response = client.post(reverse("ledger:batch", args=[batch.pk]), {"action": "export"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == "no-store"
    assert b"LT121000011101001000" in response.content

    # A confirmation marks it seized: it is owed again.
    item = batch.items.get()
    upload = SimpleUploadedFile(
        "c.csv", f"end_to_end_id,status,reason\n{item.end_to_end_id},seized,card blocked\n".encode()
    )
    client.post(reverse("ledger:batch", args=[batch.pk]), {"action": "confirm", "file": upload})
    assert Commitment.objects.get(pk=item.commitment_id).status == Commitment.Status.OPEN
    page = client.get(reverse("ledger:plan", args=[plan.pk]))
    assert b"card blocked" in page.content

    # The runway page shows the forecast chart.
    runway = client.get(reverse("ledger:runway"), {"scenario": "surge"})
    assert b"<svg" in runway.content
    assert all(c.ok for c in services.check_balances())
    assert Entry.objects.filter(kind=Entry.Kind.PAYOUT_SEIZED).count() == 1


def test_export_in_a_locked_session_asks_for_the_vault(
    client, org, coordinator, treasurer, second_treasurer
):
    bank = make_held_account(currency="EUR")
    plan = make_active_plan(by=coordinator.user)
    make_destination(plan.case, by=treasurer.user)
    log_in(client, treasurer)
    client.post(
        reverse("ledger:batches"),
        {
            "rail": "sepa",
            "held_account": bank.pk,
            "execution_date": "2024-05-06",
            "remittance": "Transfer",
        },
    )
    batch = PayoutBatch.objects.get()
    batch.approved_by = second_treasurer.user
    batch.status = PayoutBatch.Status.APPROVED
    batch.save()
    client.post(reverse("staff:lock"))

    response = client.post(reverse("ledger:batch", args=[batch.pk]), {"action": "export"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:unlock"))
    batch.refresh_from_db()
    assert batch.export_count == 0
    assert batch.total == Decimal("1200.00")
