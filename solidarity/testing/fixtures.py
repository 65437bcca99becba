"""Shared pytest fixtures, loaded as a plugin (`-p solidarity.testing.fixtures` in pyproject.toml).

Pytest imports this module before pytest-django imports the settings, so the defaults below
reach the settings even on a bare `pytest` run. Import it only from pytest: it changes the
environment of the process that imports it.

Environment:
  SOLIDARITY_KDF       defaults to `fast-insecure-for-tests` (cheap Argon2, built by the settings).
  SOLIDARITY_DATA_DIR  defaults to a fresh temporary directory, so tests never touch ./data.
  DATABASE_URL         a postgresql:// URL runs the suite on PostgreSQL (pytest-django creates
                       test_<name>); unset means SQLite.
  REQUIRE_ALL=1        a missing service (PostgreSQL, Chromium) fails instead of skipping; CI sets it.
  CHROMIUM_PATH        the browser for Playwright, default /usr/bin/chromium.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import pytest

os.environ.setdefault("SOLIDARITY_KDF", "fast-insecure-for-tests")
if not os.environ.get("SOLIDARITY_DATA_DIR"):
    _default_data_dir = tempfile.mkdtemp(prefix="solidarity-test-")
    os.environ["SOLIDARITY_DATA_DIR"] = _default_data_dir
    atexit.register(shutil.rmtree, _default_data_dir, ignore_errors=True)

SERVER_START_TIMEOUT = 30  # seconds until the live server must answer HTTP
SERVER_STOP_TIMEOUT = 10  # seconds between SIGTERM and SIGKILL at teardown
COMMAND_TIMEOUT = 300  # seconds for `solidarity migrate` and other commands


def require_all() -> bool:
    """True when every external service must be present (REQUIRE_ALL=1, set by .ci/run)."""
    return os.environ.get("REQUIRE_ALL", "").lower() in {"1", "true", "yes", "on"}


def require_or_skip(reason: str) -> NoReturn:
    """Skip the test because a service is missing, or fail it under REQUIRE_ALL=1."""
    if require_all():
        pytest.fail(f"{reason} (REQUIRE_ALL=1 turns this skip into a failure)", pytrace=False)
    pytest.skip(reason)


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme in {"postgres", "postgresql"}


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The Chromium executable for Playwright's `executable_path` (nothing is downloaded)."""
    path = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    if not os.access(path, os.X_OK):
        require_or_skip(f"Chromium not found at {path} (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL URL of this run. Tests using it are deselected in the Makefile's SQLite pass."""
    url = os.environ.get("DATABASE_URL")
    if not is_postgres_url(url):
        require_or_skip("PostgreSQL not configured: set DATABASE_URL=postgresql://...")
    return url


@dataclass
class LiveServer:
    """A `solidarity serve` process with its own data directory and database."""

    url: str  # http://127.0.0.1:PORT, no trailing slash
    data_dir: Path
    env: dict[str, str]  # the server's environment: reuse it to run commands against it
    process: subprocess.Popen
    log_path: Path  # the server's stdout and stderr

    def manage(self, *args: str, check: bool = True, stdin: str | None = None):
        """Run `python -m solidarity ARGS` against this server's data dir and database."""
        return _run_command(list(args), self.env, check=check, stdin=stdin)

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def _run_command(args: list[str], env: dict[str, str], *, check: bool, stdin: str | None = None):
    result = subprocess.run(  # noqa: S603 - our own CLI, arguments from the test suite
        [sys.executable, "-m", "solidarity", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"`solidarity {' '.join(args)}` exited {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}",
            pytrace=False,
        )
    return result


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _admin_connection(url: str):
    """A connection for CREATE and DROP DATABASE: to the database in URL, or, when that one
    does not exist (pytest-django only ever creates test_<name>), to the server's `postgres`
    database, as Django itself does."""
    import psycopg

    try:
        return psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError:
        maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
        return psycopg.connect(maintenance, autocommit=True)


def _create_database(url: str) -> str:
    """Create an empty database next to the one in URL; return the URL of the new one."""
    from psycopg import sql

    parts = urlsplit(url)
    base = unquote(parts.path.lstrip("/")) or "postgres"
    name = f"{base[:40]}_live_{secrets.token_hex(4)}"  # PostgreSQL names stop at 63 bytes
    with _admin_connection(url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return urlunsplit(parts._replace(path="/" + quote(name)))


def _drop_database(admin_url: str, url: str) -> None:
    from psycopg import sql

    name = unquote(urlsplit(url).path.lstrip("/"))
    with _admin_connection(admin_url) as conn:
        # FORCE ends connections the server may have left behind (PostgreSQL 13+).
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and everything it started (it leads its own process group)."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, SERVER_STOP_TIMEOUT), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_until_serving(server: LiveServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"the live server exited with {server.process.returncode}:\n{server.log_tail()}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(server.url + "/", timeout=2):  # noqa: S310 - loopback
                return
        except urllib.error.HTTPError:
            return  # any HTTP answer, even 404 or 500, means the server is up
        except OSError:
            time.sleep(0.2)
    pytest.fail(
        f"the live server did not answer within {SERVER_START_TIMEOUT} s:\n{server.log_tail()}",
        pytrace=False,
    )


@contextlib.contextmanager
def start_live_server(
    root: Path, extra_env: dict[str, str] | None = None, *, unset: tuple[str, ...] = ()
) -> Iterator[LiveServer]:
    """The app as users get it: migrated, then `solidarity serve` on a free loopback port,
    stopped on exit.

    It gets ``root/data`` as its data directory and, under PostgreSQL (DATABASE_URL), a
    database of its own, created here and dropped on exit, so it never shares state with
    pytest-django's test database. ``extra_env`` is added to its environment and the
    variables named in ``unset`` are removed from it.
    """
    data_dir = root / "data"
    data_dir.mkdir(mode=0o700)
    env = dict(os.environ)
    env.update(
        SOLIDARITY_DATA_DIR=str(data_dir),
        SOLIDARITY_KDF="fast-insecure-for-tests",
        DJANGO_SETTINGS_MODULE="solidarity.settings",
        PYTHONUNBUFFERED="1",
        **(extra_env or {}),
    )
    for name in unset:
        env.pop(name, None)
    admin_url = os.environ.get("DATABASE_URL")
    if is_postgres_url(admin_url):
        env["DATABASE_URL"] = _create_database(admin_url)
    else:
        admin_url = None
        env.pop("DATABASE_URL", None)

    log_path = root / "server.log"
    process = None
    try:
        _run_command(["migrate", "--noinput"], env, check=True)
        port = _free_port()
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own CLI
                [sys.executable, "-m", "solidarity", "serve", "--host", "127.0.0.1"]
                + ["--port", str(port)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = LiveServer(f"http://127.0.0.1:{port}", data_dir, env, process, log_path)
        _wait_until_serving(server)
        yield server
    finally:
        if process is not None:
            _stop(process)
        if admin_url:
            _drop_database(admin_url, env["DATABASE_URL"])


@pytest.fixture(scope="session")
def live_server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The shared live server of the session (see start_live_server). Tests that need a
    server of their own, or one set up another way, call start_live_server themselves."""
    with start_live_server(tmp_path_factory.mktemp("live-server")) as server:
        yield server
