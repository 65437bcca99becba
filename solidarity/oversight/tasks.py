"""Periodic insider checks, run by `solidarity worker` (django-tasks' database backend).

django-tasks has no scheduler, so each periodic task queues its own next run (``run_after``
one period later) when it finishes, and `solidarity worker` queues any that are missing when
it starts. One pending run per task at most: starting several workers queues no duplicates
beyond a harmless race, and both tasks are idempotent anyway.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from solidarity.cases import access
from solidarity.oversight import alerts

# Expired grants are shredded within this long of their last day; unusual access is seen
# within this long of happening. Both are cheap queries.
PERIOD = datetime.timedelta(hours=1)


def _queue_next(periodic_task, *, delay: datetime.timedelta = PERIOD) -> bool:
    """Queue ``periodic_task`` to run after ``delay`` unless a run is already waiting."""
    waiting = DBTaskResult.objects.filter(
        task_path=periodic_task.module_path, status="READY"
    ).exists()
    if waiting:
        return False
    periodic_task.using(run_after=timezone.now() + delay).enqueue()
    return True


@task()
def expire_grants() -> int:
    """`solidarity grants expire`, every PERIOD."""
    try:
        return access.expire_grants()
    finally:
        _queue_next(expire_grants)


@task()
def scan_alerts() -> int:
    """`solidarity alerts scan`, every PERIOD."""
    try:
        return len(alerts.scan_alerts())
    finally:
        _queue_next(scan_alerts)


PERIODIC_TASKS = (expire_grants, scan_alerts)


def schedule_periodic_tasks() -> int:
    """Queue each periodic task to run now unless a run is already waiting; returns how many
    were queued. Called when a worker starts."""
    return sum(_queue_next(t, delay=datetime.timedelta(0)) for t in PERIODIC_TASKS)
