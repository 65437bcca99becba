"""Vault operations that read and write key rows. The cryptography itself is in ``core``.

Callers own the transaction and the audit event (STYLE.md §2); the functions here that
write several rows say so and expect to run inside ``transaction.atomic``.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from solidarity.vault import core, escrow, sealed_fields
from solidarity.vault.models import (
    AccessGrant,
    ApplicantKey,
    IntakeKeyExposure,
    IntakeKeyWrap,
    KeyExposure,
    Organisation,
    RecoveryEscrow,
    RetiredIntakeKey,
    StaffKey,
    grant_expiry_from,
)


class VaultNotInitialisedError(core.VaultError):
    """No organisation exists yet: run `solidarity init`."""


class NoIntakeAccessError(core.VaultError):
    """This staff member holds no copy of the intake key."""


class OrganisationExistsError(core.VaultError):
    """`solidarity init` was already run on this data directory."""


class NoGrantError(core.VaultError):
    """This staff member holds no access grant for this case."""


class GrantExpiredError(core.VaultError):
    """This staff member's access grant for this case has expired (``ended_on``)."""

    def __init__(self, ended_on) -> None:
        super().__init__("the access grant for this case has expired")
        self.ended_on = ended_on


class NotACoordinatorError(core.VaultError):
    """Only coordinators may hold the intake key."""


class StaleIntakeKeyError(core.VaultError):
    """The intake key given is not the organisation's current one."""


class NoStaffKeyError(core.VaultError):
    """This account has no personal key (not enrolled yet, or revoked)."""


def params() -> core.VaultParams:
    value = settings.VAULT_PARAMS
    if not isinstance(value, core.VaultParams):
        raise core.VaultParamsError("settings.VAULT_PARAMS must be a VaultParams")
    return value


def organisation() -> Organisation:
    org = Organisation.objects.order_by("id").first()
    if org is None:
        raise VaultNotInitialisedError("no organisation: run `solidarity init`")
    return org


def intake_public_key() -> bytes:
    return bytes(organisation().intake_public_key)


@transaction.atomic
def create_organisation(name: str) -> tuple[Organisation, bytes]:
    """Create the fund and its intake key. Returns the intake private key, which the caller
    must wrap for the first coordinator at once: it is never stored unwrapped."""
    if Organisation.objects.exists():
        raise OrganisationExistsError("an organisation already exists in this data directory")
    pair = core.generate_keypair()
    org = Organisation.objects.create(name=name, intake_public_key=pair.public_key)
    return org, pair.private_key


def enrol_staff(user, passphrase: str) -> StaffKey:
    """Give a staff member a personal key pair locked under their passphrase."""
    public_key, locked = core.create_staff_keys(passphrase, params())
    return StaffKey.objects.create(user=user, public_key=public_key, private_key_locked=locked)


def _staff_public_key(user) -> bytes:
    staff_key = StaffKey.objects.filter(user=user).only("public_key").first()
    if staff_key is None:
        raise NoStaffKeyError("this account has no personal key")
    return bytes(staff_key.public_key)


def give_intake_key(user, intake_private_key: bytes) -> IntakeKeyWrap:
    """Seal the intake key to a coordinator's personal key so they can open every case.

    Raises NotACoordinatorError (an administrator, say, must never hold it),
    StaleIntakeKeyError or NoStaffKeyError.
    """
    if not getattr(user, "is_coordinator", False):
        raise NotACoordinatorError("only coordinators hold the intake key")
    if core.public_key_of(intake_private_key) != intake_public_key():
        raise StaleIntakeKeyError("this is not the current intake key")
    wrapped = core.wrap_intake_key(intake_private_key, _staff_public_key(user))
    wrap, _ = IntakeKeyWrap.objects.update_or_create(
        user=user, defaults={"intake_private_key_sealed": wrapped}
    )
    IntakeKeyExposure.objects.get_or_create(user=user, defaults={"since": timezone.localdate()})
    return wrap


def unlock_staff_key(user, passphrase: str) -> bytes:
    """The staff member's private key. Raises WrongPassphraseError."""
    try:
        staff_key = StaffKey.objects.get(user=user)
    except StaffKey.DoesNotExist:
        raise core.WrongPassphraseError("this account has no vault key") from None
    return core.unlock_staff_key(bytes(staff_key.private_key_locked), passphrase, params())


def open_intake_key(user, staff_private_key: bytes) -> bytes:
    wrap = IntakeKeyWrap.objects.filter(user=user).first()
    if wrap is None:
        raise NoIntakeAccessError("no intake key for this account")
    return core.unwrap_intake_key(bytes(wrap.intake_private_key_sealed), staff_private_key)


