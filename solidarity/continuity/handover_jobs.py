"""The jobs work in a handover: candidate profiles, employers, openings, courses and the
pipeline (``solidarity.jobs``).

What is sealed to the giver's jobs key (employer names, contacts and notes, a candidate's
contact for coaches) is opened by a job coach of the giver and sealed to the receiver key;
the receiver seals it to its own jobs key, so its job coaches read it. A profile's private
key is sealed to its case key, and the case key pair travels with the case (only the
sealing of its private half changes, see ``handover``): it and the profile's owner tag stay
valid as they are, so the candidate finds their profile at the receiver with their receipt.
What a coach wrote to a candidate (sealed to the profile key) travels as it is. Who made a
record (staff accounts) does not travel.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models

from solidarity.continuity import backup
from solidarity.jobs import keys
from solidarity.jobs.models import (
    CandidateProfile,
    Course,
    CourseStart,
    Employer,
    Enrolment,
    Introduction,
    Opening,
    Placement,
)
from solidarity.jobs.services import new_pseudonym
from solidarity.vault import jobs_keys

JOBS_MEMBER = "jobs/jobs.json"

_PROFILE_FIELDS = (
    "pseudonym",
    "owner_tag",
    "skills",
    "languages",
    "education",
    "region",
    "relocate",
    "remote",
    "field",
    "availability",
    "seniority",
    "updated_on",
)
_EMPLOYER_FIELDS = ("field", "region", "active", "created_on")
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
    "status",
    "created_on",
)
_COURSE_FIELDS = (
    "provider",
    "title",
    "field",
    "length_weeks",
    "fee",
    "currency",
    "active",
    "created_on",
)
_START_FIELDS = ("starts_on",)
_ENROLMENT_FIELDS = ("status", "offered_on", "answered_on", "fee_committed")
_INTRODUCTION_FIELDS = (
    "stage",
    "score",
    "reasons",
    "introduced_on",
    "interview_on",
    "offer_on",
    "hired_on",
    "ended_on",
)
_PLACEMENT_FIELDS = ("field", "placed_on")
_LIST_FIELDS = frozenset({"skills", "languages", "required_skills", "nice_skills", "reasons"})


def _b64(value) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


def _unb64(value) -> bytes:
    if not isinstance(value, str):
        raise backup.DamagedBackupError("a sealed value in the archive is damaged")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise backup.DamagedBackupError("a sealed value in the archive is damaged") from None


def _row(obj: models.Model, fields: tuple[str, ...], **extra) -> dict:
    row = {"ref": obj.pk}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, datetime.date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        row[name] = value
    row.update(extra)
    return row


# --- export ---------------------------------------------------------------------------------------


def jobs_document(jobs_private_key: bytes, receiver_public_key: bytes) -> dict:
    """Every jobs record, with what is sealed to our jobs key sealed to the receiver key.

    Raises TamperedCiphertextError if a value does not open with this jobs key.
    """

    def reseal(sealed) -> str:
        return _b64(
            jobs_keys.reseal_for_receiver(jobs_private_key, receiver_public_key, bytes(sealed))
        )

    return {
        "profiles": [
            _row(
                p,
                _PROFILE_FIELDS,
                profile_public_key=_b64(p.profile_public_key),
                profile_private_key_sealed=_b64(p.profile_private_key_sealed),
                contact_sealed=reseal(p.contact_for_coaches_sealed),
            )
            for p in CandidateProfile.objects.order_by("id")
        ],
        "employers": [
            _row(
                e,
                _EMPLOYER_FIELDS,
                name_sealed=reseal(e.name_sealed),
                contact_sealed=reseal(e.contact_sealed),
                notes_sealed=reseal(e.notes_sealed),
            )
            for e in Employer.objects.order_by("id")
        ],
        "openings": [
            _row(o, _OPENING_FIELDS, employer=o.employer_id) for o in Opening.objects.order_by("id")
        ],
        "courses": [_row(c, _COURSE_FIELDS) for c in Course.objects.order_by("id")],
        "starts": [
            _row(s, _START_FIELDS, course=s.course_id) for s in CourseStart.objects.order_by("id")
        ],
        "enrolments": [
            _row(e, _ENROLMENT_FIELDS, profile=e.profile_id, start=e.start_id)
            for e in Enrolment.objects.order_by("id")
        ],
        "introductions": [
            _row(
                i,
                _INTRODUCTION_FIELDS,
                profile=i.profile_id,
                opening=i.opening_id,
                note_sealed=_b64(i.note_for_candidate_sealed),
            )
            for i in Introduction.objects.order_by("id")
        ],
        "placements": [
            _row(p, _PLACEMENT_FIELDS, introduction=p.introduction_id, opening=p.opening_id)
            for p in Placement.objects.order_by("id")
        ],
    }


# --- import ---------------------------------------------------------------------------------------


def _save(model: type[models.Model], doc: dict, fields: tuple[str, ...], **extra) -> models.Model:
    """A row from the archive, its plain values checked as a form would check them."""
    values = {name: doc[name] for name in fields}
    for name in _LIST_FIELDS.intersection(values):
        if not isinstance(values[name], list):
            raise backup.DamagedBackupError("a jobs record in the archive is damaged")
    obj = model(**values, **extra)
    try:
        # Lists are checked above (an empty list is a fine value, which full_clean refuses).
        obj.full_clean(
            exclude=[
                f.name for f in model._meta.fields if f.name not in fields or f.name in _LIST_FIELDS
            ],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError:
        raise backup.DamagedBackupError("a jobs record in the archive is damaged") from None
    obj.save()
    return obj


def _ref(refs: dict, value):
    if value is None:
        return None
    try:
        return refs[value]
    except (KeyError, TypeError):
        raise backup.DamagedBackupError("a jobs record in the archive is damaged") from None


def import_jobs(doc: dict, receiver_private_key: bytes, *, by) -> dict[str, int]:
    """Take over the jobs records, sealing what was sealed to the receiver key to our jobs key
    (made now if this organisation has none). Call inside the import's transaction.

    Raises keys.NoJobCoachError (no job coach here could read them), HandoverConflictError,
    DamagedBackupError or TamperedCiphertextError.
    """
    from solidarity.continuity.handover import HandoverConflictError

    jobs_public = bytes(keys.ensure_jobs_key(by=by).public_key)

    def reseal(value) -> bytes:
        return jobs_keys.reseal_from_giver(receiver_private_key, jobs_public, _unb64(value))

    profiles, employers, openings, starts, intros = {}, {}, {}, {}, {}
    for p in doc["profiles"]:
        if CandidateProfile.objects.filter(owner_tag=p["owner_tag"]).exists():
            raise HandoverConflictError("this candidate's profile exists here already")
        if CandidateProfile.objects.filter(pseudonym=p["pseudonym"]).exists():
            p = {**p, "pseudonym": new_pseudonym()}  # another candidate here has it
        profiles[p["ref"]] = _save(
            CandidateProfile,
            p,
            _PROFILE_FIELDS,
            profile_public_key=_unb64(p["profile_public_key"]),
            profile_private_key_sealed=_unb64(p["profile_private_key_sealed"]),
            contact_for_coaches_sealed=reseal(p["contact_sealed"]),
        )
    for e in doc["employers"]:
        employers[e["ref"]] = _save(
            Employer,
            e,
            _EMPLOYER_FIELDS,
            name_sealed=reseal(e["name_sealed"]),
            contact_sealed=reseal(e["contact_sealed"]),
            notes_sealed=reseal(e["notes_sealed"]),
        )
    for o in doc["openings"]:
        openings[o["ref"]] = _save(
            Opening, o, _OPENING_FIELDS, employer=_ref(employers, o["employer"])
        )
    courses = {c["ref"]: _save(Course, c, _COURSE_FIELDS) for c in doc["courses"]}
    for s in doc["starts"]:
        starts[s["ref"]] = _save(CourseStart, s, _START_FIELDS, course=_ref(courses, s["course"]))
    for e in doc["enrolments"]:
        _save(
            Enrolment,
            e,
            _ENROLMENT_FIELDS,
            profile=_ref(profiles, e["profile"]),
            start=_ref(starts, e["start"]),
        )
    for i in doc["introductions"]:
        intros[i["ref"]] = _save(
            Introduction,
            i,
            _INTRODUCTION_FIELDS,
            profile=_ref(profiles, i["profile"]),
            opening=_ref(openings, i["opening"]),
            note_for_candidate_sealed=_unb64(i["note_sealed"]),
        )
    for p in doc["placements"]:
        _save(
            Placement,
            p,
            _PLACEMENT_FIELDS,
            introduction=_ref(intros, p["introduction"]),
            opening=_ref(openings, p["opening"]),
        )
    return {"profiles": len(profiles), "employers": len(employers), "openings": len(openings)}
