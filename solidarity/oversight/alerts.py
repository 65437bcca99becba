"""Alerts about unusual access, computed from the audit trail.

An informer inside the team (in one real case a police officer worked ten months as a
volunteer) gives himself away by what he opens, not by what he says. The audit log already
records every case opened (``case.viewed``), every refusal (``case.access_denied``) and every
failed sign-in or unlock; `solidarity alerts scan` reads the last 24 hours of it and raises:

* many_cases: a volunteer who opened far more distinct cases than the other volunteers;
* not_assigned: someone who tried to open a case that is not theirs;
* failed_unlocks: repeated failed sign-ins or vault unlocks on one account.

Scanning is repeatable: an alert is raised once per kind, person and day (and case).
Alerts hold usernames, case codes and counts only.
"""

from __future__ import annotations

import datetime
import statistics
from collections import Counter, defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from solidarity.accounts.models import User
from solidarity.audit import services as audit
from solidarity.audit.models import AuditEvent
from solidarity.oversight.models import Alert
from solidarity.vault.models import AccessGrant

# The audit actions that mean "a case was decrypted and read" (cases.services.open_case_for_staff).
CASE_OPEN_ACTIONS = ("case.viewed",)
DENIED_ACTION = "case.access_denied"
FAILED_ACTIONS = ("staff.unlock_failed", "staff.login_failed")

# How far back one scan looks. The worker scans every hour, so a day is seen ~24 times;
# the dedup key keeps that to one alert per person and day.
SCAN_WINDOW = datetime.timedelta(hours=24)
# many_cases: more distinct cases in the window than MANY_CASES_FACTOR times the median of
# the other volunteers who opened any, and never fewer than MANY_CASES_FLOOR (a volunteer
# catching up on a quiet day's assignments is not an informer).
MANY_CASES_FACTOR = 3
MANY_CASES_FLOOR = 20
# failed_unlocks: this many failed sign-ins plus unlocks on one account in the window. The
# login throttle pauses an account after 10 in 15 minutes; 5 in a day is a person trying.
FAILED_UNLOCK_LIMIT = 5


class AlertError(Exception):
    """Base class of this module's refusals."""


class NotAllowedError(AlertError):
    """Only coordinators see and acknowledge alerts."""


class SelfAcknowledgeError(AlertError):
    """Nobody acknowledges an alert about themselves."""


def _raise(kind: str, staff_name: str, day: datetime.date, *, staff_id, subject="", **details):
    """Store one alert unless its dedup key exists already; returns it, or None."""
    key = f"{kind}:{staff_name}:{day.isoformat()}" + (f":{subject}" if subject else "")
    if Alert.objects.filter(dedup_key=key).exists():
        return None
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                kind=kind,
                staff_id=staff_id,
                staff_name=staff_name,
                subject=subject,
                details=details,
                dedup_key=key,
            )
            audit.record("alert.raised", subject=staff_name, kind=kind, alert=alert.pk)
    except IntegrityError:
        return None  # another scan raised it in the meantime
    return alert


