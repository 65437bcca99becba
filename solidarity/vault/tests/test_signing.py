"""Ed25519 statement signatures: round trip, forgery, context, fingerprint, sealed copies."""

from __future__ import annotations

import hashlib

import pytest

from solidarity.vault import core, signing

MESSAGE = b'{"web":["https://fund.example.org/"]}'


def test_a_signature_verifies_with_its_key():
    key = signing.generate_signing_key()
    signature = signing.sign_statement(key.seed, MESSAGE)
    signing.verify_statement(key.public_key, MESSAGE, signature)
    assert signing.public_signing_key_of(key.seed) == key.public_key


def test_an_altered_message_or_signature_fails():
    key = signing.generate_signing_key()
    signature = signing.sign_statement(key.seed, MESSAGE)
    with pytest.raises(signing.BadSignatureError):
        signing.verify_statement(key.public_key, MESSAGE.replace(b"fund", b"fumd"), signature)
    altered = bytes([signature[0] ^ 1]) + signature[1:]
    with pytest.raises(signing.BadSignatureError):
        signing.verify_statement(key.public_key, MESSAGE, altered)
    with pytest.raises(signing.BadSignatureError):
        signing.verify_statement(key.public_key, MESSAGE, signature[:-1])


def test_another_key_fails():
    key, other = signing.generate_signing_key(), signing.generate_signing_key()
    signature = signing.sign_statement(other.seed, MESSAGE)
    with pytest.raises(signing.BadSignatureError):
        signing.verify_statement(key.public_key, MESSAGE, signature)
    with pytest.raises(signing.BadSignatureError):
        signing.verify_statement(b"\x00" * 31, MESSAGE, signature)


def test_a_signature_without_the_context_is_no_statement_signature():
    import nacl.signing  # the test plays an attacker signing raw bytes

    key = signing.generate_signing_key()
    raw = bytes(nacl.signing.SigningKey(key.seed).sign(MESSAGE).signature)
    with pytest.raises(signing.BadSignatureError):
        signing.verify_statement(key.public_key, MESSAGE, raw)
    # ... and a signature made for another context is none for ours either.
    other_context = bytes(
        nacl.signing.SigningKey(key.seed).sign(b"solidarity-other-v1\0" + MESSAGE).signature
    )
    with pytest.raises(signing.BadSignatureError):
        signing.verify_statement(key.public_key, MESSAGE, other_context)


def test_the_fingerprint_is_blake2b_128_in_eight_groups():
    key = signing.generate_signing_key()
    found = signing.fingerprint(key.public_key)
    groups = found.split(" ")
    assert len(groups) == 8
    assert all(len(g) == 4 for g in groups)
    assert (
        found.replace(" ", "")
        == hashlib.blake2b(key.public_key, digest_size=16).hexdigest().upper()
    )
    assert signing.normalise_fingerprint(found.lower().replace(" ", "-")) == found
    assert signing.normalise_fingerprint("ABCD") == ""


def test_the_sealed_copy_opens_only_with_the_coordinators_key():
    key = signing.generate_signing_key()
    coordinator, other = core.generate_keypair(), core.generate_keypair()
    sealed = signing.seal_signing_key_for_staff(key.seed, coordinator.public_key)
    assert key.seed not in sealed
    assert signing.open_signing_key(sealed, coordinator.private_key) == key.seed
    with pytest.raises(core.TamperedCiphertextError):
        signing.open_signing_key(sealed, other.private_key)
    with pytest.raises(core.TamperedCiphertextError):
        signing.open_signing_key(sealed[:-1], coordinator.private_key)
