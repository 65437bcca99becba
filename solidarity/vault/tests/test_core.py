"""The crypto core: each domain function round-trips, hides its plaintext, refuses a wrong key
or passphrase, and refuses damaged ciphertext with the right exception.

Everything runs with ``VaultParams.fast_for_tests()``: the cheapest costs libsodium accepts,
passed in like any other parameters. Nothing in the vault is patched.
"""

from __future__ import annotations

import dataclasses
import io
import json
import random
import re
import struct

import nacl.bindings as sodium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solidarity.vault import core

PARAMS = core.VaultParams.fast_for_tests()
CHUNK = core.FILE_CHUNK_SIZE
STREAM_HEADER = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
CHUNK_OVERHEAD = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
LOCK_HEADER = struct.Struct(">BIQ")  # version, opslimit, memlimit: the locked-blob format
LOCK_PREFIX = LOCK_HEADER.size + core.SALT_SIZE
CANARY = b"CanaryPlaintextQ8v"
PASSPHRASE = "abacus brunette cactus dwelling eclipse fossil gizmo"

# Sizes where chunking can go wrong: empty, one byte, and either side of each chunk boundary.
BOUNDARY_SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK - 1, 2 * CHUNK, 2 * CHUNK + 1]
file_sizes = st.one_of(st.sampled_from(BOUNDARY_SIZES), st.integers(0, 3 * CHUNK + 64))
seeds = st.integers(0, 2**32)
passphrases = st.text(min_size=1, max_size=40).filter(lambda p: 0 < len(p.encode()) <= 1024)


def flip(data: bytes, position: int, bit: int = 0) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 1 << bit
    return bytes(changed)


def sized_bytes(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


# --- VaultParams ----------------------------------------------------------------------------


def test_the_production_and_test_parameters_are_accepted():
    assert core.VaultParams.production().staff_memlimit >= 256 * 1024 * 1024
    assert core.VaultParams.fast_for_tests().staff_opslimit >= 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("staff_opslimit", 0),
        ("staff_opslimit", 33),
        ("receipt_opslimit", 0),
        ("receipt_opslimit", 33),
        ("staff_memlimit", 8191),
        ("staff_memlimit", 1024**3 + 1),
        ("receipt_memlimit", 8191),
        ("receipt_memlimit", 1024**3 + 1),
        ("max_concurrent_kdf", 0),
        ("max_concurrent_kdf", -1),
    ],
)
def test_vault_params_refuse_a_cost_outside_the_allowed_range(field, value):
    with pytest.raises(core.VaultParamsError):
        dataclasses.replace(PARAMS, **{field: value})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("staff_opslimit", 2.5),
        ("staff_memlimit", 268435456.0),
        ("receipt_opslimit", "2"),
        ("receipt_memlimit", None),
        ("max_concurrent_kdf", 1.5),
    ],
)
def test_vault_params_refuse_a_cost_that_is_not_a_whole_number(field, value):
    """A float cost passes the range check and only fails later, inside libsodium, with a
    TypeError at every login; a string fails with a TypeError from the comparison."""
    with pytest.raises(core.VaultParamsError):
        dataclasses.replace(PARAMS, **{field: value})


def test_vault_params_cannot_be_changed_once_built():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PARAMS.staff_opslimit = 1  # type: ignore[misc]


# --- key pairs and fingerprints --------------------------------------------------------------


def test_a_new_key_pair_is_fresh_and_its_public_half_matches_its_private_half():
    first, second = core.generate_keypair(), core.generate_keypair()
    assert len(first.public_key) == len(first.private_key) == core.KEY_SIZE
    assert core.public_key_of(first.private_key) == first.public_key
    assert first.private_key != second.private_key


def test_a_fingerprint_is_short_stable_and_different_for_another_key():
    public = core.generate_keypair().public_key
    fingerprint = core.key_fingerprint(public)
    assert re.fullmatch(r"[0-9A-F]{4}( [0-9A-F]{4}){4}", fingerprint)
    assert core.key_fingerprint(public) == fingerprint
    assert core.key_fingerprint(core.generate_keypair().public_key) != fingerprint


