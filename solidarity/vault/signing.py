"""Ed25519 signatures on the organisation's statement of its official channels (issue 8).

The state ran fake "evacuation" bots and sites in funds' names and arrested the people who
wrote to them. The fund signs a statement of its real addresses; anyone can check it offline
with the public key, whose fingerprint the fund publishes in several unrelated places.

This module imports nothing from Django and touches no database: `solidarity channels
verify` runs it on a laptop with only the package installed.

Who each ciphertext is for:

* ``seal_signing_key_for_staff``: one coordinator, through their personal key (the same
  pattern as the intake key wraps in ``core.wrap_intake_key``).
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import nacl.exceptions
import nacl.signing

from solidarity.vault import core

# Signatures are made over CONTEXT + message, never over the message alone, so a signature
# this key made for anything else (a future format, another protocol) is no signature on a
# statement, and a statement signature cannot be replayed elsewhere. Changing the format in
# an incompatible way means a new context (v2), not new meaning for old signatures.
CONTEXT = b"solidarity-channels-v1\0"
SEED_SIZE = 32  # an Ed25519 private key is a 32-byte seed
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
# 128 bits of BLAKE2b: a forger must find a second key with the same fingerprint, which
# costs 2^128 work; 32 hex digits in 8 groups of 4 can be read aloud and compared by eye.
FINGERPRINT_BYTES = 16
FINGERPRINT_GROUP = 4


class SigningError(core.VaultError):
    """A signing key or signature has the wrong shape. Never carries key material."""


class BadSignatureError(SigningError):
    """The signature was not made by this key over this message (forged or altered)."""


class SigningKeyPair(NamedTuple):
    public_key: bytes
    seed: bytes  # the private half: never stored unsealed


def generate_signing_key() -> SigningKeyPair:
    """A fresh Ed25519 key pair for the organisation's statements."""
    key = nacl.signing.SigningKey.generate()
    return SigningKeyPair(bytes(key.verify_key), bytes(key))


def _signing_key(seed: bytes) -> nacl.signing.SigningKey:
    if not isinstance(seed, bytes | bytearray) or len(seed) != SEED_SIZE:
        raise SigningError("signing key has the wrong length")
    return nacl.signing.SigningKey(bytes(seed))


def public_signing_key_of(seed: bytes) -> bytes:
    return bytes(_signing_key(seed).verify_key)


def sign_statement(seed: bytes, message: bytes) -> bytes:
    """The 64-byte signature of ``message`` (prefixed with CONTEXT) under the private key."""
    return bytes(_signing_key(seed).sign(CONTEXT + message).signature)


def verify_statement(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Return quietly when ``signature`` is this key's over CONTEXT + ``message``.

    Raises BadSignatureError for anything else: another key, another message, another
    context, a truncated or altered signature, or a public key that is no key at all.
    """
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_SIZE:
        raise BadSignatureError("public key has the wrong length")
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        raise BadSignatureError("signature has the wrong length")
    try:
        nacl.signing.VerifyKey(public_key).verify(CONTEXT + message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.CryptoError, ValueError):
        raise BadSignatureError("the signature does not match") from None


def fingerprint(public_key: bytes) -> str:
    """The public key's human fingerprint: BLAKE2b-128 of its 32 raw bytes, in 8 groups of 4
    upper-case hex digits ("1A2B 3C4D …"). Anyone can recompute it with `b2sum -l 128`."""
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_SIZE:
        raise SigningError("public key has the wrong length")
    digest = hashlib.blake2b(public_key, digest_size=FINGERPRINT_BYTES).hexdigest().upper()
    return " ".join(
        digest[i : i + FINGERPRINT_GROUP] for i in range(0, len(digest), FINGERPRINT_GROUP)
    )


def normalise_fingerprint(text: str) -> str:
    """A fingerprint as people type it (spaces, dashes, lower case) in the canonical form, or
    "" when it cannot be one."""
    digits = "".join(ch for ch in str(text) if ch not in " -:\t").upper()
    if len(digits) != FINGERPRINT_BYTES * 2 or any(ch not in "0123456789ABCDEF" for ch in digits):
        return ""
    return " ".join(
        digits[i : i + FINGERPRINT_GROUP] for i in range(0, len(digits), FINGERPRINT_GROUP)
    )


# --- keeping the private key --------------------------------------------------------------


def seal_signing_key_for_staff(seed: bytes, staff_public_key: bytes) -> bytes:
    """For one coordinator: the signing private key sealed to their personal key."""
    _signing_key(seed)
    return core.seal_to(staff_public_key, bytes(seed))


def open_signing_key(sealed: bytes, staff_private_key: bytes) -> bytes:
    """The signing private key from a coordinator's copy. Raises TamperedCiphertextError."""
    seed = core.open_sealed(staff_private_key, sealed)
    if len(seed) != SEED_SIZE:
        raise core.TamperedCiphertextError("the sealed copy is not a signing key")
    return seed
