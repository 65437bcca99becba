"""Keys for screening: a random *screening key* kept sealed to the intake key, and the keyed
hashes made with it. Pure functions, like ``core``; ``solidarity.screening`` stores the rows.

Why a key at all: screening stores, per case, hashes of identifiers (service number, phone,
messenger handle) and of story fingerprints so that new cases can be compared with old ones
without decrypting every old case again. Unkeyed, such hashes would let whoever seizes the
database confirm a guess ("is +375 29 123 45 67 in here?", "was this story submitted?") by
hashing it. Keyed with a secret that exists only sealed to the intake key, a guess can be
checked only by someone who can already open every case.

Each use gets its own subkey (BLAKE2b with a ``person`` string), so a digest made for one
purpose never equals a digest made for another, and identifiers of different kinds (the
same digits as a phone number and as a service number) never meet.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from solidarity.vault import core

IDENTIFIERS = b"solid-ident-v1"  # BLAKE2b person strings are at most 16 bytes
STORY_SHINGLES = b"solid-story-v1"
STORY_BANDS = b"solid-bands-v1"
ABUSER_ENTRIES = b"solid-abuser-v1"
_PURPOSES = frozenset({IDENTIFIERS, STORY_SHINGLES, STORY_BANDS, ABUSER_ENTRIES})

# 128 bits: collisions between different identifiers are out of reach at any case count.
IDENTIFIER_DIGEST_SIZE = 16


def new_screening_key(intake_public_key: bytes) -> tuple[bytes, bytes]:
    """A fresh random screening key and its copy sealed to the intake key: (key, sealed)."""
    key = core.random_key()
    return key, core.seal_to(intake_public_key, key)


def open_screening_key(key_sealed: bytes, intake_private_key: bytes) -> bytes:
    """Raises TamperedCiphertextError if the sealed key was altered or is not for this intake key."""
    key = core.open_sealed(intake_private_key, bytes(key_sealed))
    if len(key) != core.KEY_SIZE:
        raise core.TamperedCiphertextError("screening key has the wrong length")
    return key


def subkey(screening_key: bytes, purpose: bytes) -> bytes:
    """The key for one purpose, derived from the screening key."""
    if purpose not in _PURPOSES:
        raise core.VaultError("unknown screening purpose")
    if len(screening_key) != core.KEY_SIZE:
        raise core.VaultError("screening key has the wrong length")
    return hashlib.blake2b(b"", key=screening_key, person=purpose, digest_size=32).digest()


def identifier_digest(identifiers_key: bytes, kind: str, value: str) -> str:
    """Hex keyed hash of one normalised identifier of one kind ("phone", "service_number"...)."""
    data = kind.encode("ascii") + b"\x00" + value.encode("utf-8")
    return core.keyed_digest(identifiers_key, data, IDENTIFIER_DIGEST_SIZE).hex()


def shingle_hasher(shingles_key: bytes) -> Callable[[bytes], int]:
    """A keyed 32-bit hash for MinHash: a signature made with it cannot be recomputed, and so
    cannot confirm a guessed story, without the key."""

    def hash32(data: bytes) -> int:
        return int.from_bytes(core.keyed_digest(shingles_key, data, 4), "little")

    return hash32


def band_digest(bands_key: bytes, band: bytes) -> int:
    """One LSH band as a signed 64-bit integer (a database BIGINT), keyed."""
    return int.from_bytes(core.keyed_digest(bands_key, band, 8), "big", signed=True)
