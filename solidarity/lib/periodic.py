"""Periodic tasks on django-tasks, which has no scheduler of its own.

Each periodic task queues its own next run (``run_after`` one period later) when it
finishes, and `solidarity worker` queues any that are missing when it starts. At most one
run per task waits at a time; several workers starting together may race to queue a second,
which is harmless because every periodic task is idempotent.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone
from django_tasks_db.models import DBTaskResult


def queue_next(periodic_task, *, delay: datetime.timedelta) -> bool:
    """Queue ``periodic_task`` to run after ``delay`` unless a run is already waiting."""
    waiting = DBTaskResult.objects.filter(
        task_path=periodic_task.module_path, status="READY"
    ).exists()
    if waiting:
        return False
    periodic_task.using(run_after=timezone.now() + delay).enqueue()
    return True


def schedule(periodic_tasks: Iterable) -> int:
    """Queue each task to run now unless a run is already waiting; returns how many were
    queued."""
    return sum(queue_next(t, delay=datetime.timedelta(0)) for t in periodic_tasks)
