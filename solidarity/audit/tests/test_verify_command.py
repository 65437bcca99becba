from __future__ import annotations

import io

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from solidarity.audit import services as audit
from solidarity.audit.models import AuditEvent


def verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


@pytest.fixture
def three_events(db) -> list[AuditEvent]:
    return [audit.record("case.viewed", subject=f"CASE-{n}") for n in range(3)]


def test_verify_passes_on_an_intact_log_and_says_how_many_entries(three_events):
    assert "3 entries checked" in verify()


def test_verify_passes_on_an_empty_log(db):
    assert "0 entries checked" in verify()


def test_verify_names_the_first_edited_entry(three_events):
    edited = three_events[1]
    AuditEvent.objects.filter(pk=edited.pk).update(action="case.nothing_to_see")

    with pytest.raises(CommandError, match=f"entry {edited.pk}: entry was edited"):
        verify()


def test_verify_notices_a_deleted_entry(three_events):
    AuditEvent.objects.filter(pk=three_events[1].pk).delete()

    with pytest.raises(CommandError, match=f"entry {three_events[2].pk}"):
        verify()


def test_verify_notices_the_newest_entries_were_removed(three_events):
    AuditEvent.objects.filter(pk=three_events[2].pk).delete()

    with pytest.raises(CommandError, match="after 2 intact entries"):
        verify()


def test_verify_exits_non_zero_from_the_command_line(three_events, capsys):
    AuditEvent.objects.filter(pk=three_events[0].pk).update(subject="CASE-X")

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["solidarity", "audit", "verify"]).execute()

    assert exited.value.code == 1
    assert f"entry {three_events[0].pk}" in capsys.readouterr().err
