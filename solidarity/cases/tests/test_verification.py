"""The verification services: checklist, evidence notes, decisions and who may make them."""

from __future__ import annotations

import pytest

from solidarity.audit.models import AuditEvent
from solidarity.audit.services import verify_chain
from solidarity.cases import sealed, verification
from solidarity.cases.models import (
    CHECKLISTS,
    Case,
    CaseStateError,
    ChecklistEntry,
    ChecklistItem,
    Decision,
    Message,
    Programme,
)
from solidarity.cases.services import case_private_key_for_staff, open_case
from solidarity.cases.tests.conftest import make_case, screen

REPEATED_STORY = (
    "On the night after the election our company was sent to the avenue near the metro. "
    "The commander ordered us to detain everyone walking home, students and old women "
    "included, and to use batons on anyone who filmed. I refused, handed in my weapon "
    "and wrote a resignation letter in the morning. Now the ministry demands that I repay "
    "the cost of my training academy, almost eleven thousand dollars, within three months."
)
NOTE_CANARY = "CanaryEvidenceNoteQ8 saw ID of Sergeant Ivanou"
REASON_CANARY = "CanaryRejectReasonP2 he was in the OMON unit at Akrescina"


def tick_all(case, worker, note="Seen on video call"):
    assert screen(case, worker) == "clear"
    for item in CHECKLISTS[case.programme]:
        voucher = ""
        if item == ChecklistItem.VOUCHED:
            voucher = verified_officer(worker).code
        verification.set_checklist_item(
            case,
            item,
            by=worker.user,
            staff_key=worker.key,
            done=True,
            note=note,
            voucher_code=voucher,
        )


def verified_officer(coordinator) -> Case:
    """Another security-forces case, already verified (its status set directly: the path to
    it is tested below, and a voucher needs only the outcome)."""
    other = make_case()
    Case.objects.filter(pk=other.pk).update(status=Case.Status.VERIFIED)
    return other


def test_each_programme_has_its_checklist_ending_in_screening():
    assert CHECKLISTS[Programme.SECURITY_FORCES] == (
        "service_id",
        "separation_papers",
        "video_statement",
        "vouched",
        "screening_clear",
    )
    assert CHECKLISTS[Programme.WORKERS] == (
        "employment_proof",
        "dismissal_evidence",
        "screening_clear",
    )
    assert CHECKLISTS[Programme.REPRESSION] == ("repression_evidence", "screening_clear")


def test_ticking_a_step_seals_the_note_and_starts_the_review(case, coordinator):
    entry = verification.set_checklist_item(
        case,
        "service_id",
        by=coordinator.user,
        staff_key=coordinator.key,
        done=True,
        note=NOTE_CANARY,
    )

    case.refresh_from_db()
    assert case.status == Case.Status.IN_REVIEW
    row = ChecklistEntry.objects.get(pk=entry.pk)
    assert row.done
    assert row.updated_by == coordinator.user
    assert NOTE_CANARY.encode() not in bytes(row.note_sealed)
    key = case_private_key_for_staff(case, coordinator.user, coordinator.key)
    [change] = sealed.open_json(key, row.note_sealed)["history"]
    assert (change["note"], change["done"], change["by"]) == (NOTE_CANARY, True, "alice")
    assert AuditEvent.objects.filter(
        action="case.checklist_ticked", subject=case.code, details__item="service_id"
    ).exists()
    assert AuditEvent.objects.filter(
        action="case.status_changed", subject=case.code, details__after="in_review"
    ).exists()


def test_unticking_keeps_the_earlier_note_in_the_sealed_history(case, coordinator):
    for done, note in ((True, "first look"), (False, "the stamp looks forged")):
        verification.set_checklist_item(
            case,
            "service_id",
            by=coordinator.user,
            staff_key=coordinator.key,
            done=done,
            note=note,
        )

    panel = verification.verification_panel(case, coordinator.user, coordinator.key)
    row = panel.rows[0]
    assert not row.done
    assert [c["note"] for c in row.history] == ["first look", "the stamp looks forged"]


def test_a_tick_without_a_note_is_refused(case, coordinator):
    with pytest.raises(verification.InvalidDecisionError):
        verification.set_checklist_item(
            case,
            "service_id",
            by=coordinator.user,
            staff_key=coordinator.key,
            done=True,
            note="  ",
        )
    assert not ChecklistEntry.objects.exists()


def test_a_step_of_another_programme_is_refused(case, coordinator):
    with pytest.raises(verification.ChecklistItemError):
        verification.set_checklist_item(
            case,
            "employment_proof",
            by=coordinator.user,
            staff_key=coordinator.key,
            done=True,
            note="payslip",
        )


