"""The rows behind the jobs key: who holds it, making it, sharing it. The cryptography is in
``solidarity.vault.jobs_keys``; this module only stores and fetches what it returns."""

from __future__ import annotations

from django.db import transaction

from solidarity.accounts.models import User
from solidarity.audit import services as audit
from solidarity.jobs.models import JobsKey, JobsKeyWrap
from solidarity.jobs.roles import JOB_ROLES, is_job_coach
from solidarity.vault import core, escrow, jobs_keys
from solidarity.vault.models import StaffKey


class NoJobsKeyError(core.VaultError):
    """This staff member holds no copy of the jobs key (or the fund has none yet)."""


class NoJobCoachError(Exception):
    """The jobs key is made for the job coaches; there is no job coach with a key yet."""


def _eligible_staff():
    return StaffKey.objects.filter(
        user__role__in=list(JOB_ROLES), user__is_active=True
    ).select_related("user")


def current_key() -> JobsKey | None:
    return JobsKey.objects.order_by("id").first()


@transaction.atomic
def ensure_jobs_key(*, by=None) -> JobsKey:
    """The jobs key, made on first use and wrapped to every job coach.

    Making it needs no secret: the private half is sealed to public keys and forgotten.
    Raises NoJobCoachError when no job coach could ever open it.
    """
    existing = JobsKey.objects.select_for_update().order_by("id").first()
    if existing is not None:
        return existing
    coaches = list(_eligible_staff())
    if not coaches:
        raise NoJobCoachError("enrol a job coach first")
    pair = jobs_keys.create_jobs_key()
    key = JobsKey.objects.create(public_key=pair.public_key)
    JobsKeyWrap.objects.bulk_create(
        JobsKeyWrap(
            user=staff_key.user,
            jobs_private_key_sealed=jobs_keys.wrap_jobs_key(
                pair.private_key, bytes(staff_key.public_key)
            ),
        )
        for staff_key in coaches
    )
    escrow.escrow_key("jobs", pair.private_key)  # no-op until trustees hold a recovery key
    audit.record(
        "jobs_key.created",
        actor=by,
        subject=f"jobs_key:{key.pk}",
        staff=[s.user.username for s in coaches],
    )
    return key


def has_jobs_key(user) -> bool:
    return is_job_coach(user) and JobsKeyWrap.objects.filter(user=user).exists()


def open_jobs_key(user, staff_private_key: bytes) -> bytes:
    """The jobs private key, opened with this coach's unlocked key. Raises NoJobsKeyError."""
    wrap = JobsKeyWrap.objects.filter(user=user).first()
    if wrap is None or not is_job_coach(user):
        raise NoJobsKeyError("no jobs key for this account")
    return jobs_keys.unwrap_jobs_key(bytes(wrap.jobs_private_key_sealed), staff_private_key)


def staff_without_jobs_key() -> list[User]:
    if current_key() is None:
        return []
    held = set(JobsKeyWrap.objects.values_list("user_id", flat=True))
    return [s.user for s in _eligible_staff() if s.user_id not in held]


@transaction.atomic
def share_jobs_key(holder, staff_private_key: bytes) -> list[User]:
    """Wrap the jobs key to every job coach who lacks it (coaches enrolled after it was made).

    Raises NoJobsKeyError if the holder cannot open it.
    """
    private_key = open_jobs_key(holder, staff_private_key)
    given = []
    for user in staff_without_jobs_key():
        staff_key = StaffKey.objects.get(user=user)
        JobsKeyWrap.objects.create(
            user=user,
            jobs_private_key_sealed=jobs_keys.wrap_jobs_key(
                private_key, bytes(staff_key.public_key)
            ),
        )
        given.append(user)
    audit.record(
        "jobs_key.shared", actor=holder, subject="jobs_key", staff=[u.username for u in given]
    )
    return given


def seal_text(key: JobsKey, text: str) -> bytes:
    """``text`` sealed for the job coaches; empty text is stored as empty bytes."""
    if not text:
        return b""
    return jobs_keys.seal_for_job_coaches(bytes(key.public_key), text.encode("utf-8"))


def open_text(jobs_private_key: bytes, sealed: bytes) -> str:
    sealed = bytes(sealed)
    if not sealed:
        return ""
    return jobs_keys.open_for_job_coaches(jobs_private_key, sealed).decode("utf-8")
