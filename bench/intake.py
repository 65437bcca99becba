"""Intake load benchmark: complete applications against `solidarity serve`, sealed and plaintext.

    .venv/bin/python bench/intake.py [--db sqlite|postgres] [--seconds 20] [--concurrency 16]
        [--attachment-share 0.2] [--workers 4] [--threads 4] [--repeat 3]
        [--per-connection 1] [--nice -15] [--json out.json]

For each configuration (``--workers``, ``--threads`` and ``--concurrency`` take comma lists to
sweep) it runs two loads, each against a fresh server process on a fresh data directory (and
on PostgreSQL a fresh database): the real ``/apply/`` (sealed) and the bench-only
``/bench-baseline/apply/`` (bench/baseline: the same form, stored in plaintext). Both servers
run with ``DJANGO_SETTINGS_MODULE=bench.settings``, so the view is the only difference. The
servers import a copy of solidarity/ taken when the run starts (``--snapshot``, the default):
other people edit the tree while a sweep runs.

The client is one asyncio process with raw HTTP/1.1 keep-alive connections and bodies built
before the clock starts; ``--per-connection 1`` reconnects for every submission instead, as
applicants do (see docs/benchmarks.md for why that matters with gunicorn's gthread workers).
After each load every issued receipt is opened in a separate process (bench/verify.py) and
compared with what was sent: that is the "lost" column.

Reported per load: accepted submissions per second (status 200 with a receipt) in the window
after ``--warmup``, p50/p99 latency, errors, lost, and the CPU used per accepted submission by
the server, the database (PostgreSQL on this machine) and the client, and by everything else
on the machine ("other"): on a shared machine that tells a slow load from a disturbed one.

PostgreSQL: ``--database-url`` or DATABASE_URL names a role that may CREATE DATABASE; each
load gets its own database, dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import io
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Where servers and the verifier import the code from: REPO, or a frozen copy (--snapshot).
SOURCE = {"root": REPO}
SEALED_PATH = "/apply/"
BASELINE_PATH = "/bench-baseline/apply/"
BOUNDARY = "----SolidarityBench7MA4YWxkTrZu0gW"
CODE_RE = re.compile(rb'<code id="case-code"[^>]*>([^<]+)</code>')
PHRASE_RE = re.compile(rb'<code id="passphrase"[^>]*>([^<]+)</code>')
TOKEN_RE = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
COOKIE_RE = re.compile(rb"csrftoken=([^;\s]+)", re.IGNORECASE)
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- what we send --------------------------------------------------------------------------

SITUATIONS = {
    "security_forces": ["quit", "want_to_quit", "fired"],
    "workers": ["fired", "strike"],
    "repression": ["repressed"],
}
NEEDS = ["money", "legal", "retraining", "job", "relocation"]
# Words for stories: Latin and Cyrillic, so the server handles real UTF-8.
WORDS = (
    "factory shift union strike wages manager contract penalty district court fine "
    "savings rent children mother transfer letter order dismissal service unit ministry "
    "завод змена прафсаюз забастоўка заробак кантракт штраф суд арэнда дзеці маці "
    "звальненне служба загад ліст пераезд работа грошы дапамога сям'я"
).split()


def noise_jpeg(target_bytes: int = 200 * 1024) -> bytes:
    """A photo-sized JPEG of random pixels: random data does not compress away."""
    from PIL import Image

    rng = random.Random(20240601)
    side = 512  # 512x512 at quality 85 is ~199 KiB; grow until we reach the target
    while True:
        image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85)
        if out.tell() >= target_bytes * 0.97:
            return out.getvalue()
        side += 8


def _part(name: str, value: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
    ).encode()


def _file_part(name: str, filename: str, data: bytes) -> list[bytes]:
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {'image/jpeg' if data else 'application/octet-stream'}\r\n\r\n"
    ).encode()
    return [head, data, b"\r\n"] if data else [head + b"\r\n"]


@dataclasses.dataclass
class Submission:
    index: int
    parts: list[bytes]  # body after the per-client csrf part; the JPEG is shared, not copied
    length: int
    expected: dict  # the answers the server should seal, as ApplicationForm.answers() gives them
    files: int


def build_submission(
    index: int, run_tag: str, rng: random.Random, jpeg: bytes | None
) -> Submission:
    programme = rng.choice(list(SITUATIONS))
    situation = f"{programme}:{rng.choice(SITUATIONS[programme])}"
    words = " ".join(rng.choices(WORDS, k=rng.randint(120, 220)))
    story = f"Submission {run_tag}-{index}. {words}."
    contact_kind = rng.choice(["telegram", "signal"])
    handle = (
        f"bench_{index:07d}"
        if contact_kind == "telegram"
        else f"+375 29 {rng.randint(1000000, 9999999)}"
    )
    cents = lambda: f"{rng.randint(0, 2_500_000) / 100:.2f}"  # noqa: E731
    fields = {
        "programme": programme,
        "situation": situation,
        "employer": f"Unit {rng.randint(1, 9999)}, {rng.choice(WORDS)} department",
        "role": rng.choice(["sergeant", "лейтэнант", "operator", "welder", "driver"]),
        "service_number": f"AB{index:07d}",
        "since": f"{rng.randint(2020, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "debt_contract": cents(),
        "debt_contract_currency": rng.choice(["BYN", "USD", "EUR"]),
        "debt_loans": cents(),
        "debt_loans_currency": rng.choice(["BYN", "USD", "EUR"]),
        "debt_other": cents(),
        "debt_other_currency": rng.choice(["BYN", "USD", "EUR"]),
        "income_lost": cents(),
        "income_lost_currency": rng.choice(["BYN", "USD", "EUR"]),
        "dependants": str(rng.randint(0, 6)),
        "skills": "Driving licence C, welding, " + " ".join(rng.choices(WORDS, k=12)),
        "languages": "беларуская, русский, English",
        "contact_kind": contact_kind,
        "contact_handle": handle,
        "story": story,
    }
    needs = sorted(rng.sample(NEEDS, rng.randint(1, len(NEEDS))), key=NEEDS.index)
    text = b"".join(_part(k, v) for k, v in fields.items())
    text += b"".join(_part("needs", n) for n in needs)
    text += _part("website", "")
    parts = [text]
    parts += _file_part("proof_files", "photo.jpg" if jpeg else "", jpeg or b"")
    parts += _file_part("papers_files", "", b"")
    parts += _file_part("video_file", "", b"")
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    expected = dict(fields)
    expected["dependants"] = int(fields["dependants"])
    expected["needs"] = needs
    return Submission(index, parts, sum(len(p) for p in parts), expected, 1 if jpeg else 0)


class Pool:
    """Submissions built before the clock starts; more are built on the fly if a run needs them."""

    def __init__(self, size: int, share: float, seed: int) -> None:
        self.rng = random.Random(seed)
        self.share = share
        self.jpeg = noise_jpeg()
        self.tag = secrets.token_hex(4)
        self.items = [self._build(i) for i in range(size)]
        self.built_late = 0

    def _build(self, index: int) -> Submission:
        # Deterministic share: exactly round(share * n) of the first n carry the photo.
        with_file = int((index + 1) * self.share) > int(index * self.share)
        return build_submission(index, self.tag, self.rng, self.jpeg if with_file else None)

    def get(self, index: int) -> Submission:
        while index >= len(self.items):
            self.items.append(self._build(len(self.items)))
            self.built_late += 1
        return self.items[index]


# --- the client ----------------------------------------------------------------------------


class HTTPError(Exception):
    pass


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[bytes, bytes], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        if b":" in line:
            key, _, value = line.partition(b":")
            key = key.strip().lower()
            value = value.strip()
            headers[key] = headers[key] + b", " + value if key in headers else value
    if b"content-length" in headers:
        body = await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunks.append(await reader.readexactly(size + 2))
            if size == 0:
                # Trailers, if any, end with an empty line.
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                break
        body = b"".join(c[:-2] for c in chunks)
    else:
        body = await reader.read()
        headers[b"connection"] = b"close"
    return status, headers, body


@dataclasses.dataclass
class Sample:
    done: float  # perf_counter when the response was complete
    latency: float
    ok: bool
    error: str = ""


@dataclasses.dataclass
class LoadResult:
    samples: list[Sample]
    receipts: list[dict]
    window: tuple[float, float]
    errors_outside_window: int
    reconnects: int
    abandoned: int
    client_cpu: float
    server_cpu: float
    db_cpu: float
    machine_busy: float  # CPU-seconds used by everything on the machine in the window
    window_seconds: float
    error_examples: list[str]


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        # A numeric address and our own socket: no resolver thread per connection.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await asyncio.get_running_loop().sock_connect(sock, (self.host, self.port))
        except BaseException:
            sock.close()
            raise
        self.reader, self.writer = await asyncio.open_connection(sock=sock)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, head: bytes, body: list[bytes]) -> tuple[int, dict, bytes]:
        if self.writer is None:
            await self.open()
        assert self.writer is not None
        assert self.reader is not None
        self.writer.writelines([head, *body])
        await self.writer.drain()
        status, headers, payload = await read_response(self.reader)
        if headers.get(b"connection", b"").lower() == b"close":
            self.close()
        return status, headers, payload


async def fetch_csrf(conn: Connection, host_header: str) -> tuple[str, bytes]:
    head = f"GET /apply/ HTTP/1.1\r\nHost: {host_header}\r\nAccept: text/html\r\n\r\n".encode()
    status, headers, body = await conn.request(head, [])
    cookie = COOKIE_RE.search(headers.get(b"set-cookie", b""))
    token = TOKEN_RE.search(body)
    if status != 200 or not cookie or not token:
        raise HTTPError(f"GET /apply/ gave {status} without a CSRF cookie and token")
    return cookie.group(1).decode(), token.group(1)


def _proc_cpu(pids) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def _session_pids(sid: int) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[3]) == sid:  # field 6 of stat: session id
                    pids.append(int(entry.name))
    return pids


def _db_pids(db_name: str | None) -> list[int]:
    if not db_name:
        return []
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                cmd = Path(f"/proc/{entry.name}/cmdline").read_bytes()
                if not cmd.startswith(b"postgres:"):
                    continue
                # Our database's backends, and the cluster's own writers (WAL, checkpoints).
                background = b"(" not in cmd and b"[local]" not in cmd
                if background or f" {db_name} ".encode() in cmd:
                    pids.append(int(entry.name))
    return pids


def _machine_busy() -> float:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


async def run_load(
    *,
    port: int,
    path: str,
    pool: Pool,
    concurrency: int,
    warmup: float,
    seconds: float,
    server_sid: int,
    db_name: str | None,
    per_connection: int = 0,
) -> LoadResult:
    host_header = f"127.0.0.1:{port}"
    samples: list[Sample] = []
    receipts: list[dict] = []
    error_examples: list[str] = []
    counters = {"next": 0, "reconnects": 0, "abandoned": 0}
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    window_start, window_end = start + warmup, start + warmup + seconds
    stop_at = window_end
    cpu_marks: dict[str, tuple] = {}

    async def mark(name: str, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_marks[name] = (
            time.perf_counter(),
            usage.ru_utime + usage.ru_stime,
            _proc_cpu(_session_pids(server_sid)),
            _proc_cpu(_db_pids(db_name)),
            _machine_busy(),
        )

    async def client(number: int) -> None:
        conn = Connection("127.0.0.1", port)
        try:
            cookie, token = await fetch_csrf(conn, host_header)
        except (OSError, asyncio.IncompleteReadError, HTTPError, ValueError) as exc:
            samples.append(Sample(time.perf_counter(), 0.0, False, f"csrf: {exc!r}"))
            return
        csrf_part = _part("csrfmiddlewaretoken", token.decode())
        sent = 0
        while time.perf_counter() < stop_at:
            if per_connection and sent and sent % per_connection == 0:
                conn.close()  # the next request opens a new connection, inside its latency
            sent += 1
            index = counters["next"]
            counters["next"] += 1
            sub = pool.get(index)
            head = (
                f"POST {path} HTTP/1.1\r\nHost: {host_header}\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                f"Content-Length: {len(csrf_part) + sub.length}\r\n"
                f"Cookie: csrftoken={cookie}\r\nAccept: text/html\r\n\r\n"
            ).encode()
            began = time.perf_counter()
            try:
                status, _headers, body = await conn.request(head, [csrf_part, *sub.parts])
            except (
                OSError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                ValueError,
            ) as exc:
                conn.close()
                counters["reconnects"] += 1
                samples.append(Sample(time.perf_counter(), 0.0, False, type(exc).__name__))
                await asyncio.sleep(0.05)
                continue
            done = time.perf_counter()
            code, phrase = CODE_RE.search(body), PHRASE_RE.search(body)
            if status == 200 and code and phrase:
                samples.append(Sample(done, done - began, True))
                receipts.append(
                    {
                        "code": code.group(1).decode(),
                        "passphrase": phrase.group(1).decode(),
                        "index": index,
                    }
                )
            else:
                samples.append(Sample(done, done - began, False, f"status {status}"))
                if len(error_examples) < 5:
                    error_examples.append(f"{status}: {body[:300]!r}")
        conn.close()

    tasks = [loop.create_task(client(n)) for n in range(concurrency)]
    await asyncio.gather(mark("start", window_start), mark("end", window_end))
    # Let requests in flight finish: each may have created a case, and its receipt counts.
    _done, pending = await asyncio.wait(tasks, timeout=60)
    for task in pending:
        counters["abandoned"] += 1
        task.cancel()
    (t0, c0, s0, d0, m0), (t1, c1, s1, d1, m1) = cpu_marks["start"], cpu_marks["end"]
    in_window = [s for s in samples if window_start <= s.done < window_end]
    return LoadResult(
        samples=in_window,
        receipts=receipts,
        window=(window_start, window_end),
        errors_outside_window=sum(1 for s in samples if not s.ok)
        - sum(1 for s in in_window if not s.ok),
        reconnects=counters["reconnects"],
        abandoned=counters["abandoned"],
        client_cpu=c1 - c0,
        server_cpu=s1 - s0,
        db_cpu=d1 - d0,
        machine_busy=m1 - m0,
        window_seconds=t1 - t0,
        error_examples=error_examples,
    )


# --- servers and databases -----------------------------------------------------------------


def snapshot(target: Path) -> Path:
    """Freeze the working tree: other people edit it while a sweep runs for many minutes."""
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "tests", "e2e", "node_modules")
    for name in ("solidarity", "bench"):
        shutil.copytree(REPO / name, target / name, ignore=skip)
    return target


def git_state() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip()

    changed = len(git("status", "--porcelain").splitlines())
    return f"{git('rev-parse', '--short', 'HEAD')} + {changed} changed or untracked paths"


def wait_quiet(limit_cores: float, max_wait: float) -> float:
    """Wait until the rest of the machine uses less than ``limit_cores`` (other people run test
    suites on it); give up after ``max_wait`` seconds. Returns the last measured load."""
    deadline = time.monotonic() + max_wait
    while True:
        before = _machine_busy()
        time.sleep(3)
        busy = (_machine_busy() - before) / 3
        if busy < limit_cores or time.monotonic() >= deadline:
            return busy
        print(f"  waiting for a quiet machine: others use {busy:.2f} cores", flush=True)


def set_group_nice(pid: int, nice: int) -> None:
    """Weight the CPU share of the scheduler autogroup (session) of ``pid``.

    With autogroups (Debian's default), each session competes as one unit and a process's own
    nice value only matters inside its session; on a machine where other people's test suites
    run, the server's session and the client's need the group weight to get the cores.
    """
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SETTINGS = {"module": "bench.settings"}


def base_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("SOLIDARITY_KDF", "DATABASE_URL", "SOLIDARITY_DEBUG", "GUNICORN_CMD_ARGS"):
        env.pop(name, None)  # production KDF, no debug; only our database
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": SETTINGS["module"],
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(SOURCE["root"]), os.environ.get("PYTHONPATH")])
            ),
            "SOLIDARITY_DATA_DIR": str(data_dir),
            "SOLIDARITY_APPLY_RATE_PER_HOUR": "0",
        }
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def solidarity(env: dict[str, str], *args: str, log: Path) -> None:
    with open(log, "ab") as out:
        done = subprocess.run(
            [PYTHON, "-m", "solidarity", *args],
            env=env,
            cwd=SOURCE["root"],
            check=False,
            stdout=out,
            stderr=out,
        )
    if done.returncode:
        print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
        done.check_returncode()


class Database:
    """A fresh SQLite data directory, or a fresh PostgreSQL database, per load; both are
    copied from a template migrated once (with the organisation created) to save time."""

    def __init__(self, kind: str, admin_url: str | None, workdir: Path) -> None:
        self.kind, self.admin_url, self.workdir = kind, admin_url, workdir
        self.template_dir = workdir / "template"
        self.template_db = f"bench_tmpl_{secrets.token_hex(4)}" if kind == "postgres" else None
        self.created: list[str] = []

    def url_for(self, name: str) -> str:
        assert self.admin_url
        return urlunparse(urlparse(self.admin_url)._replace(path=f"/{name}"))

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def prepare(self) -> None:
        self.template_dir.mkdir(mode=0o700)
        url = None
        if self.kind == "postgres":
            self._admin(f'CREATE DATABASE "{self.template_db}"')
            self.created.append(self.template_db)
            url = self.url_for(self.template_db)
        env = base_env(self.template_dir, url)
        log = self.workdir / "setup.log"
        solidarity(env, "migrate", "--no-input", log=log)
        solidarity(
            env,
            "shell",
            "-c",
            "from solidarity.vault import keyring; keyring.create_organisation('Bench')",
            log=log,
        )

    def fresh(self, label: str) -> tuple[Path, str | None, str | None]:
        data_dir = self.workdir / label
        shutil.copytree(self.template_dir, data_dir)
        if self.kind == "sqlite":
            return data_dir, None, None
        name = f"bench_{label.replace('-', '_')}_{secrets.token_hex(3)}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template_db}"')
        self.created.append(name)
        return data_dir, self.url_for(name), name

    def postmaster(self) -> int | None:
        """The PostgreSQL server's pid, from its socket lock file (same machine only)."""
        if self.kind != "postgres":
            return None
        port = urlparse(self.admin_url).port or 5432
        with contextlib.suppress(OSError, ValueError, IndexError):
            lock = Path(f"/var/run/postgresql/.s.PGSQL.{port}.lock").read_text()
            return int(lock.split()[0])
        return None

    def drop(self, name: str | None) -> None:
        if name and name in self.created:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.created.remove(name)

    def drop_all(self) -> None:
        for name in list(self.created):
            with contextlib.suppress(Exception):
                self.drop(name)


class Server:
    def __init__(self, env: dict[str, str], workers: int, threads: int, log: Path) -> None:
        self.port = free_port()
        self.log = open(log, "ab")  # noqa: SIM115
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)]
        if threads:
            args += ["--threads", str(threads)]
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "solidarity", *args],
            env=env,
            cwd=SOURCE["root"],
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,  # its own session: we measure and stop exactly its processes
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.proc.returncode}; see {self.log.name}"
                )
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 1),
            ):
                return
            time.sleep(0.2)
        raise RuntimeError("server did not start listening")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


