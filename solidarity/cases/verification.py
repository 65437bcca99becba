"""Verification: each programme's checklist, sealed evidence notes, and coordinators'
decisions (verified, rejected, more information needed).

Every service here owns its transaction and writes its audit event inside it. Audit events
carry identifiers, item keys, outcomes and reason categories only: never a note, a reason,
a message or a voucher's case code (that would link two applicants in clear).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidarity.accounts.models import User
from solidarity.audit import services as audit
from solidarity.cases import disclosure, sealed
from solidarity.cases import services as cases
from solidarity.cases.models import (
    CASE_TRANSITIONS,
    CHECKLISTS,
    Case,
    CaseStateError,
    ChecklistEntry,
    ChecklistItem,
    Decision,
    Programme,
    check_transition,
)
from solidarity.intake.receipts import normalise_code
from solidarity.vault.core import VaultError

__all__ = ["CaseStateError"]  # re-exported: views catch it from here

# Longest evidence note, reason or decision message (characters): a page of text is plenty,
# and the bound keeps one request from sealing megabytes into a row.
MAX_NOTE_CHARS = 5000

# Statuses in which the checklist may still change. After a decision it is frozen, so what
# the coordinator decided on is what stays on record; reopening the case unfreezes it.
CHECKLIST_OPEN = frozenset({Case.Status.NEW, Case.Status.IN_REVIEW, Case.Status.MORE_INFO})

# Roles that may do case work at all. Holding the case key is checked separately: for a
# volunteer it means an access grant (given when the case is assigned to them).
WORKER_ROLES = frozenset({User.Role.COORDINATOR, User.Role.VOLUNTEER})


class VerificationError(Exception):
    """Base of the errors below; the message is safe to show to staff."""


class VerificationDeniedError(VerificationError):
    """This staff member may not do this on this case (wrong role or no key for it)."""


class AccessExpiredError(VerificationDeniedError):
    """This volunteer's access grant for the case has expired."""


class ChecklistItemError(VerificationError):
    """The item is not on this programme's checklist."""


class VoucherError(VerificationError):
    """The voucher's case code is not a verified security-forces case other than this one."""


class ScreeningNotClearError(VerificationError):
    """Screening has not found the case clear (not screened against the newest list, or a
    flag is still open)."""


class ChecklistIncompleteError(VerificationError):
    """A case can be verified only when every item of its checklist is done."""


class InvalidDecisionError(VerificationError):
    """A decision lacks what its outcome requires (a reason, a message to the applicant)."""


# --- who may do what -------------------------------------------------------------------------


def _case_key(case: Case, user: User, staff_key: bytes) -> bytes:
    """The case private key for a case worker, or VerificationDeniedError.

    The key check goes through ``cases.case_private_key_for_staff``, the one place that
    decides which keys open a case (coordinators through the intake key, volunteers through
    their access grant), so need-to-know follows the grants without a second rule here.
    """
    if user.role not in WORKER_ROLES:
        raise VerificationDeniedError(_("Only coordinators and volunteers work on cases."))
    try:
        return cases.case_private_key_for_staff(case, user, staff_key)
    except cases.CaseAccessExpiredError as exc:
        raise AccessExpiredError(cases.access_ended_message(exc.ended_on)) from None
    except (cases.CaseAccessDeniedError, VaultError):
        # A key that does not open the wrap is a refusal too, never a crash or a fallback.
        raise VerificationDeniedError(_("You hold no key that opens this case.")) from None


def _require_worker(case: Case, user: User, staff_key: bytes, action: str) -> bytes:
    try:
        return _case_key(case, user, staff_key)
    except AccessExpiredError:
        audit.record(
            "case.access_denied",
            actor=user,
            subject=case.code,
            attempted=action,
            reason="grant_expired",
        )
        raise
    except VerificationDeniedError:
        # Outside the action's transaction, so the refusal stays on record.
        audit.record("case.access_denied", actor=user, subject=case.code, attempted=action)
        raise


def _require_coordinator(case: Case, user: User, staff_key: bytes, action: str) -> bytes:
    if not user.is_coordinator:
        audit.record("case.access_denied", actor=user, subject=case.code, attempted=action)
        raise VerificationDeniedError(_("Only a coordinator may do this."))
    return _require_worker(case, user, staff_key, action)


def may_tick(user: User) -> bool:
    """Whether the role may tick checklist items (the case key is checked on each action)."""
    return user.role in WORKER_ROLES


def may_decide(user: User) -> bool:
    return user.is_coordinator


# --- status changes ----------------------------------------------------------------------------


def _lock_case(case: Case) -> Case:
    """Re-read the case under a row lock, so two staff cannot move it at the same time."""
    return Case.objects.select_for_update().get(pk=case.pk)


