"""Identity exports with four eyes: one coordinator asks, a different one approves, and only
the approver downloads it, once.

A list of names is what an informer inside the team is after; a single coordinator (or a
stolen coordinator session) must not be able to take one home. The file is built at
download time inside the approver's unlocked session, from the sealed answers, and goes
straight into the response: it is never written to disk or to the database. What is stored
is who asked, who approved, the case codes and the purpose (a choice, never free text).
"""

from __future__ import annotations

import csv
import io
import re

from django.db import transaction
from django.utils import timezone

from solidarity.accounts.models import User
from solidarity.audit import services as audit
from solidarity.cases import sealed
from solidarity.cases import services as cases
from solidarity.cases.models import Case
from solidarity.intake.receipts import normalise_code
from solidarity.oversight.models import IdentityExport
from solidarity.vault.core import VaultError

# One export covers at most this many cases: a hand-over concerns a few people, and a bound
# keeps a compromised pair of coordinators from walking out with the whole fund in one file.
MAX_EXPORT_CASES = 50
# The answers that say who and where someone is, in the order of the CSV's columns.
IDENTITY_FIELDS = ("employer", "role", "service_number", "contact_kind", "contact_handle")
# A spreadsheet runs a cell starting with one of these as a formula; an applicant could
# have typed one into a contact field. A plain Telegram handle or phone number is left as
# it is (a lawyer must be able to use it); anything else starting so gets a leading quote.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_CONTACT = re.compile(r"@[A-Za-z0-9_]{3,64}|\+[0-9 ]{6,20}")


class ExportError(Exception):
    """Base class of this module's refusals; messages never carry identities."""


class NotAllowedError(ExportError):
    """Only coordinators request, approve and download identity exports."""


class ExportCasesError(ExportError):
    """Some case codes name no verified case (``codes``)."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__("these codes name no verified case")
        self.codes = codes


class SelfApprovalError(ExportError):
    """The coordinator who asked for an export may not approve it."""


class ExportStateError(ExportError):
    """The export is not in a state that allows this (already approved, used, cancelled)."""


class NotTheApproverError(ExportError):
    """Only the coordinator who approved an export downloads it."""


def _require_coordinator(user: User) -> None:
    if not (user.is_coordinator and user.is_active and user.revoked_at is None):
        raise NotAllowedError("only coordinators handle identity exports")


def parse_case_codes(text: str) -> list[str]:
    """Case codes from what a coordinator typed (one per line, or separated by commas)."""
    codes: list[str] = []
    for raw in text.replace(",", "\n").splitlines():
        code = normalise_code(raw)
        if code and code not in codes:
            codes.append(code)
    return codes


@transaction.atomic
def request_export(case_codes: list[str], purpose: str, *, by: User) -> IdentityExport:
    """Ask for the identities of some verified cases; a second coordinator must approve.

    Raises NotAllowedError, ExportCasesError, or ExportError for no cases, too many, or an
    unknown purpose.
    """
    _require_coordinator(by)
    if purpose not in IdentityExport.Purpose.values:
        raise ExportError("unknown purpose")
    if not case_codes or len(case_codes) > MAX_EXPORT_CASES:
        raise ExportError(f"choose between 1 and {MAX_EXPORT_CASES} cases")
    verified = set(
        Case.objects.filter(code__in=case_codes, status=Case.Status.VERIFIED).values_list(
            "code", flat=True
        )
    )
    unknown = [code for code in case_codes if code not in verified]
    if unknown:
        raise ExportCasesError(unknown)
    export = IdentityExport.objects.create(
        purpose=purpose, case_codes=list(case_codes), requested_by=by
    )
    audit.record(
        "export.requested",
        actor=by,
        subject=f"export:{export.pk}",
        cases=len(case_codes),
        purpose=purpose,
    )
    return export


def approve_export(export_id: int, *, by: User) -> IdentityExport:
    """The second pair of eyes. Raises NotAllowedError, SelfApprovalError or ExportStateError.

    A refused self-approval is recorded in the audit log (outside the refused transaction,
    so it stays): it is exactly what an informer with a coordinator account would try.
    """
    _require_coordinator(by)
    try:
        return _approve(export_id, by)
    except SelfApprovalError:
        audit.record("export.self_approval_refused", actor=by, subject=f"export:{export_id}")
        raise


@transaction.atomic
def _approve(export_id: int, by: User) -> IdentityExport:
    export = IdentityExport.objects.select_for_update().get(pk=export_id)
    if export.requested_by_id == by.pk:
        raise SelfApprovalError(by.username)
    if export.state != IdentityExport.State.REQUESTED:
        raise ExportStateError(export.state)
    export.state = IdentityExport.State.APPROVED
    export.approved_by = by
    export.approved_at = timezone.now()
    export.save(update_fields=["state", "approved_by", "approved_at"])
    audit.record(
        "export.approved",
        actor=by,
        subject=f"export:{export.pk}",
        requested_by=export.requested_by.username,
        cases=len(export.case_codes),
    )
    return export


@transaction.atomic
def cancel_export(export_id: int, *, by: User) -> IdentityExport:
    """Withdraw an export not downloaded yet (any coordinator). Raises ExportStateError."""
    _require_coordinator(by)
    export = IdentityExport.objects.select_for_update().get(pk=export_id)
    if export.state not in (IdentityExport.State.REQUESTED, IdentityExport.State.APPROVED):
        raise ExportStateError(export.state)
    export.state = IdentityExport.State.CANCELLED
    export.save(update_fields=["state"])
    audit.record("export.cancelled", actor=by, subject=f"export:{export.pk}")
    return export


def _cell(value) -> str:
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_STARTS) and not _PLAIN_CONTACT.fullmatch(text):
        return "'" + text
    return text


def _identity_rows(export: IdentityExport, by: User, staff_private_key: bytes) -> list[list[str]]:
    rows = []
    for case in Case.objects.filter(code__in=export.case_codes).order_by("code"):
        key = cases.case_private_key_for_staff(case, by, staff_private_key)
        answers = sealed.open_json(key, case.answers_sealed)
        rows.append(
            [case.code, case.programme, *(_cell(answers.get(name)) for name in IDENTITY_FIELDS)]
        )
    return rows


@transaction.atomic
def download_export(export_id: int, *, by: User, staff_private_key: bytes) -> bytes:
    """The CSV of an approved export, decrypted now with the approver's key; works once.

    Raises NotAllowedError, NotTheApproverError, ExportStateError (not approved, or already
    downloaded), or ExportError when a case does not open (nothing is marked used then).
    """
    _require_coordinator(by)
    export = IdentityExport.objects.select_for_update().get(pk=export_id)
    if export.state != IdentityExport.State.APPROVED or export.downloaded_at is not None:
        raise ExportStateError(export.state)
    if export.approved_by_id != by.pk:
        raise NotTheApproverError(by.username)
    try:
        rows = _identity_rows(export, by, staff_private_key)
    except (cases.CaseAccessDeniedError, VaultError):
        raise ExportError("a case of this export did not open") from None
    export.state = IdentityExport.State.DOWNLOADED
    export.downloaded_at = timezone.now()
    export.save(update_fields=["state", "downloaded_at"])
    audit.record("export.downloaded", actor=by, subject=f"export:{export.pk}", cases=len(rows))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["case", "programme", *IDENTITY_FIELDS])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def recent_exports(limit: int = 100) -> list[IdentityExport]:
    return list(
        IdentityExport.objects.select_related("requested_by", "approved_by").order_by("-id")[:limit]
    )