def has_intake_access(user) -> bool:
    return IntakeKeyWrap.objects.filter(user=user).exists()


def has_staff_key(user) -> bool:
    return StaffKey.objects.filter(user=user).exists()


def token_digest(token: str) -> str:
    """What is stored of a one-time token: a keyed digest under the server's secret key."""
    return core.token_digest(settings.SECRET_KEY.encode("utf-8"), token).hex()


def ever_held_intake_key(user) -> bool:
    """Whether this person could have kept a copy of the current intake key."""
    return IntakeKeyExposure.objects.filter(user=user).exists()


def staff_public_key(user) -> bytes:
    """The public half of a staff member's personal key. Raises NoStaffKeyError."""
    return _staff_public_key(user)


# --- case key copies -----------------------------------------------------------------------


def store_applicant_key(case, keys: core.CaseKeys) -> ApplicantKey:
    """Keep the applicant's key pair of a new case beside it (inside the case's transaction)."""
    return ApplicantKey.objects.create(
        case=case,
        applicant_public_key=keys.applicant_public_key,
        applicant_key_locked=keys.applicant_key_locked,
        case_key_for_applicant_sealed=keys.key_for_applicant_sealed,
    )


def open_case_key_with_receipt(case, passphrase: str) -> bytes:
    """The case private key for the applicant's receipt passphrase.

    Raises WrongPassphraseError (or TamperedCiphertextError for a damaged copy). A case made
    before applicant keys existed still has its key locked straight under the receipt; it is
    opened that way once and given an applicant key pair on the spot.
    """
    applicant = ApplicantKey.objects.filter(case=case).first()
    if applicant is not None:
        return core.open_case_key_with_receipt(
            bytes(applicant.applicant_key_locked),
            bytes(applicant.case_key_for_applicant_sealed),
            passphrase,
            params(),
        )
    legacy = bytes(case.case_key_for_receipt_locked)
    if not legacy:
        # Burn the same time as a real check, so this case answers like any wrong receipt.
        core.burn_receipt_attempt(params())
        raise core.WrongPassphraseError("this case has no receipt copy")
    # The legacy copy is the case private key in the same lock format as an applicant key.
    case_private_key = core.unlock_applicant_key(legacy, passphrase, params())
    _upgrade_legacy_receipt(case, case_private_key, passphrase)
    return case_private_key


def _upgrade_legacy_receipt(case, case_private_key: bytes, passphrase: str) -> None:
    if core.public_key_of(case_private_key) != bytes(case.case_public_key):
        return  # the case was re-keyed since: the legacy copy opens an old key, nothing to keep
    applicant = core.generate_keypair()
    with transaction.atomic():
        ApplicantKey.objects.create(
            case=case,
            applicant_public_key=applicant.public_key,
            applicant_key_locked=core.lock_applicant_key(
                applicant.private_key, passphrase, params()
            ),
            case_key_for_applicant_sealed=core.seal_case_key_for_applicant(
                case_private_key, applicant.public_key
            ),
        )
        type(case).objects.filter(pk=case.pk).update(case_key_for_receipt_locked=b"")


def _retired_intake_keys(intake_private_key: bytes) -> Iterator[bytes]:
    """Every retired intake key reachable from ``intake_private_key``, newest first."""
    frontier = [intake_private_key]
    seen: set[bytes] = set()
    while frontier:
        newer = frontier.pop()
        rows = RetiredIntakeKey.objects.filter(sealed_to_public_key=core.public_key_of(newer))
        for row in rows:
            if bytes(row.public_key) in seen:
                continue
            seen.add(bytes(row.public_key))
            older = core.open_retired_intake_key(bytes(row.private_key_sealed), newer)
            yield older
            frontier.append(older)


def open_case_key_with_intake(case, intake_private_key: bytes) -> bytes:
    """The case private key through the intake key (or, while a re-key job runs, through an
    intake key it retired). Raises TamperedCiphertextError."""
    sealed = bytes(case.case_key_for_intake_sealed)
    try:
        return core.open_case_key_with_intake(sealed, intake_private_key)
    except core.TamperedCiphertextError:
        for retired in _retired_intake_keys(intake_private_key):
            try:
                return core.open_case_key_with_intake(sealed, retired)
            except core.TamperedCiphertextError:
                continue
        raise


