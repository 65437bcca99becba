"""M-of-N recovery of the organisation keys: split among trustees, escrow, status, recover.

The vault keeps the cryptography and the rows (``vault.escrow``); this module decides who may
do what and writes the audit events, for `solidarity recovery` and `solidarity recover`.
The payout and jobs keys belong to the ledger and jobs apps; they are opened and handed out
here so the vault imports no other app.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from solidarity.accounts.models import StaffInvite, User
from solidarity.audit import services as audit
from solidarity.jobs import keys as jobs_key_rows
from solidarity.jobs.models import JobsKey, JobsKeyWrap
from solidarity.jobs.roles import is_job_coach
from solidarity.ledger import payouts
from solidarity.ledger.models import PayoutKey, PayoutKeyWrap
from solidarity.vault import core, escrow, jobs_keys, keyring, signing_keys, trustee_shares
from solidarity.vault.models import RecoveryEscrow

Kind = RecoveryEscrow.Kind


class RecoveryRefusedError(Exception):
    """This person may not do that (not a coordinator holding the keys, or revoked)."""


class FingerprintMismatchError(Exception):
    """The fingerprint given is not the one of the new coordinator's personal key."""


class NothingToEscrowError(Exception):
    """This staff member holds none of the organisation keys."""


@dataclass(frozen=True)
class SplitResult:
    set_id: str
    threshold: int
    count: int
    fingerprint: str
    shares: list[str]  # printed shares: hand out, never store
    escrowed: list[str]


@dataclass(frozen=True)
class KeyState:
    kind: str
    label: str
    exists: bool  # the fund has this key at all
    escrowed: bool  # the current key is sealed to the recovery key
    stale: bool  # an older key of this kind is escrowed, not the current one


@dataclass(frozen=True)
class RecoveryStatus:
    set_id: str = ""
    threshold: int = 0
    count: int = 0
    fingerprint: str = ""
    created_at: datetime.datetime | None = None
    keys: list[KeyState] = field(default_factory=list)

    @property
    def missing(self) -> list[KeyState]:
        return [key for key in self.keys if key.exists and not key.escrowed]


@dataclass(frozen=True)
class RecoverResult:
    given: list[str]  # kinds handed to the coordinator
    coaches_given_jobs_key: list[str] = field(default_factory=list)
    not_escrowed: list[str] = field(default_factory=list)


def _current_public_keys() -> dict[str, bytes]:
    """The public halves of the organisation keys that exist now."""
    current = {Kind.INTAKE: keyring.intake_public_key()}
    payout = PayoutKey.objects.order_by("id").first()
    if payout is not None:
        current[Kind.PAYOUT] = bytes(payout.public_key)
    jobs = JobsKey.objects.order_by("id").first()
    if jobs is not None:
        current[Kind.JOBS] = bytes(jobs.public_key)
    signing_key = signing_keys.current_signing_key()
    if signing_key is not None:
        current[Kind.SIGNING] = bytes(signing_key.public_key)
    return current


def _open_held_keys(user: User, staff_private_key: bytes) -> dict[str, bytes]:
    """Every organisation key this staff member holds a copy of, opened."""
    held = {}
    if keyring.has_intake_access(user):
        held[Kind.INTAKE] = keyring.open_intake_key(user, staff_private_key)
    if PayoutKeyWrap.objects.filter(user=user).exists():
        try:
            held[Kind.PAYOUT] = payouts.open_payout_key(user, staff_private_key)
        except payouts.NoPayoutKeyError:
            pass  # a wrap left from an earlier role opens nothing for them now
    if jobs_key_rows.has_jobs_key(user):
        held[Kind.JOBS] = jobs_key_rows.open_jobs_key(user, staff_private_key)
    if signing_keys.has_signing_access(user):
        held[Kind.SIGNING] = signing_keys.open_signing_key(user, staff_private_key)[1]
    return held


def _escrow_held(held: dict[str, bytes]) -> list[str]:
    current = _current_public_keys()
    escrowed = []
    for kind, private_key in held.items():
        # A copy of a key that was rotated since would only put an old key in escrow.
        if current.get(kind) == escrow.identity_of(kind, private_key):
            escrow.escrow_key(kind, private_key)
            escrowed.append(str(kind))
    return escrowed


