from __future__ import annotations

from django.conf import settings
from django.db import models


class ReceiverKey(models.Model):
    """A key pair this organisation made to receive another fund's work (a handover).

    The giving organisation seals its case keys to the public half. The private half is kept
    only sealed to this organisation's intake key, so the coordinators who hold that key, and
    no one else, can open a handover archive; it is resealed when the intake key is rotated.
    """

    # The organisation expected to hand its work over: a label for the coordinators.
    label = models.CharField(max_length=200)
    public_key = models.BinaryField(max_length=32)
    private_key_sealed = models.BinaryField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.label