def test_keys_of_the_wrong_length_are_refused():
    pair = core.generate_keypair()
    with pytest.raises(core.VaultError):
        core.seal_to(pair.public_key[:31], b"x")
    with pytest.raises(core.VaultError):
        core.open_sealed(pair.private_key + b"\x00", core.seal_to(pair.public_key, b"x"))
    with pytest.raises(core.VaultError):
        core.public_key_of(b"")


# --- sealing to a public key -----------------------------------------------------------------

CASE = core.generate_keypair()


@given(plaintext=st.binary(max_size=4096))
def test_anything_sealed_to_a_case_opens_with_the_case_private_key(plaintext):
    sealed = core.seal_for_case(CASE.public_key, plaintext)
    assert core.open_for_case(CASE.private_key, sealed) == plaintext
    assert core.open_sealed(CASE.private_key, core.seal_to(CASE.public_key, plaintext)) == plaintext


@given(tail=st.binary(max_size=256))
def test_a_sealed_box_does_not_contain_its_plaintext(tail):
    sealed = core.seal_for_case(CASE.public_key, CANARY + tail)
    assert CANARY not in sealed


def test_sealing_the_same_plaintext_twice_gives_unrelated_ciphertexts():
    assert core.seal_for_case(CASE.public_key, CANARY) != core.seal_for_case(
        CASE.public_key, CANARY
    )


def test_a_sealed_box_does_not_open_with_another_private_key():
    sealed = core.seal_for_case(CASE.public_key, CANARY)
    with pytest.raises(core.TamperedCiphertextError):
        core.open_for_case(core.generate_keypair().private_key, sealed)


@given(data=st.data())
def test_a_sealed_box_with_any_bit_flipped_does_not_open(data):
    sealed = core.seal_for_case(CASE.public_key, CANARY)
    position = data.draw(st.integers(0, len(sealed) - 1), label="position")
    bit = data.draw(st.integers(0, 7), label="bit")
    with pytest.raises(core.TamperedCiphertextError):
        core.open_for_case(CASE.private_key, flip(sealed, position, bit))


@given(data=st.data())
def test_a_truncated_sealed_box_does_not_open(data):
    sealed = core.seal_for_case(CASE.public_key, CANARY)
    length = data.draw(st.integers(0, len(sealed) - 1), label="length")
    with pytest.raises(core.TamperedCiphertextError):
        core.open_for_case(CASE.private_key, sealed[:length])


def test_a_sealed_box_with_bytes_appended_does_not_open():
    sealed = core.seal_for_case(CASE.public_key, CANARY)
    with pytest.raises(core.TamperedCiphertextError):
        core.open_for_case(CASE.private_key, sealed + b"\x00")


# --- passphrase-locked keys (staff keys and receipts) ---------------------------------------


def test_a_new_staff_key_unlocks_with_its_passphrase_and_matches_its_public_key():
    public, locked = core.create_staff_keys(PASSPHRASE, PARAMS)
    private = core.unlock_staff_key(locked, PASSPHRASE, PARAMS)
    assert core.public_key_of(private) == public


@settings(max_examples=50)
@given(passphrase=passphrases)
def test_a_staff_key_locked_under_any_passphrase_unlocks_with_it(passphrase):
    pair = core.generate_keypair()
    locked = core.lock_staff_key(pair.private_key, passphrase, PARAMS)
    assert core.unlock_staff_key(locked, passphrase, PARAMS) == pair.private_key


def test_a_locked_staff_key_contains_neither_the_key_nor_the_passphrase():
    pair = core.generate_keypair()
    locked = core.lock_staff_key(pair.private_key, PASSPHRASE, PARAMS)
    assert pair.private_key not in locked
    assert PASSPHRASE.encode() not in locked
    assert core.lock_staff_key(pair.private_key, PASSPHRASE, PARAMS) != locked  # fresh salt


@pytest.mark.parametrize(
    "wrong",
    [
        PASSPHRASE.upper(),
        PASSPHRASE + " ",
        PASSPHRASE[:-1],
        "",  # refused before any derivation
        "x" * (core.MAX_PASSPHRASE_LENGTH + 1),  # refused: would make a login cost too much
    ],
)
def test_a_wrong_passphrase_does_not_unlock_a_staff_key(wrong):
    _public, locked = core.create_staff_keys(PASSPHRASE, PARAMS)
    with pytest.raises(core.WrongPassphraseError):
        core.unlock_staff_key(locked, wrong, PARAMS)


