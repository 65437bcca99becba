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


def test_verify_names_the_first_entry_out_of_place_after_a_reorder(three_events):
    first, second, _third = three_events
    # Swap the first two rows by their ids, keeping every other column as it was
    AuditEvent.objects.filter(pk=first.pk).update(id=10_000)
    AuditEvent.objects.filter(pk=second.pk).update(id=first.pk)
    AuditEvent.objects.filter(pk=10_000).update(id=second.pk)

    with pytest.raises(CommandError, match=f"entry {first.pk}: link to the previous entry"):
        verify()


def test_verify_names_the_entry_after_a_deleted_one(three_events):
    AuditEvent.objects.filter(pk=three_events[0].pk).delete()

    with pytest.raises(CommandError, match=f"entry {three_events[1].pk}: link"):
        verify()


def test_verify_notices_an_edit_even_with_its_own_hash_recomputed(three_events):
    edited = three_events[1]
    edited.action = "case.nothing_to_see"
    edited.hash = audit._digest(edited.prev_hash, edited)
    edited.save()

    # The next entry still points at the old hash
    with pytest.raises(CommandError, match=f"entry {three_events[2].pk}: link"):
        verify()


def test_verify_notices_a_removed_head_with_the_newest_entries(three_events):
    from solidarity.audit.models import AuditHead

    AuditEvent.objects.filter(pk=three_events[2].pk).delete()
    AuditHead.objects.all().delete()

    with pytest.raises(CommandError, match="head of the log was removed"):
        verify()


def test_verify_notices_an_entry_appended_behind_the_logs_back(three_events):
    last = three_events[-1]
    forged = AuditEvent(
        at=last.at, action="staff.login", subject="", details={}, prev_hash=last.hash
    )
    forged.hash = audit._digest(last.hash, forged)
    forged.save()

    with pytest.raises(CommandError, match="entries were added after the head"):
        verify()


def test_verify_prints_the_newest_hash_to_keep_elsewhere(three_events):
    assert f"Newest hash: {three_events[-1].hash}" in verify()
