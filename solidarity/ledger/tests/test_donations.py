"""Donations: by hand (anonymous unless a receipt is asked for), bank statements imported once
per reference, and the card webhook: signed fixtures accepted, forged, tampered, stale and
replayed ones refused or ignored."""

from __future__ import annotations

import datetime
import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from solidarity.ledger import donations, services
from solidarity.ledger.models import Account, Campaign, Donation, Entry, WebhookEvent
from solidarity.ledger.roles import NotAllowedError
from solidarity.ledger.tests.factories import make_held_account

FIXTURES = Path(__file__).parent / "webhooks"
SECRET = "whsec_test_0f3c9a7e5b1d4c2a8e6f"  # test secret only


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def signed(body: bytes, *, secret: str = SECRET, at: int | None = None) -> str:
    return donations.signature_header(secret.encode(), body, int(time.time()) if at is None else at)


@pytest.fixture
def webhook_secret(settings, org):
    settings.CARD_WEBHOOK_SECRET = SECRET
    return SECRET


@pytest.fixture
def winter(org):
    return Campaign.objects.create(
        slug="winter",
        name="Winter",
        goal=Decimal("1000.00"),
        currency="EUR",
        starts_on=datetime.date(2024, 1, 1),
    )


def post_hook(client, body: bytes, header: str | None):
    extra = {"HTTP_SOLIDARITY_SIGNATURE": header} if header is not None else {}
    return client.post(reverse("hooks:card"), data=body, content_type="application/json", **extra)


# --- by hand --------------------------------------------------------------------------------------


def test_an_anonymous_donation_books_money_in_and_keeps_nothing_about_the_donor(treasurer):
    bank = make_held_account(currency="EUR")

    donation = donations.record_donation(
        amount=Decimal("50.00"), currency="EUR", held_account=bank, by=treasurer.user
    )

    bank.refresh_from_db()
    assert bank.balance == Decimal("50.00")
    assert services.standard_account(Account.Purpose.DONATIONS, "EUR").display_balance == Decimal(
        "50.00"
    )
    assert donation.donor_contact_sealed is None
    assert donation.receipt == Donation.Receipt.NONE
    assert mail.outbox == []


def test_a_donor_who_asks_gets_a_receipt_and_their_address_is_kept_only_sealed(treasurer):
    bank = make_held_account(currency="EUR")

    donation = donations.record_donation(
        amount=Decimal("20.00"),
        currency="EUR",
        held_account=bank,
        receipt_to="someone@example.org",
        by=treasurer.user,
    )

    assert donation.receipt == Donation.Receipt.SENT
    assert mail.outbox[0].to == ["someone@example.org"]
    assert "20.00 EUR" in mail.outbox[0].body
    assert b"someone@example.org" not in bytes(donation.donor_contact_sealed)


def test_a_volunteer_cannot_record_donations(volunteer):
    bank = make_held_account(currency="EUR")
    with pytest.raises(NotAllowedError):
        donations.record_donation(
            amount=Decimal("1.00"), currency="EUR", held_account=bank, by=volunteer.user
        )


def test_a_donation_must_match_its_account_currency(treasurer):
    bank = make_held_account(currency="EUR")
    with pytest.raises(ValueError, match="currency"):
        donations.record_donation(
            amount=Decimal("1.00"), currency="USD", held_account=bank, by=treasurer.user
        )


def test_campaign_progress_counts_other_currencies_at_the_days_rate(treasurer, winter):
    eur = make_held_account(currency="EUR")
    usd = make_held_account(currency="USD")
    services.record_rate("EUR", datetime.date(2024, 1, 1), Decimal("1.10"))
    donations.record_donation(
        amount=Decimal("100.00"),
        currency="EUR",
        held_account=eur,
        campaign=winter,
        received_on=datetime.date(2024, 2, 1),
        by=treasurer.user,
    )
    donations.record_donation(
        amount=Decimal("110.00"),
        currency="USD",
        held_account=usd,
        campaign=winter,
        received_on=datetime.date(2024, 2, 1),
        by=treasurer.user,
    )

    assert donations.campaign_raised(winter) == Decimal("200.00")


# --- bank statements ------------------------------------------------------------------------------

STATEMENT = """date;amount;currency;reference;payer
2024-05-01;25,00;EUR;TRX-0001;Someone Identifiable
02.05.2024;1.250,50;EUR;TRX-0002;
2024-05-03;-300,00;EUR;TRX-0003;Our rent
2024-05-04;10,00;EUR;;
2024-05-05;abc;EUR;TRX-0005;
2024-05-06;5,00;USD;TRX-0006;
"""


def test_a_statement_imports_once_per_bank_reference(treasurer):
    bank = make_held_account(currency="EUR")

    first = donations.import_bank_statement(
        STATEMENT.encode(), held_account=bank, by=treasurer.user
    )
    second = donations.import_bank_statement(
        STATEMENT.encode(), held_account=bank, by=treasurer.user
    )

    assert (first.created, first.duplicates, first.outgoing) == (2, 0, 1)
    assert [line for line, _msg in first.errors] == [5, 6, 7]
    assert (second.created, second.duplicates) == (0, 2)
    bank.refresh_from_db()
    assert bank.balance == Decimal("1275.50")
    assert Donation.objects.count() == 2
    # The payer column is never read, so nothing of it can be stored.
    assert not Entry.objects.filter(memo__icontains="Identifiable").exists()


