"""Sealed archives: they round-trip, hide their payload, and refuse a wrong key, an edited
header, an altered, reordered, cut or extended stream with a clear error."""

from __future__ import annotations

import io
import random

import pytest

from solidarity.vault import archive, core

CANARY = b"ArchiveCanaryPlaintext7Q"
CHUNK = archive.CHUNK_SIZE


def payload(size: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    body = bytes(rng.getrandbits(8) for _ in range(min(size, 4096)))
    data = (CANARY + body) * (size // (len(body) + len(CANARY)) + 1)
    return data[:size]


def make_archive(data: bytes, public_key: bytes, *, slots: bytes = b"", pieces: int = 3) -> bytes:
    out = io.BytesIO()
    with archive.ArchiveWriter(out, public_key, kind=archive.KIND_BACKUP, slots=slots) as writer:
        step = max(1, len(data) // pieces)
        for start in range(0, len(data), step):
            writer.write(data[start : start + step])
    return out.getvalue()


def read_all(blob: bytes, private_key: bytes) -> bytes:
    source = io.BytesIO(blob)
    header = archive.read_archive_header(source)
    reader = archive.ArchiveReader(source, header, private_key)
    parts = []
    while True:
        part = reader.read(100_000)
        if not part:
            break
        parts.append(part)
    reader.finish()
    return b"".join(parts)


@pytest.fixture(scope="module")
def recipient() -> core.KeyPair:
    return core.generate_keypair()


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 5])
def test_an_archive_round_trips_across_chunk_boundaries(recipient, size):
    data = payload(size)
    blob = make_archive(data, recipient.public_key, slots=b"opaque slots")
    assert read_all(blob, recipient.private_key) == data
    header = archive.read_archive_header(io.BytesIO(blob))
    assert header.kind == archive.KIND_BACKUP
    assert header.slots == b"opaque slots"
    assert header.is_sealed_to(recipient.public_key)


def test_the_archive_does_not_contain_its_plaintext(recipient):
    blob = make_archive(payload(3 * CHUNK), recipient.public_key)
    assert CANARY not in blob
    assert recipient.public_key not in blob  # only a fingerprint of it


def test_another_key_is_refused_by_name(recipient):
    blob = make_archive(payload(1000), recipient.public_key)
    other = core.generate_keypair()
    source = io.BytesIO(blob)
    header = archive.read_archive_header(source)
    assert not header.is_sealed_to(other.public_key)
    with pytest.raises(archive.ArchiveKeyError):
        archive.ArchiveReader(source, header, other.private_key)


def test_a_header_pointing_at_another_key_still_does_not_open(recipient):
    # An attacker rewrites the fingerprint to the victim's key: the sealed key cannot open.
    other = core.generate_keypair()
    blob = bytearray(make_archive(payload(1000), other.public_key))
    blob[10:26] = archive.recipient_fingerprint(recipient.public_key)
    with pytest.raises(archive.ArchiveTamperedError):
        read_all(bytes(blob), recipient.private_key)


def test_an_edited_slot_is_refused(recipient):
    blob = bytearray(make_archive(payload(1000), recipient.public_key, slots=b"slot-A"))
    start = bytes(blob).index(b"slot-A")
    blob[start + 5] ^= 0x01  # slot-A -> slot-@
    with pytest.raises(archive.ArchiveTamperedError):
        read_all(bytes(blob), recipient.private_key)


@pytest.mark.parametrize("where", ["first chunk", "middle chunk", "last byte"])
def test_an_altered_chunk_is_refused(recipient, where):
    blob = bytearray(make_archive(payload(2 * CHUNK + 100), recipient.public_key))
    header_size = len(archive.read_archive_header(io.BytesIO(bytes(blob))).raw)
    position = {
        "first chunk": header_size + 10,
        "middle chunk": header_size + CHUNK + 17 + 5000,
        "last byte": len(blob) - 1,
    }[where]
    blob[position] ^= 0x40
    with pytest.raises(archive.ArchiveTamperedError):
        read_all(bytes(blob), recipient.private_key)


def test_swapped_chunks_are_refused(recipient):
    blob = make_archive(payload(3 * CHUNK), recipient.public_key)
    size = len(archive.read_archive_header(io.BytesIO(blob)).raw)
    block = CHUNK + 17
    first, second = blob[size : size + block], blob[size + block : size + 2 * block]
    swapped = blob[:size] + second + first + blob[size + 2 * block :]
    with pytest.raises(archive.ArchiveTamperedError):
        read_all(swapped, recipient.private_key)


@pytest.mark.parametrize("cut", [1, 17, CHUNK + 17, -1])
def test_a_truncated_archive_is_refused(recipient, cut):
    blob = make_archive(payload(2 * CHUNK + 100), recipient.public_key)
    size = len(archive.read_archive_header(io.BytesIO(blob)).raw)
    # Cut after the header, on a chunk boundary, inside a chunk, or one byte short.
    end = len(blob) + cut if cut < 0 else size + cut
    with pytest.raises(archive.ArchiveTamperedError):
        read_all(blob[:end], recipient.private_key)


def test_an_archive_cut_on_a_chunk_boundary_says_it_was_cut(recipient):
    blob = make_archive(payload(2 * CHUNK + 100), recipient.public_key)
    size = len(archive.read_archive_header(io.BytesIO(blob)).raw)
    with pytest.raises(archive.ArchiveTruncatedError):
        read_all(blob[: size + CHUNK + 17], recipient.private_key)


def test_an_archive_cut_inside_its_header_says_it_was_cut(recipient):
    blob = make_archive(b"x", recipient.public_key)
    with pytest.raises(archive.ArchiveTruncatedError):
        archive.read_archive_header(io.BytesIO(blob[:40]))


def test_data_after_the_final_chunk_is_refused(recipient):
    blob = make_archive(payload(100), recipient.public_key) + b"appended"
    with pytest.raises(archive.ArchiveTamperedError):
        read_all(blob, recipient.private_key)


def test_an_unfinished_writer_leaves_an_archive_that_reads_as_truncated(recipient):
    out = io.BytesIO()
    with pytest.raises(RuntimeError):  # noqa: PT012 - the error happens mid-write
        with archive.ArchiveWriter(out, recipient.public_key, kind=2, slots=b"") as writer:
            writer.write(payload(2 * CHUNK + 3))
            raise RuntimeError("disk full")
    with pytest.raises(archive.ArchiveTruncatedError):
        read_all(out.getvalue(), recipient.private_key)


@pytest.mark.parametrize(
    "blob", [b"", b"PK\x03\x04 a zip file", b"SOLIDARC\x09\x01" + b"\0" * 40], ids=str
)
def test_something_else_is_not_an_archive(blob):
    with pytest.raises(archive.NotAnArchiveError):
        archive.read_archive_header(io.BytesIO(blob))


def test_a_header_claiming_huge_slots_is_refused_before_reading_them(recipient):
    blob = bytearray(make_archive(b"x", recipient.public_key))
    blob[26:30] = (2**31).to_bytes(4, "big")
    with pytest.raises(archive.ArchiveTamperedError):
        archive.read_archive_header(io.BytesIO(bytes(blob)))


def test_a_case_key_handed_over_opens_only_with_the_receiver_key():
    case = core.generate_keypair()
    receiver = core.generate_keypair()
    sealed = archive.seal_case_key_for_receiver(case.private_key, receiver.public_key)
    assert case.private_key not in sealed
    assert archive.open_case_key_from_giver(sealed, receiver.private_key) == case.private_key
    with pytest.raises(core.TamperedCiphertextError):
        archive.open_case_key_from_giver(sealed, core.generate_keypair().private_key)