def test_a_staff_key_cannot_be_locked_under_an_empty_passphrase():
    with pytest.raises(core.VaultError):
        core.create_staff_keys("", PARAMS)


def test_only_a_private_key_can_be_locked():
    with pytest.raises(core.VaultError):
        core.lock_staff_key(b"\x01" * 31, PASSPHRASE, PARAMS)
    with pytest.raises(core.VaultError):
        core.lock_applicant_key(b"\x01" * 33, PASSPHRASE, PARAMS)


@given(data=st.data())
def test_a_locked_key_with_any_bit_flipped_after_its_header_does_not_unlock(data):
    locked = core.lock_staff_key(CASE.private_key, PASSPHRASE, PARAMS)
    # The header's cost fields are covered below: a flipped high bit there would make this
    # example derive with up to 1 GiB, which is the attacker's cost, not a test's.
    position = data.draw(st.integers(LOCK_HEADER.size, len(locked) - 1), label="position")
    bit = data.draw(st.integers(0, 7), label="bit")
    with pytest.raises(core.WrongPassphraseError):
        core.unlock_staff_key(flip(locked, position, bit), PASSPHRASE, PARAMS)


@given(data=st.data())
def test_a_truncated_locked_key_does_not_unlock(data):
    locked = core.lock_staff_key(CASE.private_key, PASSPHRASE, PARAMS)
    length = data.draw(st.integers(0, len(locked) - 1), label="length")
    with pytest.raises(core.WrongPassphraseError):
        core.unlock_staff_key(locked[:length], PASSPHRASE, PARAMS)


def _with_header(locked: bytes, version: int, opslimit: int, memlimit: int) -> bytes:
    return LOCK_HEADER.pack(version, opslimit, memlimit) + locked[LOCK_HEADER.size :]


@pytest.mark.parametrize(
    ("version", "opslimit", "memlimit"),
    [
        (0, 1, 8192),  # unknown versions
        (2, 1, 8192),
        (1, 0, 8192),  # costs libsodium refuses or we never write
        (1, 33, 8192),
        (1, 1, 8191),
        (1, 1, 1024**3 + 1024),
        (1, 2, 8192),  # a different, still cheap, cost: derives another key
        (1, 1, 16384),
    ],
)
def test_a_locked_key_whose_header_was_edited_does_not_unlock(version, opslimit, memlimit):
    locked = core.lock_staff_key(CASE.private_key, PASSPHRASE, PARAMS)
    assert LOCK_HEADER.unpack(locked[: LOCK_HEADER.size]) == (1, 1, 8192)
    with pytest.raises(core.WrongPassphraseError):
        core.unlock_staff_key(_with_header(locked, version, opslimit, memlimit), PASSPHRASE, PARAMS)


def test_a_locked_key_cannot_be_edited_to_a_lower_cost():
    # Given a key locked at a higher cost than the minimum
    dearer = dataclasses.replace(PARAMS, staff_opslimit=3, staff_memlimit=16384)
    locked = core.lock_staff_key(CASE.private_key, PASSPHRASE, dearer)
    assert core.unlock_staff_key(locked, PASSPHRASE, dearer) == CASE.private_key
    # When a seized database is edited to claim the minimum cost
    cheaper = _with_header(locked, 1, 1, 8192)
    # Then the key no longer opens, so offline guessing cannot be made cheaper
    with pytest.raises(core.WrongPassphraseError):
        core.unlock_staff_key(cheaper, PASSPHRASE, dearer)


def test_a_receipt_lock_claiming_more_than_64_mib_is_refused():
    locked = core.lock_applicant_key(CASE.private_key, PASSPHRASE, PARAMS)
    edited = _with_header(locked, 1, 1, 64 * 1024 * 1024 + 1024)
    with pytest.raises(core.WrongPassphraseError):
        core.unlock_applicant_key(edited, PASSPHRASE, PARAMS)