def test_the_voucher_must_be_another_verified_officer(case, coordinator):
    unverified = make_case()
    worker = make_case(programme="workers", situation="workers:fired")
    Case.objects.filter(pk=worker.pk).update(status=Case.Status.VERIFIED)

    for code in ("", "ZZZZ-ZZZZ-ZZZZ", unverified.code, worker.code, case.code):
        with pytest.raises(verification.VoucherError):
            verification.set_checklist_item(
                case,
                "vouched",
                by=coordinator.user,
                staff_key=coordinator.key,
                done=True,
                note="vouched by phone",
                voucher_code=code,
            )

    voucher = verified_officer(coordinator)
    verification.set_checklist_item(
        case,
        "vouched",
        by=coordinator.user,
        staff_key=coordinator.key,
        done=True,
        note="vouched by phone",
        voucher_code=voucher.code.lower().replace("-", " "),
    )
    panel = verification.verification_panel(case, coordinator.user, coordinator.key)
    vouched = next(r for r in panel.rows if r.item == "vouched")
    assert vouched.history[-1]["voucher"] == voucher.code


def test_the_vouchers_code_never_appears_in_clear(case, coordinator):
    voucher = verified_officer(coordinator)
    verification.set_checklist_item(
        case,
        "vouched",
        by=coordinator.user,
        staff_key=coordinator.key,
        done=True,
        note="vouched",
        voucher_code=voucher.code,
    )
    # Linking two applicants in clear would map the fund's network for whoever seizes it.
    for event in AuditEvent.objects.all():
        assert voucher.code not in str(event.details)
    assert voucher.code.encode() not in bytes(ChecklistEntry.objects.get().note_sealed)


def test_a_case_cannot_be_verified_before_the_checklist_is_done(case, coordinator):
    verification.set_checklist_item(
        case, "service_id", by=coordinator.user, staff_key=coordinator.key, done=True, note="ok"
    )

    with pytest.raises(verification.ChecklistIncompleteError):
        verification.decide_case(
            case, by=coordinator.user, staff_key=coordinator.key, outcome="verified"
        )
    case.refresh_from_db()
    assert case.status == Case.Status.IN_REVIEW
    assert not Decision.objects.exists()


def test_a_complete_checklist_lets_a_coordinator_verify(case, coordinator):
    tick_all(case, coordinator)

    decision = verification.decide_case(
        case,
        by=coordinator.user,
        staff_key=coordinator.key,
        outcome="verified",
        message="Welcome. We will write about support next week.",
    )

    case.refresh_from_db()
    assert case.status == Case.Status.VERIFIED
    assert decision.message is not None
    assert not decision.message.from_applicant
    event = AuditEvent.objects.get(action="case.decided", subject=case.code)
    assert event.actor == coordinator.user
    assert event.details == {
        "outcome": "verified",
        "category": "",
        "told_applicant": True,
        "reason_sent": False,
    }
    assert verify_chain().ok


def test_after_a_decision_the_checklist_is_frozen(case, coordinator):
    tick_all(case, coordinator)
    verification.decide_case(
        case, by=coordinator.user, staff_key=coordinator.key, outcome="verified"
    )

    with pytest.raises(CaseStateError):
        verification.set_checklist_item(
            case, "service_id", by=coordinator.user, staff_key=coordinator.key, done=False, note=""
        )


def test_a_rejection_needs_a_category_and_a_reason_kept_sealed(case, coordinator):
    with pytest.raises(verification.InvalidDecisionError):
        verification.decide_case(
            case,
            by=coordinator.user,
            staff_key=coordinator.key,
            outcome="rejected",
            reason=REASON_CANARY,
        )

    decision = verification.decide_case(
        case,
        by=coordinator.user,
        staff_key=coordinator.key,
        outcome="rejected",
        reason_category="known_abuser",
        reason=REASON_CANARY,
    )

    assert decision.reason_category == "known_abuser"
    assert decision.message is None  # the reason was not sent
    assert REASON_CANARY.encode() not in bytes(decision.reason_sealed)
    panel = verification.verification_panel(case, coordinator.user, coordinator.key)
    assert panel.decisions[0].reason == REASON_CANARY
    assert panel.decisions[0].reason_category_label == "Identified as an abuser"


def test_a_rejection_reason_reaches_the_applicant_only_when_sent(case, coordinator):
    verification.decide_case(
        case,
        by=coordinator.user,
        staff_key=coordinator.key,
        outcome="rejected",
        reason_category="not_eligible",
        reason="Your dismissal was before 2020.",
        send_reason=True,
        message="We are sorry.",
    )

    key = case_private_key_for_staff(case, coordinator.user, coordinator.key)
    [message] = open_case(case, key).messages
    assert message["body"] == "We are sorry.\n\nYour dismissal was before 2020."


