"""Queue benchmark: the coordinators' queue page and its filters over a million sealed cases.

    .venv/bin/python bench/queue_page.py [--db sqlite,postgres] [--cases 1000000] [--requests 100]
        [--database-url postgresql://user:pw@host:port/postgres] [--keep DIR] [--json out.json]

For each database it runs a separate process (Django settings are per process) that:

1. migrates a fresh data directory (SQLite) or a fresh database (PostgreSQL: created next to
   ``--database-url`` or DATABASE_URL, which must name a role allowed to CREATE DATABASE,
   and dropped afterwards);
2. creates the organisation, a coordinator and 20 volunteers through the real services, and
   submits 8 real applications through intake, so every sealed blob is real ciphertext;
3. fills the cases table to ``--cases`` rows with ``bulk_create`` in batches of 10,000,
   reusing those 8 applications' sealed columns (the queue never opens them; only their size
   matters). About 30% of cases are assigned, each to a volunteer with a real access grant
   blob, and 1% carry an open screening flag. Received days span three years, in id order
   with the same day shared by ~900 cases. Applicant-key rows are not made: the queue never
   reads that table. The fill time is reported;
4. runs ANALYZE (VACUUM ANALYZE on PostgreSQL), signs a coordinator in through the real login (TOTP included) and requests
   each queue scenario ``--requests`` times after 5 warm-up requests, with Django's test
   client in-process: the whole Django stack (middleware, sessions, the counts, the template)
   but no HTTP server or network. Reports p50 and p95 in milliseconds.

The goal (issue 3) is p95 under 100 ms on both databases.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
BATCH = 10_000
SAMPLES = 8  # real applications whose sealed columns every row reuses
VOLUNTEERS = 20
ASSIGNED_SHARE = 0.30
FLAGGED_SHARE = 0.01
YEARS = 3
WARM_UP = 5

PROGRAMMES = [("security_forces", 60), ("workers", 25), ("repression", 15)]
STATUSES = [
    ("new", 40),
    ("in_review", 25),
    ("more_info", 10),
    ("verified", 15),
    ("rejected", 5),
    ("closed", 5),
]
FLAG_KINDS = ["abuser_match", "duplicate_identifier", "duplicate_story"]
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def _weighted(pairs, rng: random.Random) -> str:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def _code(n: int) -> str:
    """A unique case code for row ``n`` (real codes are random; uniqueness is what matters)."""
    chars = []
    for _ in range(12):
        n, digit = divmod(n, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[digit])
    text = "".join(reversed(chars))
    return "-".join(text[i : i + 4] for i in range(0, 12, 4))


# --- the worker: one database, one process -------------------------------------------------------


def _p95(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]


def _percentiles(samples: list[float], cpu: list[float]) -> dict:
    ordered, cpu = sorted(samples), sorted(cpu)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(_p95(ordered) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        # CPU time of this process alone: Django, and SQLite's own work (it runs in-process);
        # PostgreSQL's work is in its server process and counts only in the wall time.
        "cpu_p50_ms": round(statistics.median(cpu) * 1000, 1),
        "cpu_p95_ms": round(_p95(cpu) * 1000, 1),
        "load_average": round(os.getloadavg()[0], 1),
    }


def _fill(cases: int, log) -> dict:
    from django.db import connection, transaction

    from solidarity.accounts.models import User
    from solidarity.cases.models import Case
    from solidarity.screening.models import CaseFlag
    from solidarity.testing.factories import make_application, make_org, make_staff
    from solidarity.vault import core, keyring
    from solidarity.vault.models import AccessGrant

    rng = random.Random(20201)
    started = time.perf_counter()
    make_org("Queue bench fund")
    coordinator = make_staff(role=User.Role.COORDINATOR, username="coordinator")
    volunteers = [
        make_staff(role=User.Role.VOLUNTEER, username=f"volunteer{i:02d}").user
        for i in range(VOLUNTEERS)
    ]
    samples = [Case.objects.get(code=make_application().case_code) for _ in range(SAMPLES)]
    coordinator_key = keyring.unlock_staff_key(coordinator.user, coordinator.passphrase)
    intake_key = keyring.open_intake_key(coordinator.user, coordinator_key)
    grant_blobs = {}
    for volunteer in volunteers:
        case_key = keyring.open_case_key_with_intake(samples[0], intake_key)
        sealed = core.grant_case_key(case_key, keyring.staff_public_key(volunteer))
        grant_blobs[volunteer.pk] = sealed
    blobs = [
        (
            bytes(s.case_public_key),
            bytes(s.case_key_for_intake_sealed),
            bytes(s.answers_sealed),
        )
        for s in samples
    ]
    Case.objects.filter(pk__in=[s.pk for s in samples]).delete()
    setup_seconds = time.perf_counter() - started

    start_day = datetime.date.today() - datetime.timedelta(days=365 * YEARS)
    days = 365 * YEARS
    fill_started = time.perf_counter()
    made = 0
    while made < cases:
        size = min(BATCH, cases - made)
        rows = []
        for n in range(made, made + size):
            public_key, intake_sealed, answers = blobs[n % SAMPLES]
            assignee = None
            if rng.random() < ASSIGNED_SHARE:
                assignee = volunteers[rng.randrange(VOLUNTEERS)]
            rows.append(
                Case(
                    code=_code(n + 1_000_003),
                    programme=_weighted(PROGRAMMES, rng),
                    status=_weighted(STATUSES, rng),
                    received_on=start_day + datetime.timedelta(days=n * days // cases),
                    language=rng.choice(("be", "ru", "en")),
                    assignee=assignee,
                    case_public_key=public_key,
                    case_key_for_intake_sealed=intake_sealed,
                    case_key_for_receipt_locked=b"",
                    answers_sealed=answers,
                )
            )
        with transaction.atomic():
            created = Case.objects.bulk_create(rows, batch_size=2000)
            if connection.vendor == "sqlite":
                # SQLite's bulk_create returns no ids; the batch is the newest rows.
                ids = list(Case.objects.order_by("-id").values_list("id", "assignee_id")[:size])
            else:
                ids = [(c.pk, c.assignee_id) for c in created]
            today = datetime.date.today()
            AccessGrant.objects.bulk_create(
                [
                    AccessGrant(
                        case_id=case_id,
                        user_id=assignee_id,
                        case_key_for_grantee_sealed=grant_blobs[assignee_id],
                        granted_on=today,
                    )
                    for case_id, assignee_id in ids
                    if assignee_id
                ],
                batch_size=2000,
            )
            CaseFlag.objects.bulk_create(
                [
                    CaseFlag(
                        case_id=case_id,
                        kind=rng.choice(FLAG_KINDS),
                        reason="story",
                        explanation="bench",
                        fingerprint=f"bench-{case_id}",
                        created_on=today,
                    )
                    for case_id, _assignee in ids
                    if rng.random() < FLAGGED_SHARE
                ],
                batch_size=2000,
            )
        made += size
        if made % 100_000 == 0 or made == cases:
            log(f"  {made:>9,} cases, {time.perf_counter() - fill_started:6.1f} s")
    fill_seconds = time.perf_counter() - fill_started
    analyse_started = time.perf_counter()
    with connection.cursor() as cursor:
        # VACUUM as well on PostgreSQL: otherwise autovacuum visits the fresh million rows in
        # the middle of the measurements (and index-only scans need the visibility map).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {
        "setup_seconds": round(setup_seconds, 1),
        "fill_seconds": round(fill_seconds, 1),
        "analyse_seconds": round(time.perf_counter() - analyse_started, 1),
        "rows_per_second": round(cases / fill_seconds),
        "coordinator": coordinator,
        "volunteer": volunteers[0],
    }


def _scenarios(volunteer_id: int) -> list[tuple[str, dict]]:
    from solidarity.cases.models import Case

    total = Case.objects.count()
    middle = Case.objects.order_by("id").values("id", "received_on")[total // 2]
    cursor = f"{middle['received_on'].isoformat()}.{middle['id']}"
    mid_day = middle["received_on"]
    window = (mid_day - datetime.timedelta(days=30), mid_day)
    return [
        ("first page, no filter", {}),
        ("programme", {"programme": "workers"}),
        ("status", {"status": "more_info"}),
        ("programme + status", {"programme": "security_forces", "status": "in_review"}),
        ("assignee", {"assignee": str(volunteer_id)}),
        ("not assigned", {"assignee": "none"}),
        ("open flag", {"flag": "duplicate_story"}),
        (
            "received in a 30-day window",
            {
                "received_after": window[0].isoformat(),
                "received_before": window[1].isoformat(),
            },
        ),
        ("received before a day", {"received_before": mid_day.isoformat()}),
        ("page in the middle (keyset)", {"cursor": cursor}),
        ("status, page in the middle", {"status": "new", "cursor": cursor}),
        ("flag + status", {"flag": "abuser_match", "status": "new"}),
    ]


def _measure(client, url: str, params: dict, requests: int) -> dict:
    for _ in range(WARM_UP):
        assert client.get(url, params).status_code == 200
    samples, cpu = [], []
    for _ in range(requests):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url, params)
        samples.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        assert response.status_code == 200, response.status_code
    return _percentiles(samples, cpu)


def _line(figures: dict) -> str:
    return (
        f"p50 {figures['p50_ms']:7.1f} ms  p95 {figures['p95_ms']:7.1f} ms  "
        f"(CPU p50 {figures['cpu_p50_ms']:5.1f}, p95 {figures['cpu_p95_ms']:5.1f}; "
        f"load {figures['load_average']})"
    )


def worker(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from solidarity.testing.factories import DEFAULT_PASSPHRASE, Staff, log_in

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log(f"[{args.db}] migrating")
    call_command("migrate", verbosity=0)
    log(f"[{args.db}] filling {args.cases:,} cases")
    filled = _fill(args.cases, log)
    coordinator: Staff = filled.pop("coordinator")
    volunteer_user = filled.pop("volunteer")
    client = Client()
    assert log_in(client, coordinator).status_code == 302
    results = []
    for name, params in _scenarios(volunteer_user.pk):
        figures = _measure(client, reverse("staff:queue"), params, args.requests)
        log(f"[{args.db}] {name:34} {_line(figures)}")
        results.append({"scenario": name, "params": params, **figures})
    # The volunteers' own queue
    volunteer = Staff(volunteer_user, volunteer_user.totpdevice_set.get(), DEFAULT_PASSPHRASE)
    mine = Client()
    assert log_in(mine, volunteer).status_code == 302
    figures = _measure(mine, reverse("staff:my_cases"), {}, args.requests)
    log(f"[{args.db}] {'volunteer: my cases':34} {_line(figures)}")
    results.append({"scenario": "volunteer: my cases", "params": {}, **figures})
    print(
        json.dumps(
            {
                "db": args.db,
                "server": connection.vendor
                + " "
                + (
                    ".".join(map(str, connection.Database.sqlite_version_info))
                    if connection.vendor == "sqlite"
                    else str(connection.pg_version)
                ),
                "cases": args.cases,
                **filled,
                "requests_per_scenario": args.requests,
                "results": results,
            }
        )
    )


# --- the driver ----------------------------------------------------------------------------------


def _create_database(admin_url: str) -> str:
    import psycopg
    from psycopg import sql

    parts = urlsplit(admin_url)
    name = f"solidarity_queue_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return urlunsplit(parts._replace(path="/" + quote(name)))


def _drop_database(admin_url: str, url: str) -> None:
    import psycopg
    from psycopg import sql

    name = unquote(urlsplit(url).path.lstrip("/"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} CPUs{memory}, {platform.system()} {platform.release()}"


def run_one(db: str, args) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"queue-bench-{db}-"))
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="solidarity.settings",
        SOLIDARITY_DATA_DIR=str(data_dir),
        # Staff logins in setup only; the queue itself derives no keys.
        SOLIDARITY_KDF="fast-insecure-for-tests",
        ALLOWED_HOSTS="testserver",
        PYTHONPATH=str(REPO),
    )
    env.pop("DATABASE_URL", None)
    admin_url = url = None
    if db == "postgres":
        admin_url = args.database_url or os.environ.get("DATABASE_URL")
        if not admin_url:
            raise SystemExit("--db postgres needs --database-url or DATABASE_URL")
        url = _create_database(admin_url)
        env["DATABASE_URL"] = url
    try:
        result = subprocess.run(  # our own script, arguments from this driver
            [
                sys.executable,
                "-m",
                "bench.queue_page",
                "--worker",
                "--db",
                db,
                "--cases",
                str(args.cases),
                "--requests",
                str(args.requests),
            ],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        return json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        if args.keep:
            print(f"[{db}] kept data directory {data_dir}" + (f" and {url}" if url else ""))
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
            if url:
                _drop_database(admin_url, url)


def report(runs: list[dict]) -> str:
    scenarios = [r["scenario"] for r in runs[0]["results"]]
    head = "| scenario | " + " | ".join(
        f"{r['db']} wall p50 / p95 | {r['db']} CPU p50 / p95" for r in runs
    )
    lines = [head + " |", "|" + " --- |" * (2 * len(runs) + 1)]
    for i, name in enumerate(scenarios):
        cells = []
        for run in runs:
            row = run["results"][i]
            cells.append(f"{row['p50_ms']} / {row['p95_ms']}")
            cells.append(f"{row['cpu_p50_ms']} / {row['cpu_p95_ms']}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", action="store_true", help="keep the filled databases")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    runs = []
    for db in args.db.split(","):
        runs.append(run_one(db.strip(), args))
    print(f"\n{datetime.date.today().isoformat()} · {_machine()}")
    for run in runs:
        print(
            f"{run['db']} ({run['server']}): {run['cases']:,} cases filled in "
            f"{run['fill_seconds']} s ({run['rows_per_second']:,} rows/s), "
            f"ANALYZE {run['analyse_seconds']} s"
        )
    print(report(runs))
    if args.json:
        args.json.write_text(json.dumps({"machine": _machine(), "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