@settings(max_examples=30)
@given(passphrase=passphrases)
def test_an_applicant_key_locked_with_a_receipt_opens_with_that_receipt_only(passphrase):
    locked = core.lock_applicant_key(CASE.private_key, passphrase, PARAMS)
    assert core.unlock_applicant_key(locked, passphrase, PARAMS) == CASE.private_key
    assert CASE.private_key not in locked
    with pytest.raises(core.WrongPassphraseError):
        core.unlock_applicant_key(locked, passphrase + "x", PARAMS)


def test_burning_a_receipt_attempt_spends_a_derivation_and_returns_nothing():
    assert core.burn_receipt_attempt(PARAMS) is None


# --- the intake key, case keys and grants ------------------------------------------------------


def test_the_intake_key_wrapped_for_a_coordinator_unwraps_with_their_key_only():
    intake, coordinator, other = (core.generate_keypair() for _ in range(3))
    wrapped = core.wrap_intake_key(intake.private_key, coordinator.public_key)
    assert intake.private_key not in wrapped
    assert core.unwrap_intake_key(wrapped, coordinator.private_key) == intake.private_key
    with pytest.raises(core.TamperedCiphertextError):
        core.unwrap_intake_key(wrapped, other.private_key)
    with pytest.raises(core.TamperedCiphertextError):
        core.unwrap_intake_key(flip(wrapped, len(wrapped) - 1), coordinator.private_key)


def test_only_a_private_key_can_be_wrapped_or_granted():
    staff = core.generate_keypair()
    with pytest.raises(core.VaultError):
        core.wrap_intake_key(b"short", staff.public_key)
    with pytest.raises(core.VaultError):
        core.grant_case_key(b"short", staff.public_key)


def _open_with_receipt(keys: core.CaseKeys, passphrase: str = PASSPHRASE) -> bytes:
    return core.open_case_key_with_receipt(
        keys.applicant_key_locked, keys.key_for_applicant_sealed, passphrase, PARAMS
    )


def test_a_new_case_key_opens_through_the_intake_key_and_through_the_receipt():
    intake = core.generate_keypair()
    keys = core.create_case_keys(intake.public_key, PASSPHRASE, PARAMS)
    assert core.public_key_of(keys.private_key) == keys.public_key
    assert (
        core.open_case_key_with_intake(keys.key_for_intake_sealed, intake.private_key)
        == keys.private_key
    )
    assert _open_with_receipt(keys) == keys.private_key
    for stored in (
        keys.key_for_intake_sealed,
        keys.applicant_key_locked,
        keys.key_for_applicant_sealed,
    ):
        assert keys.private_key not in stored
    assert keys.applicant_public_key != keys.public_key


def test_a_case_key_does_not_open_with_a_wrong_intake_key_or_receipt():
    keys = core.create_case_keys(core.generate_keypair().public_key, PASSPHRASE, PARAMS)
    with pytest.raises(core.TamperedCiphertextError):
        core.open_case_key_with_intake(
            keys.key_for_intake_sealed, core.generate_keypair().private_key
        )
    with pytest.raises(core.WrongPassphraseError):
        _open_with_receipt(keys, PASSPHRASE[::-1])


def test_the_applicant_key_of_one_case_does_not_open_another_case():
    intake = core.generate_keypair().public_key
    first = core.create_case_keys(intake, PASSPHRASE, PARAMS)
    second = core.create_case_keys(intake, PASSPHRASE, PARAMS)
    swapped = first._replace(key_for_applicant_sealed=second.key_for_applicant_sealed)
    with pytest.raises(core.TamperedCiphertextError):
        _open_with_receipt(swapped)


def test_a_new_case_key_sealed_to_the_applicant_key_opens_with_the_old_receipt():
    # Given a case as intake made it
    keys = core.create_case_keys(core.generate_keypair().public_key, PASSPHRASE, PARAMS)
    # When the case is re-keyed, knowing only the applicant's *public* key
    new_case = core.generate_keypair()
    resealed = core.seal_case_key_for_applicant(new_case.private_key, keys.applicant_public_key)
    # Then the applicant's unchanged receipt opens the new case key
    rekeyed = keys._replace(key_for_applicant_sealed=resealed)
    assert _open_with_receipt(rekeyed) == new_case.private_key
    assert new_case.private_key not in resealed