def split_recovery_key(
    by: User, staff_private_key: bytes, *, threshold: int, count: int, replace: bool = False
) -> SplitResult:
    """Make the recovery key, split it among ``count`` trustees of whom any ``threshold``
    recover it, and escrow every organisation key ``by`` holds.

    Raises RecoveryRefusedError (not an active coordinator holding the intake key),
    escrow.RecoveryKeyExistsError (pass ``replace``; the old shares then open nothing) or
    shamir.ShareParamsError.
    """
    if not (by.is_active and by.is_coordinator and keyring.has_intake_access(by)):
        raise RecoveryRefusedError("only a coordinator holding the intake key splits it")
    held = _open_held_keys(by, staff_private_key)
    with transaction.atomic():
        replaced = escrow.current_recovery_key()
        made = escrow.create_recovery_key(threshold, count, replace=replace, by=by)
        escrowed = _escrow_held(held)
        audit.record(
            "recovery.split",
            actor=by,
            subject=f"recovery:{made.row.set_id}",
            threshold=threshold,
            shares=count,
            escrowed=escrowed,
            replaced=replaced.set_id if replaced else "",
        )
    return SplitResult(
        set_id=made.row.set_id,
        threshold=threshold,
        count=count,
        fingerprint=core.key_fingerprint(bytes(made.row.public_key)),
        shares=made.shares,
        escrowed=escrowed,
    )


@transaction.atomic
def escrow_current_keys(by: User, staff_private_key: bytes) -> list[str]:
    """Seal again, to the recovery key, every organisation key ``by`` holds (a job coach for
    the jobs key, say). Raises escrow.NoRecoveryKeyError or NothingToEscrowError."""
    if escrow.current_recovery_key() is None:
        raise escrow.NoRecoveryKeyError("no recovery key")
    if not by.is_active:
        raise RecoveryRefusedError("this account is not active")
    escrowed = _escrow_held(_open_held_keys(by, staff_private_key))
    if not escrowed:
        raise NothingToEscrowError("this account holds no organisation key")
    audit.record("recovery.escrowed", actor=by, subject="recovery", escrowed=escrowed)
    return escrowed


def recovery_status() -> RecoveryStatus:
    """M, N, the fingerprint, and which organisation keys the trustees could recover."""
    recovery = escrow.current_recovery_key()
    current = _current_public_keys()
    escrowed = escrow.escrowed_public_keys()
    keys = [
        KeyState(
            kind=str(kind),
            label=str(kind.label),
            exists=kind in current,
            escrowed=kind in current and escrowed.get(kind) == current[kind],
            stale=kind in escrowed and escrowed[kind] != current.get(kind),
        )
        for kind in Kind
    ]
    if recovery is None:
        return RecoveryStatus(keys=keys)
    return RecoveryStatus(
        set_id=recovery.set_id,
        threshold=recovery.threshold,
        count=recovery.shares,
        fingerprint=core.key_fingerprint(bytes(recovery.public_key)),
        created_at=recovery.created_at,
        keys=keys,
    )


def required_shares() -> int:
    """How many shares `recover` must read. Raises escrow.NoRecoveryKeyError."""
    recovery = escrow.current_recovery_key()
    if recovery is None:
        raise escrow.NoRecoveryKeyError("no recovery key")
    return recovery.threshold


def _awaiting_approval(user: User) -> StaffInvite | None:
    invite = StaffInvite.objects.filter(user=user).first()
    return invite if invite is not None and invite.awaiting_approval else None


def _normalise_fingerprint(value: str) -> str:
    return "".join(value.split()).upper()


