"""Need-to-know access: assigning cases (with access grants), revoking staff, re-keying.

A volunteer opens a case only through an access grant: the case private key sealed to their
personal key, made when a coordinator assigns the case to them and deleted when the case is
taken off them. Revoking someone ends their sessions, deletes every key copy made for them
and starts a re-key job over every case whose current key they could have kept; the job
runs batch by batch inside an unlocked coordinator's request or `solidarity revoke`, with the
keys it needs opened from that coordinator's key for each batch and never stored.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from solidarity.accounts.models import User
from solidarity.accounts.services import end_all_sessions
from solidarity.audit import services as audit
from solidarity.cases.models import Case
from solidarity.cases.services import GRANT_EXPIRED_ACTION
from solidarity.vault import core, escrow, keyring
from solidarity.vault.models import (
    AccessGrant,
    IntakeKeyWrap,
    KeyExposure,
    Organisation,
    RekeyJob,
)

# One bulk assignment opens at most this many case keys in one request (a queue page is 50).
MAX_BULK_ASSIGN = 200
# Cases re-keyed per transaction: ~1 ms each, so a batch holds its locks for well under a second.
REKEY_BATCH_SIZE = 100
# How long one console request keeps re-keying before it answers (and the page reloads).
REKEY_SECONDS_PER_REQUEST = 3.0


class AccessError(Exception):
    """Base class for refusals of this module; never carries key material."""


class NotAllowedError(AccessError):
    """This staff member's role (or locked vault) does not allow the action."""


class NotAssignableError(AccessError):
    """Cases can be assigned only to active volunteers and coordinators with a vault key."""


class RevocationError(AccessError):
    """The account cannot be revoked as asked."""


class SelfRevocationError(RevocationError):
    """Nobody revokes their own account: a second person must agree it is needed."""


class LastIntakeHolderError(RevocationError):
    """Revoking the last holder of the intake key would make every case unreadable."""


class AlreadyRevokedError(RevocationError):
    """The account was revoked before and has no re-key job to resume."""


def _require_intake_holder(user: User) -> None:
    if not (user.is_coordinator and user.is_active and keyring.has_intake_access(user)):
        raise NotAllowedError("only a coordinator holding the intake key may do this")


def _check_assignee(assignee: User) -> None:
    if not (assignee.can_be_assigned and assignee.is_active):
        raise NotAssignableError(assignee.username)
    if assignee.is_volunteer and not keyring.has_staff_key(assignee):
        raise NotAssignableError(assignee.username)


def _assign(case: Case, assignee: User, *, by: User, intake_private_key: bytes) -> bool:
    """Assign one locked case. Returns False when it was already assigned to ``assignee``."""
    if case.assignee_id == assignee.pk and (
        not assignee.is_volunteer or keyring.has_grant(case, assignee)
    ):
        return False
    previous = case.assignee
    if previous is not None and previous.pk != assignee.pk:
        keyring.remove_grant(case, previous)
    if assignee.is_volunteer:
        # Coordinators open every case through the intake key and need no grant.
        case_private_key = keyring.open_case_key_with_intake(case, intake_private_key)
        keyring.grant_case_key(case, assignee, case_private_key, by=by)
    case.assignee = assignee
    case.save(update_fields=["assignee"])
    audit.record(
        "case.assigned",
        actor=by,
        subject=case.code,
        assignee=assignee.username,
        previous=previous.username if previous else "",
    )
    return True


def assign_case(case_id: int, assignee: User, *, by: User, staff_private_key: bytes) -> Case:
    """Assign a case; a volunteer gets an access grant sealed to their key, and a previous
    assignee loses theirs. Raises NotAllowedError or NotAssignableError."""
    return assign_cases([case_id], assignee, by=by, staff_private_key=staff_private_key)[0]


@transaction.atomic
def assign_cases(
    case_ids: Iterable[int], assignee: User, *, by: User, staff_private_key: bytes
) -> list[Case]:
    """Assign many cases at once (bulk assignment from the queue), each with its own grant.

    All or nothing. Raises NotAllowedError, NotAssignableError, or AccessError when asked for
    more than MAX_BULK_ASSIGN cases or for cases that do not exist.
    """
    _require_intake_holder(by)
    _check_assignee(assignee)
    ids = sorted(set(case_ids))
    if not ids or len(ids) > MAX_BULK_ASSIGN:
        raise AccessError(f"choose between 1 and {MAX_BULK_ASSIGN} cases")
    # Locked in id order, like the re-key job, so the two never wait on each other in a circle.
    cases = list(
        # of=("self",): PostgreSQL locks no row of an outer join (the assignee may be null).
        Case.objects.select_for_update(of=("self",))
        .select_related("assignee")
        .filter(id__in=ids)
        .order_by("id")
    )
    if len(cases) != len(ids):
        raise AccessError("some of these cases do not exist")
    intake_private_key = keyring.open_intake_key(by, staff_private_key)
    for case in cases:
        _assign(case, assignee, by=by, intake_private_key=intake_private_key)
    return cases


