"""Backups, attacks played: the server is seized or its disk dies, and the fund restores from
a backup into a new, empty installation. A coordinator then opens a case submitted through
the real intake service and reads the same answers; an altered, cut or foreign archive, a
wrong passphrase or a non-empty target are refused and change nothing."""

from __future__ import annotations

import pytest

from solidarity.continuity.tests.conftest import (
    CANARY,
    Installation,
    cut,
    files_holding,
    flip_byte,
    said,
)

ALTERED = said("The archive was altered or damaged, and is refused.")
NOTHING = said("Nothing was changed.")
NOT_EMPTY = said("This installation already holds data; restore only into a new, empty one.")
WRONG_PASSPHRASE = said("The passphrase does not open this coordinator's copy of the key.")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fund(new_installation, tmp_path_factory):
    """Installation A: one coordinator, one application with a photo, one donation; its
    answers as A's coordinator reads them, and a backup of it."""
    fund = new_installation("a", coordinator="alice")
    receipt = fund.probe("submit", CANARY)
    fund.probe("post-donation", "125.50")
    opened = fund.probe("open-case", receipt["code"], "alice")
    out = tmp_path_factory.mktemp("backups") / "fund-a.backup"
    result = fund.run("backup", "--out", str(out))
    assert result.stdout.startswith(
        said("Backup written: %(rows)s rows, %(files)s files, %(size)s bytes.").split("%")[0]
    )
    return {"receipt": receipt, "opened": opened, "backup": out, "install": fund}


def test_a_backup_restores_and_a_coordinator_reads_the_same_answers(fund, new_installation):
    # Given a new, empty installation
    fresh = new_installation("restored")
    # When a coordinator of the fund restores the backup
    result = fresh.run("restore", str(fund["backup"]), "--by", "alice")
    assert result.stdout.startswith(
        said("Restored %(rows)s rows and %(files)s files.").split("%")[0]
    )
    # Then the coordinator opens the case and reads what the applicant wrote, files included
    code = fund["receipt"]["code"]
    opened = fresh.probe("open-case", code, "alice")
    assert opened == fund["opened"]
    assert CANARY in opened["answers"]["story"]
    assert len(opened["files"]) == 1
    # And the applicant's receipt still opens, the books and the audit chain are intact
    assert fresh.probe("open-receipt", code, fund["receipt"]["passphrase"])["status"] == "new"
    assert fresh.probe("ledger-accounts") == fund["install"].probe("ledger-accounts")
    assert fresh.probe("counts") == {"cases": 1, "audit_ok": True}
    assert "continuity.restored" in fresh.probe("audit-actions")["actions"]
    assert fresh.run("audit", "verify").returncode == 0
    # And the restored data directory is as blind as the original (the seizure test's rule).
    assert files_holding(fresh.data_dir, CANARY) == []


def test_the_backup_file_reveals_nothing_in_clear(fund):
    data = fund["backup"].read_bytes()
    for secret in (CANARY, "alice", fund["receipt"]["code"], "Internal troops", "BankOne"):
        assert secret.encode() not in data


def test_refused_archives_and_people_change_nothing(fund, new_installation, tmp_path):
    fresh = new_installation("attacked")
    original = fund["backup"]
    size = original.stat().st_size
    junk = tmp_path / "notes.txt"
    junk.write_text("just some notes\n" * 10)
    attempts = {
        junk: said("This file is not a Solidarity archive."),
        flip_byte(original, size // 2): ALTERED,
        flip_byte(original, size - 1): ALTERED,
        flip_byte(original, 40): ALTERED,  # inside the header's slots
        cut(original, size - 100): ALTERED,
        cut(original, 20): said("The archive is incomplete: the file was cut short."),
    }
    for damaged, message in attempts.items():
        result = fresh.run("restore", str(damaged), "--by", "alice", check=False)
        assert result.returncode != 0, damaged
        assert message in result.stderr, result.stderr
        assert NOTHING in result.stderr
        assert "Traceback" not in result.stderr
    # A wrong passphrase, and the right one under another name (the slot is alice's).
    wrong = dict(fresh.env, SOLIDARITY_COORDINATOR_PASSPHRASE="not the passphrase at all")
    for env, name in ((wrong, "alice"), (fresh.env, "mallory")):
        result = Installation(fresh.name, fresh.data_dir, env).run(
            "restore", str(original), "--by", name, check=False
        )
        assert result.returncode != 0
        assert WRONG_PASSPHRASE in result.stderr
    # Nothing was left behind: the good backup still restores into the same installation.
    assert fresh.probe("counts")["cases"] == 0
    fresh.run("restore", str(original), "--by", "alice")
    assert fresh.probe("counts") == {"cases": 1, "audit_ok": True}
    # And a second restore on top is refused: restore never merges.
    result = fresh.run("restore", str(original), "--by", "alice", check=False)
    assert result.returncode != 0
    assert NOT_EMPTY in result.stderr
