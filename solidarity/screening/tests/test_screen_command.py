"""`solidarity screen --user NAME`: the console's batch screening, for large backlogs."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from solidarity.screening import services
from solidarity.screening.models import CaseFlag, CaseScreening
from solidarity.screening.tests.conftest import apply


def test_it_screens_every_pending_case_in_batches(coordinator, monkeypatch):
    for _ in range(5):
        apply(service_number="BY1234567")
    monkeypatch.setenv("SOLIDARITY_SCREEN_PASSPHRASE", coordinator.staff.passphrase)
    out = StringIO()

    call_command("screen", user="alice", batch=2, stdout=out)

    assert CaseScreening.objects.count() == 5
    assert services.pending_count() == 0
    # 5 cases with one service number: every pair, on both cases
    assert CaseFlag.objects.count() == 20
    assert "Done: 5 cases screened, 20 new flags, 0 did not open." in out.getvalue()
    assert "BY1234567" not in out.getvalue()


def test_a_wrong_passphrase_screens_nothing(coordinator, monkeypatch):
    apply()
    monkeypatch.setenv("SOLIDARITY_SCREEN_PASSPHRASE", "not the passphrase at all")
    with pytest.raises(CommandError, match="does not open"):
        call_command("screen", user="alice", stdout=StringIO())
    assert not CaseScreening.objects.exists()


def test_a_volunteer_cannot_screen(volunteer, monkeypatch):
    monkeypatch.setenv("SOLIDARITY_SCREEN_PASSPHRASE", volunteer.staff.passphrase)
    with pytest.raises(CommandError, match="is not a coordinator"):
        call_command("screen", user="victor", stdout=StringIO())