@transaction.atomic
def unassign_case(case_id: int, *, by: User) -> Case:
    """Take a case off its assignee and delete their access grant. Raises NotAllowedError.

    Deleting the grant needs no key. The former assignee may have kept the key; that is
    remembered (vault.KeyExposure), so revoking them later re-keys this case too.
    """
    if not by.is_coordinator:
        raise NotAllowedError("only coordinators assign cases")
    case = Case.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=case_id)
    previous = case.assignee
    if previous is None:
        return case
    keyring.remove_grant(case, previous)
    case.assignee = None
    case.save(update_fields=["assignee"])
    audit.record("case.unassigned", actor=by, subject=case.code, previous=previous.username)
    return case


# --- grant expiry ----------------------------------------------------------------------------

# Coordinators are shown the grants that end within this many days, to renew those still needed.
EXPIRING_SOON_DAYS = 7


@transaction.atomic
def renew_grant(case_id: int, grantee: User, *, by: User) -> AccessGrant:
    """Let a volunteer's grant open the case for another SOLIDARITY_GRANT_DAYS from today
    (audited). Raises NotAllowedError, or keyring.NoGrantError when the grant was already
    shredded (assign the case again: that seals a new copy)."""
    if not by.is_coordinator:
        raise NotAllowedError("only coordinators renew access grants")
    case = Case.objects.get(pk=case_id)
    previous = AccessGrant.objects.filter(case=case, user=grantee).values_list(
        "expires_on", flat=True
    )
    until = timezone.localdate() + datetime.timedelta(days=settings.SOLIDARITY_GRANT_DAYS)
    grant = keyring.extend_grant(case, grantee, until=until)
    audit.record(
        "grant.renewed",
        actor=by,
        subject=case.code,
        user=grantee.username,
        previous=str(previous.first() or ""),
        until=until.isoformat(),
    )
    return grant


@transaction.atomic
def expire_grants(today: datetime.date | None = None) -> int:
    """Shred every access grant that has expired (`solidarity grants expire`, also a periodic
    task): its sealed copy of the case key is deleted, each one audited. Returns how many."""
    today = today or timezone.localdate()
    shredded = keyring.shred_expired_grants(today)
    if not shredded:
        return 0
    codes = dict(
        Case.objects.filter(pk__in={case_id for case_id, _u, _d in shredded}).values_list(
            "pk", "code"
        )
    )
    names = dict(
        User.objects.filter(pk__in={user_id for _c, user_id, _d in shredded}).values_list(
            "pk", "username"
        )
    )
    for case_id, user_id, ended_on in shredded:
        audit.record(
            GRANT_EXPIRED_ACTION,
            subject=codes[case_id],
            user=names[user_id],
            ended_on=ended_on.isoformat(),
        )
    return len(shredded)


def grants_expiring_soon(days: int = EXPIRING_SOON_DAYS) -> list[AccessGrant]:
    """Grants that end within ``days`` (or have ended and wait to be shredded), soonest first."""
    horizon = timezone.localdate() + datetime.timedelta(days=days)
    return list(
        AccessGrant.objects.filter(expires_on__lte=horizon)
        .select_related("user", "case")
        .order_by("expires_on", "id")
    )


# --- revocation ----------------------------------------------------------------------------


@transaction.atomic
def revoke_staff(person: User, *, by: User | None) -> RekeyJob:
    """Revoke a staff member now: end every session, disable the login for good, delete every
    key copy made for them, take their cases off them, and create the re-key job over every
    case whose current key they could have kept (all cases, after rotating the intake key,
    for anyone who ever held it).

    ``by`` None is the operator at the command line. Raises NotAllowedError or
    RevocationError. Revoking an already revoked person returns their unfinished job.
    """
    if by is not None and not by.manages_staff:
        raise NotAllowedError("only coordinators and administrators revoke staff")
    if by is not None and by.pk == person.pk:
        raise SelfRevocationError(person.username)
    person = User.objects.select_for_update().get(pk=person.pk)
    if person.revoked_at is not None:
        job = RekeyJob.objects.filter(person=person).first()
        if job is None:
            raise AlreadyRevokedError(person.username)
        return job
    holds_intake = IntakeKeyWrap.objects.filter(user=person).exists()
    if (
        holds_intake
        and not IntakeKeyWrap.objects.exclude(user=person).exists()
        and not escrow.intake_key_escrowed()
    ):
        # Deleting the last wrap would lose every case; approve another coordinator first.
        # With the intake key escrowed to the trustees it may go: M of them can recover it
        # for a new coordinator (the arrest of the only coordinator).
        raise LastIntakeHolderError(person.username)
    all_cases = keyring.ever_held_intake_key(person)
    sessions = end_all_sessions(person)
    person.is_active = False
    person.revoked_at = timezone.now()
    person.set_unusable_password()
    person.save(update_fields=["is_active", "revoked_at", "password"])
    TOTPDevice.objects.filter(user=person).delete()
    Case.objects.filter(assignee=person).update(assignee=None)
    copies = keyring.delete_staff_key_copies(person)
    if all_cases:
        total = Case.objects.count()
    else:
        total = KeyExposure.objects.filter(user=person).count()
    job = RekeyJob.objects.create(
        person=person,
        all_cases=all_cases,
        cases_total=total,
        created_by=by,
        state=RekeyJob.State.WAITING if (all_cases or total) else RekeyJob.State.DONE,
        finished_at=None if (all_cases or total) else timezone.now(),
    )
    audit.record(
        "staff.revoked",
        actor=by,
        subject=person.username,
        sessions_ended=sessions,
        key_copies_deleted=copies,
        rekey_job=job.pk,
        cases_to_rekey=total,
        all_cases=all_cases,
    )
    return job


