"""`solidarity recovery` and `solidarity recover`: the arrest of a coordinator, played.

The cast: ``alice`` is the fund's only coordinator and holds the intake key; ``bruno`` is a
coordinator enrolled after her arrest, with a personal key but no copy of any organisation key.
Five trustees hold one share each; any three recover the keys.
"""

from __future__ import annotations

import io
import itertools
import os
import stat
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from solidarity.accounts import services as accounts
from solidarity.accounts import team
from solidarity.accounts.models import User
from solidarity.audit.models import AuditEvent
from solidarity.cases.models import Case
from solidarity.ledger import payouts
from solidarity.testing.factories import (
    DEFAULT_PASSPHRASE,
    make_application,
    make_org,
    make_staff,
    totp_code,
)
from solidarity.vault import escrow, keyring, trustee_shares
from solidarity.vault.models import IntakeKeyWrap, RecoveryEscrow, RecoveryKey


@pytest.fixture
def alice(db):
    make_org()
    return make_staff(role="coordinator", username="alice")


@pytest.fixture
def bruno(alice):
    return accounts.enrol_staff_member("bruno", "coordinator", DEFAULT_PASSPHRASE, by=None)


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch):
    monkeypatch.setenv("SOLIDARITY_COORDINATOR_PASSPHRASE", DEFAULT_PASSPHRASE)


def _split(
    by: str = "alice", *extra: str, threshold: int = 3, count: int = 5
) -> tuple[str, list[str]]:
    out = io.StringIO()
    call_command(
        "recovery",
        "split",
        "--threshold",
        str(threshold),
        "--shares",
        str(count),
        "--by",
        by,
        *extra,
        stdout=out,
        stderr=io.StringIO(),
    )
    text = out.getvalue()
    return text, [line for line in text.splitlines() if line.startswith("SR1 ")]


def _recover(
    to: str, typed: list[str] | None = None, files: list[str] | None = None, *extra: str
) -> str:
    out = io.StringIO()
    args = ["recover", "--to", to, *extra]
    for path in files or []:
        args += ["--share-file", path]
    call_command(*args, stdin=io.StringIO("".join(f"{t}\n" for t in typed or [])), stdout=out)
    return out.getvalue()


def _opens_case(staff_user: User, code: str, story: str) -> bool:
    key = accounts.unlock_vault(staff_user, DEFAULT_PASSPHRASE)
    opened = accounts.view_case(staff_user, Case.objects.get(code=code), key)
    return story in opened.answers["story"]


def _recovered_nothing(user: User) -> bool:
    return not IntakeKeyWrap.objects.filter(user=user).exists()


def test_split_prints_n_shares_and_escrows_the_intake_key(alice):
    # When alice splits the recovery key 3-of-5
    text, shares = _split()
    # Then five shares are printed, with the fingerprint to write beside them
    recovery = RecoveryKey.objects.get()
    assert len(shares) == 5
    assert (recovery.threshold, recovery.shares) == (3, 5)
    assert len({trustee_shares.decode_share(s).index for s in shares}) == 5
    assert "fingerprint" in text
    assert recovery.set_id in text
    # And the intake key is escrowed, current, and the split is audited
    assert escrow.intake_key_escrowed()
    assert "intake\tescrowed" in text
    event = AuditEvent.objects.get(action="recovery.split")
    assert event.actor_name == "alice"
    assert event.details["escrowed"] == ["intake"]
    assert not any(s.split()[-1] in str(event.details) for s in shares)


def test_any_three_shares_typed_sloppily_recover_and_the_new_coordinator_opens_a_case(bruno):
    # Given an application submitted through intake, and a 3-of-5 split
    receipt = make_application(story="I refused to fire on the march in Minsk.")
    _text, shares = _split()
    # When any three trustees type their shares, in any order, spaced and in lower case
    for subset in itertools.combinations(shares, 3):
        typed = [subset[0].lower(), subset[1].replace(" ", ""), subset[2].replace("-", " ")]
        out = _recover("bruno", typed)
        assert "Recovered and given to bruno: intake" in out
    # Then bruno holds the intake key and opens the real case
    assert keyring.has_intake_access(bruno.user)
    assert _opens_case(bruno.user, receipt.case_code, "refused to fire")
    assert AuditEvent.objects.filter(action="recovery.recovered", subject="bruno").count() == 10


