"""Which key every sealed column in the project is sealed to, so re-keying misses nothing.

Re-keying a case must reseal everything sealed to its key, and revoking a staff member must
delete every copy of a key made for them. A column forgotten here would stay readable with
the revoked person's key, so ``vault/tests/test_sealed_fields.py`` fails for any binary
column named ``*_sealed`` or ``*_locked`` that is not listed: whoever adds one says here
what it is sealed to.

Models are named by label and looked up only when their app is installed, so the vault
imports no other app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.utils.module_loading import import_string

# Sealed to a case's public key: opened with the old case key and sealed to the new one when
# the case is re-keyed. A model other than cases.Case reaches its case by a foreign key
# named ``case``.
CASE_KEY = "case key"
# The case private key itself, sealed to someone (intake, applicant, grantee): the re-key
# makes these again from the new key rather than resealing them.
CASE_KEY_COPY = "copy of the case key"
# Sealed to the intake key: resealed to the new intake key when it is rotated.
INTAKE_KEY = "intake key"
# Sealed to (or locked for) one staff member's personal key: deleted when they are revoked.
# The model has a foreign key (or one-to-one field) named ``user``.
STAFF_KEY = "staff member's key"
# Sealed to a case key on a model that deliberately has no link to its case (a job profile):
# its app's entry in CASE_REKEY_HOOKS finds and reseals it from the old and new case keys.
CASE_KEY_BY_HOOK = "case key, resealed by its app's hook"
# Sealed to something re-keying never touches (the payout key, a passphrase, a session).
OTHER_KEY = "another key"

SEALED_FIELDS: dict[tuple[str, str], str] = {
    # cases: the application and everything said or added since
    ("cases.Case", "answers_sealed"): CASE_KEY,
    ("cases.Case", "case_key_for_intake_sealed"): CASE_KEY_COPY,
    # The receipt copy of cases made before applicant keys existed; emptied at re-key.
    ("cases.Case", "case_key_for_receipt_locked"): CASE_KEY_COPY,
    ("cases.Message", "body_sealed"): CASE_KEY,
    # Files keep their bulk ciphertext; only the per-file key (and the metadata) is resealed.
    ("cases.Attachment", "file_key_sealed"): CASE_KEY,
    ("cases.Attachment", "meta_sealed"): CASE_KEY,
    ("cases.ChecklistEntry", "note_sealed"): CASE_KEY,
    ("cases.Decision", "reason_sealed"): CASE_KEY,
    # vault: key copies
    ("vault.ApplicantKey", "case_key_for_applicant_sealed"): CASE_KEY_COPY,
    ("vault.ApplicantKey", "applicant_key_locked"): OTHER_KEY,  # the receipt passphrase
    ("vault.AccessGrant", "case_key_for_grantee_sealed"): STAFF_KEY,
    ("vault.IntakeKeyWrap", "intake_private_key_sealed"): STAFF_KEY,
    ("vault.StaffKey", "private_key_locked"): STAFF_KEY,
    # The organisation's signing key for its channel statements, one copy per coordinator.
    ("vault.SigningKeyWrap", "signing_private_key_sealed"): STAFF_KEY,
    # Sealed to the newer intake key; rotation chains them rather than resealing.
    ("vault.RetiredIntakeKey", "private_key_sealed"): OTHER_KEY,
    # The org keys sealed to the recovery key, whose private half only the trustees hold.
    ("vault.RecoveryEscrow", "private_key_sealed"): OTHER_KEY,
    # ledger: payout details are sealed to the payout key and, for shredding, to the case
    ("ledger.PayoutDestination", "details_for_case_sealed"): CASE_KEY,
    ("ledger.PayoutDestination", "details_for_payouts_sealed"): OTHER_KEY,
    ("ledger.Donation", "donor_contact_sealed"): OTHER_KEY,
    ("ledger.PayoutKeyWrap", "payout_private_key_sealed"): STAFF_KEY,
    # screening: the screening key, the abuser list and what a flag matched
    ("screening.ScreeningKey", "key_sealed"): INTAKE_KEY,
    ("screening.AbuserEntry", "entry_sealed"): INTAKE_KEY,
    ("screening.CaseFlag", "detail_sealed"): INTAKE_KEY,
    ("screening.CaseFlag", "found_sealed"): CASE_KEY,
    # jobs: the profile key is sealed to the case key; the rest to the jobs or profile key
    ("jobs.CandidateProfile", "profile_private_key_sealed"): CASE_KEY_BY_HOOK,
    ("jobs.CandidateProfile", "contact_for_coaches_sealed"): OTHER_KEY,  # jobs key
    ("jobs.Employer", "name_sealed"): OTHER_KEY,  # jobs key
    ("jobs.Employer", "contact_sealed"): OTHER_KEY,  # jobs key
    ("jobs.Employer", "notes_sealed"): OTHER_KEY,  # jobs key
    ("jobs.Introduction", "note_for_candidate_sealed"): OTHER_KEY,  # profile key
    ("jobs.JobsKeyWrap", "jobs_private_key_sealed"): STAFF_KEY,
    # continuity: the key another fund hands its cases over to, kept for the coordinators
    ("continuity.ReceiverKey", "private_key_sealed"): INTAKE_KEY,
}

# Called inside the re-key of each case as hook(old_private_key, new_private_key,
# new_public_key), for an app whose rows reach the case only through the case key itself.
CASE_REKEY_HOOKS: dict[str, str] = {
    "jobs": "solidarity.jobs.services.rekey_profile",
}


@dataclass(frozen=True)
class SealedColumns:
    model: type[models.Model]
    fields: tuple[str, ...]


def _installed(kind: str) -> Iterator[SealedColumns]:
    by_model: dict[str, list[str]] = {}
    for (label, field), what in SEALED_FIELDS.items():
        if what == kind:
            by_model.setdefault(label, []).append(field)
    for label, fields in sorted(by_model.items()):
        try:
            model = apps.get_model(label)
        except LookupError:
            continue  # that app is not installed here
        yield SealedColumns(model, tuple(fields))


def case_sealed() -> list[SealedColumns]:
    """Every installed model with columns sealed to a case key (cases.Case first)."""
    found = list(_installed(CASE_KEY))
    return sorted(found, key=lambda c: c.model._meta.label != "cases.Case")


def intake_sealed() -> list[SealedColumns]:
    return list(_installed(INTAKE_KEY))


def staff_key_copies() -> list[type[models.Model]]:
    """Every installed model holding something sealed to one staff member's key."""
    return [c.model for c in _installed(STAFF_KEY)]


def case_rekey_hooks() -> list[Callable[[bytes, bytes, bytes], object]]:
    """The re-key hooks of the installed apps."""
    hooks = []
    for app_label, path in sorted(CASE_REKEY_HOOKS.items()):
        if apps.is_installed(f"solidarity.{app_label}"):
            hooks.append(import_string(path))
    return hooks


def is_listed(label: str, field: str) -> bool:
    return (label, field) in SEALED_FIELDS