def test_an_altered_applicant_copy_does_not_open():
    keys = core.create_case_keys(core.generate_keypair().public_key, PASSPHRASE, PARAMS)
    damaged = keys._replace(key_for_applicant_sealed=flip(keys.key_for_applicant_sealed, 40))
    with pytest.raises(core.TamperedCiphertextError):
        _open_with_receipt(damaged)


def test_an_access_grant_opens_with_the_volunteers_key_only():
    volunteer, other = core.generate_keypair(), core.generate_keypair()
    grant = core.grant_case_key(CASE.private_key, volunteer.public_key)
    assert CASE.private_key not in grant
    assert core.open_case_key_with_grant(grant, volunteer.private_key) == CASE.private_key
    with pytest.raises(core.TamperedCiphertextError):
        core.open_case_key_with_grant(grant, other.private_key)
    with pytest.raises(core.TamperedCiphertextError):
        core.open_case_key_with_grant(flip(grant, 50), volunteer.private_key)


# --- re-keying --------------------------------------------------------------------------------


def test_resealing_moves_a_sealed_item_from_the_old_case_key_to_the_new_one():
    old, new = core.generate_keypair(), core.generate_keypair()
    sealed = core.seal_for_case(old.public_key, CANARY)

    resealed = core.reseal_for_case(old.private_key, new.public_key, sealed)

    assert CANARY not in resealed
    assert core.open_for_case(new.private_key, resealed) == CANARY
    with pytest.raises(core.TamperedCiphertextError):
        core.open_for_case(old.private_key, resealed)


def test_resealing_refuses_an_item_the_old_key_does_not_open():
    old, new, stranger = (core.generate_keypair() for _ in range(3))
    foreign = core.seal_for_case(stranger.public_key, CANARY)
    with pytest.raises(core.TamperedCiphertextError):
        core.reseal_for_case(old.private_key, new.public_key, foreign)
    damaged = flip(core.seal_for_case(old.public_key, CANARY), 60)
    with pytest.raises(core.TamperedCiphertextError):
        core.reseal_for_case(old.private_key, new.public_key, damaged)


def test_a_resealed_file_key_still_opens_the_file_it_was_made_for():
    old, new = core.generate_keypair(), core.generate_keypair()
    target = io.BytesIO()
    key_sealed = core.seal_file_for_case(old.public_key, io.BytesIO(CANARY * 3), target)

    resealed = core.reseal_for_case(old.private_key, new.public_key, key_sealed)

    chunks = core.open_file_for_case(new.private_key, resealed, io.BytesIO(target.getvalue()))
    assert b"".join(chunks) == CANARY * 3


def test_a_retired_intake_key_opens_only_with_the_intake_key_that_replaced_it():
    retired, current, stranger = (core.generate_keypair() for _ in range(3))
    sealed = core.seal_retired_intake_key(retired.private_key, current.public_key)
    assert retired.private_key not in sealed
    assert core.open_retired_intake_key(sealed, current.private_key) == retired.private_key
    with pytest.raises(core.TamperedCiphertextError):
        core.open_retired_intake_key(sealed, retired.private_key)
    with pytest.raises(core.TamperedCiphertextError):
        core.open_retired_intake_key(sealed, stranger.private_key)


def test_a_token_digest_is_stable_and_depends_on_the_secret():
    secret = b"s" * 32
    digest = core.token_digest(secret, "token-one")
    assert digest == core.token_digest(secret, "token-one")
    assert digest != core.token_digest(secret, "token-two")
    assert digest != core.token_digest(b"t" * 32, "token-one")
    assert b"token-one" not in digest
    with pytest.raises(core.VaultError):
        core.token_digest(b"short", "token-one")


# --- the unlocked staff session ------------------------------------------------------------------


def test_a_key_locked_for_the_session_opens_with_the_cookie_key():
    cookie_key, locked = core.lock_for_session(CASE.private_key)
    assert len(cookie_key) == core.KEY_SIZE
    assert CASE.private_key not in locked
    assert core.open_for_session(locked, cookie_key) == CASE.private_key


