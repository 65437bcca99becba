"""HMAC-SHA256 signatures for webhooks: known answers, forgeries refused, weak secrets refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solidarity.vault import signatures

SECRET = b"whsec-test-0123456789abcdef"


def test_it_matches_the_rfc_4231_test_vector():
    # RFC 4231, test case 2 uses a 4-byte key, below our minimum; test case 6 uses a 131-byte
    # key of 0xaa and this message.
    key = b"\xaa" * 131
    message = b"Test Using Larger Than Block-Size Key - Hash Key First"
    expected = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"

    assert signatures.sign_hmac_sha256(key, message) == expected
    assert signatures.hmac_sha256_matches(key, message, expected)


def test_it_accepts_its_own_signature_in_either_case():
    signature = signatures.sign_hmac_sha256(SECRET, b"payload")

    assert signatures.hmac_sha256_matches(SECRET, b"payload", signature)
    assert signatures.hmac_sha256_matches(SECRET, b"payload", signature.upper())


@given(st.binary(max_size=200), st.integers(0, 63))
def test_it_refuses_a_signature_with_any_character_changed(message, position):
    signature = signatures.sign_hmac_sha256(SECRET, message)
    changed = "0" if signature[position] != "0" else "1"
    forged = signature[:position] + changed + signature[position + 1 :]

    assert not signatures.hmac_sha256_matches(SECRET, message, forged)


def test_it_refuses_a_changed_message_or_another_secret():
    signature = signatures.sign_hmac_sha256(SECRET, b'{"amount": "10.00"}')

    assert not signatures.hmac_sha256_matches(SECRET, b'{"amount": "1000.00"}', signature)
    assert not signatures.hmac_sha256_matches(b"another-secret-of-length", b"x", signature)


@pytest.mark.parametrize("signature", ["", "abc", "z" * 64, "0" * 63, "0" * 65, None, 12])
def test_it_treats_malformed_signatures_as_wrong(signature):
    assert not signatures.hmac_sha256_matches(SECRET, b"payload", signature)


@pytest.mark.parametrize("secret", [b"", b"short", "a string secret of length"])
def test_it_refuses_a_secret_too_short_to_be_one(secret):
    with pytest.raises(signatures.WeakSecretError):
        signatures.sign_hmac_sha256(secret, b"payload")
    with pytest.raises(signatures.WeakSecretError):
        signatures.hmac_sha256_matches(secret, b"payload", "0" * 64)
