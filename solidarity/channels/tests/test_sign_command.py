"""`solidarity channels sign` and `channels verify`: the real commands, forgeries played.

Verification runs as a real subprocess (`python -m solidarity channels verify`) with no
database and no data directory: that is how a person checks a statement on their laptop.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from solidarity.accounts import team
from solidarity.audit.models import AuditEvent
from solidarity.channels import statement as fmt
from solidarity.channels.models import SignedStatement
from solidarity.channels.tests.conftest import CHANNELS, ONION, sign
from solidarity.testing.factories import DEFAULT_PASSPHRASE, Staff, make_staff, totp_code
from solidarity.vault import keyring, signing, signing_keys
from solidarity.vault.models import SigningKey, SigningKeyWrap

PASSPHRASE_ENV = "SOLIDARITY_COORDINATOR_PASSPHRASE"


def verify(
    path: Path, *args: str, cwd: Path, language: str = "C.UTF-8"
) -> subprocess.CompletedProcess:
    """`python -m solidarity channels verify` as a person runs it: no settings, no database
    (DATABASE_URL and the data directory are removed from the environment on purpose)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SOLIDARITY_DATA_DIR", "DJANGO_SETTINGS_MODULE"}
        and not k.startswith(("LC_", "LANG"))
    }
    env["LANG"] = language
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
    return subprocess.run(
        [sys.executable, "-m", "solidarity", "channels", "verify", str(path), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def signed_file(coordinator, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(PASSPHRASE_ENV, coordinator.passphrase)
    out = tmp_path / "statement.json"
    call_command(
        "channels",
        "sign",
        "--web",
        "https://fund.example.org/",
        "--onion",
        ONION,
        "--bot",
        "@FundHelpBot",
        "--by",
        coordinator.user.username,
        "--out",
        str(out),
    )
    return out


def _envelope(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, envelope: dict) -> Path:
    path.write_text(json.dumps(envelope), encoding="utf-8")
    return path


def test_sign_stores_the_statement_audits_it_and_writes_the_file(signed_file, coordinator):
    row = SignedStatement.objects.get()
    assert signed_file.read_text(encoding="utf-8") == row.body
    statement = fmt.parse_signed_file(row.body.encode()).statement
    assert statement.web == ("https://fund.example.org/",)
    assert statement.onion == (ONION,)
    assert statement.bots == ("@FundHelpBot",)
    assert statement.organisation == "Test Solidarity Fund"
    assert statement.key_fingerprint == row.signing_key.fingerprint
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions[-2:] == ["channels.key_created", "channels.signed"]
    # The private key exists only sealed, one copy per coordinator holding the intake key.
    assert SigningKeyWrap.objects.filter(user=coordinator.user).count() == 1


def test_a_valid_statement_passes_offline(signed_file, tmp_path):
    fingerprint = SigningKey.objects.get().fingerprint
    result = verify(signed_file, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert fingerprint in result.stdout
    assert "https://fund.example.org/" in result.stdout
    assert "compare the fingerprint" in result.stdout
    result = verify(
        signed_file, "--fingerprint", fingerprint.lower().replace(" ", ""), cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "signed by the key you expected" in result.stdout
    # Nothing was created where it ran: no data directory, no database, no secret key.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["statement.json"]


def test_the_verdict_speaks_the_persons_language(signed_file, tmp_path):
    result = verify(signed_file, cwd=tmp_path, language="be_BY.UTF-8")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Подпіс сапраўдны" in result.stdout
    assert "VALID:" in result.stdout  # the verdict word stays as the page explains it
    result = verify(signed_file, "--language", "ru", cwd=tmp_path)
    assert "Подпись действительна" in result.stdout


def test_a_changed_address_fails(signed_file, tmp_path):
    envelope = _envelope(signed_file)
    envelope["statement"]["bots"] = ["@FundHe1pBot"]  # the look-alike bot of the police
    result = verify(_write(tmp_path / "forged.json", envelope), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("FORGED:")


def test_a_statement_signed_by_another_key_under_our_public_key_fails(signed_file, tmp_path):
    envelope = _envelope(signed_file)
    forger = signing.generate_signing_key()
    statement = fmt.parse_signed_file(signed_file.read_bytes()).statement
    envelope["signature"] = base64.b64encode(
        signing.sign_statement(forger.seed, statement.canonical())
    ).decode()
    result = verify(_write(tmp_path / "forged.json", envelope), cwd=tmp_path)
    assert result.returncode == 1


def test_a_statement_signed_and_keyed_by_a_forger_fails_the_fingerprint(signed_file, tmp_path):
    ours = SigningKey.objects.get().fingerprint
    # The forger makes a complete, self-consistent statement with their own key
    forger = signing.generate_signing_key()
    forged = fmt.build_statement(
        organisation="Test Solidarity Fund",
        public_key=forger.public_key,
        issued_at="2026-12-07T07:20:00Z",
        valid_until="2099-01-01",
        bots=["@FundEvacuationBot"],
    )
    data = fmt.SignedStatementFile(
        forged, signing.sign_statement(forger.seed, forged.canonical())
    ).as_bytes()
    path = tmp_path / "forged.json"
    path.write_bytes(data)
    result = verify(path, "--fingerprint", ours, cwd=tmp_path)
    assert result.returncode == 3
    assert "WRONG KEY" in result.stdout


def test_a_signature_our_key_made_for_something_else_fails(coordinator, signed_file, tmp_path):
    """A real signature of ours, lifted from another statement (or made for another purpose
    over other bytes), does not sign this one. Contexts are tested in vault/tests/test_signing.py."""
    older = _envelope(signed_file)
    newer = _envelope(_signed_again(coordinator, tmp_path))
    assert older["statement"] != newer["statement"]
    newer["signature"] = older["signature"]
    assert verify(_write(tmp_path / "replayed.json", newer), cwd=tmp_path).returncode == 1
    _key, seed = signing_keys.open_signing_key(
        coordinator.user, keyring.unlock_staff_key(coordinator.user, coordinator.passphrase)
    )
    older["signature"] = base64.b64encode(signing.sign_statement(seed, b"hello")).decode()
    assert verify(_write(tmp_path / "other.json", older), cwd=tmp_path).returncode == 1


def _signed_again(coordinator, tmp_path) -> Path:
    row = sign(coordinator)
    path = tmp_path / "again.json"
    path.write_text(row.body, encoding="utf-8")
    return path


@pytest.mark.parametrize("cut", [10, 200, -30, -2])
def test_a_truncated_statement_is_malformed(signed_file, tmp_path, cut):
    path = tmp_path / "cut.json"
    path.write_bytes(signed_file.read_bytes()[:cut])
    result = verify(path, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert "NOT A VALID STATEMENT" in result.stdout


def test_a_missing_file_and_a_bad_fingerprint_argument_are_exit_2(signed_file, tmp_path):
    assert verify(tmp_path / "nothing.json", cwd=tmp_path).returncode == 2
    assert verify(signed_file, "--fingerprint", "1234", cwd=tmp_path).returncode == 2


def test_an_expired_statement_is_exit_3(coordinator, tmp_path):
    row = sign(coordinator, valid_until=datetime.date.today() + datetime.timedelta(days=1))
    path = tmp_path / "s.json"
    path.write_text(row.body, encoding="utf-8")
    assert verify(path, cwd=tmp_path).returncode == 0
    # A statement whose day has passed: checked with a clock a year on
    from solidarity.channels import verification

    later = datetime.date.today() + datetime.timedelta(days=400)
    verdict = verification.verify_bytes(path.read_bytes(), today=later)
    assert verdict.code == 3
    assert "EXPIRED" in verdict.lines[-1]


def test_verify_through_call_command_gives_the_same_exit_code(signed_file, tmp_path, capsys):
    call_command("channels", "verify", str(signed_file))
    assert "VALID: the signature holds" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        call_command("channels", "verify", str(bad))
    assert exit_.value.code == 2


def test_bad_input_to_sign_is_refused_and_nothing_is_stored(coordinator, monkeypatch):
    monkeypatch.setenv(PASSPHRASE_ENV, coordinator.passphrase)
    by = ["--by", coordinator.user.username]
    with pytest.raises(CommandError, match="is not a web address we accept"):
        call_command("channels", "sign", "--web", "http://fund.example.org", *by)
    with pytest.raises(CommandError, match="not a Telegram bot username"):
        call_command("channels", "sign", "--bot", "@x", *by)
    with pytest.raises(CommandError, match="names no web address"):
        call_command("channels", "sign", *by)
    with pytest.raises(CommandError, match="valid-until"):
        call_command("channels", "sign", "--bot", "@FundBot", "--valid-until", "soon", *by)
    with pytest.raises(CommandError, match="at most a year"):
        call_command("channels", "sign", "--bot", "@FundBot", "--valid-until", "2020-01-01", *by)
    assert not SignedStatement.objects.exists()
    assert not SigningKey.objects.exists()


def test_a_wrong_passphrase_or_a_volunteer_cannot_sign(coordinator, volunteer, monkeypatch):
    monkeypatch.setenv(PASSPHRASE_ENV, "not the passphrase at all, no")
    with pytest.raises(CommandError, match="did not open"):
        call_command("channels", "sign", "--bot", "@FundBot", "--by", coordinator.user.username)
    monkeypatch.setenv(PASSPHRASE_ENV, volunteer.passphrase)
    with pytest.raises(CommandError, match="Only a coordinator"):
        call_command("channels", "sign", "--bot", "@FundBot", "--by", volunteer.user.username)
    assert not SignedStatement.objects.exists()


def test_a_new_key_retires_the_old_one_which_still_verifies(coordinator, tmp_path):
    first = sign(coordinator)
    second = sign(coordinator, new_key=True)
    old_key, new_key = first.signing_key, second.signing_key
    old_key.refresh_from_db()
    assert old_key.retired_at is not None
    assert new_key.retired_at is None
    assert old_key.fingerprint != new_key.fingerprint
    # The retired key signs nothing any more: its copies are gone
    assert not SigningKeyWrap.objects.filter(signing_key=old_key).exists()
    # ... but what it signed still checks out against its fingerprint
    path = tmp_path / "old.json"
    path.write_text(first.body, encoding="utf-8")
    assert verify(path, "--fingerprint", old_key.fingerprint, cwd=tmp_path).returncode == 0
    assert verify(path, "--fingerprint", new_key.fingerprint, cwd=tmp_path).returncode == 3


def test_a_coordinator_approved_later_gets_a_copy_and_can_sign(coordinator):
    sign(coordinator)
    # Given a coordinator invited, enrolled and approved by the first one, as in real life
    invitation = team.invite_staff("newcoord", "coordinator", by=coordinator.user)
    device = team.enrolment_device(team.find_invite(invitation.token))
    team.complete_enrolment(invitation.token, DEFAULT_PASSPHRASE, totp_code(device))
    key = keyring.unlock_staff_key(coordinator.user, coordinator.passphrase)
    team.approve_staff(invitation.user, by=coordinator.user, staff_private_key=key)
    # Then they hold a copy of the current signing key and sign with it
    assert signing_keys.has_signing_access(invitation.user)
    newcomer = Staff(invitation.user, device, DEFAULT_PASSPHRASE)
    row = sign(newcomer, CHANNELS)
    assert row.signing_key == SigningKey.objects.get()
    assert row.signed_by == invitation.user


def test_revoking_a_coordinator_deletes_their_copy(coordinator):
    sign(coordinator)
    assert SigningKeyWrap.objects.filter(user=coordinator.user).exists()
    keyring.delete_staff_key_copies(coordinator.user)
    assert not SigningKeyWrap.objects.filter(user=coordinator.user).exists()


def test_a_coordinator_without_a_copy_can_only_replace_the_key(coordinator):
    sign(coordinator)
    # Given a coordinator who got the intake key after the signing key was made, not
    # through approval (so no copy of the signing key)
    late = make_staff(role="coordinator")
    assert not signing_keys.has_signing_access(late.user)
    with pytest.raises(signing_keys.NoSigningAccessError):
        sign(late)
    # When they replace the key, every coordinator holding the intake key gets the new one
    row = sign(late, new_key=True)
    assert signing_keys.has_signing_access(late.user)
    assert signing_keys.has_signing_access(coordinator.user)
    assert sign(coordinator).signing_key == row.signing_key
