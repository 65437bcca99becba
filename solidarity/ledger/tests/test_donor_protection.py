"""Donors protected by default (issue 8): once a fund is declared "extremist", its donors are
prosecuted years later from their card statements and from the fund's own records.

The attacks played here: a bank statement and card webhooks full of canary names, IBANs,
card numbers, BINs, e-mail addresses, references and ids are imported; then the database,
the data directory, every staff ledger page, the books export and the transparency page are
searched for them. Receipt addresses are kept sealed and purged after their retention; a
card or bank from a high-risk country is flagged for the treasurer and warned about; and
booking each reference once still works with keyed digests.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import secrets
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from solidarity.audit.models import AuditEvent
from solidarity.ledger import donations, donor_protection, payouts, urls
from solidarity.ledger.models import Campaign, Donation, PayoutBatch, WebhookEvent
from solidarity.ledger.tests.factories import (
    canary_card,
    canary_iban,
    make_active_plan,
    make_held_account,
)
from solidarity.ledger.tests.test_seizure import _encodings, _orm_values, _raw_tables
from solidarity.testing.factories import log_in
from solidarity.vault import keyring
from solidarity.vault.core import open_sealed

SECRET = "whsec_test_donor_protection_5d1e"  # test secret only


@pytest.fixture
def webhook_secret(settings, org):
    settings.CARD_WEBHOOK_SECRET = SECRET
    return SECRET


def post_event(client, event: dict):
    body = json.dumps(event).encode()
    header = donations.signature_header(SECRET.encode(), body, int(time.time()))
    return client.post(
        reverse("hooks:card"),
        data=body,
        content_type="application/json",
        HTTP_SOLIDARITY_SIGNATURE=header,
    )


class Canaries:
    """Unmistakable donor data: every value must be found nowhere at rest."""

    def __init__(self) -> None:
        self.tag = secrets.token_hex(4).upper()
        self.values: list[str] = []

    def new(self, text: str) -> str:
        self.values.append(text)
        return text

    def name(self, label: str) -> str:
        return self.new(f"Canary{label}{self.tag} Donorname")


def charge_event(canaries: Canaries, *, country: str = "DE", receipt: str = "") -> dict:
    """A processor's charge.succeeded as processors send it: full of the payer's details."""
    card = canaries.new(canary_card())
    data = {
        "charge_id": canaries.new(f"ch_canary_{secrets.token_hex(6)}"),
        "amount": "35.00",
        "currency": "EUR",
        "created": int(time.time()),
        "card": {
            "country": country,
            "number": card,
            "bin": canaries.new(card[:8] + "X"),  # unambiguous: the BIN alone, tagged
            "last4": card[-4:],
            "brand": "visa",
            "name": canaries.name("Cardholder"),
        },
        "billing_details": {
            "name": canaries.name("Billing"),
            "email": canaries.new(f"canary-billing-{canaries.tag.lower()}@example.org"),
            "phone": canaries.new(f"+37529{secrets.randbelow(10**7):07d}"),
            "address": {"line1": canaries.new(f"Canary street {canaries.tag} 7")},
        },
        "payer_ip": canaries.new("127.91.17.23"),
    }
    if receipt:
        data["receipt_email"] = receipt
    return {
        "id": canaries.new(f"evt_canary_{secrets.token_hex(6)}"),
        "type": "charge.succeeded",
        "data": data,
    }


def statement(canaries: Canaries, *, iban: str | None = None) -> bytes:
    rows = ["date;amount;currency;reference;payer;iban;payer_email;details"]
    for n in range(3):
        payer_iban = iban or canaries.new(canary_iban())
        rows.append(
            f"2024-05-0{n + 1};1{n}0,00;EUR;{canaries.new(f'TRX-CANARY-{canaries.tag}-{n}')};"
            f"{canaries.name(f'Payer{n}')};{payer_iban};"
            f"{canaries.new(f'canary-payer{n}-{canaries.tag.lower()}@example.org')};"
            f"{canaries.new(f'Gift from CanaryDetails{n}{canaries.tag}')}"
        )
    return ("\n".join(rows) + "\n").encode()


def import_statement(client, treasurer, account, data: bytes):
    log_in(client, treasurer)
    return client.post(
        reverse("ledger:donations"),
        {
            "action": "import",
            "statement-held_account": account.pk,
            "statement-file": SimpleUploadedFile("statement.csv", data, "text/csv"),
        },
        follow=True,
    )


def assert_nowhere(canaries: list[str], places: dict[str, bytes]) -> None:
    leaks = [
        (where, canary)
        for where, content in places.items()
        for canary in canaries
        if any(form in content for form in _encodings(canary))
    ]
    assert leaks == [], f"found in clear: {leaks[:10]}"


def _data_dir_files() -> dict[str, bytes]:
    return {str(path): path.read_bytes() for path in settings.DATA_DIR.rglob("*") if path.is_file()}


# --- imports and webhooks drop the donor's identity ------------------------------------------------


def test_canaries_of_an_import_and_a_webhook_are_nowhere_in_the_database_or_data_dir(
    client, treasurer, webhook_secret
):
    canaries = Canaries()
    bank = make_held_account(currency="EUR")

    # Given a statement and a webhook carrying names, IBANs, card numbers, BINs, addresses
    imported = import_statement(client, treasurer, bank, statement(canaries))
    hooked = post_event(client, charge_event(canaries))

    # When they are booked
    assert imported.status_code == 200
    assert hooked.json() == {"result": "recorded"}
    assert Donation.objects.count() == 4

    # Then no table, no ORM value, no audit detail and no file in the data dir holds any
    places = {
        "tables": _raw_tables(),
        "orm": "\n".join(_orm_values()).encode(),
        "audit": "\n".join(json.dumps(e.details) for e in AuditEvent.objects.all()).encode(),
        **_data_dir_files(),
    }
    assert_nowhere(canaries.values, places)
    # while the scan does read what is stored in clear by design (a positive control)
    assert b"130.00" in places["tables"] or b"130" in places["tables"]
    assert bank.code.encode() in places["tables"]


def test_the_same_webhook_twice_and_the_same_statement_twice_record_once(
    client, treasurer, webhook_secret
):
    canaries = Canaries()
    bank = make_held_account(currency="EUR")
    event = charge_event(canaries)
    data = statement(canaries)

    first = post_event(client, event)
    again = post_event(client, event)
    retried = post_event(client, {**event, "id": "evt_retry_new_id"})
    import_statement(client, treasurer, bank, data)
    import_statement(client, treasurer, bank, data)

    assert [r.json()["result"] for r in (first, again, retried)] == [
        "recorded",
        "duplicate",
        "duplicate",
    ]
    assert Donation.objects.filter(channel=Donation.Channel.CARD).count() == 1
    assert Donation.objects.filter(channel=Donation.Channel.BANK).count() == 3
    # What dedup keys on is a keyed digest, not the reference
    card = Donation.objects.get(channel=Donation.Channel.CARD)
    assert card.reference_digest == donor_protection.reference_digest(event["data"]["charge_id"])
    assert event["data"]["charge_id"] not in card.reference_digest
    assert WebhookEvent.objects.filter(
        event_digest=donor_protection.event_digest("card", event["id"])
    ).exists()


def test_a_refund_finds_its_charge_by_digest(client, webhook_secret):
    canaries = Canaries()
    charge = charge_event(canaries)
    post_event(client, charge)

    response = post_event(
        client,
        {
            "id": "evt_refund_1",
            "type": "charge.refunded",
            "data": {"charge_id": charge["data"]["charge_id"]},
        },
    )

    assert response.json() == {"result": "refunded"}
    assert Donation.objects.get().refunded


def test_a_different_secret_gives_different_digests(settings):
    settings.DONOR_REFERENCE_SECRET = "one-secret-long-enough-0001"
    first = donor_protection.reference_digest("TRX-1")
    settings.DONOR_REFERENCE_SECRET = "another-secret-long-enough-02"
    second = donor_protection.reference_digest("TRX-1")
    settings.DONOR_REFERENCE_SECRET = None
    from_secret_key = donor_protection.reference_digest("TRX-1")

    assert len({first, second, from_secret_key}) == 3
    assert donor_protection.reference_digest(" TRX-1 ") == from_secret_key


# --- receipt addresses: sealed, then purged ----------------------------------------------------


def test_a_receipt_address_is_sealed_kept_for_the_retention_and_then_purged(treasurer, settings):
    settings.DONOR_RECEIPT_MONTHS = 13
    bank = make_held_account(currency="EUR")
    address = f"canary-receipt-{secrets.token_hex(3)}@example.org"
    today = timezone.localdate()

    # Given a donor who asked for a receipt and one who did not
    kept = donations.record_donation(
        amount=Decimal("20.00"),
        currency="EUR",
        held_account=bank,
        receipt_to=address,
        by=treasurer.user,
    )
    anonymous = donations.record_donation(
        amount=Decimal("5.00"), currency="EUR", held_account=bank, by=treasurer.user
    )

    # Then the address is sealed to the payout key, readable only with it, for 13 months
    assert mail.outbox[0].to == [address]
    assert "13 months" in mail.outbox[0].body
    assert address.encode() not in bytes(kept.donor_contact_sealed)
    payout_key = payouts.open_payout_key(
        treasurer.user, keyring.unlock_staff_key(treasurer.user, treasurer.passphrase)
    )
    assert open_sealed(payout_key, bytes(kept.donor_contact_sealed)) == address.encode()
    assert kept.receipt_kept_until == donor_protection.add_months(today, 13)
    assert anonymous.receipt_kept_until is None
    assert anonymous.donor_contact_sealed is None

    # When the purge runs on the last day it is kept, nothing goes
    assert donor_protection.purge_expired_receipts(today=kept.receipt_kept_until) == 0
    kept.refresh_from_db()
    assert kept.donor_contact_sealed is not None

    # and the day after, the address is deleted, the donation itself stays
    assert (
        donor_protection.purge_expired_receipts(
            today=kept.receipt_kept_until + datetime.timedelta(days=1)
        )
        == 1
    )
    kept.refresh_from_db()
    assert kept.donor_contact_sealed is None
    assert kept.receipt_kept_until is None
    assert kept.amount == Decimal("20.00")
    assert kept.receipt == Donation.Receipt.SENT
    assert AuditEvent.objects.filter(action="donation.receipts_purged").exists()


def test_the_donors_commands_count_and_purge_and_print_no_address(treasurer, settings):
    bank = make_held_account(currency="EUR")
    address = f"canary-cmd-{secrets.token_hex(3)}@example.org"
    old = donations.record_donation(
        amount=Decimal("20.00"),
        currency="EUR",
        held_account=bank,
        receipt_to=address,
        by=treasurer.user,
    )
    donations.record_donation(
        amount=Decimal("30.00"),
        currency="EUR",
        held_account=bank,
        receipt_to=address,
        by=treasurer.user,
    )
    # Fourteen months pass for the first one
    Donation.objects.filter(pk=old.pk).update(
        receipt_kept_until=timezone.localdate() - datetime.timedelta(days=1)
    )

    before, purged, after = io.StringIO(), io.StringIO(), io.StringIO()
    call_command("donors", "status", stdout=before)
    call_command("donors", "purge", stdout=purged)
    call_command("donors", "status", stdout=after)

    assert "Receipt addresses kept (sealed): 2" in before.getvalue()
    assert "past their retention, waiting for `donors purge`: 1" in before.getvalue()
    assert "1 expired receipt addresses deleted." in purged.getvalue()
    assert "Receipt addresses kept (sealed): 1" in after.getvalue()
    assert "waiting for `donors purge`: 0" in after.getvalue()
    for output in (before, purged, after):
        assert address not in output.getvalue()


def test_old_reference_digests_and_events_are_forgotten_after_their_window(
    client, treasurer, webhook_secret, settings
):
    settings.DONOR_REFERENCE_MONTHS = 18
    canaries = Canaries()
    bank = make_held_account(currency="EUR")
    import_statement(client, treasurer, bank, statement(canaries))  # dated May 2024
    post_event(client, charge_event(canaries))
    today = timezone.localdate()

    # A statement imported today keeps its references for the whole window, however old
    assert donor_protection.forget_old_references(today=today) == (0, 0)
    assert Donation.objects.filter(reference_digest__isnull=False).count() == 4

    # and 18 months on, every digest is forgotten: nobody can match these donations any more
    later = donor_protection.add_months(today, 19)
    assert donor_protection.forget_old_references(today=later) == (4, 1)
    assert not Donation.objects.filter(reference_digest__isnull=False).exists()
    assert not WebhookEvent.objects.exists()
    assert Donation.objects.count() == 4
    assert AuditEvent.objects.filter(action="donation.references_forgotten").exists()


# --- high-risk countries ---------------------------------------------------------------------------


def test_a_card_from_belarus_is_flagged_for_the_treasurer_and_the_donor_is_warned(
    client, treasurer, webhook_secret
):
    canaries = Canaries()
    address = f"canary-by-{secrets.token_hex(3)}@example.org"

    # Given a payment from a card issued in Belarus, with a receipt asked for
    response = post_event(client, charge_event(canaries, country="BY", receipt=address))

    # Then the processor is given a warning for the donor, and so is the receipt
    answer = response.json()
    assert answer["result"] == "recorded"
    assert "Belarus" in answer["donor_warning"]
    assert "Belarus" in mail.outbox[0].body
    assert "may be visible to the authorities" in mail.outbox[0].body
    # and the donation carries the flag, not the country
    donation = Donation.objects.get()
    assert donation.high_risk_origin is True
    assert b"BY" not in b"".join(str(v).encode() for v in Donation.objects.values().get().values())
    # and the treasurer sees it
    log_in(client, treasurer)
    page = client.get(reverse("ledger:donations")).content.decode()
    assert "Paid from a high-risk country" in page


def test_a_card_from_elsewhere_is_not_flagged_and_the_list_is_configurable(
    client, webhook_secret, settings
):
    german = post_event(client, charge_event(Canaries(), country="DE"))
    settings.HIGH_RISK_COUNTRIES = frozenset({"DE"})
    german_now_risky = post_event(client, charge_event(Canaries(), country="DE"))

    assert "donor_warning" not in german.json()
    assert "DE" in german_now_risky.json()["donor_warning"]
    assert [d.high_risk_origin for d in Donation.objects.order_by("pk")] == [False, True]


def test_a_statement_from_a_russian_bank_is_flagged_from_the_iban_alone(client, treasurer):
    canaries = Canaries()
    bank = make_held_account(currency="EUR")

    response = import_statement(
        client,
        treasurer,
        bank,
        statement(canaries, iban=canaries.new("RU0204452560040702810412345678901")),
    )

    assert "3 of them came from a bank in a high-risk country" in response.content.decode()
    assert Donation.objects.filter(high_risk_origin=True).count() == 3
    assert_nowhere(canaries.values, {"tables": _raw_tables()})


def test_a_treasurer_entering_a_donation_by_hand_is_told_to_warn_the_donor(client, treasurer):
    bank = make_held_account(currency="EUR")
    log_in(client, treasurer)
    form = {
        "action": "record",
        "donation-amount": "15.00",
        "donation-held_account": bank.pk,
        "donation-received_on": "2024-05-01",
    }

    bad = client.post(reverse("ledger:donations"), {**form, "donation-payer_country": "B1"})
    good = client.post(
        reverse("ledger:donations"), {**form, "donation-payer_country": "by"}, follow=True
    )

    assert bad.status_code == 200
    assert "Two letters, such as DE or BY." in bad.content.decode()
    assert "may be visible to the authorities" in good.content.decode()
    assert Donation.objects.get().high_risk_origin is True


# --- no page or export lists donors ---------------------------------------------------------------


def test_no_staff_ledger_page_export_or_public_page_shows_a_donor(
    client, org, coordinator, treasurer, webhook_secret
):
    canaries = Canaries()
    bank = make_held_account(currency="EUR")
    Campaign.objects.create(
        slug="spring",
        name="Spring",
        goal=Decimal("100.00"),
        currency="EUR",
        starts_on=datetime.date(2024, 1, 1),
    )
    # Given donations with canary data by every channel: by hand (with a receipt and a
    # reference that is a name), from a statement, and from the card processor
    log_in(client, treasurer)
    client.post(
        reverse("ledger:donations"),
        {
            "action": "record",
            "donation-amount": "77.00",
            "donation-held_account": bank.pk,
            "donation-received_on": "2024-05-02",
            "donation-reference": canaries.name("Reference"),
            "donation-receipt_to": canaries.new(f"canary-hand-{canaries.tag.lower()}@example.org"),
        },
    )
    import_statement(client, treasurer, bank, statement(canaries))
    post_event(
        client,
        charge_event(
            canaries, receipt=canaries.new(f"canary-card-{canaries.tag.lower()}@example.org")
        ),
    )
    assert Donation.objects.count() == 5

    # When every ledger page is opened by a treasurer and by a coordinator, the books are
    # exported, and the public transparency page and data are fetched
    plan = make_active_plan(by=coordinator.user)
    batch = PayoutBatch.objects.create(
        rail="sepa",
        currency="EUR",
        held_account=bank,
        message_id="SOLDONOR1",
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
    pages = [
        reverse(f"ledger:{p.name}", args=args.get(p.name, []))
        for p in urls.urlpatterns
        if p.name not in {"share_key", "plan_propose"}  # POST-only actions
    ]
    places: dict[str, bytes] = {}
    for who in (treasurer, coordinator):
        client.logout()
        log_in(client, who)
        for url in pages + [reverse("staff:audit")]:
            response = client.get(url)
            # Policies are the coordinator's: a treasurer is refused them, which is fine.
            assert response.status_code in (200, 403), url
            places[f"{who.user.username} {url}"] = response.content
    books = io.StringIO()
    call_command("ledger", "export", stdout=books)
    places["beancount"] = books.getvalue().encode()
    client.logout()
    for name in ("transparency:page", "transparency:json"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        places[name] = response.content

    opened = [where for where, content in places.items() if b"<h1" in content]
    assert len(opened) >= 2 * len(pages), opened

    # Then no canary is on any of them
    assert_nowhere(canaries.values, places)
    # while the donations are there to be seen (a positive control)
    donations_page = places[f"{treasurer.user.username} {reverse('ledger:donations')}"]
    assert b"77.00" in donations_page
    assert b"Assets:Held" in places["beancount"]


@pytest.mark.parametrize(("language", "country"), [("be", "Беларусь"), ("ru", "Беларусь")])
def test_the_donor_warning_is_translated(language, country):
    with translation.override(language):
        warning = donor_protection.donor_warning("BY")
    assert country in warning
    assert "authorities" not in warning


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SOLIDARITY_HIGH_RISK_COUNTRIES", "Belarus,Russia", "two-letter codes"),
        ("SOLIDARITY_DONOR_RECEIPT_MONTHS", "0", "at least 1"),
        ("SOLIDARITY_DONOR_REFERENCE_MONTHS", "-3", "at least 1"),
    ],
)
def test_a_misconfigured_donor_setting_stops_the_server_from_starting(
    tmp_path, name, value, message
):
    env = {**os.environ, "SOLIDARITY_DATA_DIR": str(tmp_path), name: value}
    result = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "solidarity", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_the_worker_purges_donor_data_every_day(treasurer, settings):
    from django_tasks_db.models import DBTaskResult

    from solidarity.ledger import tasks

    settings.DONOR_RECEIPT_MONTHS = 1
    bank = make_held_account(currency="EUR")
    old = donations.record_donation(
        amount=Decimal("20.00"),
        currency="EUR",
        held_account=bank,
        receipt_to=f"canary-daily-{secrets.token_hex(3)}@example.org",
        by=treasurer.user,
        received_on=timezone.localdate() - datetime.timedelta(days=70),
    )
    # Given a receipt address past its retention (made long ago)
    Donation.objects.filter(pk=old.pk).update(
        receipt_kept_until=timezone.localdate() - datetime.timedelta(days=1)
    )

    # When a worker starts, the purge is queued once however often it starts
    assert tasks.schedule_periodic_tasks() == 1
    assert tasks.schedule_periodic_tasks() == 0
    DBTaskResult.objects.filter(task_path=tasks.purge_donor_data.module_path).delete()

    # Then a run deletes the address and queues the next run a day later
    assert tasks.purge_donor_data.call() >= 1
    old.refresh_from_db()
    assert old.donor_contact_sealed is None
    (next_run,) = DBTaskResult.objects.filter(task_path=tasks.purge_donor_data.module_path)
    assert next_run.status == "READY"
    assert (next_run.run_after - next_run.enqueued_at).total_seconds() >= 86_399