# --- one load, a sweep, the report ------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_one(
    db: Database, pool: Pool, args, kind: str, workers: int, threads: int, conc: int
) -> dict:
    label = f"{kind}-w{workers}-t{threads}-c{conc}-{secrets.token_hex(2)}"
    data_dir, url, db_name = db.fresh(label)
    env = base_env(data_dir, url)
    log = db.workdir / f"{label}.log"
    quiet = wait_quiet(args.quiet_cores, args.quiet_wait) if args.quiet_wait else float("nan")
    server = Server(env, workers, threads, log)
    spy = None
    try:
        server.wait_ready()
        if args.nice:
            set_group_nice(server.proc.pid, args.nice)
            set_group_nice(os.getpid(), args.nice)
            if args.nice_db and db.postmaster():
                set_group_nice(db.postmaster(), args.nice)
        if args.py_spy:
            spy = start_py_spy(args.py_spy, server.proc.pid, args, db.workdir / f"{label}.spy")
        # One GET per worker process so imports and templates are warm before the clock.
        result = asyncio.run(
            run_load(
                port=server.port,
                path=SEALED_PATH if kind == "sealed" else BASELINE_PATH,
                pool=pool,
                concurrency=conc,
                warmup=args.warmup,
                seconds=args.seconds,
                server_sid=server.proc.pid,
                db_name=db_name,
                per_connection=args.per_connection,
            )
        )
    finally:
        if args.nice:
            set_group_nice(os.getpid(), 0)
            if args.nice_db and db.postmaster():
                set_group_nice(db.postmaster(), 0)
        if spy is not None:
            spy.wait(args.warmup + args.seconds + 30)
        server.stop()
    if spy is not None:
        print(summarise_profile(db.workdir / f"{label}.spy"))
    verify = verify_receipts(
        env, kind, result.receipts, pool, db.workdir / f"{label}.receipts.json"
    )
    db.drop(db_name)
    if not args.keep:
        shutil.rmtree(data_dir, ignore_errors=True)
    ok = [s for s in result.samples if s.ok]
    errors = [s for s in result.samples if not s.ok]
    lat = [s.latency for s in ok]
    accepted = len(ok)
    row = {
        "kind": kind,
        "db": args.db,
        "workers": workers,
        "threads": threads,
        "concurrency": conc,
        "per_connection": args.per_connection,
        "accepted": accepted,
        "accepted_per_s": accepted / result.window_seconds,
        "p50_ms": pct(lat, 0.50) * 1000,
        "p99_ms": pct(lat, 0.99) * 1000,
        "mean_ms": statistics.fmean(lat) * 1000 if lat else float("nan"),
        "errors": len(errors) + result.errors_outside_window,
        "errors_in_window": len(errors),
        "error_kinds": sorted({e.error for e in errors}),
        "error_examples": result.error_examples,
        "reconnects": result.reconnects,
        "abandoned": result.abandoned,
        "receipts": len(result.receipts),
        "with_file": sum(1 for r in result.receipts if pool.get(r["index"]).files),
        "client_cpu_s": result.client_cpu,
        "server_cpu_s": result.server_cpu,
        "db_cpu_s": result.db_cpu,
        "machine_cpu_s": result.machine_busy,
        "other_cpu_s": result.machine_busy - result.client_cpu - result.server_cpu - result.db_cpu,
        "window_s": result.window_seconds,
        "server_ms_per_accepted": result.server_cpu / accepted * 1000 if accepted else float("nan"),
        "others_before_cores": quiet,
        **verify,
    }
    print(fmt_row(row), flush=True)
    if row.get("fields_not_sent"):
        print(f"  note: the form has fields this bench does not fill: {row['fields_not_sent']}")
    for problem in row.get("problems") or []:
        print(f"  lost: {problem}")
    return row


