"""The cryptographic core of Solidarity: the only module that calls libsodium.

Every function here takes keys, bytes and a frozen ``VaultParams`` and returns bytes. Nothing
here touches the database, the request or settings, so each piece can be tested on its own
and reviewed in one sitting.

Who each ciphertext is for:

* ``seal_for_case``: anyone holding the case private key (the coordinators through the intake
  key, a volunteer with an access grant, the applicant with the receipt).
* ``seal_case_key_for_intake`` / ``grant_case_key`` / ``seal_case_key_for_applicant``: the
  organisation's intake key, a staff member's personal key and the applicant's key.
* ``lock_applicant_key``: the applicant, through the receipt passphrase.
* ``lock_staff_key``: the staff member, through their vault passphrase.
* ``seal_retired_intake_key``: whoever holds the intake key that replaced it.
* ``seal_for_recovery``: the trustees, M of N together (the recovery key).
* ``lock_for_session``: the running staff session, through a key that lives only in the
  staff member's cookie.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

import nacl.bindings as sodium
import nacl.exceptions
import nacl.public
import nacl.pwhash
import nacl.secret
import nacl.utils

KEY_SIZE = 32  # X25519 and XChaCha20 keys are 256 bits
SALT_SIZE = nacl.pwhash.argon2id.SALTBYTES  # 16 bytes
# Locked blobs carry a version byte and their own KDF cost, so the cost can be raised later
# without breaking keys locked under the old one.
_LOCK_VERSION = 1
_LOCK_HEADER = struct.Struct(">BIQ")  # version, opslimit, memlimit (bytes)
_LOCK_PREFIX_SIZE = _LOCK_HEADER.size + SALT_SIZE
# Files are encrypted in 64 KiB chunks so a video never has to sit in memory twice.
FILE_CHUNK_SIZE = 64 * 1024
_STREAM_ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
_STREAM_HEADER_SIZE = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
# Longest passphrase we hash: bounds the work an attacker can make one login attempt cost.
MAX_PASSPHRASE_LENGTH = 1024


class VaultError(Exception):
    """Base class: something in the vault refused to go on. Never carries key material."""


class WrongPassphraseError(VaultError):
    """The passphrase does not open this key (or the locked key was altered)."""


class TamperedCiphertextError(VaultError):
    """Ciphertext was truncated, altered or sealed to a different key."""


class VaultParamsError(VaultError):
    """Key-derivation parameters below libsodium's minimum or above what we allow."""


class KeyPair(NamedTuple):
    public_key: bytes
    private_key: bytes


class CaseKeys(NamedTuple):
    """A fresh case: its key pair, the copy of its private key for the intake key, and the
    applicant's key pair (private half locked under the receipt) with the copy for it."""

    public_key: bytes
    private_key: bytes
    key_for_intake_sealed: bytes
    applicant_public_key: bytes
    applicant_key_locked: bytes
    key_for_applicant_sealed: bytes


@dataclass(frozen=True)
class VaultParams:
    """Argon2id costs for the two passphrase-locked secrets, and how many derivations may run at once.

    Staff keys guard every case a person can open, so they get libsodium's MODERATE cost in
    production (~0.6 s and 256 MiB each). Receipt passphrases are seven words from a 7,776-word
    list (~90 bits), which no offline search can reach even with a cheap KDF, so they get a
    light cost that keeps intake fast.
    """

    staff_opslimit: int
    staff_memlimit: int
    receipt_opslimit: int
    receipt_memlimit: int
    # Each MODERATE derivation takes 256 MiB: a login flood must queue, not exhaust memory.
    max_concurrent_kdf: int = 2

    def __post_init__(self) -> None:
        costs = (
            self.staff_opslimit,
            self.staff_memlimit,
            self.receipt_opslimit,
            self.receipt_memlimit,
            self.max_concurrent_kdf,
        )
        if not all(type(cost) is int for cost in costs):
            raise VaultParamsError("costs must be whole numbers")
        ops_min = nacl.pwhash.argon2id.OPSLIMIT_MIN
        mem_min = nacl.pwhash.argon2id.MEMLIMIT_MIN
        mem_max = nacl.pwhash.argon2id.MEMLIMIT_SENSITIVE  # 1 GiB
        for ops in (self.staff_opslimit, self.receipt_opslimit):
            if not ops_min <= ops <= 32:
                raise VaultParamsError(f"opslimit must be between {ops_min} and 32")
        for mem in (self.staff_memlimit, self.receipt_memlimit):
            if not mem_min <= mem <= mem_max:
                raise VaultParamsError(f"memlimit must be between {mem_min} and {mem_max} bytes")
        if self.max_concurrent_kdf < 1:
            raise VaultParamsError("max_concurrent_kdf must be at least 1")

    @classmethod
    def production(cls) -> VaultParams:
        return cls(
            staff_opslimit=nacl.pwhash.argon2id.OPSLIMIT_MODERATE,
            staff_memlimit=nacl.pwhash.argon2id.MEMLIMIT_MODERATE,
            # 1 pass over 1 MiB: ~0.7 ms here. The ~90-bit passphrase is the protection;
            # the KDF only makes each guess cost more than a plain hash.
            receipt_opslimit=1,
            receipt_memlimit=1024 * 1024,
        )

    @classmethod
    def fast_for_tests(cls) -> VaultParams:
        """The cheapest parameters libsodium accepts. Only test settings may build these."""
        return cls(
            staff_opslimit=nacl.pwhash.argon2id.OPSLIMIT_MIN,
            staff_memlimit=nacl.pwhash.argon2id.MEMLIMIT_MIN,
            receipt_opslimit=nacl.pwhash.argon2id.OPSLIMIT_MIN,
            receipt_memlimit=nacl.pwhash.argon2id.MEMLIMIT_MIN,
            max_concurrent_kdf=4,
        )


