"""Job coaches' records: employers (name, contact and notes sealed to the jobs key),
openings and courses. Each function checks the role, owns its transaction and writes its
audit event; errors are those of ``services``."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from solidarity.audit import services as audit
from solidarity.jobs import keys
from solidarity.jobs.models import (
    CandidateProfile,
    Course,
    CourseStart,
    Employer,
    Enrolment,
    Opening,
)
from solidarity.jobs.roles import require_job_coach
from solidarity.jobs.services import EnrolmentStateError, OpeningFullError, taken_seats


@transaction.atomic
def add_employer(*, by, name: str, contact: str, notes: str, field: str, region: str) -> Employer:
    """Record an employer; name, contact and notes sealed to the jobs key.

    Raises NotAllowedError, keys.NoJobCoachError.
    """
    require_job_coach(by)
    key = keys.ensure_jobs_key(by=by)
    employer = Employer.objects.create(
        name_sealed=keys.seal_text(key, name.strip()),
        contact_sealed=keys.seal_text(key, contact.strip()),
        notes_sealed=keys.seal_text(key, notes.strip()),
        field=field,
        region=region,
        created_by=by,
        created_on=timezone.localdate(),
    )
    audit.record("jobs.employer_added", actor=by, subject=f"employer:{employer.pk}")
    return employer


@transaction.atomic
def update_employer(
    employer: Employer,
    *,
    by,
    name: str,
    contact: str,
    notes: str,
    field: str,
    region: str,
    active: bool,
) -> Employer:
    require_job_coach(by)
    key = keys.ensure_jobs_key(by=by)
    employer.name_sealed = keys.seal_text(key, name.strip())
    employer.contact_sealed = keys.seal_text(key, contact.strip())
    employer.notes_sealed = keys.seal_text(key, notes.strip())
    employer.field, employer.region, employer.active = field, region, active
    employer.save()
    audit.record("jobs.employer_changed", actor=by, subject=f"employer:{employer.pk}")
    return employer


@dataclass(frozen=True)
class EmployerText:
    name: str
    contact: str
    notes: str


def open_employers(
    employers: Iterable[Employer], jobs_private_key: bytes | None
) -> dict[int, EmployerText]:
    """Employer names, contacts and notes opened with the jobs key; empty without it."""
    if jobs_private_key is None:
        return {}
    return {
        e.pk: EmployerText(
            name=keys.open_text(jobs_private_key, e.name_sealed),
            contact=keys.open_text(jobs_private_key, e.contact_sealed),
            notes=keys.open_text(jobs_private_key, e.notes_sealed),
        )
        for e in employers
    }


def open_contact(profile: CandidateProfile, jobs_private_key: bytes | None) -> str:
    if jobs_private_key is None:
        return ""
    return keys.open_text(jobs_private_key, profile.contact_for_coaches_sealed)


_OPENING_FIELDS = (
    "title",
    "field",
    "region",
    "remote",
    "required_skills",
    "nice_skills",
    "languages",
    "seniority",
    "salary_min",
    "salary_max",
    "salary_currency",
    "positions",
)


@transaction.atomic
def add_opening(employer: Employer, *, by, **cleaned) -> Opening:
    """Record an opening of ``employer`` from OpeningForm's cleaned data."""
    require_job_coach(by)
    values = {name: cleaned[name] for name in _OPENING_FIELDS}
    values["languages"] = sorted(values["languages"])
    opening = Opening.objects.create(
        employer=employer, created_by=by, created_on=timezone.localdate(), **values
    )
    audit.record(
        "jobs.opening_added", actor=by, subject=f"opening:{opening.pk}", employer=employer.pk
    )
    return opening


@transaction.atomic
def update_opening(opening: Opening, *, by, **cleaned) -> Opening:
    """Change an opening. Fewer positions than candidates already holding one is refused
    (OpeningFullError): nobody in the pipeline is dropped by an edit."""
    require_job_coach(by)
    opening = Opening.objects.select_for_update().get(pk=opening.pk)
    if cleaned["positions"] < taken_seats([opening.pk]).get(opening.pk, 0):
        raise OpeningFullError(opening.pk)
    for name in _OPENING_FIELDS:
        setattr(opening, name, cleaned[name])
    opening.languages = sorted(opening.languages)
    opening.save()
    audit.record("jobs.opening_changed", actor=by, subject=f"opening:{opening.pk}")
    return opening


@transaction.atomic
def close_opening(opening: Opening, *, by) -> Opening:
    """Close an opening; candidates already in its pipeline stay there."""
    require_job_coach(by)
    opening.status = Opening.Status.CLOSED
    opening.save(update_fields=["status"])
    audit.record("jobs.opening_closed", actor=by, subject=f"opening:{opening.pk}")
    return opening


@transaction.atomic
def add_course(
    *,
    by,
    provider: str,
    title: str,
    field: str,
    length_weeks: int,
    fee,
    currency: str,
    starts: Sequence[datetime.date] = (),
) -> Course:
    require_job_coach(by)
    course = Course.objects.create(
        provider=provider.strip(),
        title=title.strip(),
        field=field,
        length_weeks=length_weeks,
        fee=fee,
        currency=currency,
        created_by=by,
        created_on=timezone.localdate(),
    )
    CourseStart.objects.bulk_create(CourseStart(course=course, starts_on=day) for day in starts)
    audit.record("jobs.course_added", actor=by, subject=f"course:{course.pk}")
    return course


@transaction.atomic
def add_course_start(course: Course, starts_on: datetime.date, *, by) -> CourseStart:
    require_job_coach(by)
    start, _created = CourseStart.objects.get_or_create(course=course, starts_on=starts_on)
    audit.record(
        "jobs.course_start_added", actor=by, subject=f"course:{course.pk}", on=starts_on.isoformat()
    )
    return start


@transaction.atomic
def offer_course(profile: CandidateProfile, start: CourseStart, *, by) -> Enrolment:
    """Offer a course seat to a candidate; they accept or decline on their status page.

    Raises NotAllowedError or EnrolmentStateError (offered before).
    """
    require_job_coach(by)
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(
                profile=profile, start=start, offered_on=timezone.localdate(), offered_by=by
            )
    except IntegrityError:
        raise EnrolmentStateError("offered before") from None
    audit.record(
        "jobs.course_offered",
        actor=by,
        subject=f"profile:{profile.pseudonym}",
        course=start.course_id,
        start=start.starts_on.isoformat(),
    )
    return enrolment
