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
    # Set when the account was revoked: sessions ended, keys deleted, login disabled for good.
    revoked_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_coordinator(self) -> bool:
        return self.role == self.Role.COORDINATOR

    @property
    def is_volunteer(self) -> bool:
        return self.role == self.Role.VOLUNTEER

    @property
    def manages_staff(self) -> bool:
        """Coordinators and administrators add, approve and revoke staff accounts."""
        return self.role in (self.Role.COORDINATOR, self.Role.ADMIN)

    @property
    def can_be_assigned(self) -> bool:
        """Cases are assigned to volunteers (with a grant) or coordinators (who need none)."""
        return self.role in (self.Role.COORDINATOR, self.Role.VOLUNTEER) and self.revoked_at is None


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


class StaffSession(models.Model):
    """A session a staff member signed in with, so revoking them ends each one at once
    instead of searching every session in the database."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField(auto_now_add=True)


# A link sent over a side channel should be used the same day; three days covers a weekend.
INVITE_LIFETIME = datetime.timedelta(days=3)


class StaffInvite(models.Model):
    """The one-time enrolment of a new staff account.

    The link carries a random token; only its keyed digest is stored, and it is cleared when
    used. The account stays inactive until someone approves it after comparing the key
    fingerprint with the new person over a channel they trust, so a link intercepted and
    used first by someone else gets them nowhere.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="invite")
    token_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    enrolled_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    @property
    def awaiting_approval(self) -> bool:
        return self.enrolled_at is not None and self.approved_at is None


# Counters are spread over this many rows per (programme, status), by case id, so that
# concurrent submissions do not all queue on one row lock of the counts table.
QUEUE_COUNT_SLOTS = 8


class QueueCount(models.Model):
    """How many cases have each programme and status, for the queue's counts table.

    Kept by database triggers on cases_case (migration accounts/0004), so every way a case is
    created, moved or deleted counts, and the queue never counts a million rows per page.
    """

    programme = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    slot = models.PositiveSmallIntegerField()
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "status", "slot"], name="queue_count_one_row_per_slot"
            )
        ]
