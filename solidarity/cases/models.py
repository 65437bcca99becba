from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Programme(models.TextChoices):
    SECURITY_FORCES = "security_forces", _("Security forces")
    WORKERS = "workers", _("Workers: fired or on strike")
    REPRESSION = "repression", _("Other repression")


class Case(models.Model):
    """One application. Clear columns are only what the queue needs and identify no one."""

    class Status(models.TextChoices):
        NEW = "new", _("Received")
        IN_REVIEW = "in_review", _("Being reviewed")
        MORE_INFO = "more_info", _("More information needed")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Not accepted")
        CLOSED = "closed", _("Closed")

    code = models.CharField(max_length=16, unique=True)
    programme = models.CharField(max_length=20, choices=Programme.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    # The day only: a timestamp would let a seized database be matched against traffic logs.
    received_on = models.DateField()
    language = models.CharField(max_length=8)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case_public_key = models.BinaryField(max_length=32)
    case_key_for_intake_sealed = models.BinaryField()
    case_key_for_receipt_locked = models.BinaryField()
    answers_sealed = models.BinaryField()

    class Meta:
        indexes = [
            models.Index(fields=["status", "-id"], name="case_status_recent"),
            models.Index(fields=["programme", "status", "-id"], name="case_prog_status_recent"),
        ]

    def __str__(self) -> str:
        return self.code


class Message(models.Model):
    """A message between the fund and the applicant, sealed to the case key both ways."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    from_applicant = models.BooleanField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body_sealed = models.BinaryField()
    sent_on = models.DateField()

    class Meta:
        ordering = ["id"]


class Attachment(models.Model):
    """A file sealed to the case key. Its name, type and kind are inside ``meta_sealed``."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    from_applicant = models.BooleanField(default=True)
    # A random name under UPLOADS_DIR; the file holds only ciphertext.
    blob_name = models.CharField(max_length=64, unique=True)
    file_key_sealed = models.BinaryField()
    meta_sealed = models.BinaryField()
    added_on = models.DateField()

    class Meta:
        ordering = ["id"]