def _move(locked: Case, to: str, *, by: User, why: str) -> None:
    """Change the status of a locked case, or raise CaseStateError. Audited."""
    check_transition(locked.status, to)
    before = locked.status
    locked.status = to
    locked.save(update_fields=["status"])
    audit.record(
        "case.status_changed", actor=by, subject=locked.code, before=before, after=to, why=why
    )


def _sync(case: Case, locked: Case) -> None:
    """Let the caller's instance see what the service changed."""
    case.status = locked.status


def resume_review(case: Case, *, by: User, staff_key: bytes) -> Case:
    """Take a case back under review (from NEW, or from MORE_INFO once the applicant answered).

    Raises VerificationDeniedError or CaseStateError.
    """
    _require_worker(case, by, staff_key, "resume_review")
    with transaction.atomic():
        locked = _lock_case(case)
        # Only waiting cases resume; taking back a decided case is a coordinator's reopen.
        if locked.status not in {Case.Status.NEW, Case.Status.MORE_INFO}:
            raise CaseStateError(f"{locked.status} -> resume")
        _move(locked, Case.Status.IN_REVIEW, by=by, why="resume_review")
    _sync(case, locked)
    return case


def reopen_case(case: Case, *, by: User, staff_key: bytes) -> Case:
    """A coordinator puts a decided or closed case back under review (an appeal, a new fact).

    Raises VerificationDeniedError or CaseStateError.
    """
    _require_coordinator(case, by, staff_key, "reopen")
    with transaction.atomic():
        locked = _lock_case(case)
        if locked.status not in {Case.Status.VERIFIED, Case.Status.REJECTED, Case.Status.CLOSED}:
            raise CaseStateError(f"{locked.status} -> reopen")
        _move(locked, Case.Status.IN_REVIEW, by=by, why="reopen")
    _sync(case, locked)
    return case


def close_case(case: Case, *, by: User, staff_key: bytes) -> Case:
    """A coordinator closes a decided case. Raises VerificationDeniedError or CaseStateError."""
    _require_coordinator(case, by, staff_key, "close")
    with transaction.atomic():
        locked = _lock_case(case)
        _move(locked, Case.Status.CLOSED, by=by, why="close")
    _sync(case, locked)
    return case


# --- the checklist --------------------------------------------------------------------------


def checklist_for(programme: str) -> tuple[str, ...]:
    return CHECKLISTS.get(programme, ())


def screening_state(case: Case) -> str:
    """The screening state of the case now: "clear", "flagged" or "not_screened"."""
    # Imported here: screening loads its similarity index (numpy), which the applicant
    # pages that import this module never need.
    from solidarity.screening.services import screening_status

    return screening_status(case)


def _require_screening_clear(case: Case) -> None:
    state = screening_state(case)
    if state == "flagged":
        raise ScreeningNotClearError(
            _("Screening flagged this case: a coordinator must clear or confirm every flag.")
        )
    if state != "clear":
        raise ScreeningNotClearError(
            _("This case is not screened against the newest list yet: ask a coordinator.")
        )


def _check_voucher(case: Case, voucher_code: str) -> str:
    code = normalise_code(voucher_code or "")
    if not code:
        raise VoucherError(_("Enter the case code of the verified officer who vouches."))
    if code == case.code:
        raise VoucherError(_("A case cannot vouch for itself."))
    voucher = Case.objects.filter(code=code).only("status", "programme").first()
    # One message for "no such case" and "not verified": the form is for staff, but a
    # precise answer would still let anyone with a login probe which codes exist.
    if (
        voucher is None
        or voucher.status != Case.Status.VERIFIED
        or voucher.programme != Programme.SECURITY_FORCES
    ):
        raise VoucherError(_("That case code is not a verified security-forces case."))
    return code


