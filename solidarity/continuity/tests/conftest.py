"""Installations for the continuity tests: each its own data directory and database.

A backup is restored into a new installation and a handover goes from one fund to another,
so these tests run the real `solidarity` command in separate processes, one data directory
(and, under PostgreSQL, one database) per installation, and act inside each through
``probe.py``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from solidarity.testing import fixtures
from solidarity.testing.factories import DEFAULT_PASSPHRASE

CANARY = "CanaryContinuityStoryR8"


@dataclass
class Installation:
    name: str
    data_dir: Path
    env: dict[str, str]

    def run(self, *args: str, check: bool = True):
        """`python -m solidarity ARGS` in this installation."""
        return fixtures._run_command(list(args), self.env, check=check)

    def probe(self, *args: str):
        result = fixtures.subprocess.run(  # noqa: S603 - our own module
            [sys.executable, "-m", "solidarity.continuity.tests.probe", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=fixtures.COMMAND_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(f"probe {args} failed in {self.name}:\n{result.stderr}", pytrace=False)
        return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def new_installation(tmp_path_factory) -> Iterator:
    """Make installations on demand: migrated, or initialised with a first coordinator."""
    admin_url = os.environ.get("DATABASE_URL")
    databases: list[str] = []

    def make(name: str, *, coordinator: str | None = None, org: str = "") -> Installation:
        data_dir = tmp_path_factory.mktemp(f"install-{name}")
        env = dict(os.environ)
        env.update(
            SOLIDARITY_DATA_DIR=str(data_dir),
            SOLIDARITY_KDF="fast-insecure-for-tests",
            DJANGO_SETTINGS_MODULE="solidarity.settings",
            SOLIDARITY_INIT_PASSPHRASE=DEFAULT_PASSPHRASE,
            SOLIDARITY_COORDINATOR_PASSPHRASE=DEFAULT_PASSPHRASE,
            SOLIDARITY_JOB_COACH_PASSPHRASE=DEFAULT_PASSPHRASE,
        )
        if fixtures.is_postgres_url(admin_url):
            env["DATABASE_URL"] = fixtures._create_database(admin_url)
            databases.append(env["DATABASE_URL"])
        else:
            env.pop("DATABASE_URL", None)
        installation = Installation(name, data_dir, env)
        if coordinator:
            installation.run("init", "--org", org or f"Fund {name}", "--admin", coordinator)
        return installation

    yield make
    for url in databases:
        fixtures._drop_database(admin_url, url)


def flip_byte(path: Path, position: int) -> Path:
    data = bytearray(path.read_bytes())
    data[position] ^= 0x20
    target = path.with_name(path.name + f".flipped{position}")
    target.write_bytes(bytes(data))
    return target


def cut(path: Path, size: int) -> Path:
    target = path.with_name(path.name + f".cut{size}")
    target.write_bytes(path.read_bytes()[:size])
    return target


def said(msgid: str, **params) -> str:
    """What the commands print for ``msgid``, in the installation's language (Belarusian)."""
    from django.conf import settings
    from django.utils.translation import gettext, override

    with override(settings.LANGUAGE_CODE):
        text = gettext(msgid)
    return text % params if params else text


def files_holding(root: Path, needle: str) -> list[str]:
    """Every file under ``root`` (database, WAL, uploads, anything) that contains ``needle``."""
    found = []
    for path in root.rglob("*"):
        if path.is_file() and needle.encode() in path.read_bytes():
            found.append(str(path.relative_to(root)))
    return found
