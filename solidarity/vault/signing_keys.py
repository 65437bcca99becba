"""The organisation's signing key for channel statements: rows and copies (issue 8).

The private key is stored only sealed to each coordinator who holds the intake key, like the
intake key itself: whoever may open every case may also speak for the fund. Callers own the
transaction and the audit event (STYLE.md §2).
"""

from __future__ import annotations

from django.utils import timezone

from solidarity.vault import core, escrow, signing
from solidarity.vault.models import IntakeKeyWrap, SigningKey, SigningKeyWrap, StaffKey


class NoSigningKeyError(core.VaultError):
    """The organisation has no signing key yet (nothing was ever signed)."""


class NoSigningAccessError(core.VaultError):
    """This staff member holds no copy of the current signing key."""


def current_signing_key() -> SigningKey | None:
    return SigningKey.objects.filter(retired_at__isnull=True).order_by("-id").first()


def signing_key_history() -> list[SigningKey]:
    """Every signing key the organisation ever had, newest first (retired ones included)."""
    return list(SigningKey.objects.order_by("-id"))


def has_signing_access(user) -> bool:
    key = current_signing_key()
    return key is not None and SigningKeyWrap.objects.filter(user=user, signing_key=key).exists()


def create_signing_key() -> tuple[SigningKey, bytes]:
    """Make a new signing key, retire the current one and seal the new one to every
    coordinator holding the intake key. Returns the row and the private key (in memory only).

    The retired key's copies are deleted: it may still be checked, never used again. Call
    inside a transaction.
    """
    now = timezone.now()
    for old in SigningKey.objects.select_for_update().filter(retired_at__isnull=True):
        old.retired_at = now
        old.save(update_fields=["retired_at"])
        SigningKeyWrap.objects.filter(signing_key=old).delete()
    pair = signing.generate_signing_key()
    key = SigningKey.objects.create(
        public_key=pair.public_key, fingerprint=signing.fingerprint(pair.public_key)
    )
    holders = IntakeKeyWrap.objects.values_list("user_id", flat=True)
    for staff_key in StaffKey.objects.filter(user_id__in=holders):
        SigningKeyWrap.objects.create(
            user_id=staff_key.user_id,
            signing_key=key,
            signing_private_key_sealed=signing.seal_signing_key_for_staff(
                pair.seed, bytes(staff_key.public_key)
            ),
        )
    escrow.escrow_key(escrow.RecoveryEscrow.Kind.SIGNING, pair.seed)
    return key, pair.seed


def seal_signing_key_to(person, seed: bytes) -> SigningKeyWrap:
    """Seal the current signing key (``seed``, e.g. rebuilt by recovery) to ``person``.

    Raises NoSigningKeyError, or TamperedCiphertextError when ``seed`` is not the current key.
    """
    key = current_signing_key()
    if key is None:
        raise NoSigningKeyError("no signing key yet")
    if signing.public_signing_key_of(seed) != bytes(key.public_key):
        raise core.TamperedCiphertextError("this is not the current signing key")
    staff_key = StaffKey.objects.get(user=person)
    wrap, _created = SigningKeyWrap.objects.update_or_create(
        user=person,
        signing_key=key,
        defaults={
            "signing_private_key_sealed": signing.seal_signing_key_for_staff(
                seed, bytes(staff_key.public_key)
            )
        },
    )
    return wrap


def open_signing_key(user, staff_private_key: bytes) -> tuple[SigningKey, bytes]:
    """The current signing key row and its private key through ``user``'s copy.

    Raises NoSigningKeyError, NoSigningAccessError or TamperedCiphertextError.
    """
    key = current_signing_key()
    if key is None:
        raise NoSigningKeyError("no signing key yet")
    wrap = SigningKeyWrap.objects.filter(user=user, signing_key=key).first()
    if wrap is None:
        raise NoSigningAccessError("no copy of the signing key for this account")
    seed = signing.open_signing_key(bytes(wrap.signing_private_key_sealed), staff_private_key)
    if signing.public_signing_key_of(seed) != bytes(key.public_key):
        raise core.TamperedCiphertextError("the copy does not hold the current signing key")
    return key, seed


def give_signing_key(person, *, by, staff_private_key: bytes) -> SigningKeyWrap | None:
    """Seal the current signing key to ``person``'s personal key, opened through ``by``'s copy.

    Called when a coordinator is given the intake key. Returns None when there is no signing
    key yet (the first `channels sign` seals it to every intake holder) or ``by`` holds no
    copy (then ``person`` gets one at the next `channels sign --new-key`). Raises
    NoStaffKeyError via the staff key lookup and TamperedCiphertextError.
    """
    key = current_signing_key()
    if key is None or not SigningKeyWrap.objects.filter(user=by, signing_key=key).exists():
        return None
    _key, seed = open_signing_key(by, staff_private_key)
    staff_key = StaffKey.objects.filter(user=person).first()
    if staff_key is None:
        return None
    wrap, _created = SigningKeyWrap.objects.update_or_create(
        user=person,
        signing_key=key,
        defaults={
            "signing_private_key_sealed": signing.seal_signing_key_for_staff(
                seed, bytes(staff_key.public_key)
            )
        },
    )
    return wrap
