"""Keyed digests of donation references: stable under one secret, unrelated under another,
separate per purpose, and refused with a weak secret."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solidarity.vault import donor_keys
from solidarity.vault.core import VaultError

SECRET = b"donor-test-secret-0123456789"


def test_the_same_reference_gives_the_same_digest_and_never_the_reference():
    key = donor_keys.donor_key(SECRET)

    digest = donor_keys.reference_digest(key, "TRX-2024-000123")

    assert digest == donor_keys.reference_digest(key, "TRX-2024-000123")
    assert digest == donor_keys.reference_digest(key, "  TRX-2024-000123 ")
    assert len(digest) == donor_keys.DIGEST_HEX_LENGTH
    assert "000123" not in digest


def test_another_secret_gives_an_unrelated_digest():
    one = donor_keys.reference_digest(donor_keys.donor_key(SECRET), "TRX-1")
    other = donor_keys.reference_digest(donor_keys.donor_key(SECRET + b"x"), "TRX-1")
    assert one != other


def test_a_reference_digest_never_equals_an_event_digest_of_the_same_text():
    key = donor_keys.donor_key(SECRET)
    assert donor_keys.reference_digest(key, "evt_1") != donor_keys.event_digest(key, "", "evt_1")
    assert donor_keys.event_digest(key, "card", "evt_1") != donor_keys.event_digest(
        key, "bank", "evt_1"
    )


@pytest.mark.parametrize("secret", [b"", b"short", "a text, not bytes" * 3])
def test_a_weak_or_wrongly_typed_secret_is_refused(secret):
    with pytest.raises(donor_keys.WeakDonorSecretError):
        donor_keys.donor_key(secret)


def test_a_key_of_the_wrong_length_is_refused():
    with pytest.raises(VaultError):
        donor_keys.reference_digest(b"k" * 16, "TRX-1")


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_different_references_give_different_digests(a, b):
    key = donor_keys.donor_key(SECRET)
    if a.strip() != b.strip():
        assert donor_keys.reference_digest(key, a) != donor_keys.reference_digest(key, b)