def set_checklist_item(
    case: Case,
    item: str,
    *,
    by: User,
    staff_key: bytes,
    done: bool,
    note: str,
    voucher_code: str = "",
) -> ChecklistEntry:
    """Tick (or untick) one verification step with an evidence note sealed to the case key.

    Ticking a step of a NEW case starts its review. Each change is kept in the sealed note
    history, so an untick does not erase what was seen before. Raises
    VerificationDeniedError, ChecklistItemError, VoucherError, InvalidDecisionError (no
    note when ticking) or CaseStateError (the case is already decided).
    """
    _require_worker(case, by, staff_key, "checklist")
    if item not in checklist_for(case.programme):
        raise ChecklistItemError(_("This step is not on this programme's checklist."))
    note = (note or "").strip()[:MAX_NOTE_CHARS]
    if done and not note:
        raise InvalidDecisionError(_("Write what you saw: the note is the evidence."))
    voucher = ""
    if done and item == ChecklistItem.VOUCHED:
        voucher = _check_voucher(case, voucher_code)
    if done and item == ChecklistItem.SCREENING_CLEAR:
        _require_screening_clear(case)
    today = timezone.localdate()
    with transaction.atomic():
        locked = _lock_case(case)
        # The key again, from the locked row: a re-key may have finished since the check.
        case_key = _case_key(locked, by, staff_key)
        if locked.status not in CHECKLIST_OPEN:
            raise CaseStateError(f"{locked.status}: checklist is frozen")
        if locked.status == Case.Status.NEW:
            _move(locked, Case.Status.IN_REVIEW, by=by, why="checklist")
        entry = ChecklistEntry.objects.select_for_update().filter(case=locked, item=item).first()
        history = []
        if entry is not None:
            history = sealed.open_json(case_key, entry.note_sealed).get("history", [])
        history.append(
            {
                "done": done,
                "note": note,
                "voucher": voucher,
                "by": by.username,
                "at": timezone.now().isoformat(timespec="minutes"),
            }
        )
        document = sealed.seal_json(bytes(locked.case_public_key), {"history": history})
        if entry is None:
            entry = ChecklistEntry(case=locked, item=item)
        entry.done = done
        entry.note_sealed = document
        entry.updated_by = by
        entry.updated_on = today
        entry.save()
        audit.record(
            "case.checklist_ticked" if done else "case.checklist_unticked",
            actor=by,
            subject=locked.code,
            item=item,
        )
    _sync(case, locked)
    return entry


def missing_items(case: Case) -> list[str]:
    """The checklist items of this case that are not done, in checklist order."""
    done = set(ChecklistEntry.objects.filter(case=case, done=True).values_list("item", flat=True))
    return [item for item in checklist_for(case.programme) if item not in done]


# --- decisions ------------------------------------------------------------------------------


def decide_case(
    case: Case,
    *,
    by: User,
    staff_key: bytes,
    outcome: str,
    reason_category: str = "",
    reason: str = "",
    send_reason: bool = False,
    message: str = "",
) -> Decision:
    """A coordinator's decision: verified, rejected, or more information needed.

    ``reason`` is sealed to the case key and stays with the fund unless ``send_reason`` is
    set, in which case it is added to the message the applicant reads on /status/. A
    rejection needs a reason category (clear, non-identifying, for statistics) and a
    reason; asking for more information needs a message saying what is missing.

    Raises VerificationDeniedError, InvalidDecisionError, ChecklistIncompleteError or
    CaseStateError.
    """
    _require_coordinator(case, by, staff_key, "decide")
    if outcome not in Decision.Outcome.values:
        raise InvalidDecisionError(_("Choose an outcome."))
    if reason_category not in Decision.ReasonCategory.values:
        raise InvalidDecisionError(_("Choose a reason category from the list."))
    reason = (reason or "").strip()[:MAX_NOTE_CHARS]
    message = (message or "").strip()[:MAX_NOTE_CHARS]
    if outcome == Decision.Outcome.REJECTED and not (reason_category and reason):
        raise InvalidDecisionError(_("A rejection needs a reason category and a reason."))
    if outcome != Decision.Outcome.REJECTED:
        reason_category = ""
    if outcome == Decision.Outcome.MORE_INFO and not message:
        raise InvalidDecisionError(_("Tell the applicant what information is missing."))
    body = "\n\n".join(part for part in (message, reason if send_reason else "") if part)
    if body and outcome != Decision.Outcome.VERIFIED and not disclosure.is_verified(case):
        # A rejection or a question goes to someone who may be a provocateur: the same check
        # as any message before verification (an override is a separate, audited message).
        findings = disclosure.find_operational_terms(body, case)
        if findings:
            raise InvalidDecisionError(
                _(
                    "The message names what an applicant learns only after verification: "
                    "%(found)s. Rephrase it."
                )
                % {
                    "found": "; ".join(
                        f"“{f.words}” ({disclosure.kind_label(f.kind)})" for f in findings
                    )
                }
            )
    with transaction.atomic():
        locked = _lock_case(case)
        check_transition(locked.status, outcome)
        if outcome == Decision.Outcome.VERIFIED:
            if missing_items(locked):
                raise ChecklistIncompleteError(
                    _("Every step of the checklist must be done before a case is verified.")
                )
            # Checked again at the decision: a list imported since the tick, or a new
            # duplicate, must stop the verification of a provocateur or an abuser.
            _require_screening_clear(locked)
        sent = cases.store_message(locked, body, [], author=by) if body else None
        decision = Decision.objects.create(
            case=locked,
            outcome=outcome,
            reason_category=reason_category,
            reason_sealed=sealed.seal_json(bytes(locked.case_public_key), {"reason": reason}),
            decided_by=by,
            decided_on=timezone.localdate(),
            message=sent,
        )
        _move(locked, outcome, by=by, why="decision")
        audit.record(
            "case.decided",
            actor=by,
            subject=locked.code,
            outcome=outcome,
            category=reason_category,
            told_applicant=sent is not None,
            reason_sent=bool(send_reason and reason),
        )
    _sync(case, locked)
    return decision


