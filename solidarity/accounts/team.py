"""Managing staff accounts: a one-time enrolment link, enrolment, approval.

A coordinator or administrator creates an account with a role and gets a one-time link for
the new person. The person opens it, chooses their passphrase and sets up TOTP; their
personal key pair is made from that passphrase on the server and never seen by anyone else.
The account stays inactive until a coordinator or administrator approves it, after comparing
the key fingerprint with the person over a channel they trust. Approving a coordinator gives
them the intake key, which only a coordinator with an unlocked vault can do.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from solidarity.accounts import totp
from solidarity.accounts.models import INVITE_LIFETIME, StaffInvite, User
from solidarity.accounts.passphrases import check_staff_passphrase
from solidarity.accounts.services import UsernameTakenError
from solidarity.audit import services as audit
from solidarity.vault import core, keyring, signing_keys
from solidarity.vault.models import IntakeKeyWrap, StaffKey

# 32 random bytes (256 bits): a link nobody can guess, so its digest needs no slow hash.
TOKEN_BYTES = 32


class TeamError(Exception):
    """Base class of refusals in staff management."""


class NotAllowedError(TeamError):
    """Only coordinators and administrators manage staff; only an unlocked coordinator
    approves a coordinator."""


class InvalidInviteError(TeamError):
    """The link is unknown, used or expired: deliberately one error for all three."""


class WrongCodeError(TeamError):
    """The code from the authenticator app does not match the one being set up."""


class NotAwaitingApprovalError(TeamError):
    """The account has not enrolled yet, or was approved already."""


@dataclass(frozen=True)
class Invitation:
    user: User
    token: str  # shown once, in the link; only its digest is stored


def _check_manager(by: User | None) -> None:
    if by is not None and not (by.manages_staff and by.is_active):
        raise NotAllowedError("only coordinators and administrators manage staff")


@transaction.atomic
def invite_staff(username: str, role: str, *, by: User | None) -> Invitation:
    """A new, inactive account and its one-time enrolment token. ``by`` None is the operator
    at the command line. Raises NotAllowedError, UsernameTakenError or ValidationError."""
    _check_manager(by)
    if User.objects.filter(username=username).exists():
        raise UsernameTakenError(username)
    user = User(username=username, role=role, is_active=False)
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    StaffInvite.objects.create(
        user=user,
        token_digest=keyring.token_digest(token),
        created_by=by,
        expires_at=timezone.now() + INVITE_LIFETIME,
    )
    audit.record("staff.invited", actor=by, subject=username, role=role)
    return Invitation(user=user, token=token)


def find_invite(token: str, *, for_update: bool = False) -> StaffInvite:
    """The open invitation for ``token``. Raises InvalidInviteError."""
    if not token or len(token) > 100:
        raise InvalidInviteError()
    qs = StaffInvite.objects.select_related("user")
    if for_update:
        qs = qs.select_for_update()
    invite = qs.filter(token_digest=keyring.token_digest(token)).first()
    if invite is None or invite.enrolled_at is not None or invite.expires_at <= timezone.now():
        raise InvalidInviteError()
    return invite


def enrolment_device(invite: StaffInvite) -> TOTPDevice:
    """The TOTP device being set up for this invitation (made on the first visit)."""
    device = TOTPDevice.objects.filter(user=invite.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice(user=invite.user, name="default", confirmed=False)
        device.full_clean(exclude=["user"])
        device.save()
    return device


@transaction.atomic
def complete_enrolment(token: str, passphrase: str, code: str) -> StaffInvite:
    """Set the new person's passphrase, personal key pair and TOTP device, and use up the
    link. The account waits for approval. Raises InvalidInviteError, WeakPassphraseError
    or WrongCodeError (nothing is stored then)."""
    invite = find_invite(token, for_update=True)
    user = invite.user
    check_staff_passphrase(passphrase, user.username)
    device = enrolment_device(invite)
    code = code.replace(" ", "")
    if not totp.CODE_PATTERN.fullmatch(code) or not device.verify_token(code):
        raise WrongCodeError()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    user.set_password(passphrase)
    user.save(update_fields=["password"])
    keyring.enrol_staff(user, passphrase)
    invite.token_digest = None
    invite.enrolled_at = timezone.now()
    invite.save(update_fields=["token_digest", "enrolled_at"])
    audit.record("staff.enrolled", actor=None, subject=user.username, role=user.role)
    return invite


def fingerprint(user: User) -> str:
    """The fingerprint of a staff member's public key, to compare by voice or in person."""
    try:
        return core.key_fingerprint(keyring.staff_public_key(user))
    except keyring.NoStaffKeyError:
        return ""


@transaction.atomic
def approve_staff(person: User, *, by: User, staff_private_key: bytes | None = None) -> User:
    """Activate an enrolled account. A coordinator also gets the intake key, sealed to their
    personal key, which needs ``by`` to be a coordinator with the vault unlocked.

    Raises NotAllowedError or NotAwaitingApprovalError.
    """
    _check_manager(by)
    invite = StaffInvite.objects.select_for_update().filter(user=person).first()
    if invite is None or not invite.awaiting_approval or person.revoked_at is not None:
        raise NotAwaitingApprovalError(person.username)
    if person.is_coordinator:
        if staff_private_key is None or not (by.is_coordinator and keyring.has_intake_access(by)):
            raise NotAllowedError("only a coordinator holding the intake key approves one")
        keyring.give_intake_key(person, keyring.open_intake_key(by, staff_private_key))
        # Whoever holds the intake key may also sign the statement of official channels.
        signing_keys.give_signing_key(person, by=by, staff_private_key=staff_private_key)
    person.is_active = True
    person.save(update_fields=["is_active"])
    invite.approved_by = by
    invite.approved_at = timezone.now()
    invite.save(update_fields=["approved_by", "approved_at"])
    audit.record("staff.approved", actor=by, subject=person.username, role=person.role)
    return person


@dataclass(frozen=True)
class StaffRow:
    user: User
    state: str  # invited | awaiting_approval | active | revoked
    holds_intake_key: bool
    fingerprint: str


def staff_list() -> list[StaffRow]:
    """Everyone with an account, for the people page (no secrets, only states)."""
    holders = set(IntakeKeyWrap.objects.values_list("user_id", flat=True))
    keys = {
        row.user_id: core.key_fingerprint(bytes(row.public_key))
        for row in StaffKey.objects.only("user_id", "public_key")
    }
    invites = {i.user_id: i for i in StaffInvite.objects.all()}
    rows = []
    for user in User.objects.order_by("role", "username"):
        invite = invites.get(user.pk)
        if user.revoked_at is not None:
            state = "revoked"
        elif invite is not None and invite.enrolled_at is None:
            state = "invited"
        elif invite is not None and invite.approved_at is None:
            state = "awaiting_approval"
        else:
            state = "active"
        rows.append(StaffRow(user, state, user.pk in holders, keys.get(user.pk, "")))
    return rows
