"""Run inside one installation by the continuity tests: `python -m solidarity.continuity.tests.probe`.

Each test installation is its own process with its own data directory and database, so the
tests act in it through this module and read the JSON it prints. Everything goes through
the real services: intake, the staff vault, the ledger.
"""

from __future__ import annotations

import json
import os
import sys

import django


def submit(story: str) -> dict:
    from solidarity.testing import builders, factories

    photo = builders.upload("id.jpg", builders.jpeg_with_metadata())
    story = f"I refused to beat protesters and resigned the next day. {story}"
    receipt = factories.make_application(files={"proof_files": [photo]}, story=story)
    return {"code": receipt.case_code, "passphrase": str(receipt.passphrase)}


def open_case(code: str, username: str) -> dict:
    from solidarity.accounts import services as accounts
    from solidarity.accounts.models import User
    from solidarity.cases import services as cases
    from solidarity.cases.models import Case

    user = User.objects.get(username=username)
    key = accounts.unlock_vault(user, os.environ["SOLIDARITY_COORDINATOR_PASSPHRASE"])
    case = Case.objects.get(code=code)
    opened = cases.open_case_for_staff(case, user, key)
    case_key = cases.case_private_key_for_staff(case, user, key)
    files = [
        cases.read_attachment(case, item["id"], case_key)[1].hex() for item in opened.attachments
    ]
    return {"answers": opened.answers, "status": case.status, "files": files}


def open_receipt(code: str, passphrase: str) -> dict:
    from solidarity.intake import services as intake

    case, _key = intake.open_receipt(code, passphrase, client="probe")
    return {"status": case.status}


def post_donation(amount: str) -> dict:
    from decimal import Decimal

    from solidarity.ledger import services as ledger
    from solidarity.ledger.models import Account

    held = ledger.open_held_account("Bank One", "EUR")
    income = ledger.standard_account(Account.Purpose.DONATIONS, "EUR")
    entry = ledger.post_entry(
        "donation", [(held, Decimal(amount)), (income, -Decimal(amount))], memo="Donation"
    )
    return {"entry": entry.pk}


def ledger_accounts() -> dict:
    from solidarity.ledger.models import Account

    return {a.code: str(a.balance) for a in Account.objects.order_by("code")}


def counts() -> dict:
    from solidarity.audit.services import verify_chain
    from solidarity.cases.models import Case

    return {"cases": Case.objects.count(), "audit_ok": verify_chain().ok}


def audit_actions() -> dict:
    from solidarity.audit.models import AuditEvent

    return {"actions": list(AuditEvent.objects.order_by("id").values_list("action", flat=True))}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidarity.settings")
    django.setup()
    command, *args = sys.argv[1:]
    handlers = {
        "submit": submit,
        "open-case": open_case,
        "open-receipt": open_receipt,
        "post-donation": post_donation,
        "ledger-accounts": ledger_accounts,
        "counts": counts,
        "audit-actions": audit_actions,
    }
    print(json.dumps(handlers[command](*args)))


if __name__ == "__main__":
    main()