def _many_cases(events, day: datetime.date) -> list[Alert]:
    rows = (
        events.filter(action__in=CASE_OPEN_ACTIONS, actor__role=User.Role.VOLUNTEER)
        .values("actor_id", "actor_name")
        .annotate(cases=Count("subject", distinct=True))
    )
    opened = {(row["actor_id"], row["actor_name"]): row["cases"] for row in rows}
    raised = []
    for (actor_id, name), count in opened.items():
        others = [n for (other_id, _name), n in opened.items() if other_id != actor_id]
        median = statistics.median(others) if others else 0
        threshold = max(MANY_CASES_FACTOR * median, MANY_CASES_FLOOR)
        if count > threshold:
            alert = _raise(
                Alert.Kind.MANY_CASES,
                name,
                day,
                staff_id=actor_id,
                cases=count,
                peers_median=median,
                threshold=threshold,
                window_hours=int(SCAN_WINDOW.total_seconds() // 3600),
            )
            if alert is not None:
                raised.append(alert)
    return raised


def _not_assigned(events, day: datetime.date) -> list[Alert]:
    attempts: Counter = Counter()
    for actor_id, name, subject, details in events.filter(
        action=DENIED_ACTION, actor__isnull=False
    ).values_list("actor_id", "actor_name", "subject", "details"):
        # An expired grant is a volunteer coming back to their own old case: the page tells
        # them to ask a coordinator, and it is no sign of fishing.
        if (details or {}).get("reason") == "grant_expired":
            continue
        attempts[(actor_id, name, subject)] += 1
    raised = []
    for (actor_id, name, subject), count in attempts.items():
        # A volunteer refused a coordinator's action on their *own* case (a decision, say)
        # was not fishing for another applicant.
        if AccessGrant.objects.filter(user_id=actor_id, case__code=subject).exists():
            continue
        alert = _raise(
            Alert.Kind.NOT_ASSIGNED, name, day, staff_id=actor_id, subject=subject, attempts=count
        )
        if alert is not None:
            raised.append(alert)
    return raised


def _failed_unlocks(events, day: datetime.date) -> list[Alert]:
    failures: defaultdict[str, Counter] = defaultdict(Counter)
    for action, username in events.filter(action__in=FAILED_ACTIONS).values_list(
        "action", "subject"
    ):
        failures[username][action] += 1
    raised = []
    for username, counts in failures.items():
        if sum(counts.values()) < FAILED_UNLOCK_LIMIT:
            continue
        staff_id = User.objects.filter(username=username).values_list("pk", flat=True).first()
        alert = _raise(
            Alert.Kind.FAILED_UNLOCKS,
            username,
            day,
            staff_id=staff_id,
            unlock_failures=counts["staff.unlock_failed"],
            login_failures=counts["staff.login_failed"],
        )
        if alert is not None:
            raised.append(alert)
    return raised


def _first_id_after(since: datetime.datetime) -> int | None:
    """The id of the first audit entry later than ``since``, or None if there is none.

    The log has no index on its time column, but it is append-only and each entry takes its
    time while holding the head lock, so times grow with ids: a binary search over the
    primary key finds the window in ~20 indexed lookups instead of reading the whole history
    (bench/alert_scan.py: 1 s for 320,000 rows on SQLite without it). Ids may have gaps (a
    rolled-back transaction uses one up), so it searches id values, not rows.
    """
    newest = AuditEvent.objects.order_by("-id").values_list("id", "at").first()
    if newest is None or newest[1] <= since:
        return None

    def first_at_or_after(entry_id: int) -> tuple[int, datetime.datetime]:
        return AuditEvent.objects.filter(id__gte=entry_id).order_by("id").values_list("id", "at")[0]

    # The smallest id value from which the next entry is in the window; newest[0] is one.
    low, high = 1, newest[0]
    while low < high:
        middle = (low + high) // 2
        if first_at_or_after(middle)[1] > since:
            high = middle
        else:
            low = middle + 1
    return first_at_or_after(low)[0]


def scan_alerts(now: datetime.datetime | None = None) -> list[Alert]:
    """Read the last SCAN_WINDOW of the audit log and store the alerts it calls for; returns
    the new ones. Safe to run as often as wanted."""
    now = now or timezone.now()
    first_id = _first_id_after(now - SCAN_WINDOW)
    if first_id is None:
        return []
    events = AuditEvent.objects.filter(id__gte=first_id, at__gt=now - SCAN_WINDOW, at__lte=now)
    day = timezone.localdate(now)
    return [
        *_many_cases(events, day),
        *_not_assigned(events, day),
        *_failed_unlocks(events, day),
    ]


def open_alert_count() -> int:
    return Alert.objects.filter(acknowledged_at__isnull=True).count()


def alerts_for_review(limit: int = 200) -> tuple[list[Alert], list[Alert]]:
    """(open alerts, recently acknowledged ones), newest first."""
    open_ = list(Alert.objects.filter(acknowledged_at__isnull=True)[:limit])
    done = list(
        Alert.objects.filter(acknowledged_at__isnull=False)
        .select_related("acknowledged_by")
        .order_by("-acknowledged_at")[:limit]
    )
    return open_, done


@transaction.atomic
def acknowledge_alert(alert_id: int, *, by: User) -> Alert:
    """Mark an alert as looked into (audited). Raises NotAllowedError, SelfAcknowledgeError or
    Alert.DoesNotExist. Acknowledging twice keeps the first acknowledgement."""
    if not by.is_coordinator:
        raise NotAllowedError("only coordinators acknowledge alerts")
    alert = Alert.objects.select_for_update().get(pk=alert_id)
    if alert.staff_id == by.pk or alert.staff_name == by.username:
        raise SelfAcknowledgeError(by.username)
    if alert.acknowledged_at is not None:
        return alert
    alert.acknowledged_by = by
    alert.acknowledged_at = timezone.now()
    alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
    audit.record(
        "alert.acknowledged", actor=by, subject=alert.staff_name, kind=alert.kind, alert=alert.pk
    )
    return alert
