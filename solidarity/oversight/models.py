"""Insider limits: alerts raised from the audit trail, and identity exports that need two
coordinators. Neither holds anything that identifies an applicant: staff usernames, case
codes and counts only (the exported names are decrypted at download time, never stored)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Alert(models.Model):
    """Unusual access by one staff member, found by `solidarity alerts scan`."""

    class Kind(models.TextChoices):
        MANY_CASES = "many_cases", _("Opened far more cases than other volunteers")
        NOT_ASSIGNED = "not_assigned", _("Tried to open a case not assigned to them")
        FAILED_UNLOCKS = "failed_unlocks", _("Repeated failed sign-ins or vault unlocks")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept if the account is ever deleted: the alert must still say whom it was about.
    staff_name = models.CharField(max_length=150)
    # A case code for NOT_ASSIGNED, empty otherwise.
    subject = models.CharField(max_length=64, blank=True)
    # Counts and thresholds only (how many cases, the peers' median, how many failures).
    details = models.JSONField(default=dict)
    # What makes a scan repeatable without raising the same alert twice: kind, person, day
    # (and case).
    dedup_key = models.CharField(max_length=200, unique=True)
    raised_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["acknowledged_at", "-raised_at"], name="alert_open")]


class IdentityExport(models.Model):
    """A request to download the decrypted identities of chosen cases (a hand-over to a
    lawyer, say): one coordinator asks, a *different* coordinator approves, and only the
    approver downloads it, once, decrypted in their unlocked session at that moment."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Waiting for a second coordinator")
        APPROVED = "approved", _("Approved, not downloaded yet")
        DOWNLOADED = "downloaded", _("Downloaded")
        CANCELLED = "cancelled", _("Cancelled")

    class Purpose(models.TextChoices):
        # A choice, not free text: a typed reason could name the applicant or the lawyer.
        LAWYER = "lawyer", _("Hand-over to a partner lawyer")
        PARTNER = "partner", _("Hand-over to a partner organisation")
        EVACUATION = "evacuation", _("Evacuation or relocation")
        OTHER = "other", _("Other (explained to the approver in person)")

    state = models.CharField(max_length=12, choices=State.choices, default=State.REQUESTED)
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    # Case codes (clear queue identifiers, not identities).
    case_codes = models.JSONField(default=list)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # Four eyes, kept by the database too: no code path, admin shell or bug lets one
            # coordinator approve their own export.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("requested_by")),
                name="export_approver_is_not_requester",
            ),
            # Downloaded means approved first.
            models.CheckConstraint(
                condition=Q(downloaded_at__isnull=True) | Q(approved_by__isnull=False),
                name="export_downloaded_only_if_approved",
            ),
        ]