# --- what the case page shows ---------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistRow:
    item: str
    label: str
    done: bool
    updated_by: str
    updated_on: object
    history: list[dict] = field(default_factory=list)
    # Why the step cannot be ticked now (screening not clear), or "".
    blocked: str = ""

    @property
    def needs_voucher(self) -> bool:
        return self.item == ChecklistItem.VOUCHED


@dataclass(frozen=True)
class DecisionRow:
    outcome: str
    outcome_label: str
    reason_category_label: str
    reason: str
    decided_by: str
    decided_on: object
    told_applicant: bool


@dataclass(frozen=True)
class VerificationPanel:
    case: Case
    rows: list[ChecklistRow]
    decisions: list[DecisionRow]
    checklist_open: bool
    complete: bool
    may_tick: bool
    may_decide: bool
    outcomes: list[tuple[str, str]]
    may_resume: bool
    may_reopen: bool
    may_close: bool


def verification_panel(case: Case, user: User, staff_key: bytes) -> VerificationPanel:
    """The checklist with its decrypted notes and the decisions so far, for the case page.

    Reading is covered by the case page's own ``case.viewed`` audit event. Raises
    VerificationDeniedError if this staff member cannot open the case.
    """
    case_key = _case_key(case, user, staff_key)
    entries = {e.item: e for e in case.checklist.select_related("updated_by")}
    labels = dict(ChecklistItem.choices)
    rows = []
    for item in checklist_for(case.programme):
        entry = entries.get(item)
        blocked = ""
        if item == ChecklistItem.SCREENING_CLEAR and not (entry and entry.done):
            try:
                _require_screening_clear(case)
            except ScreeningNotClearError as exc:
                blocked = str(exc)
        rows.append(
            ChecklistRow(
                item=item,
                label=str(labels[item]),
                done=bool(entry and entry.done),
                updated_by=entry.updated_by.username if entry and entry.updated_by else "",
                updated_on=entry.updated_on if entry else None,
                history=(
                    sealed.open_json(case_key, entry.note_sealed).get("history", [])
                    if entry
                    else []
                ),
                blocked=blocked,
            )
        )
    decisions = [
        DecisionRow(
            outcome=d.outcome,
            outcome_label=d.get_outcome_display(),
            reason_category_label=d.get_reason_category_display() if d.reason_category else "",
            reason=sealed.open_json(case_key, d.reason_sealed).get("reason", ""),
            decided_by=d.decided_by.username if d.decided_by else "",
            decided_on=d.decided_on,
            told_applicant=d.message_id is not None,
        )
        for d in case.decisions.select_related("decided_by")
    ]
    complete = all(row.done for row in rows)
    status = case.status
    coordinator = user.is_coordinator
    outcomes = [
        (value, label)
        for value, label in Decision.Outcome.choices
        if value in _allowed_from(status) and (value != Decision.Outcome.VERIFIED or complete)
    ]
    return VerificationPanel(
        case=case,
        rows=rows,
        decisions=decisions,
        checklist_open=status in CHECKLIST_OPEN,
        complete=complete,
        may_tick=may_tick(user) and status in CHECKLIST_OPEN,
        may_decide=coordinator and bool(outcomes),
        outcomes=outcomes,
        may_resume=may_tick(user) and status in {Case.Status.NEW, Case.Status.MORE_INFO},
        may_reopen=coordinator
        and status in {Case.Status.VERIFIED, Case.Status.REJECTED, Case.Status.CLOSED},
        may_close=coordinator and status in {Case.Status.VERIFIED, Case.Status.REJECTED},
    )


def _allowed_from(status: str) -> frozenset[str]:
    return CASE_TRANSITIONS.get(status, frozenset())


# --- what the applicant sees ------------------------------------------------------------------


def applicant_explanation(status: str) -> str:
    """One sentence for the applicant about what their status means and what happens next."""
    texts = {
        Case.Status.NEW: _("We have received your application. A volunteer will look at it soon."),
        Case.Status.IN_REVIEW: _(
            "A volunteer is checking your application. We will write here if we need anything."
        ),
        Case.Status.MORE_INFO: _(
            "We need more information from you. Please read our message and answer below."
        ),
        Case.Status.VERIFIED: _(
            "Your application is verified. We will write here about the help we can offer."
        ),
        Case.Status.REJECTED: _(
            "We cannot accept your application. If we could give a reason, it is in our message."
        ),
        Case.Status.CLOSED: _("Your case is closed."),
    }
    return texts.get(status, "")