def test_two_of_three_needed_shares_recover_nothing(bruno, tmp_path):
    _text, shares = _split("alice", "--out", str(tmp_path / "shares"))
    files = sorted(str(p) for p in (tmp_path / "shares").glob("*.txt"))
    # Typed: two shares, then the trustee stops
    with pytest.raises(CommandError, match="3 shares are needed. Nothing was changed."):
        _recover("bruno", typed=[])
    with pytest.raises(CommandError, match="3 shares are needed"):
        _recover("bruno", files=files[:2])
    # Two shares and one of them again is still two shares
    with pytest.raises(CommandError, match="same share was given twice"):
        _recover("bruno", files=[files[0], files[1], files[0]])
    assert _recovered_nothing(bruno.user)
    assert AuditEvent.objects.filter(action="recovery.refused").count() == 3


def test_a_forged_share_is_named_and_recovers_nothing(bruno):
    # Two real shares and a well-formed third share with a made-up body and a valid checksum
    # (an informer among the trustees): it is named, and nothing is granted.
    _text, shares = _split()
    recovery = RecoveryKey.objects.get()
    forged = trustee_shares.encode_share(
        trustee_shares.TrusteeShare(recovery.set_id, 3, 5, bytes(32))
    )
    with pytest.raises(CommandError, match="Share 3 is not one of the shares handed out"):
        _recover("bruno", [shares[0], shares[1], forged])
    assert _recovered_nothing(bruno.user)
    # Even if the digests were wiped from a seized-and-returned database, the combination is
    # checked against the recovery key's public half: still nothing is granted.
    RecoveryKey.objects.update(share_digests={})
    with pytest.raises(CommandError, match="do not rebuild this fund's recovery key"):
        _recover("bruno", [shares[0], shares[1], forged])
    assert _recovered_nothing(bruno.user)


def test_a_mistyped_share_is_named(bruno):
    _text, shares = _split()
    parts = shares[3].split(" ")
    parts[6] = parts[6][:2] + ("Q" if parts[6][2] != "Q" else "R") + parts[6][3:]
    with pytest.raises(CommandError, match="Share 2 is mistyped"):
        _recover("bruno", [shares[0], " ".join(parts), shares[4]])
    assert _recovered_nothing(bruno.user)


def test_shares_of_another_set_are_refused(bruno):
    # Given a split whose shares were replaced by a new split
    _text, old = _split()
    with pytest.raises(CommandError, match="--replace"):
        _split()
    _text, new = _split("alice", "--replace")
    # Then an old share among new ones is named, and nothing is granted
    with pytest.raises(CommandError, match="Share 3 belongs to another set"):
        _recover("bruno", [new[0], new[1], old[2]])
    with pytest.raises(CommandError, match="Share 1 belongs to another set"):
        _recover("bruno", old[:3])
    assert _recovered_nothing(bruno.user)
    assert RecoveryKey.objects.count() == 1
    assert RecoveryEscrow.objects.count() == 1


def test_after_the_only_coordinator_is_arrested_recovery_restores_access(bruno):
    """The story of issue 8: the only key holder is arrested and revoked."""
    # Given cases, and alice, the only holder of the intake key, who split it 3-of-5
    first = make_application(story="Witness to the night of 10 August.")
    _text, shares = _split()
    alice = User.objects.get(username="alice")
    # When alice is arrested, bruno revokes her: her key copies go at once, but bruno cannot
    # re-key yet (he holds no intake key)
    with pytest.raises(CommandError, match="Only a coordinator holding the intake key"):
        call_command("revoke", "alice", coordinator="bruno", stdout=io.StringIO())
    alice.refresh_from_db()
    assert alice.revoked_at is not None
    assert not IntakeKeyWrap.objects.exists()
    # And three trustees recover the keys for bruno
    _recover("bruno", [shares[4], shares[0], shares[2]])
    # Then the revocation finishes: the intake key alice knew is rotated and every case re-keyed
    call_command("revoke", "alice", coordinator="bruno", stdout=io.StringIO())
    second = make_application(story="Sacked for signing the strike letter.")
    assert _opens_case(bruno.user, first.case_code, "night of 10 August")
    assert _opens_case(bruno.user, second.case_code, "strike letter")
    # And the rotated intake key is escrowed again, so the same shares still work
    assert escrow.intake_key_escrowed()
    status = io.StringIO()
    call_command("recovery", "status", stdout=status)
    assert "intake\tescrowed" in status.getvalue()
    carla = accounts.enrol_staff_member("carla", "coordinator", DEFAULT_PASSPHRASE, by=None)
    _recover("carla", shares[1:4])
    assert _opens_case(carla.user, second.case_code, "strike letter")


def test_revoking_the_last_holder_is_refused_while_the_intake_key_is_not_escrowed(bruno):
    with pytest.raises(CommandError, match="last person holding the intake key"):
        call_command("revoke", "alice", coordinator="bruno", stdout=io.StringIO())
    assert IntakeKeyWrap.objects.filter(user__username="alice").exists()


