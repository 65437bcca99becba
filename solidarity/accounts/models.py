from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A staff member. Applicants never have accounts."""

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("Coordinator")
        VOLUNTEER = "volunteer", _("Volunteer")
        TREASURER = "treasurer", _("Treasurer")
        JOB_COACH = "job_coach", _("Job coach")
        TRUSTEE = "trustee", _("Trustee")
        ADMIN = "admin", _("Administrator")

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VOLUNTEER)
    # Staff sign in with a pseudonym; the console never asks for a legal name.
    first_name = None
    last_name = None
    email = models.EmailField(blank=True)

    @property
    def is_coordinator(self) -> bool:
        return self.role == self.Role.COORDINATOR
