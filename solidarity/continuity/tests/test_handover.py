"""Handover, attack played: a raid ends one fund in a day and another foundation takes over
its work. Fund A (a case, a donation in its books) exports to fund B's receiver key; B
imports, and B's coordinator opens A's case and reads the applicant's answers. The archive
holds nothing in clear; an archive sealed to another key, or imported twice, is refused."""

from __future__ import annotations

import pytest

from solidarity.continuity.tests.conftest import CANARY, files_holding, flip_byte, said

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def funds(new_installation, tmp_path_factory):
    files = tmp_path_factory.mktemp("handover")
    giver = new_installation("giver", coordinator="alice", org="Fund A")
    receiver = new_installation("receiver", coordinator="bob", org="Fund B")
    receipt = giver.probe("submit", CANARY)
    giver.probe("post-donation", "125.50")
    # B makes its receiver key; its fingerprint is read to A over a second channel.
    made = receiver.run(
        "handover", "receiver-key", "--org", "Fund A", "--out", str(files / "b.key")
    )
    prefix = said("Fingerprint: %(fingerprint)s", fingerprint="")
    fingerprint = made.stdout.split(prefix)[1].splitlines()[0]
    exported = giver.run(
        "handover", "export", "--to", str(files / "b.key"), "--by", "alice",
        "--out", str(files / "a-to-b.handover"), "--fingerprint", fingerprint.lower(),
    )  # fmt: skip
    return {
        "giver": giver,
        "receiver": receiver,
        "receipt": receipt,
        "archive": files / "a-to-b.handover",
        "fingerprint": fingerprint,
        "export_output": exported.stdout,
        "files": files,
    }


def test_the_receiver_coordinator_reads_the_givers_case(funds):
    giver, receiver, code = funds["giver"], funds["receiver"], funds["receipt"]["code"]
    # The giver saw the receiver's fingerprint before sealing anything to it.
    assert funds["fingerprint"] in funds["export_output"]
    result = receiver.run("handover", "import", str(funds["archive"]), "--by", "bob")
    assert (
        said(
            "Taken over from %(org)s: %(cases)s cases, %(messages)s messages, %(files)s files, "
            "%(entries)s ledger entries.",
            org="Fund A",
            cases=1,
            messages=0,
            files=1,
            entries=1,
        )
        in result.stdout
    )
    # B's coordinator, who never held A's keys, reads exactly what A's coordinator reads.
    assert receiver.probe("open-case", code, "bob") == giver.probe("open-case", code, "alice")
    assert CANARY in receiver.probe("open-case", code, "bob")["answers"]["story"]
    # The applicant's receipt keeps working at B.
    assert receiver.probe("open-receipt", code, funds["receipt"]["passphrase"])["status"] == "new"
    # A's books come along, kept apart from B's own accounts.
    books = receiver.probe("ledger-accounts")
    assert sorted(books.values()) == ["-125.50", "125.50"]
    assert all(":Handover-" in account for account in books)
    actions = receiver.probe("audit-actions")["actions"]
    assert "continuity.receiver_key_made" in actions
    assert "continuity.handover_imported" in actions
    assert "continuity.handover_exported" in giver.probe("audit-actions")["actions"]
    assert receiver.probe("counts") == {"cases": 1, "audit_ok": True}
    # Taking the cases over leaves nothing readable in the receiver's data directory.
    assert files_holding(receiver.data_dir, CANARY) == []
    # Imported twice: refused, nothing doubled.
    again = receiver.run("handover", "import", str(funds["archive"]), "--by", "bob", check=False)
    assert again.returncode != 0
    assert said("A case in this archive exists here already (imported before?).") in again.stderr
    assert receiver.probe("counts")["cases"] == 1


def test_the_handover_archive_reveals_nothing_in_clear(funds):
    data = funds["archive"].read_bytes()
    for secret in (CANARY, "alice", "Fund A", funds["receipt"]["code"], "BankOne"):
        assert secret.encode() not in data


def test_an_archive_for_another_key_or_altered_is_refused(funds):
    giver, receiver, files = funds["giver"], funds["receiver"], funds["files"]
    # A key B does not hold (here: one the giver made for itself).
    giver.run("handover", "receiver-key", "--org", "Someone", "--out", str(files / "a.key"))
    giver.run(
        "handover", "export", "--to", str(files / "a.key"), "--by", "alice",
        "--out", str(files / "a-to-a.handover"),
    )  # fmt: skip
    tampered = flip_byte(funds["archive"], funds["archive"].stat().st_size // 2)
    for archive, message in (
        (
            files / "a-to-a.handover",
            said("This archive is sealed to another key (another installation or organisation)."),
        ),
        (tampered, said("The archive was altered or damaged, and is refused.")),
    ):
        result = receiver.run("handover", "import", str(archive), "--by", "bob", check=False)
        assert result.returncode != 0
        assert message in result.stderr
        assert "Traceback" not in result.stderr
    # A receiver key file edited in transit (another key under the agreed fingerprint).
    key_file = (files / "b.key").read_text()
    other_key = (files / "a.key").read_text().split("key: ")[-1]
    forged = files / "forged.key"
    forged.write_text(key_file.rsplit("key: ", 1)[0] + "key: " + other_key)
    result = giver.run(
        "handover", "export", "--to", str(forged), "--by", "alice",
        "--out", str(files / "never.handover"), check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert said("This is not a valid receiver key file.") in result.stderr
    assert not (files / "never.handover").exists()
    # The right file, but the fingerprint heard on the phone is another one.
    result = giver.run(
        "handover", "export", "--to", str(files / "a.key"), "--by", "alice",
        "--out", str(files / "never.handover"), "--fingerprint", funds["fingerprint"], check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert (
        said(
            "The receiver key's fingerprint is not the one you were given. Stop: the key "
            "may have been replaced on the way. Nothing was exported."
        )
        in result.stderr
    )
    assert not (files / "never.handover").exists()


def test_a_backup_is_not_a_handover(funds, tmp_path):
    backup = tmp_path / "a.backup"
    funds["giver"].run("backup", "--out", str(backup))
    result = funds["receiver"].run("handover", "import", str(backup), "--by", "bob", check=False)
    assert result.returncode != 0
    assert (
        said("This archive is of another kind (a backup and a handover are not the same).")
        in result.stderr
    )
