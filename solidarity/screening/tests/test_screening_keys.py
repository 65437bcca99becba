"""The screening key and its keyed hashes (solidarity/vault/screening_keys.py)."""

from __future__ import annotations

import pytest

from solidarity.vault import core, screening_keys


@pytest.fixture
def intake():
    return core.generate_keypair()


def test_the_screening_key_round_trips_sealed_to_the_intake_key(intake):
    key, sealed = screening_keys.new_screening_key(intake.public_key)

    assert key not in sealed
    assert screening_keys.open_screening_key(sealed, intake.private_key) == key


def test_another_intake_key_cannot_open_it(intake):
    _key, sealed = screening_keys.new_screening_key(intake.public_key)
    with pytest.raises(core.TamperedCiphertextError):
        screening_keys.open_screening_key(sealed, core.generate_keypair().private_key)


def test_an_altered_or_truncated_sealed_key_is_refused(intake):
    _key, sealed = screening_keys.new_screening_key(intake.public_key)
    altered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    for damaged in (altered, sealed[:-5]):
        with pytest.raises(core.TamperedCiphertextError):
            screening_keys.open_screening_key(damaged, intake.private_key)


def test_each_purpose_and_kind_hashes_differently():
    key = core.random_key()
    identifiers = screening_keys.subkey(key, screening_keys.IDENTIFIERS)
    bands = screening_keys.subkey(key, screening_keys.STORY_BANDS)

    assert identifiers != bands
    as_phone = screening_keys.identifier_digest(identifiers, "phone", "1234567")
    as_number = screening_keys.identifier_digest(identifiers, "service_number", "1234567")
    assert as_phone != as_number
    assert as_phone == screening_keys.identifier_digest(identifiers, "phone", "1234567")
    other_key = screening_keys.subkey(core.random_key(), screening_keys.IDENTIFIERS)
    assert as_phone != screening_keys.identifier_digest(other_key, "phone", "1234567")


def test_bad_keys_and_purposes_are_refused():
    with pytest.raises(core.VaultError):
        screening_keys.subkey(core.random_key(), b"made-up")
    with pytest.raises(core.VaultError):
        screening_keys.subkey(b"short", screening_keys.IDENTIFIERS)


def test_band_digests_fit_a_database_bigint():
    key = screening_keys.subkey(core.random_key(), screening_keys.STORY_BANDS)
    values = [screening_keys.band_digest(key, bytes([n]) * 17) for n in range(200)]
    assert all(-(2**63) <= v < 2**63 for v in values)
    assert len(set(values)) == 200
