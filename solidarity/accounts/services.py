"""Staff accounts: enrolment, signing in and out, the vault in the session, and case work
done from the console. Views and management commands call these; they hold no rules."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from solidarity.accounts import totp
from solidarity.accounts.models import LoginThrottle, StaffSession, User
from solidarity.accounts.passphrases import check_staff_passphrase
from solidarity.audit import services as audit
from solidarity.cases import disclosure
from solidarity.cases import services as cases
from solidarity.cases.models import Case, Message
from solidarity.vault import core, keyring
from solidarity.vault import session as vault_session
from solidarity.vault.models import Organisation

log = logging.getLogger(__name__)


class LoginFailedError(Exception):
    """Unknown user, wrong passphrase, wrong code or too many failures: deliberately one error."""


class UnlockFailedError(Exception):
    """Wrong passphrase, or too many failures, when unlocking the vault in a live session."""


class UsernameTakenError(Exception):
    """A staff account with this username already exists."""


@dataclass(frozen=True)
class Enrolment:
    """A new staff member: the account and the TOTP device to put in their authenticator app."""

    user: User
    device: TOTPDevice


# --- enrolment --------------------------------------------------------------------------


def _create_staff_user(
    username: str, role: str, passphrase: str, *, totp_key: str | None
) -> Enrolment:
    check_staff_passphrase(passphrase, username)
    if User.objects.filter(username=username).exists():
        raise UsernameTakenError(username)
    user = User(username=username, role=role)
    user.full_clean(exclude=["password"])
    # The same passphrase is hashed for Django's login check and, separately, derives the
    # key that locks the personal vault key; neither stores the passphrase.
    user.set_password(passphrase)
    user.save()
    keyring.enrol_staff(user, passphrase)
    return Enrolment(user=user, device=totp.create_device(user, totp_key))


@transaction.atomic
def initialise_organisation(
    org_name: str, username: str, passphrase: str, *, totp_key: str | None = None
) -> Enrolment:
    """Create the fund, its intake key and the first coordinator, who holds that key.

    Raises keyring.OrganisationExistsError on a second run, WeakPassphraseError,
    UsernameTakenError, or ValidationError for an invalid username.
    """
    check_staff_passphrase(passphrase, username)
    org, intake_private_key = keyring.create_organisation(org_name)
    enrolment = _create_staff_user(username, User.Role.COORDINATOR, passphrase, totp_key=totp_key)
    keyring.give_intake_key(enrolment.user, intake_private_key)
    audit.record("org.initialised", actor=enrolment.user, subject=f"organisation:{org.pk}")
    return enrolment


@transaction.atomic
def enrol_staff_member(
    username: str, role: str, passphrase: str, *, by: User | None, totp_key: str | None = None
) -> Enrolment:
    """A staff member without the intake key (a coordinator gets it from another later).

    Raises WeakPassphraseError, UsernameTakenError or ValidationError.
    """
    enrolment = _create_staff_user(username, role, passphrase, totp_key=totp_key)
    audit.record("staff.enrolled", actor=by, subject=username, role=role)
    return enrolment


def organisation_exists() -> bool:
    return Organisation.objects.exists()


# --- the per-account failure counter ------------------------------------------------------


def _throttle_closed(user: User) -> bool:
    row = LoginThrottle.objects.filter(user=user).first()
    return row is not None and row.is_closed(timezone.now())


def _count_failure(user: User, action: str) -> None:
    with transaction.atomic():
        row, _ = LoginThrottle.objects.select_for_update().get_or_create(
            user=user, defaults={"window_started": timezone.now()}
        )
        row.count_failure(timezone.now())
        # Failures against a real account are kept in the audit log (the account name is
        # the subject: the actor is whoever typed). After the limit nothing more is
        # written, so a guesser cannot flood the log.
        audit.record(action, subject=user.username, failures=row.failures)


def _clear_failures(user: User) -> None:
    LoginThrottle.objects.filter(user=user).delete()


# --- signing in and out -------------------------------------------------------------------


def log_in(request: HttpRequest, username: str, passphrase: str, code: str) -> bytes:
    """Check all three factors, start the staff session and return the unlocked vault key.

    The caller keeps the key with ``vault.session.keep_unlocked``. Raises LoginFailedError,
    the same for every cause, so a guesser learns nothing about which part was wrong.
    """
    # authenticate() runs the password hasher even for unknown usernames, so the time
    # taken does not tell whether an account exists.
    user = authenticate(request, username=username, password=passphrase)
    account = user or User.objects.filter(username=username).first()
    if account is None:
        raise LoginFailedError()
    if _throttle_closed(account):
        raise LoginFailedError()
    if user is None:
        _count_failure(account, "staff.login_failed")
        raise LoginFailedError()
    # The code is checked only after the passphrase, so a stranger cannot use up the
    # account's codes or trip django-otp's own back-off.
    device = totp.verify_code(user, code)
    if device is None:
        _count_failure(user, "staff.login_failed")
        raise LoginFailedError()
    try:
        private_key = keyring.unlock_staff_key(user, passphrase)
    except core.VaultError:
        # The login hash and the vault key disagree (or the account has no vault key):
        # refuse rather than let someone in whose vault cannot open.
        log.warning("staff vault key did not open after a correct login")
        _count_failure(user, "staff.login_failed")
        raise LoginFailedError() from None
    with transaction.atomic():
        auth_login(request, user)
        otp_login(request, device)
        _remember_session(request, user)
        _clear_failures(user)
        audit.record("staff.login", actor=user)
    return private_key


def _remember_session(request: HttpRequest, user: User) -> None:
    """Note this session under its user, so revocation finds it without a search."""
    if request.session.session_key is None:
        request.session.save()
    store = _session_store()
    # Sessions that ended by expiry or a closed browser leave rows behind; drop them here.
    stale = [
        row.pk
        for row in StaffSession.objects.filter(user=user)
        if not store().exists(row.session_key)
    ]
    StaffSession.objects.filter(pk__in=stale).delete()
    StaffSession.objects.get_or_create(
        session_key=request.session.session_key, defaults={"user": user}
    )


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def end_all_sessions(user: User) -> int:
    """End every session ``user`` signed in with, at once (the server halves of their unlocked
    keys go with them). Returns how many were recorded. Call inside the revocation's
    transaction."""
    store = _session_store()
    rows = list(StaffSession.objects.filter(user=user))
    for row in rows:
        store(session_key=row.session_key).delete()
    StaffSession.objects.filter(user=user).delete()
    return len(rows)


def unlock_vault(user: User, passphrase: str) -> bytes:
    """The staff member's vault key, for a live session whose vault was locked.

    Raises UnlockFailedError; failures count against the same limit as logins.
    """
    if _throttle_closed(user):
        raise UnlockFailedError()
    try:
        private_key = keyring.unlock_staff_key(user, passphrase)
    except core.VaultError:
        _count_failure(user, "staff.unlock_failed")
        raise UnlockFailedError() from None
    with transaction.atomic():
        _clear_failures(user)
        audit.record("staff.vault_unlocked", actor=user)
    return private_key


def lock_vault(request: HttpRequest, response: HttpResponse) -> None:
    """Forget the unlocked vault key; the login stays until logout or the idle timeout."""
    vault_session.lock(request, response, vault_session.STAFF)
    audit.record("staff.vault_locked", actor=request.user)


def log_out(request: HttpRequest, response: HttpResponse | None, *, reason: str) -> None:
    """Lock the vault and end the session. ``reason`` is "logout" or "idle"."""
    user = request.user
    if user.is_authenticated:
        audit.record("staff.logout", actor=user, reason=reason)
    if request.session.session_key:
        StaffSession.objects.filter(session_key=request.session.session_key).delete()
    vault_session.lock(request, response, vault_session.STAFF)
    auth_logout(request)


# --- case work from the console -----------------------------------------------------------


def _record_refusal(user: User, case: Case, exc: cases.CaseAccessDeniedError) -> None:
    # The oversight alerts read these: an expired grant is told apart from a case that was
    # never assigned, which is what an informer fishing for names looks like.
    if isinstance(exc, cases.CaseAccessExpiredError):
        audit.record("case.access_denied", actor=user, subject=case.code, reason="grant_expired")
    else:
        audit.record("case.access_denied", actor=user, subject=case.code)


def _case_key(user: User, case: Case, staff_private_key: bytes) -> bytes:
    try:
        return cases.case_private_key_for_staff(case, user, staff_private_key)
    except cases.CaseAccessDeniedError as exc:
        _record_refusal(user, case, exc)
        raise


def view_case(user: User, case: Case, staff_private_key: bytes) -> cases.OpenedCase:
    """Decrypt a case for this staff member (audited). Raises CaseAccessDeniedError."""
    try:
        return cases.open_case_for_staff(case, user, staff_private_key)
    except cases.CaseAccessDeniedError as exc:
        _record_refusal(user, case, exc)
        raise


def read_case_file(
    user: User, case: Case, attachment_id: int, staff_private_key: bytes
) -> tuple[dict, bytes]:
    """One decrypted file of a case and its metadata (audited).

    Raises CaseAccessDeniedError, or Attachment.DoesNotExist for a file of another case.
    """
    key = _case_key(user, case, staff_private_key)
    meta, data = cases.read_attachment(case, attachment_id, key)
    audit.record("case.file_viewed", actor=user, subject=case.code, attachment=attachment_id)
    return meta, data


def send_message(
    user: User,
    case: Case,
    staff_private_key: bytes,
    body: str,
    files: list[dict],
    *,
    template_id: int | None = None,
    override_reason: str = "",
) -> Message:
    """Seal a message to the applicant. Only someone who can open the case may write to it,
    although sealing needs only its public key. What may be said depends on the case's stage
    (solidarity.cases.disclosure): the template's text comes first, then ``body``.

    The returned message carries its composed text in ``body`` (for the Telegram relay);
    only its sealed form is stored. Raises CaseAccessDeniedError or a
    disclosure.DisclosureError.
    """
    _case_key(user, case, staff_private_key)
    # Checked outside the storing transaction, so that a refusal stays in the audit log.
    outgoing = disclosure.clear_message(
        case, body, by=user, template_id=template_id, override_reason=override_reason
    )
    with transaction.atomic():
        message = cases.store_message(case, outgoing.body, files, author=user)
        if outgoing.overridden:
            disclosure.record_override(
                case, outgoing, by=user, reason=override_reason, message_id=message.pk
            )
    message.body = outgoing.body
    return message


def relay_message_to_telegram(
    user: User, case: Case, staff_private_key: bytes, body: str
) -> bool | None:
    """Also send a stored message to the applicant's Telegram chat, if they applied through the
    bot and agreed to replies there. True when delivered, False when Telegram refused it, None
    when there is no chat to send to (or no bot). The status page shows the message anyway."""
    from solidarity.bot import services as bot
    from solidarity.bot import transport

    if not body:
        return None
    key = _case_key(user, case, staff_private_key)
    try:
        bot.send_reply_via_telegram(case, key, body, actor=user)
    except (bot.NoTelegramChatError, transport.BotNotConfiguredError):
        return None
    except transport.TelegramDeliveryError:
        return False
    return True
