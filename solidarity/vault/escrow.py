"""The recovery key and the escrows sealed to it: the rows behind M-of-N recovery.

The threat: a coordinator is arrested. If they alone held the intake key, every case is
lost; if the fund copied the key to someone "just in case", the state may take it from them.
The answer: a *recovery key* pair whose private half is split M-of-N among trustees
(``trustee_shares``), and each of the organisation's secret keys sealed to its public half.
Any M trustees together can rebuild it with `solidarity recover`; fewer learn nothing.

The recovery private key exists only in the memory of `solidarity recovery split` (which
makes it, splits it and forgets it) and of `solidarity recover` (which rebuilds it from the
shares and forgets it). Because keys are sealed to its public half, rotating the intake key
re-escrows the new one without any trustee being asked: ``escrow_key`` is called wherever an
organisation key is made or rotated, and does nothing while no recovery key exists.

Like ``keyring``, callers own the transaction and the audit event. The vault imports no
other app: the payout and jobs keys are passed in by the apps that own them.
"""

from __future__ import annotations

import secrets
from typing import NamedTuple

from solidarity.vault import core, signing, trustee_shares
from solidarity.vault.models import Organisation, RecoveryEscrow, RecoveryKey

KINDS = tuple(RecoveryEscrow.Kind.values)


class RecoveryKeyExistsError(core.VaultError):
    """A recovery key exists already; replacing it must be asked for (old shares stop working)."""


class NoRecoveryKeyError(core.VaultError):
    """No recovery key was ever split: run `solidarity recovery split`."""


class WrongRecoveryKeyError(core.VaultError):
    """The shares combine, but not into this fund's recovery key (too few, or from another split)."""


class UnknownShareError(core.VaultError):
    """A well-formed share of this set that was never handed out: forged, or altered on paper.

    ``position`` says which one, so the fund knows which trustee to ask (or to distrust).
    """

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.position = position


class NewRecoveryKey(NamedTuple):
    row: RecoveryKey
    shares: list[str]  # the printed shares: hand each to one trustee, never store them


def current_recovery_key() -> RecoveryKey | None:
    return RecoveryKey.objects.order_by("-id").first()


def create_recovery_key(threshold: int, count: int, *, replace: bool, by=None) -> NewRecoveryKey:
    """Make the recovery key, split it M-of-N and keep only its public half.

    With ``replace`` an existing recovery key and its escrows are deleted first, so the old
    shares open nothing any more. Call inside a transaction, then escrow the current keys.
    Raises RecoveryKeyExistsError or shamir.ShareParamsError.
    """
    existing = RecoveryKey.objects.select_for_update().all()
    if existing.exists():
        if not replace:
            raise RecoveryKeyExistsError("a recovery key exists already")
        existing.delete()
    pair = core.generate_keypair()
    set_id, shares = trustee_shares.split_for_trustees(pair.private_key, threshold, count)
    digests = {}
    for text in shares:
        share = trustee_shares.decode_share(text)
        digests[str(share.index)] = trustee_shares.share_digest(share)
    row = RecoveryKey.objects.create(
        public_key=pair.public_key,
        set_id=set_id,
        threshold=threshold,
        shares=count,
        share_digests=digests,
        created_by=by,
    )
    return NewRecoveryKey(row, shares)


def identity_of(kind: str, private_key: bytes) -> bytes:
    """The public half that names an escrowed key: Ed25519 for the signing key, X25519 else."""
    if kind == RecoveryEscrow.Kind.SIGNING:
        return signing.public_signing_key_of(private_key)
    return core.public_key_of(private_key)


def escrow_key(kind: str, private_key: bytes) -> RecoveryEscrow | None:
    """Seal one organisation key (``kind`` is "intake", "payout", "jobs" or "signing") to the recovery
    key, replacing the older escrow of that kind. Returns None while no recovery key exists."""
    if kind not in KINDS:
        raise core.VaultError("unknown kind of organisation key")
    recovery = current_recovery_key()
    if recovery is None:
        return None
    escrow, _ = RecoveryEscrow.objects.update_or_create(
        recovery_key=recovery,
        kind=kind,
        defaults={
            "escrowed_public_key": identity_of(kind, private_key),
            "private_key_sealed": core.seal_for_recovery(private_key, bytes(recovery.public_key)),
        },
    )
    return escrow


def escrowed_public_keys() -> dict[str, bytes]:
    """Which key of each kind is escrowed now (public halves), for `recovery status`."""
    recovery = current_recovery_key()
    if recovery is None:
        return {}
    return {
        escrow.kind: bytes(escrow.escrowed_public_key)
        for escrow in RecoveryEscrow.objects.filter(recovery_key=recovery)
    }


def intake_key_escrowed() -> bool:
    """Whether the trustees can recover the *current* intake key."""
    org = Organisation.objects.order_by("id").first()
    if org is None:
        return False
    return escrowed_public_keys().get(RecoveryEscrow.Kind.INTAKE) == bytes(org.intake_public_key)


def rebuild_recovery_key(texts: list[str]) -> bytes:
    """The recovery private key from typed shares, checked against its public half.

    Raises NoRecoveryKeyError, trustee_shares.ShareFormatError (which share is mistyped),
    trustee_shares.ForeignShareError, UnknownShareError (which share was never handed out),
    shamir.NotEnoughSharesError, shamir.DuplicateShareError, shamir.MixedSharesError or
    WrongRecoveryKeyError.
    """
    recovery = current_recovery_key()
    if recovery is None:
        raise NoRecoveryKeyError("no recovery key")
    shares = trustee_shares.read_shares(texts, recovery.set_id, recovery.threshold)
    digests = recovery.share_digests or {}
    for position, share in enumerate(shares, start=1):
        expected = digests.get(str(share.index), "")
        if digests and not secrets.compare_digest(expected, trustee_shares.share_digest(share)):
            raise UnknownShareError("this share was never handed out", position)
    private_key = trustee_shares.combine(shares, recovery.threshold)
    if len(private_key) != core.KEY_SIZE or core.public_key_of(private_key) != bytes(
        recovery.public_key
    ):
        raise WrongRecoveryKeyError("the shares do not rebuild the recovery key")
    return private_key


def open_escrows(recovery_private_key: bytes) -> dict[str, bytes]:
    """Every escrowed organisation key, opened: {kind: private key}.

    Raises TamperedCiphertextError when an escrow does not open or is not the key it claims.
    """
    recovery = current_recovery_key()
    if recovery is None:
        raise NoRecoveryKeyError("no recovery key")
    opened = {}
    for escrow in RecoveryEscrow.objects.filter(recovery_key=recovery).order_by("kind"):
        private_key = core.open_with_recovery_key(
            bytes(escrow.private_key_sealed), recovery_private_key
        )
        if identity_of(escrow.kind, private_key) != bytes(escrow.escrowed_public_key):
            raise core.TamperedCiphertextError("an escrowed key is not the key it names")
        opened[escrow.kind] = private_key
    return opened