_kdf_slots: dict[int, threading.BoundedSemaphore] = {}
_kdf_slots_lock = threading.Lock()


def _kdf_slot(limit: int) -> threading.BoundedSemaphore:
    # One semaphore per process and limit: memory-hard derivations are a process-wide resource.
    with _kdf_slots_lock:
        slot = _kdf_slots.get(limit)
        if slot is None:
            slot = _kdf_slots[limit] = threading.BoundedSemaphore(limit)
        return slot


def _derive(passphrase: str, salt: bytes, opslimit: int, memlimit: int, limit: int) -> bytes:
    data = passphrase.encode("utf-8")
    if not data or len(data) > MAX_PASSPHRASE_LENGTH:
        raise WrongPassphraseError("passphrase is empty or too long")
    with _kdf_slot(limit):
        return nacl.pwhash.argon2id.kdf(KEY_SIZE, data, salt, opslimit=opslimit, memlimit=memlimit)


def _lock(secret: bytes, passphrase: str, opslimit: int, memlimit: int, limit: int) -> bytes:
    salt = nacl.utils.random(SALT_SIZE)
    key = _derive(passphrase, salt, opslimit, memlimit, limit)
    header = _LOCK_HEADER.pack(_LOCK_VERSION, opslimit, memlimit)
    # The header is authenticated too (as the box's plaintext prefix check below), so a
    # seized database cannot be edited to lower the cost of a locked key without notice.
    box = nacl.secret.SecretBox(key).encrypt(header + secret)
    return header + salt + bytes(box)


def _unlock(locked: bytes, passphrase: str, params: VaultParams, max_memlimit: int) -> bytes:
    if len(locked) < _LOCK_PREFIX_SIZE:
        raise WrongPassphraseError("locked key is truncated")
    header = locked[: _LOCK_HEADER.size]
    version, opslimit, memlimit = _LOCK_HEADER.unpack(header)
    if (
        version != _LOCK_VERSION
        or not (1 <= opslimit <= 32)
        or not (8192 <= memlimit <= max_memlimit)
    ):
        raise WrongPassphraseError("locked key has an unknown format")
    salt = locked[_LOCK_HEADER.size : _LOCK_PREFIX_SIZE]
    key = _derive(passphrase, salt, opslimit, memlimit, params.max_concurrent_kdf)
    try:
        plain = nacl.secret.SecretBox(key).decrypt(locked[_LOCK_PREFIX_SIZE:])
    except nacl.exceptions.CryptoError:
        raise WrongPassphraseError("passphrase does not open this key") from None
    if not secrets.compare_digest(plain[: _LOCK_HEADER.size], header):
        raise WrongPassphraseError("locked key header was altered")
    return plain[_LOCK_HEADER.size :]


# --- key pairs --------------------------------------------------------------------------


def generate_keypair() -> KeyPair:
    """A fresh X25519 key pair (intake, staff and case keys are all of this kind)."""
    private = nacl.public.PrivateKey.generate()
    return KeyPair(bytes(private.public_key), bytes(private))


def _check_public_key(public_key: bytes) -> nacl.public.PublicKey:
    if len(public_key) != KEY_SIZE:
        raise VaultError("public key has the wrong length")
    return nacl.public.PublicKey(public_key)