def start_py_spy(py_spy: str, pid: int, args, output: Path) -> subprocess.Popen:
    """Sample the server's processes for the whole load (profiled loads are not for figures)."""
    return subprocess.Popen(
        [py_spy, "record", "--pid", str(pid), "--subprocesses", "--rate", "97", "--nonblocking"]
        # --gil: only threads holding the GIL, i.e. running Python. Without it, threads waiting
        # to take the GIL back (after os.urandom, a socket write, a sqlite call) look busy.
        # C code that releases the GIL (Argon2id, fsync) is then not seen: bench/costs.py times it.
        + (["--gil"] if args.py_spy_gil else [])
        + ["--duration", str(int(args.warmup + args.seconds)), "--format", "raw"]
        + ["--output", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# Buckets for py-spy stacks: a stack goes to the first bucket with a pattern anywhere in it.
PROFILE_BUCKETS = [
    ("Argon2id receipt lock", ("crypto_pwhash",)),
    ("other libsodium", ("nacl/", "solidarity/vault/core.py")),
    ("intake public key SELECT", ("intake_public_key",)),
    ("JPEG decode/re-encode (Pillow)", ("PIL/", "sanitize.py")),
    ("fsync of files", ("store_file", "_store_plain")),
    ("DB (execute, commit)", ("django/db/", "sqlite3", "psycopg")),
    ("multipart parsing", ("multipartparser.py",)),
    ("form construction and validation", ("django/forms/", "intake/forms.py")),
    ("template render", ("django/template/",)),
    ("gunicorn (HTTP, threads, idle)", ("gunicorn/",)),
    ("other Django (middleware, handlers)", ("django/",)),
]


def summarise_profile(path: Path) -> str:
    """Shares of sampled time per bucket, from py-spy's raw (collapsed) output."""
    totals: dict[str, int] = {}
    leaves: dict[str, int] = {}
    all_samples = 0
    with contextlib.suppress(OSError):
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            frames = stack.split(";")
            # Idle threads sit in select/poll/wait/accept/sleep: count them apart.
            leaf = frames[-1]
            if any(w in leaf for w in ("select", "wait", "accept", "_worker (concurrent", "sleep")):
                bucket = "idle (waiting for work or a lock)"
            else:
                bucket = "other"
                for name, patterns in PROFILE_BUCKETS:
                    if any(p in f for f in reversed(frames) for p in patterns):
                        bucket = name
                        break
            totals[bucket] = totals.get(bucket, 0) + n
            all_samples += n
            if not bucket.startswith("idle"):
                leaves[leaf[:110]] = leaves.get(leaf[:110], 0) + n
    busy = all_samples - totals.get("idle (waiting for work or a lock)", 0)
    out = [f"py-spy: {all_samples} samples, {busy} busy; share of busy samples:"]
    for name, n in sorted(totals.items(), key=lambda kv: -kv[1]):
        if not name.startswith("idle"):
            out.append(f"  {n / busy:6.1%}  {name}")
    out.append("innermost functions (self time), top 12:")
    for frame, n in sorted(leaves.items(), key=lambda kv: -kv[1])[:12]:
        out.append(f"  {n / busy:6.1%}  {frame}")
    return "\n".join(out)


def verify_receipts(env, kind: str, receipts: list[dict], pool: Pool, path: Path) -> dict:
    payload = [
        {**r, "expected": pool.get(r["index"]).expected, "files": pool.get(r["index"]).files}
        for r in receipts
    ]
    path.write_text(json.dumps({"kind": kind, "receipts": payload}), encoding="utf-8")
    env = {**env, "SOLIDARITY_STATUS_RATE_PER_HOUR": "0"}
    out = subprocess.run(
        [PYTHON, "-m", "bench.verify", str(path)],
        env=env,
        cwd=SOURCE["root"],
        capture_output=True,
        text=True,
        check=False,
    )
    path.unlink()
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        return {"lost": len(receipts), "verify_error": out.stderr[-2000:]}
    return json.loads(out.stdout)


def fmt_row(r: dict) -> str:
    return (
        f"{r['db']:8} {r['kind']:8} w={r['workers']} t={r['threads']} c={r['concurrency']:<3} "
        f"k={r['per_connection'] or 'all'} "
        f"{r['accepted_per_s']:7.1f}/s p50={r['p50_ms']:6.1f}ms p99={r['p99_ms']:6.1f}ms "
        f"errors={r['errors']} lost={r['lost']} receipts={r['receipts']} rows={r.get('rows')} "
        f"server={r['server_ms_per_accepted']:.2f}ms-cpu/req client={r['client_cpu_s'] / r['window_s']:.0%} "
        f"db={r['db_cpu_s'] / r['window_s']:.0%} other={r['other_cpu_s'] / r['window_s']:.0%}"
    )


def machine() -> dict:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError):
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    pg = "?"
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        pg = subprocess.run(
            ["psql", "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql_client": pg,
        "kernel": platform.release(),
        "loadavg_before": os.getloadavg(),
    }


def intlist(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per load")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds excluded first")
    parser.add_argument("--concurrency", type=intlist, default=[16], help="clients, e.g. 8,16,32")
    parser.add_argument("--workers", type=intlist, default=[4], help="server processes, e.g. 2,4")
    parser.add_argument(
        "--threads", type=intlist, default=[4], help="threads per worker; 0: serve's default"
    )
    parser.add_argument("--attachment-share", type=float, default=0.2)
    parser.add_argument(
        "--per-connection",
        type=int,
        default=0,
        help="submissions per connection before the client reconnects; 0: keep-alive throughout."
        " 1 is what applicants do: the form takes minutes, far past the server's keep-alive",
    )
    parser.add_argument("--only", choices=["sealed", "baseline"], help="run one side only")
    parser.add_argument("--repeat", type=int, default=1, help="loads per side and configuration")
    parser.add_argument("--json", type=Path, help="append results to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep data directories (in --workdir)")
    parser.add_argument("--workdir", type=Path, help="default: a new directory under /var/tmp")
    parser.add_argument(
        "--source",
        type=Path,
        help="serve a frozen copy made earlier (a directory holding solidarity/ and bench/)",
    )
    parser.add_argument(
        "--settings",
        default="bench.settings",
        help="settings module for servers (what-if experiments; figures use bench.settings)",
    )
    parser.add_argument(
        "--no-snapshot",
        dest="snapshot",
        action="store_false",
        help="serve the live tree instead of a copy taken at the start",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0,
        help="before each load, wait up to this many seconds for the machine to be quiet",
    )
    parser.add_argument("--quiet-cores", type=float, default=0.3, help="'quiet': others use less")
    parser.add_argument(
        "--max-others",
        type=float,
        default=float("inf"),
        help="discard and redo a load during which other processes used more cores than this",
    )
    parser.add_argument("--retries", type=int, default=3, help="redos allowed per load")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="during loads, weight the server's and the client's scheduler groups with this nice"
        " value (e.g. -10 on a machine others share; see set_group_nice)",
    )
    parser.add_argument(
        "--nice-db",
        action="store_true",
        help="--nice applies to the PostgreSQL server too (only for a cluster of your own)",
    )
    parser.add_argument("--py-spy", help="path of a py-spy binary: profile the server (bucketed)")
    parser.add_argument("--py-spy-gil", action="store_true", help="sample GIL holders only")
    args = parser.parse_args(argv)
    # Stop cleanly (servers, temporary databases) on SIGTERM, and on SIGINT even when started in
    # the background by a shell that ignores it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.db == "postgres" and not args.database_url:
        parser.error("--db postgres needs --database-url or DATABASE_URL")
    if args.db == "sqlite":
        args.database_url = None

    info = machine()
    info["nice"] = args.nice
    info["settings"] = SETTINGS["module"] = args.settings
    print(f"# {info['date']} - {info['nproc']} x {info['cpu']}, load {info['loadavg_before']}")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="solidarity-bench-", dir="/var/tmp"))
    workdir.mkdir(parents=True, exist_ok=True)
    info["code"] = git_state()
    if args.source:
        SOURCE["root"] = args.source.resolve()
        info["code"] = f"frozen copy in {args.source}"
    elif args.snapshot:
        SOURCE["root"] = snapshot(workdir / "src")
    rate_cap = 800  # submissions per second we build ahead for; more are built on the fly
    pool = Pool(int((args.warmup + args.seconds + 5) * rate_cap), args.attachment_share, seed=7)
    db = Database(args.db, args.database_url, workdir)
    rows: list[dict] = []
    failures: list[str] = []
    discarded: list[dict] = []
    try:
        db.prepare()
        kinds = [args.only] if args.only else ["baseline", "sealed"]
        for workers in args.workers:
            for threads in args.threads:
                for conc in args.concurrency:
                    for turn in range(args.repeat):
                        # ABBA order, so drift in the machine's load hits both sides alike.
                        for kind in kinds if turn % 2 == 0 else kinds[::-1]:
                            for attempt in range(args.retries + 1):
                                try:
                                    row = run_one(db, pool, args, kind, workers, threads, conc)
                                except (RuntimeError, subprocess.CalledProcessError) as exc:
                                    failures.append(f"{kind} w{workers} t{threads} c{conc}: {exc}")
                                    print(f"FAILED: {failures[-1]}", flush=True)
                                    break
                                others = row["other_cpu_s"] / row["window_s"]
                                if others <= args.max_others or attempt == args.retries:
                                    row["disturbed"] = others > args.max_others
                                    row["attempts"] = attempt + 1
                                    rows.append(row)
                                    break
                                discarded.append(row)
                                print(f"  discarded: others used {others:.2f} cores", flush=True)
    finally:
        db.drop_all()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    summary = summarise(rows)
    print(summary)
    if pool.built_late:
        print(f"note: {pool.built_late} submissions were built during the load")
    if args.json:
        existing = json.loads(args.json.read_text()) if args.json.exists() else []
        existing.append({"machine": info, "argv": sys.argv, "rows": rows, "discarded": discarded})
        args.json.write_text(json.dumps(existing, indent=1, default=str))
    bad = failures or any(r["errors"] or r["lost"] for r in rows)
    return 1 if bad else 0


