from __future__ import annotations

import datetime

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


# A person typing a 14+ character passphrase and a code misses a few times at most; ten
# misses in 15 minutes is a guesser. The limit is per account because we keep no addresses.
LOGIN_FAILURE_LIMIT = 10  # failed attempts per account per window
LOGIN_FAILURE_WINDOW = datetime.timedelta(minutes=15)


class LoginThrottle(models.Model):
    """Failed sign-ins (and vault unlocks) for one account in the current window."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="login_throttle")
    window_started = models.DateTimeField()
    failures = models.PositiveIntegerField(default=0)

    def window_open(self, now: datetime.datetime) -> bool:
        return now - self.window_started < LOGIN_FAILURE_WINDOW

    def is_closed(self, now: datetime.datetime) -> bool:
        """True while this account has used up its failed attempts for the window."""
        return self.window_open(now) and self.failures >= LOGIN_FAILURE_LIMIT

    def count_failure(self, now: datetime.datetime) -> None:
        if self.window_open(now):
            self.failures += 1
        else:
            self.window_started = now
            self.failures = 1
        self.save(update_fields=["window_started", "failures"])