def _check_private_key(private_key: bytes) -> nacl.public.PrivateKey:
    if len(private_key) != KEY_SIZE:
        raise VaultError("private key has the wrong length")
    return nacl.public.PrivateKey(private_key)


def public_key_of(private_key: bytes) -> bytes:
    return bytes(_check_private_key(private_key).public_key)


def key_fingerprint(public_key: bytes) -> str:
    """A short, human-comparable fingerprint of a public key (not a secret)."""
    digest = hashlib.blake2b(public_key, digest_size=10).hexdigest().upper()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


# --- sealing to a public key ------------------------------------------------------------


def seal_to(public_key: bytes, plaintext: bytes) -> bytes:
    """Anonymous sealed box: only the holder of the matching private key can open it."""
    return bytes(nacl.public.SealedBox(_check_public_key(public_key)).encrypt(plaintext))


def open_sealed(private_key: bytes, sealed: bytes) -> bytes:
    """Open a sealed box. Raises TamperedCiphertextError if it was altered or is not ours."""
    try:
        return bytes(nacl.public.SealedBox(_check_private_key(private_key)).decrypt(sealed))
    except nacl.exceptions.CryptoError:
        raise TamperedCiphertextError("sealed box does not open with this key") from None


# Domain names for the same primitive, so callers say who a ciphertext is for.
def seal_for_case(case_public_key: bytes, plaintext: bytes) -> bytes:
    """For whoever holds the case key: coordinators, granted volunteers, the applicant."""
    return seal_to(case_public_key, plaintext)


def open_for_case(case_private_key: bytes, sealed: bytes) -> bytes:
    return open_sealed(case_private_key, sealed)


# --- staff keys ---------------------------------------------------------------------------


def create_staff_keys(passphrase: str, params: VaultParams) -> tuple[bytes, bytes]:
    """A staff member's key pair: (public key, private key locked under the passphrase)."""
    pair = generate_keypair()
    return pair.public_key, lock_staff_key(pair.private_key, passphrase, params)


def lock_staff_key(private_key: bytes, passphrase: str, params: VaultParams) -> bytes:
    """For the staff member alone: their private key under an Argon2id key from the passphrase."""
    _check_private_key(private_key)
    return _lock(
        private_key,
        passphrase,
        params.staff_opslimit,
        params.staff_memlimit,
        params.max_concurrent_kdf,
    )


def unlock_staff_key(locked: bytes, passphrase: str, params: VaultParams) -> bytes:
    """Raises WrongPassphraseError when the passphrase does not open the key."""
    return _unlock(locked, passphrase, params, nacl.pwhash.argon2id.MEMLIMIT_SENSITIVE)


# --- the organisation's intake key -------------------------------------------------------


def wrap_intake_key(intake_private_key: bytes, staff_public_key: bytes) -> bytes:
    """For one coordinator: the intake private key sealed to their personal key."""
    _check_private_key(intake_private_key)
    return seal_to(staff_public_key, intake_private_key)


def unwrap_intake_key(wrapped: bytes, staff_private_key: bytes) -> bytes:
    return open_sealed(staff_private_key, wrapped)


# --- the recovery key --------------------------------------------------------------------


def seal_for_recovery(org_private_key: bytes, recovery_public_key: bytes) -> bytes:
    """For the trustees together: one of the organisation's secret keys (intake, payout, jobs)
    sealed to the recovery key, whose private half exists only split M-of-N on paper."""
    _check_private_key(org_private_key)
    return seal_to(recovery_public_key, org_private_key)


def open_with_recovery_key(sealed: bytes, recovery_private_key: bytes) -> bytes:
    """An escrowed organisation key. Raises TamperedCiphertextError."""
    private_key = open_sealed(recovery_private_key, sealed)
    _check_private_key(private_key)
    return private_key


# --- case keys ----------------------------------------------------------------------------
#
# The applicant holds a key pair of their own. Its private half is locked under the receipt
# passphrase; the case private key is sealed to its public half. Re-keying a case (after a
# staff member is revoked) can then give the applicant the new case key by sealing it to the
# applicant's public key, without the passphrase and without sealing the new key to anything
# the revoked person ever held.