def summarise(rows: list[dict]) -> str:
    """One line per configuration: medians over --repeat loads, and the best load per side
    (on a shared machine other work only ever slows a load down)."""
    med = statistics.median
    lines = [
        "",
        "| db | w | t | c | per conn | n | sealed/s med (best) | baseline/s med (best) | ratio med (best)"
        " | sealed p50/p99 ms | baseline p50/p99 ms | server CPU ms/req sealed / baseline"
        " | errors | lost |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    groups: dict[tuple, dict[str, list[dict]]] = {}
    for r in rows:
        key = (r["db"], r["workers"], r["threads"], r["concurrency"], r["per_connection"] or "all")
        groups.setdefault(key, {}).setdefault(r["kind"], []).append(r)
    nan = float("nan")
    for key, sides in groups.items():
        s, b = sides.get("sealed", []), sides.get("baseline", [])
        rate = lambda xs, f: f(x["accepted_per_s"] for x in xs) if xs else nan  # noqa: E731
        lat = lambda xs: (  # noqa: E731
            f"{med(x['p50_ms'] for x in xs):.0f} / {med(x['p99_ms'] for x in xs):.0f}"
            if xs
            else "-"
        )
        cpu = lambda xs: med(x["server_ms_per_accepted"] for x in xs) if xs else nan  # noqa: E731
        lines.append(
            f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {key[4]} | {max(len(s), len(b))} "
            f"| {rate(s, med):.0f} ({rate(s, max):.0f}) | {rate(b, med):.0f} ({rate(b, max):.0f}) "
            f"| {rate(s, med) / rate(b, med):.2f} ({rate(s, max) / rate(b, max):.2f}) "
            f"| {lat(s)} | {lat(b)} | {cpu(s):.1f} / {cpu(b):.1f} "
            f"| {sum(x['errors'] for x in s + b)} | {sum(x['lost'] for x in s + b)} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
