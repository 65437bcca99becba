"""Reading and writing sealed case material: JSON documents and files under UPLOADS_DIR."""

from __future__ import annotations

import io
import json
import os
import secrets
from pathlib import Path

from django.conf import settings

from solidarity.vault import core


def seal_json(case_public_key: bytes, document: dict) -> bytes:
    return core.seal_for_case(
        case_public_key, json.dumps(document, ensure_ascii=False).encode("utf-8")
    )


def open_json(case_private_key: bytes, sealed: bytes) -> dict:
    return json.loads(core.open_for_case(case_private_key, bytes(sealed)).decode("utf-8"))


def _blob_path(blob_name: str) -> Path:
    if not blob_name.isalnum():
        raise ValueError("invalid blob name")
    return Path(settings.UPLOADS_DIR) / blob_name[:2] / blob_name


def store_file(case_public_key: bytes, data: bytes) -> tuple[str, bytes]:
    """Seal ``data`` into a new file under UPLOADS_DIR. Returns (blob name, file key sealed).

    The ciphertext is written to a temporary name, flushed to disk and renamed, so a crash
    leaves either a complete sealed file or none: never a partial one referenced by a row.
    """
    blob_name = secrets.token_hex(16)
    path = _blob_path(blob_name)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with open(partial, "wb") as target:
        key_sealed = core.seal_file_for_case(case_public_key, io.BytesIO(data), target)
        target.flush()
        os.fsync(target.fileno())
    os.replace(partial, path)
    return blob_name, key_sealed


def read_file(case_private_key: bytes, blob_name: str, file_key_sealed: bytes) -> bytes:
    with open(_blob_path(blob_name), "rb") as source:
        return b"".join(core.open_file_for_case(case_private_key, bytes(file_key_sealed), source))


def delete_file(blob_name: str) -> None:
    _blob_path(blob_name).unlink(missing_ok=True)