def test_a_key_locked_for_the_session_does_not_open_with_another_cookie_key():
    _cookie_key, locked = core.lock_for_session(CASE.private_key)
    other_cookie, _other_locked = core.lock_for_session(CASE.private_key)
    with pytest.raises(core.TamperedCiphertextError):
        core.open_for_session(locked, other_cookie)
    for wrong_length in (b"", other_cookie[:31], other_cookie + b"\x00"):
        with pytest.raises(core.TamperedCiphertextError):
            core.open_for_session(locked, wrong_length)


@given(data=st.data())
def test_a_session_lock_that_was_altered_or_truncated_does_not_open(data):
    cookie_key, locked = core.lock_for_session(CASE.private_key)
    position = data.draw(st.integers(0, len(locked) - 1), label="position")
    bit = data.draw(st.integers(0, 7), label="bit")
    with pytest.raises(core.TamperedCiphertextError):
        core.open_for_session(flip(locked, position, bit), cookie_key)
    with pytest.raises(core.TamperedCiphertextError):
        core.open_for_session(locked[:position], cookie_key)


def test_only_a_private_key_can_be_locked_for_the_session():
    with pytest.raises(core.VaultError):
        core.lock_for_session(b"\x00" * 16)


# --- files ---------------------------------------------------------------------------------------


def seal_file(plaintext: bytes) -> tuple[bytes, bytes]:
    """(ciphertext, file key sealed to CASE)."""
    target = io.BytesIO()
    key_sealed = core.seal_file_for_case(CASE.public_key, io.BytesIO(plaintext), target)
    return target.getvalue(), key_sealed


def open_file(ciphertext: bytes, key_sealed: bytes, private_key: bytes = CASE.private_key) -> bytes:
    return b"".join(core.open_file_for_case(private_key, key_sealed, io.BytesIO(ciphertext)))


def split_chunks(ciphertext: bytes) -> tuple[bytes, list[bytes]]:
    """The stream header and each encrypted chunk, as written by seal_file_for_case."""
    header, rest = ciphertext[:STREAM_HEADER], ciphertext[STREAM_HEADER:]
    size = CHUNK + CHUNK_OVERHEAD
    return header, [rest[i : i + size] for i in range(0, len(rest), size)]


THREE_CHUNKS = sized_bytes(2 * CHUNK + 100, seed=3)


