"""Screening as a coordinator runs it: the list, duplicates and stories, and who may."""

from __future__ import annotations

import hashlib

import pytest
from django.db import transaction
from django.utils import timezone

from solidarity.audit.models import AuditEvent
from solidarity.cases.models import Case
from solidarity.screening import services, stories
from solidarity.screening.models import (
    AbuserEntry,
    AbuserImport,
    CaseFlag,
    CaseScreening,
    IdentifierDigest,
    ScreeningKey,
    StoryBand,
)
from solidarity.screening.tests.conftest import apply, assert_nowhere_in_database, story, unlocked
from solidarity.testing.factories import intake_private_key, make_staff
from solidarity.vault import core, keyring, screening_keys

LIST = (
    "name,service_number,unit,note\n"
    "Аляксандр Лукашэнка,АВ 123456,ОМОН Мінск,CanaryNoteQx7\n"
    "Ціханоўскі Сяргей,,,\n"
    ",MVD-778899,,\n"
)


def _import(worker, text: str = LIST, *, replace: bool = False):
    return services.import_abuser_list(worker.user, worker.key, text.encode(), replace=replace)


def _screen(worker, **kwargs) -> services.RunReport:
    return services.screen_pending_cases(worker.user, worker.key, **kwargs)


def _flags(case: Case, kind: str | None = None) -> list[CaseFlag]:
    flags = CaseFlag.objects.filter(case=case)
    return list(flags.filter(kind=kind) if kind else flags)


# --- who may screen ----------------------------------------------------------------------


def _calls(worker_user, key, case):
    return [
        lambda: services.screen_pending_cases(worker_user, key),
        lambda: services.screen_case(worker_user, key, case),
        lambda: services.import_abuser_list(worker_user, key, LIST.encode(), replace=False),
        lambda: services.read_abuser_list(worker_user, key),
        lambda: services.case_flags(worker_user, key, case),
        lambda: services.decide_flag(worker_user, key, 1, "clear"),
    ]


def test_a_volunteer_is_refused_everything(volunteer):
    case = apply()
    for call in _calls(volunteer.user, volunteer.key, case):
        with pytest.raises(services.ScreeningRefusedError):
            call()
    assert not CaseScreening.objects.exists()
    assert not AbuserEntry.objects.exists()
    assert AuditEvent.objects.filter(action="screening.refused", actor=volunteer.user).count() == 6


def test_a_locked_coordinator_is_refused(coordinator):
    case = apply()
    for call in _calls(coordinator.user, None, case):
        with pytest.raises(services.ScreeningRefusedError):
            call()
    assert not CaseScreening.objects.exists()


def test_another_persons_key_is_refused(coordinator, volunteer):
    case = apply()
    for call in _calls(coordinator.user, volunteer.key, case):
        with pytest.raises(services.ScreeningRefusedError):
            call()


@pytest.mark.parametrize("role", ["admin", "treasurer", "trustee"])
def test_other_roles_are_refused(org, role):
    staff = unlocked(make_staff(role=role))
    with pytest.raises(services.ScreeningRefusedError):
        _screen(staff)


def test_a_coordinator_without_the_intake_key_is_refused(org):
    from solidarity.accounts import services as accounts

    enrolment = accounts.enrol_staff_member(
        "newcoordinator", "coordinator", "a long enough passphrase, really", by=None
    )
    worker = unlocked(
        type("S", (), {"user": enrolment.user, "passphrase": "a long enough passphrase, really"})
    )
    with pytest.raises(services.ScreeningRefusedError):
        _screen(worker)


def test_a_revoked_coordinator_is_refused(coordinator):
    coordinator.user.revoked_at = timezone.now()
    coordinator.user.save(update_fields=["revoked_at"])
    with pytest.raises(services.ScreeningRefusedError):
        _screen(coordinator)


# --- (a) the abuser list ----------------------------------------------------------------