def test_the_payout_key_is_escrowed_and_recovered(bruno):
    # Given the fund's payout key, made before the split (alice, a coordinator, holds it)
    payout_key = payouts.ensure_payout_key()
    text, _shares = _split()
    assert "payout\tescrowed" in text
    # When the keys are recovered for bruno, he can open the payout key too
    _text, shares = _split("alice", "--replace")
    out = _recover("bruno", shares[:3])
    assert "intake, payout" in out
    key = accounts.unlock_vault(bruno.user, DEFAULT_PASSPHRASE)
    opened = payouts.open_payout_key(bruno.user, key)
    assert keyring.core.public_key_of(opened) == bytes(payout_key.public_key)


def test_a_key_made_after_the_split_is_escrowed_at_once(alice):
    _split()
    assert "payout" not in escrow.escrowed_public_keys()
    payouts.ensure_payout_key()
    assert "payout" in escrow.escrowed_public_keys()


def test_the_jobs_key_is_escrowed_by_a_job_coach_and_recovered_for_new_coaches(bruno):
    from solidarity.jobs import keys as jobs_key_rows

    # Given a job coach and the jobs key (coordinators do not hold it)
    make_staff(role="job_coach", username="jonas")
    jobs_key_rows.ensure_jobs_key()
    _text, shares = _split()
    status = io.StringIO()
    call_command("recovery", "status", stdout=status)
    assert "jobs\tMISSING" in status.getvalue()
    # When the job coach escrows the keys he holds
    out = io.StringIO()
    call_command("recovery", "escrow", "--by", "jonas", stdout=out)
    assert "Escrowed: jobs" in out.getvalue()
    assert "jobs\tescrowed" in out.getvalue()
    # Then, after jonas is gone, a new coach gets the jobs key through recovery
    keyring.delete_staff_key_copies(User.objects.get(username="jonas"))
    User.objects.filter(username="jonas").update(is_active=False)
    nadia = make_staff(role="job_coach", username="nadia")
    out = _recover("bruno", shares[:3])
    assert "Jobs key given to the job coaches: nadia" in out
    key = accounts.unlock_vault(nadia.user, DEFAULT_PASSPHRASE)
    assert jobs_key_rows.open_jobs_key(nadia.user, key)


def test_split_writes_private_share_files_and_recover_reads_them(bruno, tmp_path):
    out_dir = tmp_path / "shares"
    text, printed = _split("alice", "--out", str(out_dir), threshold=2, count=3)
    assert printed == []  # written to files, not printed
    files = sorted(out_dir.glob("*.txt"))
    assert len(files) == 3
    assert len(list(out_dir.glob("*.svg"))) == 3
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in files)
    assert stat.S_IMODE(os.stat(out_dir).st_mode) == 0o700
    assert "Recovered and given to bruno: intake" in _recover(
        "bruno", files=[str(files[2]), str(files[0])]
    )
    # Writing again into the same directory would mix two sets: refused
    with pytest.raises(CommandError, match="already holds shares"):
        _split("alice", "--out", str(out_dir), "--replace")


def test_shares_are_never_written_inside_the_data_directory(alice, settings):
    with pytest.raises(CommandError, match="inside the data directory"):
        _split("alice", "--out", os.path.join(settings.DATA_DIR, "shares"))
    assert not RecoveryKey.objects.exists()


@pytest.mark.parametrize(("threshold", "count"), [(4, 3), (0, 3), (2, 256)])
def test_split_refuses_impossible_thresholds(alice, threshold, count):
    with pytest.raises(CommandError, match="threshold must be"):
        _split(threshold=threshold, count=count)
    assert not RecoveryKey.objects.exists()


def test_only_a_coordinator_holding_the_intake_key_may_split(bruno, monkeypatch):
    with pytest.raises(CommandError, match="Only a coordinator holding the intake key"):
        _split("bruno")
    monkeypatch.setenv("SOLIDARITY_COORDINATOR_PASSPHRASE", "not the passphrase at all")
    with pytest.raises(CommandError, match="did not open"):
        _split("alice")
    assert not RecoveryKey.objects.exists()


def test_keys_go_only_to_an_enrolled_coordinator(alice):
    _text, shares = _split()
    volunteer = make_staff(role="volunteer", username="vera")
    with pytest.raises(CommandError, match="Keys go only to a coordinator who has enrolled"):
        _recover("vera", shares[:3])
    with pytest.raises(CommandError, match="No staff account"):
        _recover("nobody", shares[:3])
    assert not IntakeKeyWrap.objects.filter(user=volunteer.user).exists()


