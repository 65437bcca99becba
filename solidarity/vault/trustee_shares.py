"""The printed form of a trustee's share: one line a person can type back from paper.

    SR1 K7QD-M2XA 003-002 ABCDE FGHIJ KLMNO PQRST UVWXY Z2345 67ABC DEFGH IJKLM NOPQR ST 4RTY-UQ2K
    ^   ^         ^   ^   ^                                                          ^
    |   set id    M   index  the share, base32 in groups of five                    checksum

* ``SR1``: the format and its version.
* The set id names one split: shares of an older split (or another fund) are refused by name
  rather than combined into garbage.
* M (any M shares recover) and the share's index, three digits each.
* The body: the share bytes in RFC 4648 base32 (A-Z, 2-7), without padding.
* A 40-bit checksum (keyed BLAKE2b over everything before it): a typo anywhere in the line is
  caught with certainty for one wrong character and with odds of 1 in 10^12 otherwise, so
  the operator is told *which* share to type again instead of rebuilding a wrong key.

Reading is forgiving about what people do when typing from paper: spaces and hyphens
anywhere, lower case, and the digits 0, 1 and 8 where base32 has the letters O, I and B
(base32 has no 0, 1, 8 or 9, so nothing is ambiguous).

Pure functions, like ``core``: text and bytes in, text and bytes out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Sequence
from typing import NamedTuple

from solidarity.vault import shamir
from solidarity.vault.core import VaultError

PREFIX = "SR1"
SET_ID_BYTES = 5  # 40 random bits: two splits of one fund never share an id
SET_ID_CHARS = 8
CHECK_BYTES = 5  # 40 bits: see the module docstring
CHECK_CHARS = 8
_NUMBER_CHARS = 3  # M and the index, 001..255
_CHECK_PERSON = b"solid-share-v1"  # BLAKE2b person string: this checksum and nothing else
_DIGEST_PERSON = b"solid-sharedg-v1"  # and this one for the stored digest of each share
_BASE32_FIXES = str.maketrans({"0": "O", "1": "I", "8": "B"})
_DIGIT_FIXES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.:/]+")


class ShareFormatError(VaultError):
    """A share's text cannot be read, or its checksum does not match (a typo).

    ``position`` is where the share came in (1 for the first typed or the first file), so
    the operator is told which one to type again. The message never repeats the share.
    """

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.position = position


class ForeignShareError(VaultError):
    """A share of another split (another set id) or with another threshold was given."""

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.position = position


class TrusteeShare(NamedTuple):
    set_id: str
    threshold: int
    index: int
    value: bytes


def new_set_id() -> str:
    """A random set id: eight base32 characters."""
    return base64.b32encode(secrets.token_bytes(SET_ID_BYTES)).decode("ascii")


def _checksum(set_id: str, threshold: int, index: int, value: bytes) -> str:
    data = f"{PREFIX}{set_id}{threshold:03d}{index:03d}".encode("ascii") + value
    digest = hashlib.blake2b(data, digest_size=CHECK_BYTES, person=_CHECK_PERSON).digest()
    return base64.b32encode(digest).decode("ascii")


def _groups(text: str, size: int) -> str:
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def encode_share(share: TrusteeShare) -> str:
    """The printed line for one share (see the module docstring)."""
    if len(share.set_id) != SET_ID_CHARS or not 1 <= share.threshold <= shamir.MAX_SHARES:
        raise ShareFormatError("share fields out of range")
    if not 1 <= share.index <= shamir.MAX_SHARES or not share.value:
        raise ShareFormatError("share fields out of range")
    body = base64.b32encode(share.value).decode("ascii").rstrip("=")
    check = _checksum(share.set_id, share.threshold, share.index, share.value)
    return (
        f"{PREFIX} {share.set_id[:4]}-{share.set_id[4:]} "
        f"{share.threshold:03d}-{share.index:03d} {_groups(body, 5)} {check[:4]}-{check[4:]}"
    )


def decode_share(text: str, position: int = 0) -> TrusteeShare:
    """Read one typed or printed share. Raises ShareFormatError naming ``position``."""
    compact = _SEPARATORS.sub("", text).upper()
    header = len(PREFIX) + SET_ID_CHARS + 2 * _NUMBER_CHARS
    if not compact.startswith(PREFIX) or len(compact) <= header + CHECK_CHARS:
        raise ShareFormatError("not a recovery share, or incomplete", position)
    set_id = compact[len(PREFIX) : len(PREFIX) + SET_ID_CHARS].translate(_BASE32_FIXES)
    numbers = compact[len(PREFIX) + SET_ID_CHARS : header].translate(_DIGIT_FIXES)
    body = compact[header:-CHECK_CHARS].translate(_BASE32_FIXES)
    check = compact[-CHECK_CHARS:].translate(_BASE32_FIXES)
    if not numbers.isdigit():
        raise ShareFormatError("the share's numbers are mistyped", position)
    threshold, index = int(numbers[:_NUMBER_CHARS]), int(numbers[_NUMBER_CHARS:])
    try:
        value = base64.b32decode(body + "=" * (-len(body) % 8))
    except (binascii.Error, ValueError):
        raise ShareFormatError(
            "the share is mistyped (a character is wrong or missing)", position
        ) from None
    if len(base64.b32encode(value).decode("ascii").rstrip("=")) != len(body):
        raise ShareFormatError("the share is mistyped (a character is wrong or missing)", position)
    expected = _checksum(set_id, threshold, index, value)
    if not secrets.compare_digest(expected, check):
        raise ShareFormatError("the share's checksum does not match: it is mistyped", position)
    if not 1 <= threshold <= shamir.MAX_SHARES or not 1 <= index <= shamir.MAX_SHARES:
        raise ShareFormatError("the share's numbers are out of range", position)
    return TrusteeShare(set_id, threshold, index, value)


def share_digest(share: TrusteeShare) -> str:
    """What the server keeps of a share it handed out: a BLAKE2b digest (hex), so a forged or
    altered share is named at recovery instead of silently spoiling it.

    It reveals nothing: a share is 256 random-looking bits that no one can search for, and a
    digest of it cannot be combined with other shares.
    """
    data = f"{PREFIX}{share.set_id}{share.threshold:03d}{share.index:03d}".encode("ascii")
    return hashlib.blake2b(data + share.value, digest_size=32, person=_DIGEST_PERSON).hexdigest()


def read_shares(texts: Sequence[str], set_id: str, threshold: int) -> list[TrusteeShare]:
    """Typed shares of the split ``set_id``, decoded and checked one by one.

    Raises ShareFormatError (a mistyped share, by position) or ForeignShareError (a share of
    another split or with another threshold, by position).
    """
    shares = [decode_share(text, position) for position, text in enumerate(texts, start=1)]
    for position, share in enumerate(shares, start=1):
        if share.set_id != set_id or share.threshold != threshold:
            raise ForeignShareError("this share belongs to another set", position)
    return shares


def combine(shares: Sequence[TrusteeShare], threshold: int) -> bytes:
    """The secret from shares already read with ``read_shares``. Raises shamir.ShamirError."""
    return shamir.combine_shares(
        [shamir.Share(share.index, share.value) for share in shares], threshold
    )


def split_for_trustees(secret: bytes, threshold: int, count: int) -> tuple[str, list[str]]:
    """Split ``secret`` M-of-N; returns (set id, the N printed shares).

    Raises shamir.ShareParamsError for a threshold or count out of range.
    """
    set_id = new_set_id()
    return set_id, [
        encode_share(TrusteeShare(set_id, threshold, share.index, share.value))
        for share in shamir.split_secret(secret, threshold, count)
    ]


def combine_from_trustees(texts: Sequence[str], set_id: str, threshold: int) -> bytes:
    """The secret from typed shares of the split ``set_id`` (needs ``threshold`` of them).

    Raises ShareFormatError (a mistyped share, by position), ForeignShareError (a share of
    another split), shamir.DuplicateShareError, shamir.NotEnoughSharesError or
    shamir.MixedSharesError.
    """
    return combine(read_shares(texts, set_id, threshold), threshold)


def share_qr_svg(text: str) -> bytes:
    """A QR code of one printed share, as SVG, for the paper copy beside the typed line."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=4, border=2)
    return out.getvalue()