def test_the_abuser_list_is_sealed_to_the_intake_key(coordinator):
    _import(coordinator)

    # Nothing of the list is in the database in clear, in any spelling
    assert_nowhere_in_database("Лукашэнка", "Lukashenka", "lukasenka", "CanaryNoteQx7", "778899")
    # ... and each entry opens with the intake key alone
    intake = intake_private_key()
    opened = [
        core.open_sealed(intake, bytes(entry.entry_sealed)).decode()
        for entry in AbuserEntry.objects.all()
    ]
    assert "Аляксандр Лукашэнка" in opened[0]
    # ... and a coordinator reads it back, audited
    entries = services.read_abuser_list(coordinator.user, coordinator.key)
    assert [e["name"] for e in entries] == ["Аляксандр Лукашэнка", "Ціханоўскі Сяргей", ""]
    assert AuditEvent.objects.filter(action="screening.abuser_list_viewed").exists()
    audit_text = str(list(AuditEvent.objects.values()))
    assert "Лукашэнка" not in audit_text


def test_nothing_is_stored_from_a_bad_file(coordinator):
    bad = LIST + "Лукашенко,,,\n"  # the last row has one word only

    with pytest.raises(services.AbuserListError) as caught:
        _import(coordinator, bad)

    assert caught.value.problems == [
        "Row 5: the name needs a given name (or its initial) and a surname; "
        "one word alone would match strangers."
    ]
    assert not AbuserEntry.objects.exists()
    assert not AbuserImport.objects.exists()
    assert AuditEvent.objects.filter(action="screening.abuser_list_rejected").exists()


def test_a_listed_name_in_a_story_is_flagged_with_the_match_sealed(coordinator):
    _import(coordinator)
    case = apply(
        employer="ОМОН, Минск",
        story="Мой командир Александр Лукашенко приказал нам бить задержанных. Я отказался.",
    )
    other = apply(story="Я служил в ГАИ и уволился после выборов, когда увидел избиения людей.")

    report = _screen(coordinator)

    assert report.flags[CaseFlag.Kind.ABUSER_MATCH] == 1
    (flag,) = _flags(case, CaseFlag.Kind.ABUSER_MATCH)
    assert (flag.reason, flag.source, flag.state) == ("name", "story", "open")
    assert flag.explanation.startswith("A name in the story resembles an entry of the abuser list")
    assert flag.explanation.endswith("The unit matches too.")
    assert _flags(other) == []
    # The explanation in clear names nobody; what matched is sealed
    assert_nowhere_in_database("Лукашенко", "Лукашэнка", "Lukashenko", "lukashenko")
    (view,) = services.case_flags(coordinator.user, coordinator.key, case)
    assert view.detail["entry"]["name"] == "Аляксандр Лукашэнка"
    assert view.detail["found"] == "aleksandr lukashenko"
    assert view.detail["unit_matches"] is True
    # The listed entry is for coordinators only (intake key); the applicant's own words that
    # matched follow the case key, so shredding the case shreds them
    case_key = keyring.open_case_key_with_intake(case, intake_private_key())
    assert core.open_sealed(case_key, bytes(flag.found_sealed))
    with pytest.raises(core.TamperedCiphertextError):
        core.open_sealed(case_key, bytes(flag.detail_sealed))
    with pytest.raises(core.TamperedCiphertextError):
        core.open_sealed(intake_private_key(), bytes(flag.found_sealed))


@pytest.mark.parametrize(
    "answers",
    [
        {"service_number": "ab-123456"},  # Latin for the listed Cyrillic "АВ 123456"
        {"story": "Мой личный номер был AB 123456, я служил в ОМОНе три года и уволился."},
        {"contact_kind": "telegram", "contact_handle": "@a_lukashenko"},
        {"full_name": "Lukashenko Alexander"},
    ],
)
def test_the_list_is_matched_across_scripts_and_fields(coordinator, answers):
    _import(coordinator)
    case = apply(**answers)

    _screen(coordinator)

    assert len(_flags(case, CaseFlag.Kind.ABUSER_MATCH)) == 1


def test_new_entries_are_compared_with_cases_already_screened(coordinator):
    case = apply(story="Я служил вместе с Сергеем Тихановским в одной роте. Потом уволился.")
    _screen(coordinator)
    assert services.screening_status(case) == "clear"

    # When the list grows, screened cases are pending again, for the new entries only
    _import(coordinator)
    assert services.screening_status(case) == "not_screened"
    report = _screen(coordinator)

    assert report.screened == 1
    assert len(_flags(case, CaseFlag.Kind.ABUSER_MATCH)) == 1
    assert services.screening_status(case) == "flagged"


