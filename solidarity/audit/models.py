from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One staff action. Append-only; each row carries the hash of the one before it."""

    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    subject = models.CharField(max_length=64, blank=True)
    # Identifiers and counts only: never sealed contents, names or passphrases.
    details = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]


class AuditHead(models.Model):
    """The newest hash (one row). Locking it serialises appends across processes."""

    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)
