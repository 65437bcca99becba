"""The jobs keys in the vault (solidarity/vault/jobs_keys.py): round trips, ciphertext that
hides its plaintext, wrong and altered inputs refused, and an owner tag that only the case
key can compute (STYLE.md §6 for vault code)."""

from __future__ import annotations

import pytest

from solidarity.vault import core, jobs_keys

NOTE = b"Write to Anna at hr@example.com by Friday"


@pytest.fixture
def case_pair():
    return core.generate_keypair()


def test_a_note_for_the_candidate_opens_through_the_case_key(case_pair):
    public, sealed_private = jobs_keys.create_profile_keys(case_pair.public_key)

    sealed = jobs_keys.seal_for_candidate(public, NOTE)
    profile_private = jobs_keys.open_profile_key(case_pair.private_key, sealed_private)

    assert jobs_keys.open_for_candidate(profile_private, sealed) == NOTE
    assert NOTE not in sealed
    assert profile_private not in sealed_private


def test_another_case_key_opens_neither_the_profile_key_nor_the_note(case_pair):
    other = core.generate_keypair()
    public, sealed_private = jobs_keys.create_profile_keys(case_pair.public_key)

    with pytest.raises(core.TamperedCiphertextError):
        jobs_keys.open_profile_key(other.private_key, sealed_private)
    with pytest.raises(core.TamperedCiphertextError):
        jobs_keys.open_for_candidate(other.private_key, jobs_keys.seal_for_candidate(public, NOTE))


def test_altered_or_truncated_ciphertext_is_refused(case_pair):
    jobs = jobs_keys.create_jobs_key()
    sealed = jobs_keys.seal_for_job_coaches(jobs.public_key, NOTE)
    flipped = bytearray(sealed)
    flipped[len(flipped) // 2] ^= 0x01

    for damaged in (bytes(flipped), sealed[:-1], sealed[:10]):
        with pytest.raises(core.TamperedCiphertextError):
            jobs_keys.open_for_job_coaches(jobs.private_key, damaged)


def test_the_jobs_key_reaches_a_coach_through_their_personal_key():
    jobs = jobs_keys.create_jobs_key()
    coach = core.generate_keypair()
    stranger = core.generate_keypair()

    wrapped = jobs_keys.wrap_jobs_key(jobs.private_key, coach.public_key)

    assert jobs_keys.unwrap_jobs_key(wrapped, coach.private_key) == jobs.private_key
    assert jobs.private_key not in wrapped
    with pytest.raises(core.TamperedCiphertextError):
        jobs_keys.unwrap_jobs_key(wrapped, stranger.private_key)


def test_the_owner_tag_is_stable_per_case_and_differs_between_cases(case_pair):
    other = core.generate_keypair()

    tag = jobs_keys.profile_owner_tag(case_pair.private_key)

    assert tag == jobs_keys.profile_owner_tag(case_pair.private_key)
    assert tag != jobs_keys.profile_owner_tag(other.private_key)
    assert len(bytes.fromhex(tag)) == jobs_keys.PROFILE_OWNER_TAG_SIZE


def test_the_owner_tag_cannot_be_computed_from_what_a_server_stores(case_pair):
    """The server keeps the case public key in clear; keyed with it, the tag comes out
    different, so a seized database cannot recompute the link."""
    tag = jobs_keys.profile_owner_tag(case_pair.private_key)

    assert tag != jobs_keys.profile_owner_tag(case_pair.public_key)
    assert tag != core.keyed_digest(case_pair.public_key, b"", size=32).hex()


def test_the_owner_tag_refuses_a_key_of_the_wrong_length():
    with pytest.raises(core.VaultError):
        jobs_keys.profile_owner_tag(b"short")


def test_resealing_after_a_re_key_keeps_the_same_profile_key(case_pair):
    new_case = core.generate_keypair()
    public, sealed_private = jobs_keys.create_profile_keys(case_pair.public_key)
    before = jobs_keys.open_profile_key(case_pair.private_key, sealed_private)

    resealed = jobs_keys.reseal_profile_key(
        case_pair.private_key, new_case.public_key, sealed_private
    )

    assert jobs_keys.open_profile_key(new_case.private_key, resealed) == before
    with pytest.raises(core.TamperedCiphertextError):
        jobs_keys.open_profile_key(case_pair.private_key, resealed)


def test_a_handover_reseals_coach_material_from_the_givers_jobs_key_to_the_receivers():
    giver_jobs, receiver, receiver_jobs = (core.generate_keypair() for _ in range(3))
    sealed = jobs_keys.seal_for_job_coaches(giver_jobs.public_key, NOTE)

    in_transit = jobs_keys.reseal_for_receiver(giver_jobs.private_key, receiver.public_key, sealed)
    at_receiver = jobs_keys.reseal_from_giver(
        receiver.private_key, receiver_jobs.public_key, in_transit
    )

    assert NOTE not in in_transit
    assert NOTE not in at_receiver
    assert jobs_keys.open_for_job_coaches(receiver_jobs.private_key, at_receiver) == NOTE
    # Only the key each step names opens it: not the giver's jobs key, not the receiver key.
    with pytest.raises(core.TamperedCiphertextError):
        jobs_keys.open_for_job_coaches(giver_jobs.private_key, in_transit)
    with pytest.raises(core.TamperedCiphertextError):
        jobs_keys.open_for_job_coaches(receiver.private_key, at_receiver)
    with pytest.raises(core.TamperedCiphertextError):
        jobs_keys.reseal_for_receiver(receiver.private_key, receiver.public_key, sealed)
    # Nothing written stays nothing.
    assert jobs_keys.reseal_for_receiver(giver_jobs.private_key, receiver.public_key, b"") == b""
    assert jobs_keys.reseal_from_giver(receiver.private_key, receiver_jobs.public_key, b"") == b""