def grant_case_key(case, user, case_private_key: bytes, *, by) -> AccessGrant:
    """Seal the case key to ``user``'s personal key (need-to-know access), and remember that
    they have seen this key. Raises NoStaffKeyError; call inside the caller's transaction."""
    if core.public_key_of(case_private_key) != bytes(case.case_public_key):
        raise core.TamperedCiphertextError("this is not the case's current key")
    sealed = core.grant_case_key(case_private_key, _staff_public_key(user))
    today = timezone.localdate()
    grant, _ = AccessGrant.objects.update_or_create(
        case=case,
        user=user,
        defaults={
            "case_key_for_grantee_sealed": sealed,
            "granted_by": by,
            "granted_on": today,
            "expires_on": grant_expiry_from(today),
        },
    )
    KeyExposure.objects.get_or_create(case=case, user=user, defaults={"since": today})
    return grant


def remove_grant(case, user) -> bool:
    """Delete ``user``'s grant for ``case``. The exposure stays: they may have kept the key."""
    deleted, _ = AccessGrant.objects.filter(case=case, user=user).delete()
    return bool(deleted)


def has_grant(case, user) -> bool:
    """Whether ``user`` holds a grant for ``case`` that has not expired."""
    return AccessGrant.objects.filter(
        case=case, user=user, expires_on__gt=timezone.localdate()
    ).exists()


def extend_grant(case, user, *, until) -> AccessGrant:
    """Let ``user``'s existing grant open ``case`` until ``until``. Raises NoGrantError (a
    shredded grant is given again by assigning the case, which needs the case key)."""
    grant = AccessGrant.objects.select_for_update().filter(case=case, user=user).first()
    if grant is None:
        raise NoGrantError("no access grant for this case")
    grant.expires_on = until
    grant.save(update_fields=["expires_on"])
    return grant


def shred_expired_grants(today) -> list[tuple[int, int, object]]:
    """Delete every grant that no longer opens its case (``expires_on`` on or before
    ``today``): the sealed copy goes with the row, so a key taken from the volunteer later
    opens nothing stored. Returns (case id, user id, expires_on) of each. Call inside a
    transaction; the exposure stays, as on unassigning."""
    expired = AccessGrant.objects.select_for_update().filter(expires_on__lte=today)
    rows = list(expired.values_list("pk", "case_id", "user_id", "expires_on"))
    AccessGrant.objects.filter(pk__in=[pk for pk, *_ in rows]).delete()
    return [(case_id, user_id, ended) for _pk, case_id, user_id, ended in rows]


def open_case_key_with_grant(case, user, staff_private_key: bytes) -> bytes:
    """The case private key through ``user``'s access grant. Raises NoGrantError,
    GrantExpiredError (the copy may still exist until `grants expire` shreds it; it is not
    opened) or TamperedCiphertextError."""
    grant = AccessGrant.objects.filter(case=case, user=user).first()
    if grant is None:
        raise NoGrantError("no access grant for this case")
    if grant.is_expired():
        raise GrantExpiredError(grant.expires_on)
    return core.open_case_key_with_grant(
        bytes(grant.case_key_for_grantee_sealed), staff_private_key
    )


# --- revocation and re-keying --------------------------------------------------------------


def delete_staff_key_copies(user) -> int:
    """Delete every key copy made for ``user`` (intake wrap, grants, their own locked key and
    whatever other apps list in ``sealed_fields``). Returns how many rows went."""
    total = 0
    for model in sealed_fields.staff_key_copies():
        deleted, _ = model.objects.filter(user=user).delete()
        total += deleted
    return total


