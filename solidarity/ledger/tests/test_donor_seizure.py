"""The seizure test for donors: a real `solidarity` process with its own data directory (and,
in the PostgreSQL pass, its own database) imports a bank statement and applies card webhooks
full of canary names, IBANs, card numbers, BINs, e-mail addresses and references; one donor
asked for a receipt that cannot be mailed (no mail server), so the failure path runs too.
Then every byte under the data directory (database, WAL), the process's output (its log) and
every PostgreSQL table is searched: no canary may be found.
"""

from __future__ import annotations

import json
import os
import secrets

import pytest

from solidarity.intake.tests.test_seizure import _files_under, _postgres_dump
from solidarity.ledger.tests.factories import canary_card, canary_iban
from solidarity.testing.fixtures import (
    _create_database,
    _drop_database,
    _run_command,
    is_postgres_url,
)

WEBHOOK_SECRET = "whsec_test_donor_seizure_0a9b8c7d"  # test secret only

# Run inside `solidarity shell -c`: the real services, the real database, the real disk.
SCRIPT = """
import json, os, time
from solidarity.ledger import donations, services
from solidarity.testing.factories import make_org, make_staff

c = json.loads(open(os.environ["DONOR_CANARY_FILE"], encoding="utf-8").read())
make_org("Donor seizure test")
treasurer = make_staff(role="treasurer", username="tina").user
bank = services.open_held_account("Main bank", "EUR")
rows = ["date;amount;currency;reference;payer;iban;email"]
for n, payer in enumerate(c["payers"]):
    rows.append(f"2024-05-0{n + 1};1{n}0,00;EUR;{c['references'][n]};{payer};{c['ibans'][n]};{c['emails'][n]}")
report = donations.import_bank_statement(("\\n".join(rows) + "\\n").encode(), held_account=bank, by=treasurer)
assert report.created == len(c["payers"]), report
for n, event in enumerate(c["events"]):
    body = json.dumps(event).encode()
    header = donations.signature_header(os.environ["SOLIDARITY_CARD_WEBHOOK_SECRET"].encode(), body, int(time.time()))
    print("webhook", n, donations.handle_card_webhook(body, header).result)
print("booked", report.created)
print("account", bank.code)
"""


def _event(n: int, canaries: dict, tag: str) -> dict:
    card = canary_card()
    data = {
        "charge_id": f"ch_canary_{tag}_{n}",
        "amount": "35.00",
        "currency": "EUR",
        "card": {
            "country": "BY",
            "number": card,
            "bin": card[:6],
            "name": f"CanaryCardholder{tag}{n}",
        },
        "billing_details": {"email": f"canary-billing-{tag}-{n}@example.org"},
    }
    if n == 0:
        data["receipt_email"] = f"canary-receipt-{tag}@example.org"
        canaries["secrets"].append(data["receipt_email"])
    canaries["secrets"] += [
        data["charge_id"],
        card,
        data["card"]["name"],
        data["billing_details"]["email"],
        f"evt_canary_{tag}_{n}",
    ]
    return {"id": f"evt_canary_{tag}_{n}", "type": "charge.succeeded", "data": data}


@pytest.mark.slow
def test_a_seized_data_directory_reveals_no_donor(tmp_path):
    tag = secrets.token_hex(4)
    canaries: dict = {
        "payers": [f"CanaryPayer{tag}{n} Ivanova" for n in range(3)],
        "references": [f"TRX-CANARY-{tag}-{n}" for n in range(3)],
        "ibans": [canary_iban() for _ in range(3)],
        "emails": [f"canary-payer-{tag}-{n}@example.org" for n in range(3)],
        "secrets": [],
    }
    canaries["events"] = [_event(n, canaries, tag) for n in range(2)]
    secret_values = [
        *canaries["payers"],
        *canaries["references"],
        *canaries["ibans"],
        *canaries["emails"],
        *canaries["secrets"],
    ]
    canary_file = tmp_path / "canaries.json"  # outside the data directory
    canary_file.write_text(json.dumps(canaries), encoding="utf-8")
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    env = dict(os.environ)
    env.update(
        SOLIDARITY_DATA_DIR=str(data_dir),
        SOLIDARITY_KDF="fast-insecure-for-tests",
        SOLIDARITY_CARD_WEBHOOK_SECRET=WEBHOOK_SECRET,
        DONOR_CANARY_FILE=str(canary_file),
        DJANGO_SETTINGS_MODULE="solidarity.settings",
        SOLIDARITY_LOG_LEVEL="DEBUG",
    )
    admin_url = os.environ.get("DATABASE_URL")
    if is_postgres_url(admin_url):
        env["DATABASE_URL"] = _create_database(admin_url)
    else:
        admin_url = None
        env.pop("DATABASE_URL", None)
    try:
        # Given a fresh instance, when the statement and the webhooks are booked
        migrated = _run_command(["migrate", "--noinput"], env, check=True)
        booked = _run_command(["shell", "-c", SCRIPT], env, check=True)
        assert "booked 3" in booked.stdout
        assert "webhook 0 recorded" in booked.stdout
        assert "webhook 1 recorded" in booked.stdout

        # Then no canary is in any file of the data dir, in the output, or in any table
        places: dict[str, bytes] = {}
        for path in _files_under(data_dir, 0):
            try:
                places[str(path)] = path.read_bytes()
            except FileNotFoundError:  # SQLite may drop its -wal/-shm files meanwhile
                continue
        places["output"] = (
            migrated.stdout + migrated.stderr + booked.stdout + booked.stderr
        ).encode()
        if admin_url:
            places["postgresql tables"] = _postgres_dump(env["DATABASE_URL"])
        database = [p for p in places if "solidarity.sqlite3" in p or p == "postgresql tables"]
        assert database, f"the scan found no database: {sorted(places)}"
        # A positive control: the held account's code is stored in clear by design, so a
        # scan that can read the database finds it.
        code = booked.stdout.split("account ", 1)[1].split()[0]
        assert code.startswith("Assets:Held:")
        assert any(code.encode() in places[p] for p in database)
        leaks = [
            (where, value)
            for where, content in places.items()
            for value in secret_values
            if any(
                form in content
                for form in (value.encode(), value.encode("utf-16-le"), value.lower().encode())
            )
        ]
        assert leaks == [], f"found in clear: {leaks[:10]}"
    finally:
        if admin_url:
            _drop_database(admin_url, env["DATABASE_URL"])
