"""Factories for the jobs app (STYLE.md §6): plain ``make_<thing>(**overrides)`` functions
with ``setdefault`` defaults that go through the real services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

from django.test import Client
from django.urls import reverse

from solidarity.cases.models import Case
from solidarity.intake.services import open_receipt
from solidarity.jobs import records, services
from solidarity.jobs.models import CandidateProfile, Course, Employer, Opening
from solidarity.testing.factories import Staff, log_in, make_application, make_org, make_staff
from solidarity.vault.models import Organisation

_clients = itertools.count(1)


@dataclass(frozen=True)
class Applicant:
    """A person with a receipt: their case, its code and passphrase, and the case key the
    receipt opens (what their unlocked status session holds)."""

    case: Case
    code: str
    passphrase: str
    key: bytes


def ensure_org() -> Organisation:
    return Organisation.objects.order_by("id").first() or make_org()


def make_applicant(*, verified: bool = True, **answers) -> Applicant:
    """An application through the real intake; marked verified (case work is another app's)."""
    ensure_org()
    receipt = make_application(**answers)
    if verified:
        Case.objects.filter(code=receipt.case_code).update(status=Case.Status.VERIFIED)
    case, key = open_receipt(
        receipt.case_code, receipt.passphrase, client=f"jobs-factory-{next(_clients)}"
    )
    return Applicant(case, receipt.case_code, str(receipt.passphrase), key)


def profile_data(**overrides) -> dict:
    """What a candidate submits on the profile form."""
    overrides.setdefault("field", "it")
    overrides.setdefault("skills", "python, sql, linux")
    overrides.setdefault("seniority", "1")
    overrides.setdefault("languages", ["ru", "be", "pl"])
    overrides.setdefault("education", "vocational")
    overrides.setdefault("region", "pl")
    overrides.setdefault("availability", "now")
    overrides.setdefault("relocate", "on")
    return overrides


def make_profile(applicant: Applicant | None = None, **overrides) -> CandidateProfile:
    applicant = applicant or make_applicant()
    return services.save_profile(applicant.case, applicant.key, profile_data(**overrides))


def make_coach(**overrides) -> Staff:
    ensure_org()
    overrides.setdefault("role", "job_coach")
    return make_staff(**overrides)


def make_employer(by, **overrides) -> Employer:
    overrides.setdefault("name", "Example Software sp. z o.o.")
    overrides.setdefault("contact", "Anna, hr@example.com")
    overrides.setdefault("notes", "")
    overrides.setdefault("field", "it")
    overrides.setdefault("region", "pl")
    return records.add_employer(by=by, **overrides)


def opening_data(**overrides) -> dict:
    overrides.setdefault("title", "Junior Python developer")
    overrides.setdefault("field", "it")
    overrides.setdefault("region", "pl")
    overrides.setdefault("remote", False)
    overrides.setdefault("required_skills", ["python", "sql"])
    overrides.setdefault("nice_skills", [])
    overrides.setdefault("languages", [])
    overrides.setdefault("seniority", 1)
    overrides.setdefault("salary_min", None)
    overrides.setdefault("salary_max", None)
    overrides.setdefault("salary_currency", "")
    overrides.setdefault("positions", 1)
    return overrides


def make_opening(by, employer: Employer | None = None, **overrides) -> Opening:
    employer = employer or make_employer(by)
    return records.add_opening(employer, by=by, **opening_data(**overrides))


def make_course(by, **overrides) -> Course:
    overrides.setdefault("provider", "Example Academy")
    overrides.setdefault("title", "QA engineering")
    overrides.setdefault("field", "it")
    overrides.setdefault("length_weeks", 12)
    overrides.setdefault("fee", Decimal("900.00"))
    overrides.setdefault("currency", "EUR")
    overrides.setdefault("starts", [])
    return records.add_course(by=by, **overrides)


def applicant_client(applicant: Applicant) -> Client:
    """A browser signed in on /status/ with the applicant's receipt."""
    client = Client()
    response = client.post(
        reverse("intake:status"), {"code": applicant.code, "passphrase": applicant.passphrase}
    )
    assert response.status_code == 302, response.content[:500]
    return client


def coach_client(coach: Staff) -> Client:
    client = Client()
    log_in(client, coach)
    return client