def _next_case_ids(job: RekeyJob, limit: int) -> list[int]:
    if job.all_cases:
        # No upper bound: a case submitted with the old intake key just before the rotation
        # committed gets re-keyed too. Later cases are re-keyed needlessly but harmlessly.
        qs = Case.objects.filter(id__gt=job.last_case_id).order_by("id")
        return list(qs.values_list("id", flat=True)[:limit])
    qs = KeyExposure.objects.filter(user=job.person_id, case_id__gt=job.last_case_id)
    return list(qs.order_by("case_id").values_list("case_id", flat=True)[:limit])


def _rotate_intake_key(job: RekeyJob, intake_private_key: bytes, by: User) -> bytes:
    new_private_key = keyring.rotate_intake_key(intake_private_key)
    job.intake_rotated = True
    job.max_case_id = Case.objects.order_by("-id").values_list("id", flat=True).first() or 0
    job.cases_total = Case.objects.count()
    audit.record("vault.intake_key_rotated", actor=by, subject=f"rekey-job:{job.pk}")
    return new_private_key


def _finish(job: RekeyJob, by: User) -> None:
    job.state = RekeyJob.State.DONE
    job.finished_at = timezone.now()
    unfinished = RekeyJob.objects.exclude(pk=job.pk).exclude(state=RekeyJob.State.DONE)
    failures = any(j.failed_cases for j in RekeyJob.objects.filter(all_cases=True))
    if not job.failed_cases and not failures and not unfinished.filter(all_cases=True).exists():
        # Nothing is sealed to a retired intake key any more.
        keyring.forget_retired_intake_keys()
    audit.record(
        "staff.rekey_finished",
        actor=by,
        subject=f"rekey-job:{job.pk}",
        person=job.person.username,
        cases=job.cases_done,
        failed=len(job.failed_cases),
    )


def run_rekey_batch(
    job_id: int, *, by: User, staff_private_key: bytes, limit: int = REKEY_BATCH_SIZE
) -> RekeyJob:
    """Re-key the next ``limit`` cases of a job, in one transaction; safe to repeat after a
    crash (a batch either committed or left no trace). Raises NotAllowedError.

    A case whose sealed material does not open with its key is left as it was and listed
    in ``failed_cases``; the job goes on, since stopping would leave every later case open
    to the revoked person.
    """
    _require_intake_holder(by)
    with transaction.atomic():
        # The organisation row serialises batches with intake key rotations, so no batch
        # seals a new case key to an intake key that is being retired at the same moment.
        Organisation.objects.select_for_update().order_by("id").first()
        job = (
            RekeyJob.objects.select_for_update(of=("self",)).select_related("person").get(pk=job_id)
        )
        if job.state == RekeyJob.State.DONE:
            return job
        intake_private_key = keyring.open_intake_key(by, staff_private_key)
        if job.all_cases and not job.intake_rotated:
            intake_private_key = _rotate_intake_key(job, intake_private_key, by)
        job.state = RekeyJob.State.RUNNING
        intake_public_key = core.public_key_of(intake_private_key)
        ids = _next_case_ids(job, limit)
        cases = Case.objects.select_for_update().filter(id__in=ids).order_by("id")
        done = 0
        for case in cases:
            try:
                with transaction.atomic():
                    old_private_key = keyring.open_case_key_with_intake(case, intake_private_key)
                    keyring.rekey_case(case, old_private_key, intake_public_key)
            except core.VaultError:
                job.failed_cases = [*job.failed_cases, case.code]
            job.last_case_id = case.id
            done += 1
        job.cases_done += done
        if ids:
            job.last_case_id = max(job.last_case_id, ids[-1])
            audit.record("staff.rekey_batch", actor=by, subject=f"rekey-job:{job.pk}", cases=done)
        if len(ids) < limit:
            _finish(job, by)
        job.save()
    return job


def run_rekey_job(
    job_id: int,
    *,
    by: User,
    staff_private_key: bytes,
    seconds: float | None = None,
    progress: Callable[[RekeyJob], None] | None = None,
) -> RekeyJob:
    """Run batches until the job is done, or for about ``seconds`` (a console request)."""
    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        job = run_rekey_batch(job_id, by=by, staff_private_key=staff_private_key)
        if progress is not None:
            progress(job)
        if job.state == RekeyJob.State.DONE:
            return job
        if deadline is not None and time.monotonic() >= deadline:
            return job


def unfinished_jobs():
    return RekeyJob.objects.exclude(state=RekeyJob.State.DONE).select_related("person")


def grants_of(case: Case) -> list[AccessGrant]:
    return list(AccessGrant.objects.filter(case=case).select_related("user").order_by("id"))
