"""The seizure test for recovery: the recovery private key and the trustees' shares never
touch the data directory or the database.

Given a fresh data directory (and, in the PostgreSQL pass, its own database), when the real
`solidarity init`, `solidarity recovery split --out` and `solidarity recover` run as separate
processes, then no share (as printed, compact, or as its raw bytes) and no form of the
recovery private key appears in any byte under the data directory or in any table.
"""

from __future__ import annotations

import base64
import os

import pytest

from solidarity.testing.fixtures import (
    _create_database,
    _drop_database,
    _run_command,
    is_postgres_url,
)
from solidarity.vault import shamir, trustee_shares

PASSPHRASE = "seized servers tell nothing, 2020"  # noqa: S105 - a test account only


def _postgres_dump(url: str) -> bytes:
    import psycopg

    chunks = []
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM "
            "information_schema.tables WHERE table_schema NOT IN ('pg_catalog', "
            "'information_schema') AND table_type = 'BASE TABLE'"
        ).fetchall()
        for (table,) in tables:
            with conn.cursor().copy(f"COPY {table} TO STDOUT") as copy:  # noqa: S608 - catalog names
                for block in copy:
                    chunks.append(bytes(block))
    return b"".join(chunks)


def _forms(secret: bytes) -> list[bytes]:
    return [
        secret,
        secret.hex().encode(),
        secret.hex().upper().encode(),
        base64.b64encode(secret),
        base64.b32encode(secret).rstrip(b"="),
    ]


@pytest.mark.slow
def test_a_seized_data_directory_holds_no_share_and_no_recovery_key(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    shares_dir = tmp_path / "trustees"
    env = dict(os.environ)
    env.update(
        SOLIDARITY_DATA_DIR=str(data_dir),
        SOLIDARITY_KDF="fast-insecure-for-tests",
        DJANGO_SETTINGS_MODULE="solidarity.settings",
        SOLIDARITY_INIT_PASSPHRASE=PASSPHRASE,
        SOLIDARITY_COORDINATOR_PASSPHRASE=PASSPHRASE,
    )
    admin_url = os.environ.get("DATABASE_URL")
    if is_postgres_url(admin_url):
        env["DATABASE_URL"] = _create_database(admin_url)
    else:
        admin_url = None
        env.pop("DATABASE_URL", None)
    try:
        # Given a fund whose first coordinator splits the recovery key 2-of-3 into files
        _run_command(["init", "--org", "Seizure fund", "--admin", "olga"], env, check=True)
        split = _run_command(
            ["recovery", "split", "--threshold", "2", "--shares", "3", "--by", "olga"]
            + ["--out", str(shares_dir)],
            env,
            check=True,
        )
        # And the split refuses to write shares into the data directory
        refused = _run_command(
            ["recovery", "split", "--threshold", "2", "--shares", "3", "--by", "olga"]
            + ["--replace", "--out", str(data_dir / "shares")],
            env,
            check=False,
        )
        assert refused.returncode != 0
        assert not (data_dir / "shares").exists()
        # When two trustees' shares are typed back at `solidarity recover`
        files = sorted(shares_dir.glob("*.txt"))
        assert len(files) == 3
        typed = [
            next(line for line in f.read_text().splitlines() if line.startswith("SR1"))
            for f in files
        ]
        recovered = _run_command(
            ["recover", "--to", "olga"], env, check=True, stdin=f"{typed[2]}\n{typed[0]}\n"
        )
        assert "intake" in recovered.stdout

        # Then neither the shares nor the recovery key are anywhere on the server
        shares = [trustee_shares.decode_share(text) for text in typed]
        recovery_private_key = shamir.combine_shares(
            [shamir.Share(s.index, s.value) for s in shares[:2]], 2
        )
        needles = [
            *(text.encode() for text in typed),
            *(text.replace(" ", "").replace("-", "").encode() for text in typed),
            *(form for share in shares for form in _forms(share.value)),
            *_forms(recovery_private_key),
        ]
        places: dict[str, bytes] = {}
        for path in data_dir.rglob("*"):
            if path.is_file():
                try:
                    places[str(path)] = path.read_bytes()
                except FileNotFoundError:
                    continue
        if admin_url:
            places["postgresql tables"] = _postgres_dump(env["DATABASE_URL"])
        database = [
            p for p in places if p.endswith("solidarity.sqlite3") or p.startswith("postgresql")
        ]
        assert database, sorted(places)
        # A positive control: the recovery key's set id is stored in clear by design.
        set_id = shares[0].set_id.encode()
        assert any(set_id in places[p] for p in database)
        leaks = [where for where, content in places.items() for n in needles if n in content]
        assert leaks == []
        # And with --out the shares are not printed to the terminal either
        assert not any(text in split.stdout for text in typed)
    finally:
        if admin_url:
            _drop_database(admin_url, env["DATABASE_URL"])
