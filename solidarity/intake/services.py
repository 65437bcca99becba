"""Intake: the one path by which an application enters Solidarity, and the receipt that
lets the applicant come back. The web form and the Telegram bot both call these."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from solidarity.cases import sealed
from solidarity.cases.models import Attachment, Case, Message
from solidarity.cases.services import file_meta, store_message
from solidarity.cases.verification import applicant_explanation
from solidarity.intake import receipts
from solidarity.intake.forms import ApplicantMessageForm, ApplicationForm
from solidarity.intake.throttle import FloodGate
from solidarity.vault import core, keyring

log = logging.getLogger(__name__)

_apply_gate = FloodGate.from_limit(settings.APPLY_RATE_PER_HOUR)
_receipt_gate = FloodGate.from_limit(settings.STATUS_RATE_PER_HOUR)
_receipt_code_gate = FloodGate.from_limit(settings.STATUS_RATE_PER_CODE_PER_HOUR)


class IntakeError(Exception):
    pass


class InvalidApplicationError(IntakeError):
    """The application has errors; ``form`` carries them, field by field."""

    def __init__(self, form) -> None:
        super().__init__("application is invalid")
        self.form = form


class TooManyRequestsError(IntakeError):
    """The flood gate for this client is closed for now."""


class ReceiptRejectedError(IntakeError):
    """Unknown code or wrong passphrase: deliberately the same error for both."""


@dataclass(frozen=True)
class Receipt:
    case_code: str
    passphrase: receipts.ReceiptPassphrase
    video_kept_metadata: bool


def submit_application(
    data, files, *, language: str, client: str, extra_sealed: dict | None = None
) -> Receipt:
    """Validate, seal and store one application; return its receipt.

    Raises TooManyRequestsError or InvalidApplicationError; nothing is stored unless the
    whole application is valid. ``client`` is an opaque flood-control key (an address or
    a chat id): it is hashed under a rotating in-memory key and never stored.
    ``extra_sealed`` holds what a channel knows beside the form (the bot's chat id for
    replies): sealed with the answers, and never allowed to replace one of them.
    """
    if not _apply_gate.allow(client):
        raise TooManyRequestsError()
    form = ApplicationForm(data, files)
    if not form.is_valid():
        raise InvalidApplicationError(form)
    if form.cleaned_data.get("website"):
        # The honeypot was filled: almost surely a script. Say so like any other field error.
        form.add_error("website", form.fields["website"].label)
        raise InvalidApplicationError(form)

    passphrase = receipts.new_passphrase()
    keys = core.create_case_keys(keyring.intake_public_key(), passphrase, keyring.params())
    answers = {**(extra_sealed or {}), **form.answers()}
    answers["submitted_at"] = timezone.now().isoformat(timespec="seconds")
    attachments = form.attachments()
    # Files are sealed and written before the row that points at them; a crash in between
    # leaves an unreadable orphan, never a case with a missing file.
    stored = []
    for item in attachments:
        blob_name, key_sealed = sealed.store_file(keys.public_key, item["file"].data)
        stored.append((blob_name, key_sealed, file_meta(item)))
    today = timezone.localdate()
    try:
        case = _save_case(form.cleaned_data["programme"], language, keys, answers, stored, today)
    except Exception:
        for blob_name, _key, _meta in stored:
            sealed.delete_file(blob_name)
        raise
    log.info("application received", extra={"programme": case.programme})
    return Receipt(
        case_code=case.code,
        passphrase=passphrase,
        video_kept_metadata=any(not m["metadata_removed"] for _b, _k, m in stored),
    )


def _save_case(programme, language, keys, answers, stored, today) -> Case:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    code=receipts.new_case_code(),
                    programme=programme,
                    received_on=today,
                    language=language,
                    case_public_key=keys.public_key,
                    case_key_for_intake_sealed=keys.key_for_intake_sealed,
                    # The receipt opens the applicant's key (vault.ApplicantKey), not this
                    # column, which only cases from before applicant keys still use.
                    case_key_for_receipt_locked=b"",
                    answers_sealed=sealed.seal_json(keys.public_key, answers),
                )
                keyring.store_applicant_key(case, keys)
                Attachment.objects.bulk_create(
                    Attachment(
                        case=case,
                        from_applicant=True,
                        blob_name=blob_name,
                        file_key_sealed=key_sealed,
                        meta_sealed=sealed.seal_json(keys.public_key, meta),
                        added_on=today,
                    )
                    for blob_name, key_sealed, meta in stored
                )
                return case
        except IntegrityError:
            # A case code collision (~2^-59 per pair): draw a new code.
            continue
    raise IntakeError("could not allocate a case code")


def open_receipt(code: str, passphrase: str, *, client: str) -> tuple[Case, bytes]:
    """The case and its private key for a correct receipt.

    Raises TooManyRequestsError, or ReceiptRejectedError for an unknown code and a wrong
    passphrase alike, after spending the same time on both.
    """
    code = receipts.normalise_code(code)
    phrase = receipts.normalise_passphrase(passphrase)
    if not _receipt_gate.would_allow(client) or not _receipt_code_gate.would_allow(code):
        raise TooManyRequestsError()
    case = Case.objects.filter(code=code).first()
    try:
        if case is None or not phrase:
            core.burn_receipt_attempt(keyring.params())
            raise ReceiptRejectedError()
        try:
            key = keyring.open_case_key_with_receipt(case, phrase)
        except core.VaultError:
            raise ReceiptRejectedError() from None
    except ReceiptRejectedError:
        _receipt_gate.allow(client)
        _receipt_code_gate.allow(code)
        raise
    return case, key


@dataclass(frozen=True)
class ApplicantView:
    case: Case
    messages: list[dict]
    # What the status means for them, and the message sent with the decision that set it.
    explanation: str = ""
    decision_message: dict | None = None


def read_case_for_applicant(case: Case, case_private_key: bytes) -> ApplicantView:
    """What the applicant sees: the status and the conversation with the fund."""
    latest = case.decisions.order_by("-id").first()
    # Only the decision that set the current status is shown beside it: after a reopened
    # case is decided again, the old decision stays in the conversation only.
    current_id = latest.message_id if latest and latest.outcome == case.status else None
    decision_message = None
    messages = []
    for message in case.messages.all().prefetch_related("attachments"):
        body = sealed.open_json(case_private_key, message.body_sealed)
        files = [
            {"id": a.id, **sealed.open_json(case_private_key, a.meta_sealed)}
            for a in message.attachments.all()
        ]
        messages.append(
            {
                "from_applicant": message.from_applicant,
                "sent_on": message.sent_on,
                "files": files,
                **body,
            }
        )
        if message.id == current_id:
            decision_message = messages[-1]
    return ApplicantView(
        case=case,
        messages=messages,
        explanation=applicant_explanation(case.status),
        decision_message=decision_message,
    )


def add_applicant_message(case: Case, data, files) -> Message:
    """The applicant answers or adds evidence. Sealed to the case key; needs no private key.

    Raises InvalidApplicationError (carrying the message form) when the input is invalid.
    """
    form = ApplicantMessageForm(data, files)
    if not form.is_valid():
        raise InvalidApplicationError(form)
    return store_message(
        case, form.cleaned_data.get("body", "").strip(), form.cleaned_data["files"], author=None
    )
