"""Sealed archives: a backup of an installation, or a handover to another organisation.

An archive is one stream, readable by one key pair only:

    magic (8) | version (1) | kind (1) | recipient fingerprint (16)
    | slots length (4) | slots | stream key sealed to the recipient (80)
    | secretstream header (24) | chunks of 64 KiB (+17 bytes each), the last one tagged FINAL

Who each ciphertext is for: the stream key is sealed (SealedBox) to the recipient's X25519
public key: the organisation's intake key for a backup, the receiving organisation's
receiver key for a handover. The payload (a tar of JSONL and sealed uploads, built by the
continuity app) is encrypted with crypto_secretstream_xchacha20poly1305 under that key, so
it is written and read in bounded memory however large the uploads are.

``slots`` is opaque to the vault: material the caller needs *before* it can open the stream
(for a backup, the coordinators' passphrase-locked keys and their copies of the intake key).
Everything before the first chunk is authenticated as that chunk's additional data, so an
edited header, a swapped slot or a reordered, altered, truncated or extended stream is
refused. The header reveals only that this is a Solidarity archive, its kind and which key
it is sealed to.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import BinaryIO

import nacl.bindings as sodium
import nacl.exceptions

from solidarity.vault import core

MAGIC = b"SOLIDARC"
FORMAT_VERSION = 1
KIND_BACKUP = 1
KIND_HANDOVER = 2
_KINDS = {KIND_BACKUP, KIND_HANDOVER}
_FINGERPRINT_SIZE = 16  # BLAKE2b-128 of the recipient public key
_PREFIX = struct.Struct(">8sBB16sI")  # magic, version, kind, fingerprint, slots length
# The slots hold a few locked keys (~150 bytes per coordinator); refuse a header that claims
# more before reading it, so a damaged file cannot make us allocate gigabytes.
MAX_SLOTS_SIZE = 1024 * 1024
_SEALED_KEY_SIZE = core.KEY_SIZE + sodium.crypto_box_SEALBYTES  # 32 + 48
_STREAM_HEADER_SIZE = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
# 1 MiB of plaintext per chunk: large enough that the 17-byte tag is noise, small enough to
# hold twice in memory on the smallest server.
CHUNK_SIZE = 1024 * 1024


class ArchiveError(core.VaultError):
    """Base class: the archive cannot be read. Never carries key material or plaintext."""


class NotAnArchiveError(ArchiveError):
    """The file does not start like a Solidarity archive, or has an unknown version."""


class ArchiveKeyError(ArchiveError):
    """The archive is sealed to another key than the one offered."""


class ArchiveTamperedError(ArchiveError):
    """The archive was altered: a header byte, a chunk or the order of chunks."""


class ArchiveTruncatedError(ArchiveTamperedError):
    """The archive ends before its final chunk (an interrupted copy, or a cut file)."""


def recipient_fingerprint(public_key: bytes) -> bytes:
    """The 16 bytes in the header that name the recipient key (not a secret)."""
    if len(public_key) != core.KEY_SIZE:
        raise core.VaultError("public key has the wrong length")
    return hashlib.blake2b(public_key, digest_size=_FINGERPRINT_SIZE).digest()


@dataclass(frozen=True)
class ArchiveHeader:
    kind: int
    fingerprint: bytes
    slots: bytes
    sealed_key: bytes
    stream_header: bytes
    raw: bytes  # everything before the first chunk, authenticated by it

    def is_sealed_to(self, public_key: bytes) -> bool:
        return self.fingerprint == recipient_fingerprint(public_key)


def _read_exact(source: BinaryIO, size: int) -> bytes:
    data = core._read_full(source, size)
    if len(data) != size:
        raise ArchiveTruncatedError("archive ends inside its header")
    return data


def read_archive_header(source: BinaryIO) -> ArchiveHeader:
    """Read the clear header, leaving ``source`` at the first chunk.

    Raises NotAnArchiveError, or ArchiveTruncatedError for a file cut inside the header.
    """
    prefix = core._read_full(source, _PREFIX.size)
    if len(prefix) < len(MAGIC) or prefix[: len(MAGIC)] != MAGIC:
        raise NotAnArchiveError("not a Solidarity archive")
    if len(prefix) != _PREFIX.size:
        raise ArchiveTruncatedError("archive ends inside its header")
    _magic, version, kind, fingerprint, slots_size = _PREFIX.unpack(prefix)
    if version != FORMAT_VERSION or kind not in _KINDS:
        raise NotAnArchiveError("unknown archive version or kind")
    if slots_size > MAX_SLOTS_SIZE:
        raise ArchiveTamperedError("archive header claims an impossible size")
    slots = _read_exact(source, slots_size)
    sealed_key = _read_exact(source, _SEALED_KEY_SIZE)
    stream_header = _read_exact(source, _STREAM_HEADER_SIZE)
    raw = prefix + slots + sealed_key + stream_header
    return ArchiveHeader(kind, fingerprint, slots, sealed_key, stream_header, raw)


class ArchiveWriter:
    """A write-only file object: what is written is encrypted and goes to ``target``.

    ``close()`` writes the final chunk; an archive never closed reads as truncated.
    """

    def __init__(self, target: BinaryIO, recipient_public_key: bytes, *, kind: int, slots: bytes):
        if kind not in _KINDS:
            raise ArchiveError("unknown archive kind")
        if len(slots) > MAX_SLOTS_SIZE:
            raise ArchiveError("archive slots are too large")
        key = sodium.crypto_secretstream_xchacha20poly1305_keygen()
        sealed_key = core.seal_to(recipient_public_key, key)
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        stream_header = sodium.crypto_secretstream_xchacha20poly1305_init_push(self._state, key)
        prefix = _PREFIX.pack(
            MAGIC, FORMAT_VERSION, kind, recipient_fingerprint(recipient_public_key), len(slots)
        )
        self._ad: bytes | None = prefix + slots + sealed_key + stream_header
        self._target = target
        self._buffer = bytearray()
        self._closed = False
        self.bytes_in = 0
        target.write(self._ad)

    def _push(self, chunk: bytes, tag: int) -> None:
        ad, self._ad = self._ad, None
        self._target.write(
            sodium.crypto_secretstream_xchacha20poly1305_push(self._state, chunk, ad, tag)
        )

    def write(self, data: bytes) -> int:
        if self._closed:
            raise ValueError("archive is closed")
        self._buffer += data
        self.bytes_in += len(data)
        while len(self._buffer) > CHUNK_SIZE:
            # Keep at least one byte back: the last chunk must carry the FINAL tag.
            self._push(bytes(self._buffer[:CHUNK_SIZE]), _TAG_MESSAGE)
            del self._buffer[:CHUNK_SIZE]
        return len(data)

    def close(self) -> None:
        if self._closed:
            return
        self._push(bytes(self._buffer), _TAG_FINAL)
        self._buffer.clear()
        self._closed = True

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # On an error the archive is left without its final chunk: it reads as truncated.
        if exc_type is None:
            self.close()


class ArchiveReader:
    """A read-only file object over the decrypted payload.

    Every byte it returns has been authenticated. ``finish()`` reads to the final chunk and
    refuses trailing data: call it before trusting that the whole archive was there.
    """

    def __init__(self, source: BinaryIO, header: ArchiveHeader, recipient_private_key: bytes):
        if not header.is_sealed_to(core.public_key_of(recipient_private_key)):
            raise ArchiveKeyError("archive is sealed to another key")
        try:
            key = core.open_sealed(recipient_private_key, header.sealed_key)
        except core.TamperedCiphertextError:
            raise ArchiveTamperedError("archive key does not open") from None
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        try:
            sodium.crypto_secretstream_xchacha20poly1305_init_pull(
                self._state, header.stream_header, key
            )
        except nacl.exceptions.CryptoError:
            raise ArchiveTamperedError("archive header is invalid") from None
        self._ad: bytes | None = header.raw
        self._source = source
        self._buffer = bytearray()
        self._done = False

    def _pull(self) -> None:
        block = core._read_full(self._source, CHUNK_SIZE + _ABYTES)
        if not block:
            raise ArchiveTruncatedError("archive ends before its final chunk")
        ad, self._ad = self._ad, None
        try:
            chunk, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(self._state, block, ad)
        except nacl.exceptions.CryptoError:
            # A file cut inside a chunk fails here too: the two cannot be told apart.
            raise ArchiveTamperedError("archive chunk was altered or cut short") from None
        self._buffer += chunk
        if tag == _TAG_FINAL:
            self._done = True
            if self._source.read(1):
                raise ArchiveTamperedError("data follows the final chunk")
        elif len(chunk) != CHUNK_SIZE:
            raise ArchiveTamperedError("archive chunk has the wrong size")

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            while not self._done:
                self._pull()
            data = bytes(self._buffer)
            self._buffer.clear()
            return data
        while len(self._buffer) < size and not self._done:
            self._pull()
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def finish(self) -> None:
        """Read (and drop) the rest; raises ArchiveTamperedError or ArchiveTruncatedError."""
        while not self._done:
            self._pull()
            self._buffer.clear()
        self._buffer.clear()


# --- case keys for another organisation -----------------------------------------------------


def seal_case_key_for_receiver(case_private_key: bytes, receiver_public_key: bytes) -> bytes:
    """For the receiving organisation of a handover: the case private key sealed to its
    receiver key, which that organisation keeps sealed to its own intake key."""
    return core.seal_case_key_for_intake(case_private_key, receiver_public_key)


def open_case_key_from_giver(sealed: bytes, receiver_private_key: bytes) -> bytes:
    """The case private key of a handed-over case. Raises TamperedCiphertextError."""
    return core.open_sealed(receiver_private_key, sealed)


def seal_receiver_key_for_intake(receiver_private_key: bytes, intake_public_key: bytes) -> bytes:
    """For the coordinators of the receiving organisation: its receiver private key, sealed to
    the intake key (resealed with everything else when the intake key is rotated)."""
    return core.seal_case_key_for_intake(receiver_private_key, intake_public_key)


def open_receiver_key(sealed: bytes, intake_private_key: bytes) -> bytes:
    return core.open_sealed(intake_private_key, sealed)
