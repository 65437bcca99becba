"""The seizure test for the signing key: after signing (and replacing the key), neither the
current nor the retired private key is anywhere in the database or the data directory in
clear, in any encoding; only the sealed copies for the coordinators are.

This complements intake's seizure test, which scans a real server's data directory.
"""

from __future__ import annotations

import base64
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from solidarity.channels.tests.conftest import sign
from solidarity.vault import keyring, signing, signing_keys


def _forms(secret: bytes) -> list[bytes]:
    return [
        secret,
        secret.hex().encode(),
        secret.hex().upper().encode(),
        base64.b64encode(secret),
        base64.b64encode(secret).rstrip(b"="),
        base64.urlsafe_b64encode(secret).rstrip(b"="),
    ]


def _raw_tables() -> bytes:
    """Every cell of every table, as raw bytes (SQLite dump or PostgreSQL rows)."""
    chunks = []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for line in connection.connection.iterdump():
                chunks.append(line.encode("utf-8", errors="replace"))
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from introspection
            for row in cursor.fetchall():
                for cell in row:
                    chunks.append(
                        bytes(cell)
                        if isinstance(cell, bytes | memoryview)
                        else str(cell).encode("utf-8", errors="replace")
                    )
    return b"\n".join(chunks)


def _orm_values() -> bytes:
    out = []
    for model in apps.get_models():
        for row in model.objects.values():
            for value in row.values():
                out.append(
                    bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                )
    return b"\n".join(out)


def _data_dir() -> bytes:
    chunks = []
    for path in Path(settings.DATA_DIR).rglob("*"):
        try:
            if path.is_file():
                chunks.append(path.read_bytes())
        except OSError:
            continue
    return b"\n".join(chunks)


def test_a_seized_server_holds_no_signing_key_in_clear(coordinator, tmp_path, monkeypatch, capsys):
    # Given a statement signed through the real command, and then a key replaced
    monkeypatch.setenv("SOLIDARITY_COORDINATOR_PASSPHRASE", coordinator.passphrase)
    call_command("channels", "sign", "--bot", "@FundHelpBot", "--by", coordinator.user.username)
    staff_key = keyring.unlock_staff_key(coordinator.user, coordinator.passphrase)
    retired, retired_seed = signing_keys.open_signing_key(coordinator.user, staff_key)
    sign(coordinator, new_key=True)
    current, seed = signing_keys.open_signing_key(coordinator.user, staff_key)
    printed = capsys.readouterr()

    # The keys found are real: they make signatures their public halves accept
    for key, private in ((retired, retired_seed), (current, seed)):
        signing.verify_statement(bytes(key.public_key), b"x", signing.sign_statement(private, b"x"))

    # Then no form of either private key (or of the 64-byte libsodium secret key, which
    # is the seed followed by the public key) is in any table, ORM value, file or output
    places = {
        "tables": _raw_tables(),
        "orm": _orm_values(),
        "data dir": _data_dir(),
        "command output": (printed.out + printed.err).encode(),
    }
    secrets_to_find = [retired_seed, seed, seed + bytes(current.public_key)]
    leaks = [
        (where, index)
        for where, content in places.items()
        for index, secret in enumerate(secrets_to_find)
        if any(form in content for form in _forms(secret))
    ]
    assert leaks == []
    # while the scan does see what is public by design: the public key, in the statement
    assert bytes(current.public_key).hex().encode() in places["tables"]
    assert retired.fingerprint.encode() in places["command output"]
