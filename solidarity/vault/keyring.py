"""Vault operations that read and write key rows. The cryptography itself is in ``core``."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from solidarity.vault import core
from solidarity.vault.models import IntakeKeyWrap, Organisation, StaffKey


class VaultNotInitialisedError(core.VaultError):
    """No organisation exists yet: run `solidarity init`."""


class NoIntakeAccessError(core.VaultError):
    """This staff member holds no copy of the intake key."""


class OrganisationExistsError(core.VaultError):
    """`solidarity init` was already run on this data directory."""


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


def give_intake_key(user, intake_private_key: bytes) -> IntakeKeyWrap:
    """Seal the intake key to a coordinator's personal key so they can open every case."""
    staff_key = StaffKey.objects.get(user=user)
    wrapped = core.wrap_intake_key(intake_private_key, bytes(staff_key.public_key))
    wrap, _ = IntakeKeyWrap.objects.update_or_create(
        user=user, defaults={"intake_private_key_sealed": wrapped}
    )
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