def test_asking_for_more_information_needs_a_message(case, coordinator):
    with pytest.raises(verification.InvalidDecisionError):
        verification.decide_case(
            case, by=coordinator.user, staff_key=coordinator.key, outcome="more_info"
        )

    verification.decide_case(
        case,
        by=coordinator.user,
        staff_key=coordinator.key,
        outcome="more_info",
        message="Please send a photo of your resignation letter.",
    )

    case.refresh_from_db()
    assert case.status == Case.Status.MORE_INFO
    assert Message.objects.filter(case=case, from_applicant=False).count() == 1
    # When the applicant has answered, work resumes
    verification.resume_review(case, by=coordinator.user, staff_key=coordinator.key)
    case.refresh_from_db()
    assert case.status == Case.Status.IN_REVIEW


def test_a_decided_case_can_be_closed_or_reopened_by_a_coordinator(case, coordinator):
    verification.decide_case(
        case,
        by=coordinator.user,
        staff_key=coordinator.key,
        outcome="rejected",
        reason_category="duplicate",
        reason="Same as an earlier case.",
    )
    verification.reopen_case(case, by=coordinator.user, staff_key=coordinator.key)
    assert Case.objects.get(pk=case.pk).status == Case.Status.IN_REVIEW
    with pytest.raises(CaseStateError):
        verification.close_case(case, by=coordinator.user, staff_key=coordinator.key)


@pytest.mark.parametrize("role", ["volunteer", "treasurer"])
def test_only_a_coordinator_decides(case, role, request):
    worker = request.getfixturevalue(role)
    with pytest.raises(verification.VerificationDeniedError):
        verification.decide_case(
            case,
            by=worker.user,
            staff_key=worker.key,
            outcome="rejected",
            reason_category="duplicate",
            reason="x",
        )
    case.refresh_from_db()
    assert case.status == Case.Status.NEW
    assert AuditEvent.objects.filter(
        action="case.access_denied", actor=worker.user, details__attempted="decide"
    ).exists()


def test_a_treasurer_may_not_tick_even_holding_keys(case, treasurer):
    with pytest.raises(verification.VerificationDeniedError):
        verification.set_checklist_item(
            case, "service_id", by=treasurer.user, staff_key=treasurer.key, done=True, note="x"
        )
    assert not ChecklistEntry.objects.exists()


def test_a_volunteer_without_a_grant_for_the_case_may_not_tick_or_read_it(case, volunteer):
    # Until this case is assigned to them, no key of theirs opens it (need to know).
    with pytest.raises(verification.VerificationDeniedError):
        verification.set_checklist_item(
            case, "service_id", by=volunteer.user, staff_key=volunteer.key, done=True, note="x"
        )
    with pytest.raises(verification.VerificationDeniedError):
        verification.verification_panel(case, volunteer.user, volunteer.key)
    assert AuditEvent.objects.filter(
        action="case.access_denied", actor=volunteer.user, details__attempted="checklist"
    ).exists()


def test_a_coordinator_with_a_wrong_key_is_refused(case, coordinator, volunteer):
    with pytest.raises(verification.VerificationDeniedError):
        verification.set_checklist_item(
            case, "service_id", by=coordinator.user, staff_key=volunteer.key, done=True, note="x"
        )


def test_screening_clear_needs_a_screening_that_found_nothing(case, coordinator):
    def tick():
        verification.set_checklist_item(
            case,
            "screening_clear",
            by=coordinator.user,
            staff_key=coordinator.key,
            done=True,
            note="no flags",
        )

    # Not screened yet: refused, and the panel says why instead of offering the tick
    with pytest.raises(verification.ScreeningNotClearError, match="not screened"):
        tick()
    panel = verification.verification_panel(case, coordinator.user, coordinator.key)
    assert "not screened" in next(r for r in panel.rows if r.item == "screening_clear").blocked

    assert screen(case, coordinator) == "clear"
    tick()
    assert ChecklistEntry.objects.get(case=case, item="screening_clear").done


def test_an_open_screening_flag_blocks_the_tick_and_the_verification(coordinator):
    story = REPEATED_STORY
    first, second = make_case(story=story), make_case(story=story + " Really.")
    assert screen(first, coordinator) == "clear"
    # The same story again: screening flags the second case
    assert screen(second, coordinator) == "flagged"

    with pytest.raises(verification.ScreeningNotClearError, match="flag"):
        verification.set_checklist_item(
            second,
            "screening_clear",
            by=coordinator.user,
            staff_key=coordinator.key,
            done=True,
            note="no flags",
        )


def test_a_flag_raised_after_the_tick_still_stops_the_verification(coordinator):
    story = REPEATED_STORY
    case = make_case(story=story)
    tick_all(case, coordinator)
    # A later application repeats the story, and screening it flags the earlier case too
    later = make_case(story=story)
    screen(later, coordinator)
    if screen(case, coordinator) != "flagged":
        pytest.fail("screening did not flag the earlier case of a repeated story")

    with pytest.raises(verification.ScreeningNotClearError):
        verification.decide_case(
            case, by=coordinator.user, staff_key=coordinator.key, outcome="verified"
        )
    assert Case.objects.get(pk=case.pk).status == Case.Status.IN_REVIEW
