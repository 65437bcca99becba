"""Signing and publishing the statement of official channels (issue 8)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import DatabaseError, transaction
from django.utils import timezone

from solidarity.audit import services as audit
from solidarity.channels import statement as fmt
from solidarity.channels.models import SignedStatement
from solidarity.vault import keyring, signing, signing_keys

# A statement says "these are our addresses" for a limited time, so a copy an attacker kept
# after the fund moved (a seized domain, a lost bot) goes stale on its own.
DEFAULT_VALIDITY_DAYS = 90
MAX_VALIDITY_DAYS = 366


class ChannelsError(Exception):
    """Base class for refusals to sign."""


class NotACoordinatorError(ChannelsError):
    """Only a coordinator holding the intake key signs for the fund."""


class ValidityError(ChannelsError):
    """The valid-until day is in the past or too far ahead."""


@dataclass(frozen=True)
class Channels:
    web: tuple[str, ...] = ()
    onion: tuple[str, ...] = ()
    bots: tuple[str, ...] = ()
    other: tuple[str, ...] = ()


@transaction.atomic
def sign_channels(
    channels: Channels,
    *,
    by,
    staff_private_key: bytes,
    valid_until: datetime.date | None = None,
    new_key: bool = False,
) -> SignedStatement:
    """Sign and store a statement of ``channels`` with the organisation's signing key.

    The first statement (or ``new_key``) makes a new key, retires the old one and seals the
    new one to every coordinator holding the intake key. Raises NotACoordinatorError,
    ValidityError, statement.StatementError (a bad address), signing_keys.NoSigningAccessError
    or core.TamperedCiphertextError.
    """
    if not getattr(by, "is_coordinator", False) or not keyring.has_intake_access(by):
        raise NotACoordinatorError(by.username)
    now = timezone.now().replace(microsecond=0)
    today = now.astimezone(datetime.UTC).date()
    valid_until = valid_until or today + datetime.timedelta(days=DEFAULT_VALIDITY_DAYS)
    if not today <= valid_until <= today + datetime.timedelta(days=MAX_VALIDITY_DAYS):
        raise ValidityError(valid_until.isoformat())
    # Check the addresses before any key is made, so a typo changes nothing.
    placeholder = bytes(signing.PUBLIC_KEY_SIZE)
    _build(channels, placeholder, now, valid_until)
    if new_key or signing_keys.current_signing_key() is None:
        # Any coordinator holding the intake key may replace the key, even without a copy of
        # the current one: otherwise revoking every holder of a copy would leave the fund
        # unable to sign ever again. Whoever could replace it could sign with it anyway.
        key, seed = signing_keys.create_signing_key()
        audit.record("channels.key_created", actor=by, subject=key.fingerprint)
    else:
        key, seed = signing_keys.open_signing_key(by, staff_private_key)
    found = _build(channels, bytes(key.public_key), now, valid_until)
    signed = fmt.SignedStatementFile(found, signing.sign_statement(seed, found.canonical()))
    row = SignedStatement.objects.create(
        body=signed.as_bytes().decode("utf-8"),
        issued_at=now,
        valid_until=valid_until,
        signing_key=key,
        signed_by=by,
    )
    audit.record(
        "channels.signed",
        actor=by,
        subject=f"statement:{row.pk}",
        fingerprint=key.fingerprint,
        valid_until=valid_until.isoformat(),
    )
    return row


def _build(
    channels: Channels, public_key: bytes, now: datetime.datetime, valid_until: datetime.date
) -> fmt.Statement:
    return fmt.build_statement(
        organisation=keyring.organisation().name,
        public_key=public_key,
        issued_at=now.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        valid_until=valid_until.isoformat(),
        web=channels.web,
        onion=channels.onion,
        bots=channels.bots,
        other=channels.other,
    )


def current_statement() -> SignedStatement | None:
    return SignedStatement.objects.select_related("signing_key").order_by("-id").first()


@dataclass(frozen=True)
class Published:
    """The current statement as pages and the bot show it."""

    row: SignedStatement
    statement: fmt.Statement

    @property
    def fingerprint(self) -> str:
        return self.statement.key_fingerprint

    @property
    def fingerprint_groups(self) -> list[str]:
        return self.fingerprint.split(" ")

    @property
    def expired(self) -> bool:
        return self.statement.expired(timezone.now().astimezone(datetime.UTC).date())


def published() -> Published | None:
    """The current statement, read back from the stored file (what is shown is what is
    signed), or None when nothing was signed yet."""
    row = current_statement()
    if row is None:
        return None
    return Published(row, fmt.parse_signed_file(row.body.encode("utf-8")).statement)


def current_fingerprint() -> str:
    """The fingerprint to show in the footer and the bot, or "" (nothing signed yet, or the
    database cannot answer: a footer must never turn an error page into another error)."""
    try:
        row = current_statement()
    except DatabaseError:
        return ""
    return row.signing_key.fingerprint if row is not None else ""


def retired_keys() -> list:
    """Signing keys replaced since: listed so old statements can still be checked."""
    return [key for key in signing_keys.signing_key_history() if key.retired_at is not None]


def signing_key_predates(moment: datetime.datetime) -> bool:
    """Whether the current signing key is older than ``moment``: a coordinator revoked then
    may have kept it, and the channels should be signed again with a new key."""
    key = signing_keys.current_signing_key()
    return key is not None and key.created_at < moment
