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


def enrol_job_coach(username: str) -> dict:
    from solidarity.testing import factories

    staff = factories.make_staff(role="job_coach", username=username)
    return {"user": staff.user.pk}


def jobs_work(code: str, passphrase: str, coach: str, secret: str) -> dict:
    """A job coach records an employer (its contact holding ``secret``) with an opening and a
    course; the candidate of case ``code`` (verified) shares a profile with a contact, is
    introduced to the opening with a note and offered the course."""
    import datetime

    from solidarity.accounts.models import User
    from solidarity.cases.models import Case
    from solidarity.intake import services as intake
    from solidarity.jobs import records, services
    from solidarity.jobs.models import Opening
    from solidarity.jobs.tests import factories as jobs

    by = User.objects.get(username=coach)
    employer = jobs.make_employer(by, name="Orbit Logistics", contact=f"Ihar, +48 {secret}")
    opening = jobs.make_opening(by, employer=employer)
    course = jobs.make_course(by, starts=[datetime.date(2027, 3, 1)])
    Case.objects.filter(code=code).update(status=Case.Status.VERIFIED)
    case, key = intake.open_receipt(code, passphrase, client="probe")
    profile = services.save_profile(case, key, jobs.profile_data(contact=f"signal {secret}"))
    services.introduce(profile, Opening.objects.get(pk=opening.pk), by=by, note=f"Call {secret}")
    records.offer_course(profile, course.starts.get(), by=by)
    return {"pseudonym": profile.pseudonym}


def jobs_seen_by_coach(username: str) -> dict:
    """What a job coach reads: employers, candidates and their contacts, the pipeline."""
    from solidarity.accounts import services as accounts
    from solidarity.accounts.models import User
    from solidarity.jobs import keys, records
    from solidarity.jobs.models import CandidateProfile, Employer, Enrolment, Introduction

    user = User.objects.get(username=username)
    jobs_key = keys.open_jobs_key(
        user, accounts.unlock_vault(user, os.environ["SOLIDARITY_COORDINATOR_PASSPHRASE"])
    )
    employers = Employer.objects.order_by("id")
    texts = records.open_employers(employers, jobs_key)
    return {
        "employers": [
            {
                "name": texts[e.pk].name,
                "contact": texts[e.pk].contact,
                "openings": [o.title for o in e.openings.order_by("id")],
            }
            for e in employers
        ],
        "candidates": {
            p.pseudonym: {"contact": records.open_contact(p, jobs_key), "skills": p.skills}
            for p in CandidateProfile.objects.order_by("id")
        },
        "introductions": list(Introduction.objects.values_list("stage", flat=True)),
        "enrolments": list(Enrolment.objects.values_list("status", flat=True)),
    }


def jobs_seen_by_candidate(code: str, passphrase: str) -> dict:
    from solidarity.intake import services as intake
    from solidarity.jobs import services

    _case, key = intake.open_receipt(code, passphrase, client="probe")
    view = services.candidate_view(key)
    if view is None:
        return {"profile": None}
    return {
        "profile": view.profile.pseudonym,
        "introductions": [[i.title, i.note] for i in view.introductions],
        "courses": [e.start.course.title for e in view.enrolments],
    }


def jobs_counts() -> dict:
    from solidarity.jobs.models import CandidateProfile, Employer, JobsKey

    return {
        "profiles": CandidateProfile.objects.count(),
        "employers": Employer.objects.count(),
        "jobs_keys": JobsKey.objects.count(),
    }


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
        "enrol-job-coach": enrol_job_coach,
        "jobs-work": jobs_work,
        "jobs-counts": jobs_counts,
        "jobs-seen-by-coach": jobs_seen_by_coach,
        "jobs-seen-by-candidate": jobs_seen_by_candidate,
    }
    print(json.dumps(handlers[command](*args)))


if __name__ == "__main__":
    main()