@settings(max_examples=40, deadline=None)
@given(size=file_sizes, seed=seeds)
def test_a_file_of_any_size_round_trips(size, seed):
    plaintext = sized_bytes(size, seed)
    ciphertext, key_sealed = seal_file(plaintext)
    assert open_file(ciphertext, key_sealed) == plaintext
    # One chunk per started 64 KiB, and always at least one (the final, possibly empty).
    chunks = max(1, -(-size // CHUNK))
    assert len(ciphertext) == STREAM_HEADER + size + chunks * CHUNK_OVERHEAD


class ShortReads(io.RawIOBase):
    """A raw stream that hands out at most ``step`` bytes per read, as pipes and sockets do."""

    def __init__(self, data: bytes, step: int = 1000) -> None:
        self._data, self._position, self._step = data, 0, step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        part = self._data[self._position : self._position + min(len(buffer), self._step)]
        buffer[: len(part)] = part
        self._position += len(part)
        return len(part)


def test_a_file_streamed_from_a_source_that_returns_short_reads_round_trips():
    """seal_file_for_case takes any BinaryIO, and read(n) on a raw stream may return fewer
    than n bytes. Each short read became its own short chunk, but the reader expects full
    64 KiB chunks, so the file could never be opened again: the evidence is lost."""
    target = io.BytesIO()
    key_sealed = core.seal_file_for_case(CASE.public_key, ShortReads(THREE_CHUNKS), target)
    assert open_file(target.getvalue(), key_sealed) == THREE_CHUNKS
    # And a sealed file read back through a raw stream opens too
    reader = core.open_file_for_case(
        CASE.private_key, key_sealed, ShortReads(target.getvalue(), step=5000)
    )
    assert b"".join(reader) == THREE_CHUNKS


def test_a_file_is_read_back_in_chunks_of_at_most_64_kib():
    ciphertext, key_sealed = seal_file(THREE_CHUNKS)
    chunks = list(core.open_file_for_case(CASE.private_key, key_sealed, io.BytesIO(ciphertext)))
    assert [len(c) for c in chunks] == [CHUNK, CHUNK, 100]


def test_a_sealed_file_contains_neither_its_plaintext_nor_its_key():
    plaintext = CANARY * (3 * CHUNK // len(CANARY))
    ciphertext, key_sealed = seal_file(plaintext)
    assert CANARY not in ciphertext
    assert CANARY not in key_sealed


def test_a_sealed_file_does_not_open_with_another_case_key_or_another_files_key():
    ciphertext, key_sealed = seal_file(CANARY)
    _other_ciphertext, other_key_sealed = seal_file(CANARY)
    with pytest.raises(core.TamperedCiphertextError):
        open_file(ciphertext, key_sealed, core.generate_keypair().private_key)
    with pytest.raises(core.TamperedCiphertextError):
        open_file(ciphertext, other_key_sealed)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_sealed_file_with_any_bit_flipped_does_not_open(data):
    ciphertext, key_sealed = seal_file(THREE_CHUNKS)
    position = data.draw(st.integers(0, len(ciphertext) - 1), label="position")
    bit = data.draw(st.integers(0, 7), label="bit")
    with pytest.raises(core.TamperedCiphertextError):
        open_file(flip(ciphertext, position, bit), key_sealed)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_truncated_sealed_file_does_not_open(data):
    ciphertext, key_sealed = seal_file(THREE_CHUNKS)
    length = data.draw(
        st.one_of(
            st.sampled_from([0, STREAM_HEADER - 1, STREAM_HEADER, STREAM_HEADER + CHUNK + 17]),
            st.integers(0, len(ciphertext) - 1),
        ),
        label="length",
    )
    with pytest.raises(core.TamperedCiphertextError):
        open_file(ciphertext[:length], key_sealed)


def test_a_sealed_file_with_an_altered_file_key_does_not_open():
    ciphertext, key_sealed = seal_file(CANARY)
    with pytest.raises(core.TamperedCiphertextError):
        open_file(ciphertext, flip(key_sealed, 40))


@pytest.mark.parametrize(
    ("name", "rearrange"),
    [
        ("swapped", lambda c: [c[1], c[0], c[2]]),
        ("last moved first", lambda c: [c[2], c[0], c[1]]),
        ("middle dropped", lambda c: [c[0], c[2]]),
        ("first dropped", lambda c: [c[1], c[2]]),
        ("final dropped", lambda c: [c[0], c[1]]),
        ("one repeated", lambda c: [c[0], c[0], c[1], c[2]]),
    ],
)
def test_a_sealed_file_with_chunks_reordered_or_dropped_does_not_open(name, rearrange):
    ciphertext, key_sealed = seal_file(THREE_CHUNKS)
    header, chunks = split_chunks(ciphertext)
    assert len(chunks) == 3
    with pytest.raises(core.TamperedCiphertextError):
        open_file(header + b"".join(rearrange(chunks)), key_sealed)


@pytest.mark.parametrize("extra", [b"\x00", b"anything", "final chunk again"])
def test_a_sealed_file_with_data_after_the_final_chunk_does_not_open(extra):
    ciphertext, key_sealed = seal_file(THREE_CHUNKS)
    if extra == "final chunk again":
        extra = split_chunks(ciphertext)[1][-1]
    with pytest.raises(core.TamperedCiphertextError):
        open_file(ciphertext + extra, key_sealed)


def test_nothing_past_a_damaged_chunk_is_ever_yielded():
    # Given a three-chunk file whose second chunk was altered
    ciphertext, key_sealed = seal_file(THREE_CHUNKS)
    damaged = flip(ciphertext, STREAM_HEADER + CHUNK + CHUNK_OVERHEAD + 10)
    # When it is read chunk by chunk
    reader = core.open_file_for_case(CASE.private_key, key_sealed, io.BytesIO(damaged))
    received = [next(reader)]
    # Then only the intact first chunk came out before the error
    with pytest.raises(core.TamperedCiphertextError):
        next(reader)
    assert received == [THREE_CHUNKS[:CHUNK]]


def test_two_files_with_the_same_content_have_unrelated_ciphertexts():
    first, _key1 = seal_file(THREE_CHUNKS)
    second, _key2 = seal_file(THREE_CHUNKS)
    assert first[:STREAM_HEADER] != second[:STREAM_HEADER]
    assert first[STREAM_HEADER:][:64] != second[STREAM_HEADER:][:64]


# --- keyed digests -------------------------------------------------------------------------------


def test_a_keyed_digest_is_stable_for_one_key_and_unrelated_under_another():
    key, other = core.random_key(), core.random_key()
    assert key != other
    assert len(key) == core.KEY_SIZE
    digest = core.keyed_digest(key, b"client")
    assert len(digest) == 16
    assert core.keyed_digest(key, b"client") == digest
    assert core.keyed_digest(key, b"client2") != digest
    assert core.keyed_digest(other, b"client") != digest
    assert len(core.keyed_digest(key, b"client", size=32)) == 32


@pytest.mark.parametrize("length", [0, 15, 65])
def test_a_keyed_digest_refuses_a_key_of_the_wrong_length(length):
    with pytest.raises(core.VaultError):
        core.keyed_digest(b"k" * length, b"client")


# --- the server alone cannot open an application ---------------------------------------------


class Application:
    """One application as intake leaves it: what the server stores, and what only people hold."""

    def __init__(self) -> None:
        intake = core.generate_keypair()
        keys = core.create_case_keys(intake.public_key, PASSPHRASE, PARAMS)
        answers = {"story": CANARY.decode(), "handle": "@someone_private"}
        # What the database holds for the case and the organisation:
        self.stored = {
            "intake_public_key": intake.public_key,
            "case_public_key": keys.public_key,
            "case_key_for_intake_sealed": keys.key_for_intake_sealed,
            "applicant_public_key": keys.applicant_public_key,
            "applicant_key_locked": keys.applicant_key_locked,
            "case_key_for_applicant_sealed": keys.key_for_applicant_sealed,
            "answers_sealed": core.seal_for_case(keys.public_key, json.dumps(answers).encode()),
        }
        # What only the coordinators (intake key) and the applicant (passphrase) hold:
        self.keys = keys
        self.intake_private_key = intake.private_key
        self.case_private_key = keys.private_key

    def candidate_keys(self, *extra: bytes) -> list[bytes]:
        """Every 32-byte window of what the server stores (and of ``extra``)."""
        material = [*self.stored.values(), *extra]
        return sorted(
            {
                blob[i : i + core.KEY_SIZE]
                for blob in material
                for i in range(len(blob) - core.KEY_SIZE + 1)
            }
        )

    def opens(self, *extra: bytes) -> bool:
        """Does any candidate key open the answers, directly or through a sealed copy?"""
        for candidate in self.candidate_keys(*extra):
            for private in (
                candidate,
                self._through(candidate, "case_key_for_intake_sealed"),
                self._through(candidate, "case_key_for_applicant_sealed"),
            ):
                if private is None:
                    continue
                try:
                    core.open_for_case(private, self.stored["answers_sealed"])
                except core.VaultError:
                    continue
                return True
        return False

    def _through(self, candidate: bytes, copy: str) -> bytes | None:
        try:
            return core.open_sealed(candidate, self.stored[copy])
        except core.VaultError:
            return None


def test_what_the_server_stores_holds_no_private_key_passphrase_or_answer():
    application = Application()
    for value in application.stored.values():
        assert application.case_private_key not in value
        assert application.intake_private_key not in value
        assert PASSPHRASE.encode() not in value
        assert CANARY not in value


def test_the_server_alone_cannot_open_an_application():
    application = Application()
    # No key the server could find in its own data opens the answers
    assert not application.opens()
    # The receipt lock does not open with anything the server stores either
    for value in application.stored.values():
        for guess in (value.hex(), value.decode("latin-1"), "x"):
            with pytest.raises(core.WrongPassphraseError):
                core.unlock_applicant_key(application.stored["applicant_key_locked"], guess, PARAMS)


def test_the_same_search_opens_the_application_once_a_coordinators_intake_key_is_added():
    # A control for the test above: the search is strong enough to find a key that is there.
    application = Application()
    assert application.opens(application.intake_private_key)
