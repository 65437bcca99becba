"""Shamir secret sharing over GF(2^8), byte by byte: the M-of-N split of the recovery key.

Why by hand: the rule is that PyNaCl is the only cryptography library (STYLE.md §9). The one
well-kept Shamir package on PyPI, ``shamir-mnemonic`` (SLIP-39), brings its own encryption
(a PBKDF2 Feistel cipher) and a word-list format; the others are unmaintained toys. The
scheme itself is small enough to read in one sitting and is tested property by property in
``vault/tests/test_shamir.py``.

How it works: for every byte ``s`` of the secret we pick a random polynomial of degree M-1
over GF(2^8) whose constant term is ``s``; share ``x`` (1..N) holds the polynomial's value at
``x``. Any M values fix the polynomial, so Lagrange interpolation at 0 gives ``s`` back. Any
M-1 values are consistent with every possible ``s`` (for each ``s`` exactly one polynomial
passes through them), so fewer than M shares say nothing about the secret: not "little",
nothing. The coefficients come from the OS RNG (``secrets``).

The field is GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1 (0x11B), with log and
exp tables over the generator 3. Table lookups are not constant-time; this runs only in a
`solidarity recovery` or `solidarity recover` process on an operator's machine, never where
an attacker can time it.

Like ``core``: bytes in, bytes out; no database, no settings.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import NamedTuple

from solidarity.vault.core import VaultError

# GF(2^8) has 255 non-zero points; x = 0 is where the secret sits, so at most 255 shares.
MAX_SHARES = 255


class ShamirError(VaultError):
    """Base class for a split or combination that cannot be done. Never carries share bytes."""


class ShareParamsError(ShamirError):
    """The threshold or share count is out of range (1 <= M <= N <= 255), or the secret is empty."""


class DuplicateShareError(ShamirError):
    """The same share index was given twice: it adds nothing and would divide by zero."""


class MixedSharesError(ShamirError):
    """The shares have different lengths: they cannot come from one split."""


class NotEnoughSharesError(ShamirError):
    """Fewer shares than the threshold were given."""


class Share(NamedTuple):
    index: int  # the point x (1..255) the polynomial was evaluated at
    value: bytes  # one byte per byte of the secret


def _tables() -> tuple[list[int], list[int]]:
    exp = [0] * 510
    log = [0] * 256
    x = 1
    for power in range(255):
        exp[power] = x
        log[x] = power
        # Multiply by the generator 3 = x + 1: x*3 = x*2 XOR x, reducing by 0x11B.
        doubled = x << 1
        if doubled & 0x100:
            doubled ^= 0x11B
        x = doubled ^ x
    for power in range(255, 510):
        exp[power] = exp[power - 255]  # so exp[log a + log b] needs no modulo
    return exp, log


_EXP, _LOG = _tables()


def _mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def _div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("division by zero in GF(2^8)")
    if a == 0:
        return 0
    return _EXP[_LOG[a] + 255 - _LOG[b]]


def _evaluate(coefficients: Sequence[int], x: int) -> int:
    # Horner's rule; addition in GF(2^8) is XOR.
    result = 0
    for coefficient in reversed(coefficients):
        result = _mul(result, x) ^ coefficient
    return result


def split_secret(secret: bytes, threshold: int, count: int) -> list[Share]:
    """Split ``secret`` into ``count`` shares of which any ``threshold`` recover it.

    Raises ShareParamsError unless 1 <= threshold <= count <= 255 and the secret is non-empty.
    """
    if type(threshold) is not int or type(count) is not int:
        raise ShareParamsError("threshold and count must be whole numbers")
    if not 1 <= threshold <= count <= MAX_SHARES:
        raise ShareParamsError(f"need 1 <= threshold <= count <= {MAX_SHARES}")
    if not secret:
        raise ShareParamsError("the secret is empty")
    values = [bytearray(len(secret)) for _ in range(count)]
    for position, byte in enumerate(secret):
        coefficients = [byte, *secrets.token_bytes(threshold - 1)]
        for i in range(count):
            values[i][position] = _evaluate(coefficients, i + 1)
    return [Share(i + 1, bytes(value)) for i, value in enumerate(values)]


def combine_shares(shares: Sequence[Share], threshold: int | None = None) -> bytes:
    """The secret from at least ``threshold`` shares (all given shares are used).

    Raises NotEnoughSharesError, DuplicateShareError, MixedSharesError or ShamirError for an
    index outside 1..255. With fewer shares than the split's threshold the result is a
    wrong secret, indistinguishable from the right one: callers check what they rebuilt
    (the recovery key is checked against its public half).
    """
    if not shares or (threshold is not None and len(shares) < threshold):
        raise NotEnoughSharesError("not enough shares")
    indexes = [share.index for share in shares]
    for index in indexes:
        if type(index) is not int or not 1 <= index <= MAX_SHARES:
            raise ShamirError("share index out of range")
    if len(set(indexes)) != len(indexes):
        raise DuplicateShareError("the same share was given twice")
    length = len(shares[0].value)
    if length == 0 or any(len(share.value) != length for share in shares):
        raise MixedSharesError("shares of different lengths")
    # Lagrange basis at x = 0: l_j(0) = prod_{m != j} x_m / (x_m - x_j); subtraction is XOR.
    weights = []
    for j, x_j in enumerate(indexes):
        weight = 1
        for m, x_m in enumerate(indexes):
            if m != j:
                weight = _mul(weight, _div(x_m, x_m ^ x_j))
        weights.append(weight)
    secret = bytearray(length)
    for weight, share in zip(weights, shares, strict=True):
        for position, byte in enumerate(share.value):
            secret[position] ^= _mul(weight, byte)
    return bytes(secret)