def rotate_intake_key(intake_private_key: bytes) -> bytes:
    """Replace the intake key with a new one; returns the new private key (never stored).

    The new key is wrapped to every coordinator who holds a wrap now (so revoke the person
    first); the old one is kept sealed to the new one for the cases not re-keyed yet; material
    other apps sealed to the intake key is resealed. Call inside a transaction. Raises
    StaleIntakeKeyError when ``intake_private_key`` is not the current intake key.
    """
    org = Organisation.objects.select_for_update().order_by("id").first()
    if org is None:
        raise VaultNotInitialisedError("no organisation: run `solidarity init`")
    old_public = bytes(org.intake_public_key)
    if core.public_key_of(intake_private_key) != old_public:
        raise StaleIntakeKeyError("this is not the current intake key")
    new = core.generate_keypair()
    RetiredIntakeKey.objects.create(
        public_key=old_public,
        private_key_sealed=core.seal_retired_intake_key(intake_private_key, new.public_key),
        sealed_to_public_key=new.public_key,
    )
    holders = []
    for wrap in IntakeKeyWrap.objects.select_related("user__staff_key"):
        staff_key = getattr(wrap.user, "staff_key", None)
        if staff_key is None:
            wrap.delete()  # nobody could open it; fail closed rather than keep an orphan
            continue
        wrap.intake_private_key_sealed = core.wrap_intake_key(
            new.private_key, bytes(staff_key.public_key)
        )
        wrap.save(update_fields=["intake_private_key_sealed"])
        holders.append(wrap.user_id)
    for columns in sealed_fields.intake_sealed():
        changed = []
        for row in columns.model.objects.only("pk", *columns.fields).iterator(chunk_size=2000):
            for field in columns.fields:
                value = getattr(row, field)
                if value:
                    setattr(
                        row,
                        field,
                        core.reseal_for_intake(intake_private_key, new.public_key, bytes(value)),
                    )
            changed.append(row)
        columns.model.objects.bulk_update(changed, list(columns.fields), batch_size=1000)
    # Only the people just given the new key can know it.
    IntakeKeyExposure.objects.exclude(user_id__in=holders).delete()
    org.intake_public_key = new.public_key
    org.save(update_fields=["intake_public_key"])
    # The trustees' shares keep working: the new key is sealed to the same recovery key.
    escrow.escrow_key(RecoveryEscrow.Kind.INTAKE, new.private_key)
    return new.private_key


def forget_retired_intake_keys() -> int:
    """Delete the retired intake keys once nothing is sealed to them any more."""
    deleted, _ = RetiredIntakeKey.objects.all().delete()
    return deleted


def rekey_case(case, old_private_key: bytes, intake_public: bytes) -> None:
    """Give ``case`` a new key pair and move everything sealed to the old key over to it.

    Every column listed as sealed to the case key is opened with the old key and sealed to
    the new one; the new private key is sealed to the intake key, to the applicant's key and
    to every current grantee, and never stored otherwise. Exposures of people who hold no
    grant now are cleared: they never saw the new key. Call inside a transaction with the
    case row locked; raises TamperedCiphertextError (roll back) if anything does not open.
    """
    new = core.generate_keypair()

    def reseal(value) -> bytes:
        return core.reseal_for_case(old_private_key, new.public_key, bytes(value))

    case_fields: list[str] = []
    for columns in sealed_fields.case_sealed():
        if columns.model._meta.label == "cases.Case":
            for field in columns.fields:
                if getattr(case, field):
                    setattr(case, field, reseal(getattr(case, field)))
            case_fields.extend(columns.fields)
            continue
        changed = []
        for row in columns.model.objects.filter(case_id=case.pk).only("pk", *columns.fields):
            for field in columns.fields:
                if getattr(row, field):
                    setattr(row, field, reseal(getattr(row, field)))
            changed.append(row)
        if changed:
            columns.model.objects.bulk_update(changed, list(columns.fields))
    case.case_public_key = new.public_key
    case.case_key_for_intake_sealed = core.seal_case_key_for_intake(new.private_key, intake_public)
    # A legacy receipt copy would now open only the old key: useless, and best gone.
    case.case_key_for_receipt_locked = b""
    case.save(
        update_fields=[
            *case_fields,
            "case_public_key",
            "case_key_for_intake_sealed",
            "case_key_for_receipt_locked",
        ]
    )
    applicant = ApplicantKey.objects.filter(case=case).first()
    if applicant is not None:
        applicant.case_key_for_applicant_sealed = core.seal_case_key_for_applicant(
            new.private_key, bytes(applicant.applicant_public_key)
        )
        applicant.save(update_fields=["case_key_for_applicant_sealed"])
    grantees = []
    today = timezone.localdate()
    for grant in AccessGrant.objects.filter(case=case).select_related("user__staff_key"):
        staff_key = getattr(grant.user, "staff_key", None)
        if staff_key is None or grant.is_expired(today):
            # An expired grant is not carried over to the new key: it would only wait to be shredded.
            grant.delete()
            continue
        grant.case_key_for_grantee_sealed = core.grant_case_key(
            new.private_key, bytes(staff_key.public_key)
        )
        grant.save(update_fields=["case_key_for_grantee_sealed"])
        grantees.append(grant.user_id)
    KeyExposure.objects.filter(case=case).exclude(user_id__in=grantees).delete()
    for hook in sealed_fields.case_rekey_hooks():
        hook(old_private_key, new.private_key, new.public_key)
