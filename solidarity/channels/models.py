from __future__ import annotations

from django.conf import settings
from django.db import models


class SignedStatement(models.Model):
    """One signed statement of the official channels, exactly as published. The newest is
    the current one; older ones stay, so what was published when can be shown later."""

    # The file as served at /channels/statement.json: canonical JSON, signature included.
    # Public by design: it holds the fund's own addresses, nothing about anyone else.
    body = models.TextField()
    issued_at = models.DateTimeField()
    valid_until = models.DateField()
    signing_key = models.ForeignKey(
        "vault.SigningKey", on_delete=models.PROTECT, related_name="statements"
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"statement {self.pk} of {self.issued_at:%Y-%m-%d}"
