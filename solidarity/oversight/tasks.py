"""Periodic insider checks, run by `solidarity worker` (django-tasks' database backend).

Each queues its own next run when it finishes (``solidarity.lib.periodic``).
"""

from __future__ import annotations

import datetime

from django_tasks import task

from solidarity.cases import access
from solidarity.lib import periodic
from solidarity.oversight import alerts

# Expired grants are shredded within this long of their last day; unusual access is seen
# within this long of happening. Both are cheap queries.
PERIOD = datetime.timedelta(hours=1)


@task()
def expire_grants() -> int:
    """`solidarity grants expire`, every PERIOD."""
    try:
        return access.expire_grants()
    finally:
        periodic.queue_next(expire_grants, delay=PERIOD)


@task()
def scan_alerts() -> int:
    """`solidarity alerts scan`, every PERIOD."""
    try:
        return len(alerts.scan_alerts())
    finally:
        periodic.queue_next(scan_alerts, delay=PERIOD)


PERIODIC_TASKS = (expire_grants, scan_alerts)


def schedule_periodic_tasks() -> int:
    """Queue each periodic task to run now unless a run is already waiting; returns how many
    were queued. Called when a worker starts."""
    return periodic.schedule(PERIODIC_TASKS)
