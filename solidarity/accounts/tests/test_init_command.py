from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from solidarity.accounts.models import User
from solidarity.audit.models import AuditEvent
from solidarity.vault import keyring
from solidarity.vault.models import IntakeKeyWrap, Organisation

GOOD = "amber harbour lantern wolf"


@pytest.fixture
def passphrase(monkeypatch):
    def use(value: str) -> None:
        monkeypatch.setenv("SOLIDARITY_INIT_PASSPHRASE", value)

    return use


def run_init(**options) -> str:
    out = io.StringIO()
    call_command("init", stdout=out, **options)
    return out.getvalue()


def test_init_creates_the_organisation_and_a_coordinator_holding_the_intake_key(db, passphrase):
    passphrase(GOOD)

    output = run_init(org="Fund of Tests", admin="alice")

    user = User.objects.get(username="alice")
    assert Organisation.objects.get().name == "Fund of Tests"
    assert user.role == User.Role.COORDINATOR
    assert user.check_password(GOOD)
    assert IntakeKeyWrap.objects.filter(user=user).exists()
    # The passphrase opens the personal vault key, which opens the intake key
    staff_key = keyring.unlock_staff_key(user, GOOD)
    assert keyring.open_intake_key(user, staff_key)
    device = user.totpdevice_set.get()
    assert device.confirmed
    assert "otpauth://totp/alice?secret=" in output
    assert "█" in output  # the QR code
    assert GOOD not in output
    assert AuditEvent.objects.filter(action="org.initialised", actor=user).exists()


@pytest.mark.parametrize(
    "weak", ["too short", "alice's own long passphrase", "aaaaaaaaaaaaaaaaaaaa"]
)
def test_init_refuses_a_weak_passphrase_and_creates_nothing(db, passphrase, weak):
    passphrase(weak)

    with pytest.raises(CommandError, match="Passphrase refused"):
        run_init(org="Fund of Tests", admin="alice")

    assert not Organisation.objects.exists()
    assert not User.objects.exists()


def test_init_refuses_to_run_twice(db, passphrase):
    passphrase(GOOD)
    run_init(org="Fund of Tests", admin="alice")

    with pytest.raises(CommandError, match="already initialised"):
        run_init(org="Second Fund", admin="bob")

    assert Organisation.objects.get().name == "Fund of Tests"
    assert not User.objects.filter(username="bob").exists()


def test_init_asks_twice_on_the_terminal_and_refuses_different_answers(db, monkeypatch):
    answers = iter([GOOD, GOOD + " typo"])
    # The terminal is the process boundary: getpass stands in for a person typing.
    monkeypatch.delenv("SOLIDARITY_INIT_PASSPHRASE", raising=False)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    with pytest.raises(CommandError, match="differ"):
        run_init(org="Fund of Tests", admin="alice")

    assert not Organisation.objects.exists()


def test_init_refuses_an_invalid_username(db, passphrase):
    passphrase(GOOD)

    with pytest.raises(CommandError, match="Username refused"):
        run_init(org="Fund of Tests", admin="alice smith")

    assert not Organisation.objects.exists()