def test_a_statement_without_the_needed_columns_is_refused_whole(treasurer):
    bank = make_held_account(currency="EUR")
    report = donations.import_bank_statement(
        b"when,how much\n2024-01-01,5\n", held_account=bank, by=treasurer.user
    )
    assert report.created == 0
    assert report.errors[0][0] == 1


# --- the card webhook -----------------------------------------------------------------------------


def test_a_signed_charge_records_a_donation_once(client, webhook_secret, winter):
    body = fixture("charge_succeeded")

    response = post_hook(client, body, signed(body))
    replay = post_hook(client, body, signed(body))

    assert response.status_code == 200
    assert response.json() == {"result": "recorded"}
    assert replay.json() == {"result": "duplicate"}
    donation = Donation.objects.get()
    assert (donation.amount, donation.currency, donation.channel) == (
        Decimal("25.00"),
        "EUR",
        "card",
    )
    assert donation.campaign == winter
    assert donation.received_on == datetime.date(2024, 5, 1)
    assert donation.held_account.code == "Assets:Held:CardProcessor:EUR"


def test_the_same_charge_under_a_new_event_id_is_still_recorded_once(client, webhook_secret):
    body = fixture("charge_succeeded")
    again = json.loads(body)
    again["id"] = "evt_retry_with_new_id"
    again = json.dumps(again).encode()

    post_hook(client, body, signed(body))
    response = post_hook(client, again, signed(again))

    assert response.json() == {"result": "duplicate"}
    assert Donation.objects.count() == 1


def test_a_forged_signature_is_refused_and_records_nothing(client, webhook_secret):
    body = fixture("charge_succeeded")

    wrong_secret = post_hook(client, body, signed(body, secret="whsec_attacker_guess_123456"))
    no_header = post_hook(client, body, None)
    garbage = post_hook(client, body, "t=1,v1=deadbeef")

    for response in (wrong_secret, no_header, garbage):
        assert response.status_code == 400
    assert not Donation.objects.exists()
    assert not WebhookEvent.objects.exists()


def test_a_body_changed_after_signing_is_refused(client, webhook_secret):
    body = fixture("charge_succeeded")
    header = signed(body)
    tampered = body.replace(b'"25.00"', b'"25000.00"')

    response = post_hook(client, tampered, header)

    assert response.status_code == 400
    assert not Donation.objects.exists()


@pytest.mark.parametrize(
    "offset", [-donations.WEBHOOK_TOLERANCE - 60, donations.WEBHOOK_TOLERANCE + 60]
)
def test_a_correctly_signed_but_stale_or_future_request_is_refused(client, webhook_secret, offset):
    # A request captured and replayed later carries its old, signed timestamp.
    body = fixture("charge_succeeded")
    response = post_hook(client, body, signed(body, at=int(time.time()) + offset))
    assert response.status_code == 400
    assert not Donation.objects.exists()


def test_a_refund_reverses_the_donation_without_deleting_it(client, webhook_secret):
    charge, refund = fixture("charge_succeeded"), fixture("charge_refunded")
    post_hook(client, charge, signed(charge))

    response = post_hook(client, refund, signed(refund))

    assert response.json() == {"result": "refunded"}
    donation = Donation.objects.get()
    assert donation.refunded
    assert donation.held_account.balance == Decimal("0.00")
    assert Entry.objects.filter(kind=Entry.Kind.REVERSAL, reverses=donation.entry).exists()


def test_a_receipt_address_from_the_processor_is_mailed_and_sealed(client, webhook_secret):
    body = fixture("charge_succeeded_receipt")

    post_hook(client, body, signed(body))

    donation = Donation.objects.get()
    assert donation.receipt == Donation.Receipt.SENT
    assert mail.outbox[0].to == ["donor-canary@example.org"]
    assert b"donor-canary" not in bytes(donation.donor_contact_sealed)


def test_unknown_events_are_acknowledged_and_ignored(client, webhook_secret):
    body = fixture("payout_paid")
    response = post_hook(client, body, signed(body))
    assert response.json() == {"result": "ignored"}
    assert not Donation.objects.exists()


def test_without_a_configured_secret_the_webhook_refuses_everything(
    client, org, settings, monkeypatch
):
    settings.CARD_WEBHOOK_SECRET = None
    monkeypatch.delenv("SOLIDARITY_CARD_WEBHOOK_SECRET", raising=False)
    body = fixture("charge_succeeded")
    response = post_hook(client, body, signed(body))
    assert response.status_code == 503
    assert not Donation.objects.exists()


def test_a_malformed_but_signed_body_is_refused(client, webhook_secret):
    body = b'{"id": "evt_x", "type": "charge.succeeded", "data": {"amount": "1.0001"}}'
    response = post_hook(client, body, signed(body))
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