def create_case_keys(
    intake_public_key: bytes, receipt_passphrase: str, params: VaultParams
) -> CaseKeys:
    """A new case key pair and applicant key pair, with the case private key sealed to the
    intake key and to the applicant's key (whose private half is locked under the receipt)."""
    case = generate_keypair()
    applicant = generate_keypair()
    return CaseKeys(
        public_key=case.public_key,
        private_key=case.private_key,
        key_for_intake_sealed=seal_case_key_for_intake(case.private_key, intake_public_key),
        applicant_public_key=applicant.public_key,
        applicant_key_locked=lock_applicant_key(applicant.private_key, receipt_passphrase, params),
        key_for_applicant_sealed=seal_case_key_for_applicant(
            case.private_key, applicant.public_key
        ),
    )


def seal_case_key_for_intake(case_private_key: bytes, intake_public_key: bytes) -> bytes:
    """For the coordinators: the case private key sealed to the organisation's intake key."""
    _check_private_key(case_private_key)
    return seal_to(intake_public_key, case_private_key)


def open_case_key_with_intake(sealed: bytes, intake_private_key: bytes) -> bytes:
    return open_sealed(intake_private_key, sealed)


def seal_case_key_for_applicant(case_private_key: bytes, applicant_public_key: bytes) -> bytes:
    """For the applicant: the case private key sealed to their key pair's public half."""
    _check_private_key(case_private_key)
    return seal_to(applicant_public_key, case_private_key)


def lock_applicant_key(applicant_private_key: bytes, passphrase: str, params: VaultParams) -> bytes:
    """For the applicant alone: their private key under a key derived from the receipt passphrase.

    Also the format of the receipt copy of a case key written before applicant keys existed,
    which ``unlock_applicant_key`` therefore opens as well.
    """
    _check_private_key(applicant_private_key)
    return _lock(
        applicant_private_key,
        passphrase,
        params.receipt_opslimit,
        params.receipt_memlimit,
        params.max_concurrent_kdf,
    )


def unlock_applicant_key(locked: bytes, passphrase: str, params: VaultParams) -> bytes:
    """Raises WrongPassphraseError for a wrong receipt passphrase."""
    # Receipts are locked cheaply; refuse a blob that claims a huge cost (an edited row
    # would otherwise make each status check take 1 GiB).
    return _unlock(locked, passphrase, params, 64 * 1024 * 1024)


def open_case_key_with_receipt(
    applicant_key_locked: bytes,
    key_for_applicant_sealed: bytes,
    passphrase: str,
    params: VaultParams,
) -> bytes:
    """The case private key for the applicant. Raises WrongPassphraseError for a wrong receipt
    passphrase, TamperedCiphertextError when the sealed copy is damaged or not theirs."""
    applicant_private_key = unlock_applicant_key(applicant_key_locked, passphrase, params)
    return open_sealed(applicant_private_key, key_for_applicant_sealed)


def burn_receipt_attempt(params: VaultParams) -> None:
    """Spend the same time as a receipt check, so an unknown case code answers like a wrong one."""
    _derive(
        "x",
        nacl.utils.random(SALT_SIZE),
        params.receipt_opslimit,
        params.receipt_memlimit,
        params.max_concurrent_kdf,
    )


def grant_case_key(case_private_key: bytes, staff_public_key: bytes) -> bytes:
    """For one volunteer: an access grant, the case private key sealed to their personal key."""
    _check_private_key(case_private_key)
    return seal_to(staff_public_key, case_private_key)


def open_case_key_with_grant(grant_sealed: bytes, staff_private_key: bytes) -> bytes:
    """The case private key from an access grant. Raises TamperedCiphertextError."""
    return open_sealed(staff_private_key, grant_sealed)


# --- re-keying ------------------------------------------------------------------------------


def reseal_for_case(
    old_case_private_key: bytes, new_case_public_key: bytes, sealed: bytes
) -> bytes:
    """For whoever holds the case's *new* key: the same plaintext, opened with the old case key
    and sealed again. Raises TamperedCiphertextError if the old key does not open it, so a
    re-key never silently leaves something behind under the old key."""
    return seal_to(new_case_public_key, open_sealed(old_case_private_key, sealed))


def reseal_for_intake(
    old_intake_private_key: bytes, new_intake_public_key: bytes, sealed: bytes
) -> bytes:
    """For the coordinators after the intake key is rotated: the same plaintext, moved from the
    old intake key to the new one. Raises TamperedCiphertextError like ``reseal_for_case``."""
    return seal_to(new_intake_public_key, open_sealed(old_intake_private_key, sealed))


def seal_retired_intake_key(retired_private_key: bytes, new_intake_public_key: bytes) -> bytes:
    """For the holders of the new intake key: the one it replaced, so cases a re-key job has not
    reached yet stay open to them while the revoked holder of the old key gets nothing new."""
    _check_private_key(retired_private_key)
    return seal_to(new_intake_public_key, retired_private_key)


