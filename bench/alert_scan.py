"""Alert scan benchmark: `solidarity alerts scan` over a long audit log.

    .venv/bin/python bench/alert_scan.py [--events 1000000] [--day 20000] [--database-url URL]

Runs in this process against a fresh SQLite data directory (or, with --database-url, a
fresh PostgreSQL database created next to it and dropped afterwards). It makes 170
volunteers (the size of the 2020 team) through the real enrolment, then fills the audit
log with ``--events`` rows spread over the past year and ``--day`` rows in the last 24
hours (case views, refusals, failed unlocks), with ``bulk_create`` (the hash chain is not
valid, and the scan does not read it). Then it times `scan_alerts()`: it reports the first scan (which raises the alerts) and the median of five rescans (the
hourly steady state, nothing new to raise) in milliseconds. The scan runs hourly in the worker.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
BATCH = 10_000
VOLUNTEERS = 170


def _setup(database_url: str | None) -> str | None:
    os.environ.setdefault("SOLIDARITY_KDF", "fast-insecure-for-tests")
    os.environ["SOLIDARITY_DATA_DIR"] = tempfile.mkdtemp(prefix="alert-bench-")
    created = None
    if database_url:
        import psycopg

        name = f"alert_bench_{os.getpid()}"
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created = urlunsplit(urlsplit(database_url)._replace(path="/" + name))
        os.environ["DATABASE_URL"] = created
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidarity.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return created


def _fill(events: int, day: int) -> None:
    from django.utils import timezone

    from solidarity.accounts.models import User
    from solidarity.audit.models import AuditEvent
    from solidarity.testing.factories import make_org, make_staff

    make_org()
    users = [make_staff(role=User.Role.VOLUNTEER).user for _ in range(VOLUNTEERS)]
    rng = random.Random(8)
    now = timezone.now()
    year = datetime.timedelta(days=365).total_seconds()

    def rows(count: int, start: float, span: float):
        for i in range(count):
            user = rng.choice(users)
            kind = rng.random()
            # Mostly case views; a refusal or a failed unlock is rare in a working team.
            if kind < 0.997:
                action, subject = "case.viewed", f"CASE-{rng.randrange(200_000):06d}"
            elif kind < 0.999:
                action, subject = "case.access_denied", f"CASE-{rng.randrange(200_000):06d}"
            else:
                action, subject = "staff.unlock_failed", user.username
            at = now - datetime.timedelta(seconds=start - span * i / count)
            yield AuditEvent(
                at=at,
                actor=None if action == "staff.unlock_failed" else user,
                actor_name=user.username,
                action=action,
                subject=subject,
                details={},
                prev_hash="0" * 64,
                hash=f"{rng.getrandbits(256):064x}",
            )

    began = time.perf_counter()
    batch = []
    # Older history first, then the last day, so ids follow time as in the real log.
    for row in [*rows(events, year, year - 86_400), *rows(day, 86_000, 86_000)]:
        batch.append(row)
        if len(batch) == BATCH:
            AuditEvent.objects.bulk_create(batch)
            batch = []
    AuditEvent.objects.bulk_create(batch)
    print(f"filled {events + day} audit rows in {time.perf_counter() - began:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--day", type=int, default=20_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    created = _setup(args.database_url)
    try:
        from django.db import connection

        _fill(args.events, args.day)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        from solidarity.oversight import alerts

        began = time.perf_counter()
        raised = alerts.scan_alerts()
        first = (time.perf_counter() - began) * 1000
        times = []
        for _ in range(5):
            began = time.perf_counter()
            alerts.scan_alerts()
            times.append((time.perf_counter() - began) * 1000)
        print(
            f"{connection.vendor}: {args.events + args.day} audit rows, {args.day} in the "
            f"window: first scan {first:.0f} ms ({len(raised)} alerts raised), "
            f"hourly rescan median {statistics.median(times):.0f} ms"
        )
    finally:
        if created:
            from django.db import connections

            connections.close_all()
            import psycopg

            name = urlsplit(created).path.lstrip("/")
            with psycopg.connect(args.database_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