def test_a_replaced_list_keeps_decisions_already_made(coordinator):
    _import(coordinator)
    case = apply(service_number="AB123456")
    _screen(coordinator)
    (flag,) = _flags(case)
    services.decide_flag(coordinator.user, coordinator.key, flag.id, "clear")

    # The same person comes back in a replacement list: the cleared hit stays cleared
    _import(coordinator, replace=True)
    _screen(coordinator)

    assert AbuserEntry.objects.count() == 3
    (flag,) = _flags(case)
    assert flag.state == CaseFlag.State.CLEARED


# --- (b) the same identifier in several cases ---------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "reason"),
    [
        (
            {"contact_kind": "telegram", "contact_handle": "@Ivan_Petrov77"},
            {"contact_kind": "telegram", "contact_handle": "ivan_petrov77"},
            "telegram_handle",
        ),
        (
            {"contact_kind": "signal", "contact_handle": "+375 29 123 45 67"},
            {"contact_kind": "signal", "contact_handle": "8 029 123 45 67"},
            "phone",
        ),
        ({"service_number": "АВ 1234567"}, {"service_number": "ab1234567"}, "service_number"),
        ({"telegram_chat_id": 555123987}, {"telegram_chat_id": 555123987}, "telegram_chat"),
    ],
)
def test_the_same_identifier_in_two_cases_flags_both(coordinator, first, second, reason):
    a = apply(**first)
    unrelated = apply(contact_kind="telegram", contact_handle="someone_else")
    b = apply(**second)

    _screen(coordinator)

    (flag_a,) = _flags(a, CaseFlag.Kind.DUPLICATE_IDENTIFIER)
    (flag_b,) = _flags(b, CaseFlag.Kind.DUPLICATE_IDENTIFIER)
    assert (flag_a.related_case, flag_b.related_case) == (b, a)
    assert flag_a.reason == reason
    assert b.code in flag_a.explanation
    assert _flags(unrelated) == []


def test_identifiers_are_stored_only_as_hashes_keyed_with_a_key_from_the_vault(coordinator):
    apply(contact_kind="signal", contact_handle="+375 29 765 43 21")
    apply(contact_kind="telegram", contact_handle="CanaryHandle_Z9")

    _screen(coordinator)

    assert_nowhere_in_database("375297654321", "765 43 21", "CanaryHandle_Z9")
    # The digests are keyed: the same value hashed without the key (a seizer's guess) is
    # nowhere, and the key itself is stored only sealed to the intake key.
    guesses = {
        hashlib.blake2b(f"{kind}\x00{value}".encode(), digest_size=16).hexdigest()
        for kind, value in [("phone", "375297654321"), ("telegram_handle", "canaryhandle_z9")]
    }
    stored = set(IdentifierDigest.objects.values_list("digest", flat=True))
    assert len(stored) == 2
    assert not stored & guesses
    (key_row,) = ScreeningKey.objects.all()
    screening_key = screening_keys.open_screening_key(key_row.key_sealed, intake_private_key())
    identifiers_key = screening_keys.subkey(screening_key, screening_keys.IDENTIFIERS)
    expected = screening_keys.identifier_digest(identifiers_key, "phone", "375297654321")
    assert expected in stored
    assert screening_key not in (bytes(key_row.key_sealed),)


def test_a_case_from_a_later_day_is_compared_with_the_index_not_reopened(coordinator):
    first = apply(contact_kind="telegram", contact_handle="same_person_1")
    _screen(coordinator)

    second = apply(contact_kind="telegram", contact_handle="same_person_1")
    report = _screen(coordinator)

    assert report.screened == 1  # only the new case was decrypted
    assert _flags(first)[0].related_case == second


# --- (c) near-duplicate stories -------------------------------------------------------


def test_a_reworded_story_is_flagged_and_unrelated_ones_are_not(coordinator):
    original = apply(story=story("ru_omon_minsk"))
    others = [
        apply(story=story(name)) for name in ("ru_omon_brest", "ru_gai_gomel", "en_riot_police")
    ]
    _screen(coordinator)

    # A week later the same story comes back, reworded
    copy = apply(story=story("ru_omon_minsk_heavily_reworded"))
    _screen(coordinator)

    (flag,) = _flags(copy, CaseFlag.Kind.DUPLICATE_STORY)
    assert flag.related_case == original
    assert flag.score >= stories.DEFAULT_THRESHOLD
    assert _flags(original, CaseFlag.Kind.DUPLICATE_STORY)[0].related_case == copy
    for other in others:
        assert _flags(other) == []