def check_recipient(to: User, fingerprint: str | None = None) -> None:
    """Refuse anyone but a coordinator with a personal key who is active, or enrolled and
    awaiting approval. Approving such an account is what the trustees do by recovering for
    it (no coordinator is left to approve it), so its key fingerprint must be given, as
    compared with the person over a channel the operator trusts: an intercepted enrolment
    link must not collect every key. Raises RecoveryRefusedError or FingerprintMismatchError.
    """
    if to.revoked_at is not None or not to.is_coordinator or not keyring.has_staff_key(to):
        raise RecoveryRefusedError("keys go only to a coordinator with a personal key")
    if to.is_active:
        return
    if _awaiting_approval(to) is None:
        raise RecoveryRefusedError("this account is neither active nor awaiting approval")
    expected = _normalise_fingerprint(core.key_fingerprint(keyring.staff_public_key(to)))
    if not fingerprint or _normalise_fingerprint(fingerprint) != expected:
        raise FingerprintMismatchError("the fingerprint does not match this account's key")


def recover_keys(
    to: User, share_texts: list[str], *, fingerprint: str | None = None
) -> RecoverResult:
    """Rebuild the recovery key from the trustees' shares and give the escrowed keys to ``to``
    (a coordinator with a personal key, e.g. one enrolled after the last one was arrested,
    whom this also approves: see ``check_recipient``).

    The jobs key, which coordinators do not hold, goes to every enrolled job coach lacking
    it. Nothing is granted unless the shares rebuild the recovery key exactly. Raises
    RecoveryRefusedError, FingerprintMismatchError, escrow.NoRecoveryKeyError,
    escrow.WrongRecoveryKeyError, escrow.UnknownShareError / trustee_shares.ShareFormatError /
    ForeignShareError (with the share's position), or a shamir.ShamirError; every refusal
    of the shares is audited.
    """
    check_recipient(to, fingerprint)
    try:
        recovery_private_key = escrow.rebuild_recovery_key(share_texts)
        opened = escrow.open_escrows(recovery_private_key)
    except (
        core.VaultError,
        trustee_shares.ShareFormatError,
        trustee_shares.ForeignShareError,
    ) as exc:  # UnknownShareError is a VaultError
        audit.record(
            "recovery.refused",
            subject=to.username,
            reason=exc.__class__.__name__,
            shares_given=len(share_texts),
        )
        raise
    current = _current_public_keys()
    given, coaches = [], []
    with transaction.atomic():
        invite = _awaiting_approval(to)
        if invite is not None and not to.is_active:
            to.is_active = True
            to.save(update_fields=["is_active"])
            invite.approved_at = timezone.now()
            invite.save(update_fields=["approved_at"])
            audit.record("staff.approved", subject=to.username, role=to.role, by="recovery")
        for kind, private_key in opened.items():
            if current.get(kind) != escrow.identity_of(kind, private_key):
                continue  # an old key of this kind: it opens nothing current
            if kind == Kind.INTAKE:
                keyring.give_intake_key(to, private_key)
                given.append(kind)
            elif kind == Kind.PAYOUT:
                PayoutKeyWrap.objects.update_or_create(
                    user=to,
                    defaults={
                        "payout_private_key_sealed": core.seal_to(
                            keyring.staff_public_key(to), private_key
                        )
                    },
                )
                given.append(kind)
            elif kind == Kind.SIGNING:
                signing_keys.seal_signing_key_to(to, private_key)
                given.append(kind)
            elif kind == Kind.JOBS:
                coaches = _give_jobs_key(private_key)
                if is_job_coach(to):
                    given.append(kind)
        not_escrowed = [str(kind) for kind in current if kind not in opened]
        audit.record(
            "recovery.recovered",
            subject=to.username,
            given=[str(kind) for kind in given],
            jobs_key_to=coaches,
            not_escrowed=not_escrowed,
            set_id=escrow.current_recovery_key().set_id,
        )
    return RecoverResult(
        given=[str(kind) for kind in given],
        coaches_given_jobs_key=coaches,
        not_escrowed=not_escrowed,
    )


def _give_jobs_key(private_key: bytes) -> list[str]:
    given = []
    for user in jobs_key_rows.staff_without_jobs_key():
        JobsKeyWrap.objects.create(
            user=user,
            jobs_private_key_sealed=jobs_keys.wrap_jobs_key(
                private_key, keyring.staff_public_key(user)
            ),
        )
        given.append(user.username)
    return given
