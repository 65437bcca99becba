from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Programme(models.TextChoices):
    SECURITY_FORCES = "security_forces", _("Security forces")
    WORKERS = "workers", _("Workers: fired or on strike")
    REPRESSION = "repression", _("Other repression")


class Case(models.Model):
    """One application. Clear columns are only what the queue needs and identify no one."""

    class Status(models.TextChoices):
        NEW = "new", _("Received")
        IN_REVIEW = "in_review", _("Being reviewed")
        MORE_INFO = "more_info", _("More information needed")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Not accepted")
        CLOSED = "closed", _("Closed")

    code = models.CharField(max_length=16, unique=True)
    programme = models.CharField(max_length=20, choices=Programme.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    # The day only: a timestamp would let a seized database be matched against traffic logs.
    received_on = models.DateField()
    language = models.CharField(max_length=8)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case_public_key = models.BinaryField(max_length=32)
    case_key_for_intake_sealed = models.BinaryField()
    case_key_for_receipt_locked = models.BinaryField()
    answers_sealed = models.BinaryField()

    class Meta:
        # The queue lists newest first by (received_on, id) and filters by the columns below;
        # each index ends in that order, so a page is an index range, never a sort
        # (bench/queue_page.py, docs/benchmarks.md "Queue").
        indexes = [
            models.Index(fields=["-received_on", "-id"], name="case_recent"),
            models.Index(fields=["status", "-received_on", "-id"], name="case_status_recent"),
            models.Index(fields=["programme", "-received_on", "-id"], name="case_prog_recent"),
            models.Index(
                fields=["programme", "status", "-received_on", "-id"],
                name="case_prog_status_recent",
            ),
            models.Index(fields=["assignee", "-received_on", "-id"], name="case_assignee_recent"),
            # Narrow rows for the flag filter: it orders scattered cases without their blobs.
            models.Index(
                fields=["id", "received_on", "status", "programme", "assignee"],
                name="case_queue_cover",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Message(models.Model):
    """A message between the fund and the applicant, sealed to the case key both ways."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    from_applicant = models.BooleanField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body_sealed = models.BinaryField()
    sent_on = models.DateField()

    class Meta:
        ordering = ["id"]


class Attachment(models.Model):
    """A file sealed to the case key. Its name, type and kind are inside ``meta_sealed``."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    from_applicant = models.BooleanField(default=True)
    # A random name under UPLOADS_DIR; the file holds only ciphertext.
    blob_name = models.CharField(max_length=64, unique=True)
    file_key_sealed = models.BinaryField()
    meta_sealed = models.BinaryField()
    added_on = models.DateField()

    class Meta:
        ordering = ["id"]


class CaseStateError(Exception):
    """The requested status change is not allowed from the case's current status."""


# Which status a case may move to from each status. Anything else raises CaseStateError.
# MORE_INFO goes back to IN_REVIEW when work resumes; a coordinator may reopen a rejected or
# closed case (a new fact, an appeal), which puts it back under review rather than verified.
CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    # A coordinator may ask for more or reject at once (an obvious duplicate or provocation),
    # but never verify a case nobody has checked.
    Case.Status.NEW: frozenset(
        {Case.Status.IN_REVIEW, Case.Status.MORE_INFO, Case.Status.REJECTED}
    ),
    Case.Status.IN_REVIEW: frozenset(
        {Case.Status.MORE_INFO, Case.Status.VERIFIED, Case.Status.REJECTED}
    ),
    Case.Status.MORE_INFO: frozenset(
        {Case.Status.IN_REVIEW, Case.Status.VERIFIED, Case.Status.REJECTED}
    ),
    Case.Status.VERIFIED: frozenset({Case.Status.CLOSED, Case.Status.IN_REVIEW}),
    Case.Status.REJECTED: frozenset({Case.Status.IN_REVIEW, Case.Status.CLOSED}),
    Case.Status.CLOSED: frozenset({Case.Status.IN_REVIEW}),
}


def check_transition(current: str, new: str) -> None:
    """Raise CaseStateError unless a case may move from ``current`` to ``new``."""
    if new not in CASE_TRANSITIONS.get(current, frozenset()):
        raise CaseStateError(f"{current} -> {new}")


class ChecklistItem(models.TextChoices):
    """Every verification step of every programme; ``CHECKLISTS`` says which apply where."""

    SERVICE_ID = "service_id", _("Service ID seen")
    SEPARATION_PAPERS = "separation_papers", _("Resignation or dismissal papers")
    VIDEO_STATEMENT = "video_statement", _("Video statement")
    VOUCHED = "vouched", _("Vouched for by an already verified officer")
    EMPLOYMENT_PROOF = "employment_proof", _("Proof of employment")
    DISMISSAL_EVIDENCE = "dismissal_evidence", _("Evidence of dismissal or strike")
    REPRESSION_EVIDENCE = "repression_evidence", _("Evidence of repression")
    SCREENING_CLEAR = "screening_clear", _("Screening clear")


CHECKLISTS: dict[str, tuple[str, ...]] = {
    Programme.SECURITY_FORCES: (
        ChecklistItem.SERVICE_ID,
        ChecklistItem.SEPARATION_PAPERS,
        ChecklistItem.VIDEO_STATEMENT,
        ChecklistItem.VOUCHED,
        ChecklistItem.SCREENING_CLEAR,
    ),
    Programme.WORKERS: (
        ChecklistItem.EMPLOYMENT_PROOF,
        ChecklistItem.DISMISSAL_EVIDENCE,
        ChecklistItem.SCREENING_CLEAR,
    ),
    Programme.REPRESSION: (
        ChecklistItem.REPRESSION_EVIDENCE,
        ChecklistItem.SCREENING_CLEAR,
    ),
}


class ChecklistEntry(models.Model):
    """The state of one verification step of one case.

    The evidence note (and, for a vouch, the voucher's case code) is sealed to the case key:
    notes name documents and people, and a voucher's code in clear would let a seized
    database link two applicants.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="checklist")
    item = models.CharField(max_length=32, choices=ChecklistItem.choices)
    done = models.BooleanField(default=False)
    note_sealed = models.BinaryField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_on = models.DateField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "item"], name="checklist_one_row_per_item"),
        ]


class Decision(models.Model):
    """A coordinator's verification decision. Append-only: a new decision supersedes."""

    class Outcome(models.TextChoices):
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")
        MORE_INFO = "more_info", _("More information needed")

    class ReasonCategory(models.TextChoices):
        # Short, non-identifying labels that may stay in clear for statistics.
        NONE = "", _("— (none)")
        NOT_ELIGIBLE = "not_eligible", _("Not eligible")
        DUPLICATE = "duplicate", _("Duplicate application")
        INSUFFICIENT_EVIDENCE = "insufficient_evidence", _("Insufficient evidence")
        SUSPECTED_PROVOCATION = "suspected_provocation", _("Suspected provocation")
        KNOWN_ABUSER = "known_abuser", _("Identified as an abuser")
        OTHER = "other", _("Other")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason_category = models.CharField(
        max_length=32, choices=ReasonCategory.choices, blank=True, default=""
    )
    # The coordinator's full reasoning, sealed to the case key; may name people.
    reason_sealed = models.BinaryField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_on = models.DateField()
    # The message the applicant was sent with this decision, if any.
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="decision"
    )

    class Meta:
        ordering = ["id"]


class Stage(models.TextChoices):
    """How far a case has come, for what the fund may tell its applicant (issue 8)."""

    BEFORE_VERIFICATION = "before", _("Before verification")
    AFTER_VERIFICATION = "after", _("After verification")


class TemplateLanguage(models.TextChoices):
    BELARUSIAN = "be", _("Belarusian")
    RUSSIAN = "ru", _("Russian")
    ENGLISH = "en", _("English")


class MessageTemplate(models.Model):
    """A reviewed text staff may send an applicant. Post-verification templates may speak of
    payment and next steps; they are refused on a case that is not verified, because a
    provocateur applies precisely to learn how the fund pays and whom it employs."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), max_length=5000)
    language = models.CharField(_("language"), max_length=8, choices=TemplateLanguage.choices)
    stage = models.CharField(_("stage"), max_length=8, choices=Stage.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["stage", "language", "title", "id"]

    def __str__(self) -> str:
        return self.title


class OperationalTerm(models.Model):
    """A word or phrase that must not reach an applicant before verification (a payment
    rail, a route, a staff name). Only its keyed digest is stored: the list itself is what a
    provocateur or a seizure wants, so the server keeps nothing it could print."""

    class Kind(models.TextChoices):
        PAYMENT_RAIL = "payment_rail", _("Payment rail")
        ROUTE = "route", _("Route or meeting place")
        STAFF_NAME = "staff_name", _("Name of a staff member")
        OTHER = "other", _("Other operational detail")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # keyed BLAKE2b of the normalised term (cases.disclosure.term_digest), never the term.
    term_digest = models.BinaryField(max_length=32, unique=True)
    # How many words the term has: the check looks at phrases of at most that many words.
    words = models.PositiveSmallIntegerField()
    # A term of one word may match every word it begins (inflected forms: "Revolut" in
    # "Revolutом"); longer phrases match whole words only.
    prefix = models.BooleanField(_("also match words that begin with it"), default=True)
    active = models.BooleanField(default=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_on = models.DateField()

    class Meta:
        ordering = ["-active", "kind", "id"]


class TermDigestKey(models.Model):
    """The one digest key of the operational terms (one row). It lives beside the digests, so
    it stops precomputed tables, not a guess against a seized copy: see the threat model."""

    digest_key = models.BinaryField(max_length=32)
