"""Backups: everything needed to restore this installation, sealed to its intake key.

A backup is a logical dump (Django's serialiser, one JSONL document per batch of rows, in
dependency order, foreign keys to staff by username) plus every sealed file under
UPLOADS_DIR, so it restores on SQLite and PostgreSQL alike. The case material inside is
sealed already; the archive hides the rest (the queue, the books, staff names, the audit
log) from whoever finds the file.

Making a backup needs no secret: it is sealed to the intake *public* key, so a cron job can
make one. Restoring needs a coordinator's passphrase: the archive header carries each
coordinator's passphrase-locked key and their copy of the intake key (both exactly as
they are in the database), which opens the archive in an empty installation.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from solidarity.audit import services as audit
from solidarity.continuity import payload
from solidarity.vault import archive, core, keyring
from solidarity.vault.models import IntakeKeyWrap

FORMAT = 1
# Rows that are rebuilt, not restored: content types and permissions come from migrate
# (foreign keys to them travel as natural keys), sessions end with the old server, and the
# queue counts are kept by triggers on cases_case, which fire again as cases are restored.
NOT_BACKED_UP = {
    "contenttypes.contenttype",
    "auth.permission",
    "sessions.session",
    "accounts.staffsession",
    "accounts.queuecount",
}
# Rows that migrations seed in every new installation (the stock message templates). They do
# not make an installation "in use"; a restore replaces them with the backup's own rows.
SEEDED_BY_MIGRATIONS = {"cases.messagetemplate"}
# Rows per JSONL document: a document is held in memory whole while it is written or read.
BATCH_ROWS = 500


class ContinuityError(Exception):
    """Base class for backup, restore and handover refusals."""


class NotEmptyError(ContinuityError):
    """Restore writes only into an installation with no data (so it never merges)."""


class WrongKindError(ContinuityError):
    """A handover archive was given to restore, or a backup to handover import."""


class UnlockRefusedError(ContinuityError):
    """The passphrase opens no coordinator's copy in the archive, or opens another person's."""


class IncompatibleBackupError(ContinuityError):
    """The backup was made by a newer version (migrations this installation lacks)."""


class DamagedBackupError(ContinuityError):
    """The archive opened but its contents do not load."""


def backed_up_models() -> list:
    """Every model whose rows a backup carries, in an order that restores."""
    app_list = [(config, None) for config in apps.get_app_configs() if config.models_module]
    ordered = serializers.sort_dependencies(app_list, allow_cycles=True)
    return [
        model
        for model in ordered
        if model._meta.label_lower not in NOT_BACKED_UP
        and model._meta.managed
        and not model._meta.proxy
    ]


def _applied_migrations() -> list[str]:
    applied = MigrationRecorder(connection).applied_migrations()
    return sorted(f"{app}.{name}" for app, name in applied)


def _b64(value) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


def _unb64(value) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise archive.ArchiveTamperedError("archive slots are damaged") from None


def _coordinator_slots() -> tuple[bytes, list[str]]:
    """Each coordinator's locked key and copy of the intake key, and (for the sealed manifest)
    whose they are. The slot itself names nobody."""
    slots, names = [], []
    for wrap in IntakeKeyWrap.objects.select_related("user__staff_key").order_by("id"):
        staff_key = getattr(wrap.user, "staff_key", None)
        if staff_key is None or wrap.user.revoked_at is not None:
            continue
        slots.append(
            {
                "locked": _b64(staff_key.private_key_locked),
                "wrap": _b64(wrap.intake_private_key_sealed),
            }
        )
        names.append(wrap.user.username)
    return json.dumps(slots).encode("ascii"), names


def _upload_files() -> Iterator[tuple[str, Path]]:
    root = Path(settings.UPLOADS_DIR)
    if not root.is_dir():
        return
    for path in sorted(root.glob("*/*")):
        name = f"uploads/{path.parent.name}/{path.name}"
        # .part files are uploads cut short by a crash: never referenced by a row.
        if path.is_file() and payload.UPLOAD_NAME_RE.match(name):
            yield name, path


@dataclass
class BackupReport:
    rows: int = 0
    files: int = 0
    bytes_written: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    fingerprint: str = ""


def _dump_rows(out: payload.PayloadWriter, report: BackupReport) -> None:
    number = 0
    for model in backed_up_models():
        label = model._meta.label_lower
        batch: list = []

        def flush(batch=batch, label=label) -> None:
            nonlocal number
            if not batch:
                return
            number += 1
            text = serializers.serialize("jsonl", batch, use_natural_foreign_keys=True)
            out.add_bytes(f"db/{number:06d}-{label}.jsonl", text.encode("utf-8"))
            report.counts[label] = report.counts.get(label, 0) + len(batch)
            report.rows += len(batch)
            batch.clear()

        for row in model._base_manager.order_by("pk").iterator(chunk_size=2000):
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                flush()
        flush()


class _CountingSink:
    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.written = 0

    def write(self, data: bytes) -> int:
        self.written += len(data)
        return self.target.write(data)


def make_backup(target: BinaryIO) -> BackupReport:
    """Write a backup of this installation to ``target``. Raises VaultNotInitialisedError."""
    report = BackupReport()
    intake_public = keyring.intake_public_key()
    report.fingerprint = core.key_fingerprint(intake_public)
    sink = _CountingSink(target)
    fresh_transaction = not connection.in_atomic_block
    # The rows come from one snapshot, so the dump is consistent however long it runs.
    with transaction.atomic():
        if fresh_transaction and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        slots, names = _coordinator_slots()
        if not names:
            raise keyring.NoIntakeAccessError("no coordinator holds the intake key")
        writer = archive.ArchiveWriter(sink, intake_public, kind=archive.KIND_BACKUP, slots=slots)
        out = payload.PayloadWriter(writer)
        out.add_json(
            payload.MANIFEST,
            {
                "kind": "backup",
                "format": FORMAT,
                "made_at": timezone.now().isoformat(timespec="seconds"),
                "slots": names,
                "migrations": _applied_migrations(),
            },
        )
        _dump_rows(out, report)
    # Files outside the snapshot: a file added since is an unreferenced extra, harmless.
    for name, path in _upload_files():
        try:
            out.add_file(name, path)
        except FileNotFoundError:
            continue  # shredded while we ran: its row is gone from the next backup
        report.files += 1
    out.add_json("summary.json", {"counts": report.counts, "files": report.files})
    out.close()
    writer.close()
    report.bytes_written = sink.written
    audit.record("continuity.backup_made", rows=report.rows, files=report.files)
    return report


# --- restore ----------------------------------------------------------------------------------


def installation_is_empty() -> bool:
    for model in backed_up_models():
        if model._meta.label_lower in SEEDED_BY_MIGRATIONS:
            continue
        if model._base_manager.exists():
            return False
    return not any(True for _ in _upload_files())


def read_header(path: Path) -> archive.ArchiveHeader:
    """The clear header of an archive file. Raises ArchiveError."""
    with open(path, "rb") as source:
        return archive.read_archive_header(source)


def _open_slot(header: archive.ArchiveHeader, passphrase: str) -> tuple[int, bytes]:
    """(slot number, intake private key) for the first slot the passphrase opens."""
    try:
        slots = json.loads(header.slots.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise archive.ArchiveTamperedError("archive slots are damaged") from None
    if not isinstance(slots, list):
        raise archive.ArchiveTamperedError("archive slots are damaged")
    for number, slot in enumerate(slots):
        if not isinstance(slot, dict):
            raise archive.ArchiveTamperedError("archive slots are damaged")
        try:
            staff_private = core.unlock_staff_key(
                _unb64(slot.get("locked")), passphrase, keyring.params()
            )
        except core.WrongPassphraseError:
            continue
        try:
            intake_private = core.unwrap_intake_key(_unb64(slot.get("wrap")), staff_private)
        except core.TamperedCiphertextError:
            continue
        if header.is_sealed_to(core.public_key_of(intake_private)):
            return number, intake_private
    raise UnlockRefusedError("the passphrase opens no coordinator's copy in this archive")


def _members(path: Path, header_key: bytes) -> Iterator[tuple[str, BinaryIO]]:
    """The payload's members, decrypted and authenticated; the whole archive is checked to
    its final chunk after the last member."""
    with open(path, "rb") as source:
        header = archive.read_archive_header(source)
        reader = archive.ArchiveReader(source, header, header_key)
        yield from payload.members(reader)
        reader.finish()


def _check_manifest(document, kind: str) -> dict:
    if not isinstance(document, dict) or document.get("kind") != kind:
        raise WrongKindError("this archive is of another kind")
    if document.get("format") != FORMAT:
        raise IncompatibleBackupError("unknown backup format")
    return document


def _verify(path: Path, intake_private: bytes) -> dict:
    """Read the whole archive once, writing nothing: it must be complete and unaltered
    before a single row goes into the database."""
    manifest = None
    for name, handle in _members(path, intake_private):
        if name == payload.MANIFEST:
            manifest = _check_manifest(payload.read_json(handle), "backup")
    if manifest is None:
        raise DamagedBackupError("the archive has no manifest")
    return manifest


@dataclass
class RestoreReport:
    rows: int = 0
    files: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def _write_upload(name: str, handle: BinaryIO, written: list[Path]) -> None:
    if not payload.UPLOAD_NAME_RE.match(name):
        raise DamagedBackupError("unexpected file name in the archive")
    _uploads, folder, blob = name.split("/")
    target = Path(settings.UPLOADS_DIR) / folder / blob
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if target.exists():
        raise NotEmptyError("an upload with this name exists already")
    partial = target.with_suffix(".part")
    try:
        with open(partial, "wb") as out:
            while chunk := handle.read(1024 * 1024):
                out.write(chunk)  # sealed bytes, exactly as they were on the old server
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    written.append(target)


def _load_rows(text: bytes, allowed: set[str], report: RestoreReport, deferred: list) -> None:
    try:
        objects = serializers.deserialize(
            "jsonl", text.decode("utf-8"), handle_forward_references=True
        )
        for obj in objects:
            label = obj.object._meta.label_lower
            if label not in allowed:
                raise DamagedBackupError("the archive holds rows this installation never backs up")
            obj.save()
            if obj.deferred_fields:
                deferred.append(obj)
            report.counts[label] = report.counts.get(label, 0) + 1
            report.rows += 1
    except (DeserializationError, UnicodeDecodeError) as exc:
        raise DamagedBackupError("rows in the archive do not load") from exc


def restore_backup(path: Path, username: str, passphrase: str) -> RestoreReport:
    """Restore a backup into this empty installation, opened by a coordinator's passphrase.

    Raises NotEmptyError, ArchiveError (not an archive, altered, cut, another key),
    WrongKindError, UnlockRefusedError, IncompatibleBackupError or DamagedBackupError; on any
    of them nothing is left behind.
    """
    header = read_header(path)
    if header.kind != archive.KIND_BACKUP:
        raise WrongKindError("this is not a backup")
    if not installation_is_empty():
        raise NotEmptyError("this installation holds data already")
    number, intake_private = _open_slot(header, passphrase)
    manifest = _verify(path, intake_private)
    slots = manifest.get("slots")
    if not isinstance(slots, list) or number >= len(slots) or slots[number] != username:
        raise UnlockRefusedError("the passphrase is not this coordinator's")
    missing = set(manifest.get("migrations") or []) - set(_applied_migrations())
    if missing:
        raise IncompatibleBackupError("the backup was made by a newer version")

    allowed = {model._meta.label_lower for model in backed_up_models()}
    report = RestoreReport()
    written: list[Path] = []
    try:
        with transaction.atomic():
            for model in backed_up_models():
                if model._meta.label_lower in SEEDED_BY_MIGRATIONS:
                    model._base_manager.all().delete()
            deferred: list = []
            summary = None
            for name, handle in _members(path, intake_private):
                if name == "summary.json":
                    summary = payload.read_json(handle)
                elif name.startswith("db/"):
                    _load_rows(handle.read(), allowed, report, deferred)
                elif name.startswith("uploads/"):
                    _write_upload(name, handle, written)
                    report.files += 1
            for obj in deferred:
                obj.save_deferred_fields()
            if not isinstance(summary, dict) or summary.get("counts") != report.counts:
                raise DamagedBackupError("the archive holds other rows than it lists")
            _reset_sequences()
            user = apps.get_model(settings.AUTH_USER_MODEL)._base_manager.get(username=username)
            audit.record("continuity.restored", actor=user, rows=report.rows, files=report.files)
    except (IntegrityError, DatabaseError) as exc:
        _remove(written)
        raise DamagedBackupError("rows in the archive do not load") from exc
    except BaseException:
        _remove(written)
        raise
    return report


def _reset_sequences() -> None:
    # PostgreSQL hands out ids from sequences that loading explicit ids does not move.
    statements = connection.ops.sequence_reset_sql(no_style(), backed_up_models())
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