def open_retired_intake_key(sealed: bytes, newer_intake_private_key: bytes) -> bytes:
    return open_sealed(newer_intake_private_key, sealed)


# --- the unlocked staff session ----------------------------------------------------------


def lock_for_session(staff_private_key: bytes) -> tuple[bytes, bytes]:
    """Returns (cookie key, locked key). The server keeps only the locked key; the cookie key
    lives in the staff member's browser, so neither side alone yields the private key."""
    _check_private_key(staff_private_key)
    cookie_key = nacl.utils.random(KEY_SIZE)
    return cookie_key, bytes(nacl.secret.SecretBox(cookie_key).encrypt(staff_private_key))


def open_for_session(locked: bytes, cookie_key: bytes) -> bytes:
    if len(cookie_key) != KEY_SIZE:
        raise TamperedCiphertextError("session key has the wrong length")
    try:
        return bytes(nacl.secret.SecretBox(cookie_key).decrypt(locked))
    except nacl.exceptions.CryptoError:
        raise TamperedCiphertextError("session key does not open the unlocked key") from None


# --- files --------------------------------------------------------------------------------


def _read_full(source: BinaryIO, size: int) -> bytes:
    """``size`` bytes, or fewer only at the end: raw streams may return less per read, and
    chunk boundaries must not depend on how the source happened to deliver its bytes."""
    parts = []
    while size > 0:
        part = source.read(size)
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def seal_file_for_case(case_public_key: bytes, source: BinaryIO, target: BinaryIO) -> bytes:
    """Stream ``source`` into ``target`` under a fresh file key; returns that key sealed to the
    case. The file on disk is useless without a key that can open the case."""
    file_key = sodium.crypto_secretstream_xchacha20poly1305_keygen()
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    header = sodium.crypto_secretstream_xchacha20poly1305_init_push(state, file_key)
    target.write(header)
    chunk = _read_full(source, FILE_CHUNK_SIZE)
    while True:
        following = _read_full(source, FILE_CHUNK_SIZE)
        tag = _TAG_MESSAGE if following else _TAG_FINAL
        target.write(sodium.crypto_secretstream_xchacha20poly1305_push(state, chunk, None, tag))
        if not following:
            break
        chunk = following
    return seal_to(case_public_key, file_key)


def open_file_for_case(
    case_private_key: bytes, file_key_sealed: bytes, source: BinaryIO
) -> Iterator[bytes]:
    """Yield the plaintext chunks of a sealed file. Raises TamperedCiphertextError on any
    altered, reordered or truncated chunk, before yielding anything past the damage."""
    file_key = open_sealed(case_private_key, file_key_sealed)
    header = source.read(_STREAM_HEADER_SIZE)
    if len(header) != _STREAM_HEADER_SIZE:
        raise TamperedCiphertextError("file is truncated")
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    try:
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, file_key)
    except nacl.exceptions.CryptoError:
        raise TamperedCiphertextError("file header is invalid") from None
    while True:
        block = _read_full(source, FILE_CHUNK_SIZE + _STREAM_ABYTES)
        if not block:
            raise TamperedCiphertextError("file is truncated")
        try:
            chunk, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, block, None)
        except nacl.exceptions.CryptoError:
            raise TamperedCiphertextError("file chunk was altered") from None
        yield chunk
        if tag == _TAG_FINAL:
            if source.read(1):
                raise TamperedCiphertextError("data follows the final chunk")
            return


# --- keyed digests ------------------------------------------------------------------------


def keyed_digest(key: bytes, data: bytes, size: int = 16) -> bytes:
    """BLAKE2b keyed hash: lets us count or compare values without keeping them."""
    if not 16 <= len(key) <= 64:
        raise VaultError("digest key must be 16 to 64 bytes")
    return hashlib.blake2b(data, key=key, digest_size=size).digest()


def random_key() -> bytes:
    return nacl.utils.random(KEY_SIZE)


def token_digest(secret: bytes, token: str) -> bytes:
    """What we store of a one-time token (an enrolment link): a keyed BLAKE2b of it.

    ``secret`` is the server's own secret; a copy of the database alone cannot confirm a
    guessed token, and the tokens themselves carry 256 bits, so nobody can search for one.
    """
    if len(secret) < 16:
        raise VaultError("token secret is too short")
    key = hashlib.blake2b(secret, digest_size=KEY_SIZE, person=b"solidarity-tok1").digest()
    return keyed_digest(key, token.encode("utf-8"), size=32)
