from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """The fund: its name and the public half of its intake key (one row)."""

    name = models.CharField(max_length=200)
    intake_public_key = models.BinaryField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class StaffKey(models.Model):
    """A staff member's personal key pair; the private half only locked under their passphrase."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_key"
    )
    public_key = models.BinaryField(max_length=32)
    private_key_locked = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)


class IntakeKeyWrap(models.Model):
    """The intake private key sealed to one coordinator's personal public key."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="intake_wrap"
    )
    intake_private_key_sealed = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)


class IntakeKeyExposure(models.Model):
    """Someone who could ever open the *current* intake key. Kept after their wrap is deleted
    (a coordinator moved to another role still knows the key), and cleared only when the
    intake key is rotated without them: revoking anyone listed here re-keys every case."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="intake_exposure"
    )
    since = models.DateField()


class RetiredIntakeKey(models.Model):
    """An intake key replaced while a re-key job runs, sealed to the key that replaced it.

    Cases the job has not reached yet are still sealed to the retired key; whoever holds the
    new intake key can open them through this row. The revoked coordinator, who knows the
    retired key, learns nothing from it: it opens only what they could open already.
    """

    public_key = models.BinaryField(max_length=32)
    private_key_sealed = models.BinaryField()
    # The intake public key this row is sealed to, so the chain can be walked from any key.
    sealed_to_public_key = models.BinaryField(max_length=32)
    retired_at = models.DateTimeField(auto_now_add=True)


class ApplicantKey(models.Model):
    """The applicant's own key pair, which the receipt opens.

    Its private half is locked under the receipt passphrase; the case private key is sealed to
    its public half. Re-keying a case seals the new case key to the same public half, so the
    applicant keeps reading their case with the receipt they already hold.
    """

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="applicant_key"
    )
    applicant_public_key = models.BinaryField(max_length=32)
    applicant_key_locked = models.BinaryField()
    case_key_for_applicant_sealed = models.BinaryField()


def grant_expiry_from(day: datetime.date) -> datetime.date:
    """The first day a grant made on ``day`` no longer opens its case."""
    return day + datetime.timedelta(days=settings.SOLIDARITY_GRANT_DAYS)


def default_grant_expiry() -> datetime.date:
    return grant_expiry_from(timezone.localdate())


class AccessGrant(models.Model):
    """Need-to-know access: a case private key sealed to one staff member's personal key.

    It opens the case until ``expires_on`` (that day and later it opens nothing), and
    `solidarity grants expire` then deletes the sealed copy: an informer among the
    volunteers keeps access to a case for weeks, not for the months they stay undetected.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="access_grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_grants"
    )
    case_key_for_grantee_sealed = models.BinaryField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_on = models.DateField()
    expires_on = models.DateField(default=default_grant_expiry, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "case"], name="grant_one_per_user_and_case"),
        ]

    def is_expired(self, today: datetime.date | None = None) -> bool:
        return (today or timezone.localdate()) >= self.expires_on


class KeyExposure(models.Model):
    """A staff member who was given the *current* key of a case (by a grant), and may have kept
    it. Outlives the grant: unassigning does not make someone forget a key. Re-keying a case
    clears every row but the current grantees'; revoking someone re-keys the cases listed here."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="key_exposures"
    )
    since = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "case"], name="exposure_one_per_user_and_case"),
        ]


class RekeyJob(models.Model):
    """Re-keying every case a revoked staff member could ever open, in resumable batches.

    It runs only inside an unlocked coordinator's request or `solidarity revoke`: the keys it
    needs are opened per batch from that coordinator's key and never written anywhere.
    """

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting for a coordinator")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rekey_jobs"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    # True for someone who held the intake key: it is rotated first, then every case re-keyed.
    all_cases = models.BooleanField(default=False)
    intake_rotated = models.BooleanField(default=False)
    # For all_cases: the newest case sealed to the retired intake key (set at rotation).
    max_case_id = models.BigIntegerField(null=True, blank=True)
    # Cases are re-keyed in id order; everything up to here is done.
    last_case_id = models.BigIntegerField(default=0)
    cases_total = models.PositiveIntegerField(default=0)
    cases_done = models.PositiveIntegerField(default=0)
    # Codes of cases whose sealed material did not open with their key: left as they were.
    failed_cases = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.cases_total:
            return 0
        return min(99, self.cases_done * 100 // self.cases_total)


class RecoveryKey(models.Model):
    """The public half of the organisation's recovery key (one row at a time).

    Its private half exists only split M-of-N among trustees on paper, and in memory while
    `solidarity recovery split` makes it or `solidarity recover` rebuilds it. The org's own
    keys are sealed to it (``RecoveryEscrow``), so rotating one of them never needs new shares.
    """

    public_key = models.BinaryField(max_length=32)
    set_id = models.CharField(max_length=16, unique=True)
    threshold = models.PositiveSmallIntegerField()
    shares = models.PositiveSmallIntegerField()
    # {index: BLAKE2b digest of the share handed out}: names a forged or altered share at
    # recovery. Shares are 256 random-looking bits, so a digest cannot be searched back.
    share_digests = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)


class RecoveryEscrow(models.Model):
    """One of the organisation's secret keys sealed to the recovery key."""

    class Kind(models.TextChoices):
        INTAKE = "intake", _("Intake key (opens every case)")
        PAYOUT = "payout", _("Payout key (opens payout destinations)")
        JOBS = "jobs", _("Jobs key (opens employers and candidate contacts)")
        SIGNING = "signing", _("Signing key (signs the statement of official channels)")

    recovery_key = models.ForeignKey(RecoveryKey, on_delete=models.CASCADE, related_name="escrows")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Which key this is, so `recovery status` can tell a current escrow from a stale one.
    escrowed_public_key = models.BinaryField(max_length=32)
    private_key_sealed = models.BinaryField()
    escrowed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recovery_key", "kind"], name="escrow_one_per_kind"),
        ]


class SigningKey(models.Model):
    """An Ed25519 key the organisation signs its statement of official channels with.

    Only the public half is kept in clear; the private half exists only in
    ``SigningKeyWrap`` rows. A replaced key stays listed, retired, so statements it signed
    can still be checked and people comparing an old fingerprint are told what happened.
    """

    public_key = models.BinaryField(max_length=32, unique=True)
    fingerprint = models.CharField(max_length=39)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.fingerprint


class SigningKeyWrap(models.Model):
    """The current signing private key sealed to one coordinator's personal public key.

    Deleted with the person's other key copies when they are revoked, and for everyone when
    the key is replaced: a retired key signs nothing any more."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signing_wraps"
    )
    signing_key = models.ForeignKey(SigningKey, on_delete=models.CASCADE, related_name="wraps")
    signing_private_key_sealed = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "signing_key"], name="signing_wrap_one_per_user_and_key"
            ),
        ]
