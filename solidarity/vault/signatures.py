"""Keyed signatures for messages from outside services (card-processor webhooks).

The vault is the one package allowed to do keyed hashing (STYLE.md §5), so the HMAC lives
here and callers pass the shared secret, the exact signed bytes and the signature they got.
What is signed, and how the header is laid out, is the caller's business: this module only
computes and compares.
"""

from __future__ import annotations

import hashlib
import hmac

from solidarity.vault.core import VaultError

# A shared secret shorter than this is a configuration mistake, not a secret: refuse it rather
# than accept signatures anyone could brute-force.
MIN_SECRET_BYTES = 16
# SHA-256 output in hex.
SIGNATURE_HEX_LENGTH = 64


class WeakSecretError(VaultError):
    """The shared signing secret is missing or too short to be a secret."""


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes | bytearray) or len(secret) < MIN_SECRET_BYTES:
        raise WeakSecretError(f"signing secrets must be at least {MIN_SECRET_BYTES} bytes")


def sign_hmac_sha256(secret: bytes, message: bytes) -> str:
    """The hex HMAC-SHA256 of ``message`` under ``secret``. Raises WeakSecretError."""
    _check_secret(secret)
    return hmac.new(bytes(secret), message, hashlib.sha256).hexdigest()


def hmac_sha256_matches(secret: bytes, message: bytes, signature_hex: str) -> bool:
    """True when ``signature_hex`` is the HMAC-SHA256 of ``message`` under ``secret``.

    The comparison takes the same time wherever the first wrong character is, so a forger
    cannot learn the signature byte by byte. Malformed signatures are simply wrong.
    Raises WeakSecretError for an unusable secret (a configuration error, not a bad request).
    """
    expected = sign_hmac_sha256(secret, message)
    if not isinstance(signature_hex, str) or len(signature_hex) != SIGNATURE_HEX_LENGTH:
        return False
    return hmac.compare_digest(expected, signature_hex.lower())
