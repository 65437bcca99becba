"""The seizure test extended to job profiles: a copy of every table shows no way from a job
profile to its case, and none of the sealed texts (employer name and contact, a candidate's
contact, a coach's note) in clear.

Given verified applicants who opt in over HTTP with their receipts, and a coach who records an
employer and introduces them with notes, when every cell of every table is read as raw bytes
(SQLite dump or PostgreSQL rows), then: no canary appears; no row that names a profile names
a case (code or public key); no row that names a case names a profile (pseudonym, owner tag,
profile key); no jobs table has a column that refers to a case; and the applicant's session
rows, which do name the case, say nothing about the profile.
"""

from __future__ import annotations

import secrets

from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse

from solidarity.cases.models import Case
from solidarity.jobs import services
from solidarity.jobs.models import CandidateProfile
from solidarity.jobs.tests.factories import (
    applicant_client,
    coach_client,
    make_applicant,
    profile_data,
)


def _canary(label: str) -> str:
    return f"JobsCanary{label}{secrets.token_hex(4)}"


def _table_rows() -> list[tuple[str, bytes]]:
    """(table, one row's cells as bytes) for every row of every table in the database."""
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from introspection
            for row in cursor.fetchall():
                cells = []
                for cell in row:
                    if isinstance(cell, bytes | memoryview):
                        cells += [bytes(cell), bytes(cell).hex().encode()]
                    else:
                        cells.append(str(cell).encode("utf-8", errors="replace"))
                out.append((table, b"\x1f".join(cells)))
    return out


def _raw_dump() -> bytes:
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump()).encode("utf-8", errors="replace")
    return b"\n".join(row for _table, row in _table_rows())


def test_a_seized_database_cannot_join_profiles_to_cases(org, coach):
    # Given three verified applicants who opt in, one leaving a contact for the coaches,
    coach_browser = coach_client(coach)
    employer_name, employer_contact = _canary("EmployerName"), _canary("EmployerContact")
    coach_browser.post(
        reverse("jobs:employers"),
        {
            "name": employer_name,
            "contact": employer_contact,
            "notes": _canary("Notes"),
            "field": "it",
            "region": "pl",
            "active": "on",
        },
    )
    candidate_contact, note = _canary("CandidateContact"), _canary("CoachNote")
    applicants = [make_applicant() for _ in range(3)]
    for i, applicant in enumerate(applicants):
        extra = {"contact": candidate_contact} if i == 0 else {}
        response = applicant_client(applicant).post(
            reverse("jobs_status:profile"), profile_data(**extra)
        )
        assert response.status_code == 302
    # and a coach who introduces each with a note,
    employer = apps.get_model("jobs", "Employer").objects.get()
    coach_browser.post(
        reverse("jobs:opening_new", args=[employer.pk]),
        {
            "title": "Junior developer",
            "field": "it",
            "region": "pl",
            "required_skills": "python",
            "seniority": "0",
            "positions": "3",
        },
    )
    opening = apps.get_model("jobs", "Opening").objects.get()
    for profile in CandidateProfile.objects.all():
        coach_browser.post(
            reverse("jobs:introduce", args=[profile.pseudonym]),
            {"opening": opening.pk, "note": note},
        )
    assert apps.get_model("jobs", "Introduction").objects.count() == 3

    # When the whole database is read,
    dump = _raw_dump()
    rows = _table_rows()

    # then no sealed text is there in clear,
    for canary in (employer_name, employer_contact, candidate_contact, note):
        assert canary.encode() not in dump, canary
        assert canary.encode("utf-16-le") not in dump, canary

    cases = list(Case.objects.filter(code__in=[a.code for a in applicants]))
    case_marks = [c.code.encode() for c in cases] + [
        bytes(c.case_public_key).hex().encode() for c in cases
    ]
    profiles = list(CandidateProfile.objects.all())
    profile_marks = (
        [p.pseudonym.encode() for p in profiles]
        + [p.owner_tag.encode() for p in profiles]
        + [bytes(p.profile_public_key).hex().encode() for p in profiles]
    )
    assert any(any(m in row for m in profile_marks) for _t, row in rows), "the scan sees profiles"
    assert any(any(m in row for m in case_marks) for _t, row in rows), "the scan sees cases"
    # no row that names a profile names a case,
    for table, row in rows:
        if any(mark in row for mark in profile_marks):
            assert not any(mark in row for mark in case_marks), table
    # no row of the case tables or of the sessions names a profile,
    for table, row in rows:
        if table.startswith(("cases_", "intake_", "django_session")):
            assert not any(mark in row for mark in profile_marks), table
    # and the jobs tables have no column that refers to a case.
    jobs_tables = {m._meta.db_table for m in apps.get_app_config("jobs").get_models()}
    case_table = Case._meta.db_table
    with connection.cursor() as cursor:
        for table in jobs_tables:
            relations = connection.introspection.get_relations(cursor, table)
            assert all(target != case_table for _column, target in relations.values()), table
    for model in apps.get_app_config("jobs").get_models():
        for field in model._meta.get_fields():
            assert getattr(field, "related_model", None) is not Case, (model, field)


def test_the_applicants_session_says_nothing_about_the_profile(org):
    applicant = make_applicant()
    client = applicant_client(applicant)
    client.post(reverse("jobs_status:profile"), profile_data())
    client.get(reverse("jobs_status:home"))
    profile = CandidateProfile.objects.get()

    stored = [s.get_decoded() for s in Session.objects.all()]

    mine = [data for data in stored if data.get("applicant_case") == applicant.case.pk]
    assert mine, "the receipt session names the case (that is intake's business)"
    for data in mine:
        text = repr(data)
        assert profile.pseudonym not in text
        assert profile.owner_tag not in text
        assert "profile" not in text


def test_the_profile_is_found_only_with_the_case_key(org):
    applicant = make_applicant()
    other = make_applicant()
    client = applicant_client(applicant)
    client.post(reverse("jobs_status:profile"), profile_data())

    assert services.find_profile(applicant.key) is not None
    assert services.find_profile(other.key) is None
    # What a server holds about the case (its public key) does not find it.
    profile = CandidateProfile.objects.get()
    assert profile.owner_tag != bytes(applicant.case.case_public_key).hex()
