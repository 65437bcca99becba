"""The case status machine under random sequences of staff actions.

Hypothesis draws sequences of ticks, unticks, decisions and status actions; a small model
written from the rules in the issue (not from CASE_TRANSITIONS) predicts each outcome. Every
refused action must raise and change nothing; every accepted one must land where the model
says. The database is real: each example works on a fresh case.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solidarity.audit.models import AuditEvent
from solidarity.audit.services import verify_chain
from solidarity.cases import verification
from solidarity.cases.models import CASE_TRANSITIONS, Case, CaseStateError, Decision
from solidarity.cases.tests.conftest import make_case, screen

ITEMS = ("service_id", "separation_papers", "video_statement", "screening_clear")
# A repression case keeps the model small: two items, no voucher.
REPRESSION_ITEMS = ("repression_evidence", "screening_clear")

ACTIONS = st.one_of(
    st.tuples(st.just("tick"), st.sampled_from(REPRESSION_ITEMS)),
    st.tuples(st.just("untick"), st.sampled_from(REPRESSION_ITEMS)),
    st.tuples(st.just("decide"), st.sampled_from(["verified", "rejected", "more_info"])),
    st.tuples(st.just("status"), st.sampled_from(["resume", "reopen", "close"])),
)

NEW, REVIEW, MORE, VERIFIED, REJECTED, CLOSED = (
    "new",
    "in_review",
    "more_info",
    "verified",
    "rejected",
    "closed",
)


class Model:
    """The rules as the issue states them, written out by hand."""

    def __init__(self) -> None:
        self.status = NEW
        self.done: set[str] = set()

    def expect(self, action: str, arg: str) -> str | None:
        """The status after the action, or None if it must be refused."""
        open_ = self.status in {NEW, REVIEW, MORE}
        if action in {"tick", "untick"}:
            if not open_:
                return None
            return REVIEW if self.status == NEW else self.status
        if action == "decide":
            if arg == "verified":
                ok = self.status in {REVIEW, MORE} and self.done == set(REPRESSION_ITEMS)
            elif arg == "rejected":
                ok = self.status in {NEW, REVIEW, MORE}
            else:  # more information: not while already waiting for it
                ok = self.status in {NEW, REVIEW}
            return arg if ok else None
        if arg == "resume":
            return REVIEW if self.status in {NEW, MORE} else None
        if arg == "reopen":
            return REVIEW if self.status in {VERIFIED, REJECTED, CLOSED} else None
        return CLOSED if self.status in {VERIFIED, REJECTED} else None  # close

    def apply(self, action: str, arg: str, after: str) -> None:
        self.status = after
        if action == "tick":
            self.done.add(arg)
        elif action == "untick":
            self.done.discard(arg)


def run(case: Case, worker, action: str, arg: str) -> None:
    kw = {"by": worker.user, "staff_key": worker.key}
    if action in {"tick", "untick"}:
        verification.set_checklist_item(case, arg, done=action == "tick", note="seen", **kw)
    elif action == "decide":
        verification.decide_case(
            case,
            outcome=arg,
            reason_category="not_eligible" if arg == "rejected" else "",
            reason="sealed reason",
            message="What we need from you" if arg == "more_info" else "",
            **kw,
        )
    else:
        {
            "resume": verification.resume_review,
            "reopen": verification.reopen_case,
            "close": verification.close_case,
        }[arg](case, **kw)


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(ACTIONS, max_size=14))
def test_random_action_sequences_follow_the_rules(coordinator, steps):
    case = make_case(programme="repression", situation="repression:repressed")
    assert screen(case, coordinator) == "clear"
    model = Model()
    decisions = 0
    for action, arg in steps:
        expected = model.expect(action, arg)
        before = Case.objects.get(pk=case.pk).status
        if expected is None:
            with pytest.raises((CaseStateError, verification.ChecklistIncompleteError)):
                run(case, coordinator, action, arg)
            assert Case.objects.get(pk=case.pk).status == before
        else:
            run(case, coordinator, action, arg)
            model.apply(action, arg, expected)
            decisions += action == "decide"
        status = Case.objects.get(pk=case.pk).status
        assert status == model.status, (action, arg)
        # Whatever happened, a verified case has its whole checklist done
        if status == VERIFIED:
            assert not verification.missing_items(case)
    assert Decision.objects.filter(case=case).count() == decisions
    assert AuditEvent.objects.filter(action="case.decided", subject=case.code).count() == decisions


def test_the_model_and_the_transition_table_agree_on_every_status_change():
    """Every status change the table allows is reachable by some action in the model, and
    no action in the model moves a case along an edge the table forbids."""
    reached = set()
    for status in CASE_TRANSITIONS:
        for action, args in (
            ("decide", ["verified", "rejected", "more_info"]),
            ("status", ["resume", "reopen", "close"]),
            ("tick", ["screening_clear"]),
        ):
            for arg in args:
                model = Model()
                model.status = status
                model.done = set(REPRESSION_ITEMS)
                after = model.expect(action, arg)
                if after is not None and after != status:
                    assert after in CASE_TRANSITIONS[status], (status, action, arg)
                    reached.add((status, after))
    table = {(a, b) for a, targets in CASE_TRANSITIONS.items() for b in targets}
    assert reached == table


def test_the_log_stays_intact_after_a_full_verification(coordinator):
    case = make_case(programme="repression", situation="repression:repressed")
    screen(case, coordinator)
    for item in REPRESSION_ITEMS:
        run(case, coordinator, "tick", item)
    run(case, coordinator, "decide", "verified")
    run(case, coordinator, "status", "close")

    assert Case.objects.get(pk=case.pk).status == CLOSED
    assert verify_chain().ok
