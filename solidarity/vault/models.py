from __future__ import annotations

from django.conf import settings
from django.db import models


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