def test_recover_without_a_split_says_there_is_nothing(bruno):
    with pytest.raises(CommandError, match="nothing to recover"):
        _recover("bruno", [])


def test_status_without_a_split_warns(alice):
    out = io.StringIO()
    call_command("recovery", "status", stdout=out)
    assert "No recovery key" in out.getvalue()
    assert "intake\tnot escrowed" in out.getvalue()


def test_recovering_for_a_coordinator_awaiting_approval_approves_them_after_the_fingerprint(alice):
    """With every coordinator arrested nobody can approve a new one: the trustees do, by
    recovering for them, once the operator has compared the key fingerprint in person."""
    # Given a split, and nadia, invited as coordinator, enrolled and awaiting approval
    receipt = make_application(story="Dismissed from the riot police for refusing.")
    _text, shares = _split()
    invitation = team.invite_staff("nadia", "coordinator", by=None)
    team.complete_enrolment(
        invitation.token,
        DEFAULT_PASSPHRASE,
        totp_code(team.enrolment_device(invitation.user.invite)),
    )
    nadia = User.objects.get(username="nadia")
    assert not nadia.is_active
    # When the fingerprint is left out, or is not hers (an intercepted link), nothing happens
    with pytest.raises(CommandError, match="awaiting approval: recovering approves them"):
        _recover("nadia", shares[:3])
    with pytest.raises(CommandError, match="--fingerprint"):
        _recover("nadia", shares[:3], None, "--fingerprint", "0000 1111 2222 3333 4444")
    nadia.refresh_from_db()
    assert not nadia.is_active
    assert _recovered_nothing(nadia)
    # When it is hers (typed in lower case, without spaces)
    fingerprint = team.fingerprint(nadia).replace(" ", "").lower()
    out = _recover("nadia", shares[:3], None, "--fingerprint", fingerprint)
    # Then she is approved, holds the keys, and opens the case
    assert "Recovered and given to nadia: intake" in out
    nadia.refresh_from_db()
    assert nadia.is_active
    assert nadia.invite.approved_at is not None
    assert AuditEvent.objects.filter(action="staff.approved", subject="nadia").exists()
    assert _opens_case(nadia, receipt.case_code, "riot police")
    # And she can then revoke alice, which rotates the key alice knew, in one go
    call_command("revoke", "alice", coordinator="nadia", stdout=io.StringIO())
    assert _opens_case(nadia, receipt.case_code, "riot police")
    assert escrow.intake_key_escrowed()


def test_split_refuses_a_directory_it_cannot_write_before_making_any_key(alice, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.access(locked, os.W_OK):
        locked.chmod(0o700)
        locked = Path("/proc/recovery-shares")  # root ignores modes: a place nobody writes
    with pytest.raises(CommandError, match="Cannot write to"):
        _split("alice", "--out", str(locked / "shares"))
    assert not RecoveryKey.objects.exists()


def test_the_signing_key_is_escrowed_and_recovered_so_the_fund_can_still_sign(bruno):
    """Without it, the arrest of every signer would leave the fund unable to prove its
    channels under the fingerprint applicants already trust."""
    from solidarity.channels import services as channels
    from solidarity.vault import signing_keys

    # Given a statement signed by alice, then a 3-of-5 split
    alice = User.objects.get(username="alice")
    alice_key = accounts.unlock_vault(alice, DEFAULT_PASSPHRASE)
    published = channels.Channels(web=("https://fund.example.org/",))
    first = channels.sign_channels(published, by=alice, staff_private_key=alice_key)
    text, shares = _split()
    assert "signing\tescrowed" in text
    # When alice is arrested and revoked (bruno cannot re-key until recovery), and three
    # trustees recover the keys for bruno
    with pytest.raises(CommandError):
        call_command("revoke", "alice", coordinator="bruno", stdout=io.StringIO())
    assert not signing_keys.has_signing_access(bruno.user)
    out = _recover("bruno", shares[2:5])
    assert "signing" in out
    # Then bruno signs under the same key: the fingerprint applicants compare is unchanged
    bruno_key = accounts.unlock_vault(bruno.user, DEFAULT_PASSPHRASE)
    second = channels.sign_channels(published, by=bruno.user, staff_private_key=bruno_key)
    assert second.signing_key_id == first.signing_key_id


def test_a_signing_key_made_after_the_split_is_escrowed_at_once(alice):
    from solidarity.vault import signing_keys

    _split()
    key, _seed = signing_keys.create_signing_key()
    assert escrow.escrowed_public_keys()["signing"] == bytes(key.public_key)
