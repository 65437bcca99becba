"""Keyed digests of what identifies a donation from outside: the bank's transaction reference,
the card processor's charge id and event id. Pure functions, like ``core``; the ledger passes
the secret (SOLIDARITY_DONOR_REFERENCE_SECRET, or one derived from SECRET_KEY).

Why keyed: a bank reference or a charge id is printed on the donor's own statement and kept
by their bank. Stored in clear, a seized database lets the police match the fund's records
to a donor's card statement years later ("financing extremism"); a plain hash lets them do
the same by hashing the reference they found. Keyed with a secret kept outside the database,
the digest still answers the only question the fund asks of it, "did we book this one
already?", and nothing else.

Each use gets its own subkey (a BLAKE2b ``person`` string), so a reference digest never
equals an event digest made from the same text.
"""

from __future__ import annotations

import hashlib

from solidarity.vault import core

REFERENCES = b"solid-donref-v1"  # BLAKE2b person strings are at most 16 bytes
EVENTS = b"solid-donevt-v1"
_ROOT = b"solid-donor-v1"
_PURPOSES = frozenset({REFERENCES, EVENTS})

# A shorter secret is a configuration mistake that a seized database could brute-force.
MIN_SECRET_BYTES = 16
# 128 bits: no two references collide at any number of donations.
DIGEST_SIZE = 16
# Hex characters in a stored digest.
DIGEST_HEX_LENGTH = DIGEST_SIZE * 2


class WeakDonorSecretError(core.VaultError):
    """The donor reference secret is missing or too short to be a secret."""


def donor_key(secret: bytes) -> bytes:
    """The 32-byte root key for donor digests, from a configured secret of any length.

    Raises WeakDonorSecretError.
    """
    if not isinstance(secret, bytes | bytearray) or len(secret) < MIN_SECRET_BYTES:
        raise WeakDonorSecretError(f"the donor secret must be at least {MIN_SECRET_BYTES} bytes")
    # Unkeyed BLAKE2b with our own person string: a secret shared with other uses (SECRET_KEY)
    # yields a key that no other use derives.
    return hashlib.blake2b(bytes(secret), person=_ROOT, digest_size=core.KEY_SIZE).digest()


def _subkey(key: bytes, purpose: bytes) -> bytes:
    if purpose not in _PURPOSES:
        raise core.VaultError("unknown donor digest purpose")
    if len(key) != core.KEY_SIZE:
        raise core.VaultError("donor key has the wrong length")
    return hashlib.blake2b(b"", key=key, person=purpose, digest_size=core.KEY_SIZE).digest()


def reference_digest(key: bytes, reference: str) -> str:
    """Hex keyed digest of a bank reference or a processor's charge id (as given, stripped)."""
    return core.keyed_digest(
        _subkey(key, REFERENCES), reference.strip().encode("utf-8"), DIGEST_SIZE
    ).hex()


def event_digest(key: bytes, provider: str, event_id: str) -> str:
    """Hex keyed digest of one outside event's id, separate for each provider."""
    data = provider.encode("utf-8") + b"\x00" + event_id.encode("utf-8")
    return core.keyed_digest(_subkey(key, EVENTS), data, DIGEST_SIZE).hex()
