from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run background tasks from the database queue (django-tasks-db's db_worker). "
        "Run several on several machines against one PostgreSQL; each takes tasks with "
        "SKIP LOCKED. Also runs the hourly checks: shredding expired access grants and "
        "scanning the audit log for unusual access."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--batch", action="store_true", help="Run what is queued now, then exit."
        )
        parser.add_argument("--queue-name", default="*", help="Queues to serve ('*' for all).")

    def handle(self, *args, batch: bool, queue_name: str, **options) -> None:
        # django-tasks has no scheduler: periodic tasks queue their own next run, and a
        # starting worker queues those that are missing (issue 8: grant expiry, alerts, and
        # the daily donor purge).
        from solidarity.ledger import tasks as ledger_tasks
        from solidarity.oversight import tasks as oversight_tasks

        oversight_tasks.schedule_periodic_tasks()
        ledger_tasks.schedule_periodic_tasks()
        call_command(
            "db_worker",
            queue_name=queue_name,
            batch=batch,
            reload=False,  # never in production: a reload can cut a task short
            verbosity=options["verbosity"],
        )