def test_story_fingerprints_are_stored_keyed(coordinator):
    text = story("be_sledchy_brest")
    apply(story=text)
    _screen(coordinator)

    sketch = stories.sketch(text)
    unkeyed_signature = stories.signature_bytes(sketch.shingles)
    (row,) = CaseScreening.objects.all()
    assert bytes(row.story_signature_keyed) not in (b"", unkeyed_signature)
    # A seizer computing the bands of a guessed story with the public MinHash finds none
    guessed_bands = {
        int.from_bytes(hashlib.blake2b(band, digest_size=8).digest(), "big", signed=True)
        for band in stories.bands(sketch.vocabulary)
    }
    stored = set(StoryBand.objects.values_list("band", flat=True))
    assert len(stored) == stories.BANDS
    assert not stored & guessed_bands


# --- running, deciding --------------------------------------------------------------


def test_new_cases_wait_for_a_coordinator_and_go_in_batches(coordinator):
    cases = [apply() for _ in range(5)]
    assert services.pending_count() == 5
    assert services.screening_status(cases[0]) == "not_screened"

    report = _screen(coordinator, limit=2)

    assert (report.screened, report.remaining) == (2, 3)
    assert _screen(coordinator).remaining == 0
    assert AuditEvent.objects.filter(action="screening.run", actor=coordinator.user).count() == 2


def test_a_case_whose_answers_do_not_open_stays_pending(coordinator):
    broken = apply()
    Case.objects.filter(pk=broken.pk).update(answers_sealed=b"\x00" * 80)

    report = _screen(coordinator)

    assert report.unreadable == 1
    assert services.screening_status(broken) == "not_screened"


def test_a_decided_flag_is_audited_and_not_raised_again(coordinator):
    a = apply(service_number="BY998877")
    apply(service_number="BY998877")
    _screen(coordinator)
    (flag,) = _flags(a)

    services.decide_flag(coordinator.user, coordinator.key, flag.id, "clear")
    with pytest.raises(services.FlagStateError):
        services.decide_flag(coordinator.user, coordinator.key, flag.id, "clear")
    # Screening again (a new list forces every case through) does not reopen it
    _import(coordinator)
    _screen(coordinator)

    flag.refresh_from_db()
    assert (flag.state, flag.decided_by) == (CaseFlag.State.CLEARED, coordinator.user)
    assert len(_flags(a)) == 1
    assert AuditEvent.objects.filter(
        action="screening.flag_cleared", subject=a.code, actor=coordinator.user
    ).exists()
    services.decide_flag(coordinator.user, coordinator.key, flag.id, "confirm")
    flag.refresh_from_db()
    assert flag.state == CaseFlag.State.CONFIRMED


def test_the_queue_filter_finds_cases_with_open_flags(coordinator):
    flagged = apply(service_number="BY55443322")
    apply(service_number="BY55443322")
    apply()
    _screen(coordinator)

    found = Case.objects.filter(
        flags__kind=CaseFlag.Kind.DUPLICATE_IDENTIFIER, flags__state=CaseFlag.State.OPEN
    ).distinct()

    assert flagged in found
    assert found.count() == 2


def test_screening_survives_an_intake_key_rotation(coordinator):
    apply(contact_kind="telegram", contact_handle="rotating_person")
    _screen(coordinator)
    key_before = ScreeningKey.objects.get()

    with transaction.atomic():
        keyring.rotate_intake_key(intake_private_key())
    apply(contact_kind="telegram", contact_handle="rotating_person")
    _screen(coordinator)

    # The same screening key (resealed to the new intake key) made the same digest
    assert ScreeningKey.objects.get() == key_before
    assert CaseFlag.objects.filter(kind=CaseFlag.Kind.DUPLICATE_IDENTIFIER).count() == 2


def test_the_matched_words_follow_the_case_to_its_new_key(coordinator):
    """A re-key (after a volunteer is revoked) moves what is sealed to the case key."""
    _import(coordinator)
    case = apply(story="Приказ нам отдал Александр Лукашенко лично, я это видел своими глазами.")
    _screen(coordinator)

    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        old_key = keyring.open_case_key_with_intake(locked, intake_private_key())
        keyring.rekey_case(locked, old_key, keyring.intake_public_key())

    (view,) = services.case_flags(coordinator.user, coordinator.key, Case.objects.get(pk=case.pk))
    assert view.detail["found"] == "aleksandr lukashenko"
