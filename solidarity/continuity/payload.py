"""What a sealed archive carries: a stream-mode tar of JSON documents and sealed files.

The tar is written straight into the archive writer and read straight out of the archive
reader, so neither side ever holds more than one member (or one chunk of a file) in memory,
and nothing is written to disk in clear.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

MANIFEST = "manifest.json"
# Uploads are stored as UPLOADS_DIR/<2 chars>/<name>; their archive names keep that layout.
UPLOAD_NAME_RE = re.compile(r"^uploads/[A-Za-z0-9]{2}/[A-Za-z0-9]{4,64}$")


class PayloadError(Exception):
    """The archive opened, but its contents are not what Solidarity writes."""


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = 0  # no timestamps beyond what the documents say
    return info


class PayloadWriter:
    def __init__(self, sink: BinaryIO) -> None:
        self._tar = tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT)

    def add_bytes(self, name: str, data: bytes) -> None:
        self._tar.addfile(_info(name, len(data)), io.BytesIO(data))

    def add_json(self, name: str, document) -> None:
        self.add_bytes(name, json.dumps(document, ensure_ascii=False).encode("utf-8"))

    def add_file(self, name: str, path: Path) -> None:
        with open(path, "rb") as source:
            size = path.stat().st_size
            self._tar.addfile(_info(name, size), source)

    def close(self) -> None:
        self._tar.close()


def members(source: BinaryIO) -> Iterator[tuple[str, BinaryIO]]:
    """Yield (name, file object) for each member, in the order written. Each file object is
    valid only until the next member is asked for. Raises PayloadError."""
    try:
        with tarfile.open(fileobj=source, mode="r|") as tar:
            for info in tar:
                if not info.isfile() or info.name.startswith("/") or ".." in info.name:
                    raise PayloadError("unexpected entry in the archive")
                handle = tar.extractfile(info)
                if handle is None:
                    raise PayloadError("unexpected entry in the archive")
                yield info.name, handle
    except tarfile.TarError:
        raise PayloadError("the archive's contents are damaged") from None


def read_json(handle: BinaryIO):
    try:
        return json.loads(handle.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PayloadError("a document in the archive is damaged") from None
