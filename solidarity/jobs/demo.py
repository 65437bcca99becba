"""The jobs part of the demo: a job coach, verified applicants who opted in, an employer with
two openings, a course, the pool proposal, and one candidate moved all the way to hired.

DEMO ONLY, like ``solidarity.accounts.demo``: the coach's passphrase is published here, the
TOTP secret comes from the demo's public seed, and every person, company and course is
invented. It runs only on the demo organisation.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from solidarity.accounts import services as accounts
from solidarity.accounts.demo import DEMO_ORG_NAME, NotADemoError, demo_totp_key
from solidarity.accounts.models import User
from solidarity.audit import services as audit
from solidarity.cases.models import Case
from solidarity.intake.services import open_receipt, submit_application
from solidarity.jobs import records, services
from solidarity.jobs.models import Stage
from solidarity.vault import keyring

DEMO_COACH = ("jobcoach", User.Role.JOB_COACH, "demo only: willow beacon atlas")

# Invented candidates: (field, skills, seniority, languages, country, relocate, remote).
# The first is the one the demo follows to a hire; its receipt is returned for the demo.
_CANDIDATES = [
    ("it", "python, sql, linux", 1, ["be", "ru", "pl"], "by", True, False),
    ("it", "manual testing, sql, english", 0, ["ru", "en"], "lt", False, True),
    ("it", "python, django", 0, ["ru"], "by", False, True),
    ("logistics", "driving c, driving e, first aid", 2, ["ru", "be"], "pl", False, False),
    ("engineering", "electrician, welding", 2, ["ru"], "by", True, False),
    ("it", "manual testing, jira", 1, ["ru", "be", "en"], "by", True, True),
]


@dataclass(frozen=True)
class JobsDemo:
    coach_username: str
    coach_passphrase: str
    # DEMO ONLY: the receipt of the invented candidate who gets hired, to sign in on /status/.
    candidate_code: str
    candidate_passphrase: str
    hired_pseudonym: str


def _application(i: int) -> MultiValueDict:
    answers = {
        "programme": "security_forces",
        "situation": "security_forces:quit",
        "employer": "District police department",
        "role": "Sergeant",
        "since": "2020-09-01",
        "debt_contract": "4800",
        "debt_contract_currency": "USD",
        "dependants": str(i % 3),
        "needs": ["money", "job", "retraining"],
        "skills": _CANDIDATES[i][1],
        "languages": "Belarusian, Russian",
        "contact_kind": "",
        "contact_handle": "",
        "story": f"I quit the service and want to work in a new field. (Demo candidate {i + 1}; invented.)",
        "website": "",
    }
    data = MultiValueDict()
    for key, value in answers.items():
        data.setlist(key, value if isinstance(value, list) else [value])
    return data


def _verified_candidate(i: int, coordinator: User | None):
    receipt = submit_application(
        _application(i), MultiValueDict(), language="ru", client=f"demo-jobs-{i}"
    )
    Case.objects.filter(code=receipt.case_code).update(status=Case.Status.VERIFIED)
    audit.record(
        "case.status_changed",
        actor=coordinator,
        subject=receipt.case_code,
        status=Case.Status.VERIFIED.value,
        demo=True,
    )
    case, key = open_receipt(receipt.case_code, receipt.passphrase, client=f"demo-jobs-{i}")
    field, skills, seniority, languages, region, relocate, remote = _CANDIDATES[i]
    data = MultiValueDict(
        {
            "field": [field],
            "skills": [skills],
            "seniority": [str(seniority)],
            "languages": languages,
            "education": ["vocational"],
            "region": [region],
            "availability": ["now"],
        }
    )
    if relocate:
        data["relocate"] = "on"
    if remote:
        data["remote"] = "on"
    profile = services.save_profile(case, key, data)
    return receipt, profile


@transaction.atomic
def build_jobs_demo() -> JobsDemo | None:
    """Add the jobs story to the demo organisation. Returns the logins it made, or None if
    it is there already. Raises NotADemoError on a real organisation."""
    org = keyring.organisation()
    if org.name != DEMO_ORG_NAME:
        raise NotADemoError(org.name)
    username, role, passphrase = DEMO_COACH
    if User.objects.filter(username=username).exists():
        return None
    coordinator = User.objects.filter(role=User.Role.COORDINATOR).order_by("id").first()
    coach = accounts.enrol_staff_member(
        username, role, passphrase, by=coordinator, totp_key=demo_totp_key(username)
    ).user

    made = [_verified_candidate(i, coordinator) for i in range(len(_CANDIDATES))]
    star_receipt, star = made[0]

    employer = records.add_employer(
        by=coach,
        name="Demo Software House (invented)",
        contact="Anna from HR (invented), hr@example.invalid",
        notes="Hires people without a diploma; interviews in Russian or Polish.",
        field="it",
        region="pl",
    )
    python_job = records.add_opening(
        employer,
        by=coach,
        title="Junior Python developer",
        field="it",
        region="pl",
        remote=False,
        required_skills=["python", "sql", "linux", "docker"],
        nice_skills=["django"],
        languages=["pl"],
        seniority=1,
        salary_min=Decimal("6000"),
        salary_max=Decimal("8000"),
        salary_currency="PLN",
        positions=1,
    )
    records.add_opening(
        employer,
        by=coach,
        title="Manual QA engineer",
        field="it",
        region="lt",
        remote=True,
        required_skills=["manual testing"],
        nice_skills=["sql", "jira"],
        languages=["en"],
        seniority=0,
        salary_min=Decimal("1200"),
        salary_max=Decimal("1600"),
        salary_currency="EUR",
        positions=2,
    )
    today = timezone.localdate()
    course = records.add_course(
        by=coach,
        provider="Demo Academy (invented)",
        title="Manual QA from zero",
        field="it",
        length_weeks=10,
        fee=Decimal("600.00"),
        currency="EUR",
        starts=[today + datetime.timedelta(days=30), today + datetime.timedelta(days=120)],
    )
    records.offer_course(made[2][1], course.starts.order_by("starts_on").first(), by=coach)

    proposals = services.propose_pool()
    services.introduce_proposals([(p.profile.pk, p.opening.pk) for p in proposals], by=coach)
    intro = star.introductions.filter(opening=python_job).first()
    if intro is None:  # the matcher should have proposed it; the demo follows it either way
        intro = services.introduce(star, python_job, by=coach)
    for stage in (Stage.INTERVIEW, Stage.OFFER, Stage.HIRED):
        services.move_stage(
            intro,
            stage,
            by=coach,
            on=today,
            note="Invented demo note: Anna from HR expects you on Monday at 10:00."
            if stage == Stage.HIRED
            else None,
        )
    return JobsDemo(
        coach_username=username,
        coach_passphrase=passphrase,
        candidate_code=star_receipt.case_code,
        candidate_passphrase=str(star_receipt.passphrase),
        hired_pseudonym=star.pseudonym,
    )
