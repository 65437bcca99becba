"""Handing the work over to another organisation, and taking it over from one.

The receiving organisation makes a receiver key pair (its private half sealed to its own
intake key) and sends the public half to the giving organisation, which compares the
fingerprint over a second channel. The giver opens every case key with its intake key and
seals it to the receiver key; the archive (cases as they are sealed, their files, the
books) is sealed to the receiver key too. The receiver opens the receiver key with its
intake key, reseals each case key to its own intake key and imports.

The jobs work (candidate profiles, employers, openings, courses, the pipeline) travels when
a job coach of the giver opens the jobs key for the export (``handover_jobs``); without one
it stays behind, and the export says so.

What does not travel: staff accounts, their keys and passphrase material, access grants,
sessions, the giver's audit log (the receiver's log records the import) and screening data.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from solidarity.audit import services as audit
from solidarity.cases.models import (
    Attachment,
    Case,
    ChecklistEntry,
    ChecklistItem,
    Decision,
    Message,
    Programme,
)
from solidarity.continuity import backup, handover_jobs, payload
from solidarity.continuity.models import ReceiverKey
from solidarity.ledger import services as ledger
from solidarity.ledger.models import ACCOUNT_CODE_RE, Account, Entry, Posting
from solidarity.ledger.money import Currency
from solidarity.vault import archive, core, keyring
from solidarity.vault.models import ApplicantKey

RECEIVER_FILE_TITLE = "Solidarity handover receiver key"
CASES_PER_DOCUMENT = 200
ENTRIES_PER_DOCUMENT = 1000


class ReceiverKeyFileError(backup.ContinuityError):
    """The receiver key file is damaged, or its fingerprint does not match its key."""


class HandoverConflictError(backup.ContinuityError):
    """A case (or file) in the archive exists here already: imported before?"""


def _b64(value) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


def _unb64(value) -> bytes:
    if not isinstance(value, str):
        raise backup.DamagedBackupError("a sealed value in the archive is damaged")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise backup.DamagedBackupError("a sealed value in the archive is damaged") from None


# --- the receiver key ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiverPublicKey:
    receiver_org: str
    label: str
    public_key: bytes

    @property
    def fingerprint(self) -> str:
        return core.key_fingerprint(self.public_key)


def create_receiver_key(label: str, *, by=None) -> tuple[ReceiverKey, str]:
    """A new receiver key pair; returns the row and the public key file to send to the giver.

    Raises VaultNotInitialisedError."""
    org = keyring.organisation()
    pair = core.generate_keypair()
    with transaction.atomic():
        row = ReceiverKey.objects.create(
            label=label[:200],
            public_key=pair.public_key,
            private_key_sealed=archive.seal_receiver_key_for_intake(
                pair.private_key, bytes(org.intake_public_key)
            ),
            created_by=by,
        )
        audit.record(
            "continuity.receiver_key_made",
            actor=by,
            subject=core.key_fingerprint(pair.public_key),
        )
    public = ReceiverPublicKey(org.name, label, pair.public_key)
    text = (
        f"{RECEIVER_FILE_TITLE}\n"
        f"receiver: {_one_line(org.name)}\n"
        f"for: {_one_line(label)}\n"
        f"fingerprint: {public.fingerprint}\n"
        f"key: {_b64(pair.public_key)}\n"
    )
    return row, text


def _one_line(text: str) -> str:
    return " ".join(text.split())


def parse_receiver_key_file(text: str) -> ReceiverPublicKey:
    """Read a receiver key file. Raises ReceiverKeyFileError."""
    lines = text.strip().splitlines()
    if not lines or lines[0].strip() != RECEIVER_FILE_TITLE:
        raise ReceiverKeyFileError("not a receiver key file")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, _sep, value = line.partition(":")
        fields[name.strip()] = value.strip()
    try:
        key = base64.b64decode(fields.get("key", ""), validate=True)
    except (binascii.Error, ValueError):
        raise ReceiverKeyFileError("the key in the file is damaged") from None
    if len(key) != core.KEY_SIZE:
        raise ReceiverKeyFileError("the key in the file is damaged")
    public = ReceiverPublicKey(fields.get("receiver", ""), fields.get("for", ""), key)
    # A file damaged (or edited) in transit must not be used: the fingerprint is what the
    # two organisations compared by voice.
    if fields.get("fingerprint") != public.fingerprint:
        raise ReceiverKeyFileError("the fingerprint does not match the key")
    return public


def same_fingerprint(typed: str, fingerprint: str) -> bool:
    """Whether a fingerprint typed by an operator (any spacing or case) is this one."""
    return "".join(typed.split()).upper() == "".join(fingerprint.split()).upper()


# --- export ---------------------------------------------------------------------------------------


@dataclass
class HandoverReport:
    cases: int = 0
    messages: int = 0
    files: int = 0
    accounts: int = 0
    entries: int = 0
    from_org: str = ""
    jobs_carried: bool = False
    profiles: int = 0
    employers: int = 0
    openings: int = 0
    extra: dict[str, int] = field(default_factory=dict)


def _case_document(case: Case, intake_private: bytes, receiver_public: bytes) -> dict:
    case_private = keyring.open_case_key_with_intake(case, intake_private)
    applicant = ApplicantKey.objects.filter(case=case).first()
    return {
        "code": case.code,
        "programme": case.programme,
        "status": case.status,
        "received_on": case.received_on.isoformat(),
        "language": case.language,
        "case_public_key": _b64(case.case_public_key),
        # For the receiving organisation: the case key sealed to its receiver key.
        "case_key_sealed": _b64(archive.seal_case_key_for_receiver(case_private, receiver_public)),
        "receipt_locked": _b64(case.case_key_for_receipt_locked or b""),
        "answers_sealed": _b64(case.answers_sealed),
        "applicant": None
        if applicant is None
        else {
            "public_key": _b64(applicant.applicant_public_key),
            "locked": _b64(applicant.applicant_key_locked),
            "case_key_sealed": _b64(applicant.case_key_for_applicant_sealed),
        },
        "messages": [
            {
                "ref": m.pk,
                "from_applicant": m.from_applicant,
                "body_sealed": _b64(m.body_sealed),
                "sent_on": m.sent_on.isoformat(),
            }
            for m in case.messages.order_by("id")
        ],
        "attachments": [
            {
                "message": a.message_id,
                "from_applicant": a.from_applicant,
                "blob_name": a.blob_name,
                "file_key_sealed": _b64(a.file_key_sealed),
                "meta_sealed": _b64(a.meta_sealed),
                "added_on": a.added_on.isoformat(),
            }
            for a in case.attachments.order_by("id")
        ],
        "checklist": [
            {
                "item": c.item,
                "done": c.done,
                "note_sealed": _b64(c.note_sealed),
                "updated_on": c.updated_on.isoformat(),
            }
            for c in case.checklist.order_by("id")
        ],
        "decisions": [
            {
                "outcome": d.outcome,
                "reason_category": d.reason_category,
                "reason_sealed": _b64(d.reason_sealed),
                "decided_on": d.decided_on.isoformat(),
                "message": d.message_id,
            }
            for d in case.decisions.order_by("id")
        ],
    }


def _batches(iterable, size: int) -> Iterator[list]:
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _jsonl(documents: list[dict]) -> bytes:
    return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents).encode("utf-8")


def export_handover(
    target: BinaryIO,
    receiver: ReceiverPublicKey,
    *,
    by,
    staff_private_key: bytes,
    jobs_private_key: bytes | None = None,
) -> HandoverReport:
    """Write every case, its files and the books, sealed to the receiver key; with the jobs
    private key (opened by a job coach), the jobs work too.

    Raises NoIntakeAccessError (``by`` holds no intake key) or TamperedCiphertextError (a
    case key or a jobs value did not open: nothing is handed over half).
    """
    intake_private = keyring.open_intake_key(by, staff_private_key)
    org = keyring.organisation()
    report = HandoverReport(from_org=org.name)
    writer = archive.ArchiveWriter(
        target, receiver.public_key, kind=archive.KIND_HANDOVER, slots=b""
    )
    out = payload.PayloadWriter(writer)
    out.add_json(
        payload.MANIFEST,
        {
            "kind": "handover",
            "format": backup.FORMAT,
            "from_org": org.name,
            "made_at": timezone.now().isoformat(timespec="seconds"),
            "jobs": jobs_private_key is not None,
        },
    )
    blobs: list[str] = []
    cases = Case.objects.order_by("id").iterator(chunk_size=CASES_PER_DOCUMENT)
    for number, batch in enumerate(_batches(cases, CASES_PER_DOCUMENT), start=1):
        documents = [_case_document(case, intake_private, receiver.public_key) for case in batch]
        for doc in documents:
            report.cases += 1
            report.messages += len(doc["messages"])
            blobs.extend(a["blob_name"] for a in doc["attachments"])
        out.add_bytes(f"cases/{number:06d}.jsonl", _jsonl(documents))
    accounts = [
        {
            "code": a.code,
            "name": a.name,
            "kind": a.kind,
            "purpose": a.purpose,
            "currency": a.currency,
            "programme": a.programme,
            "opened_on": a.opened_on.isoformat(),
        }
        for a in Account.objects.order_by("id")
    ]
    report.accounts = len(accounts)
    out.add_json("ledger/accounts.json", accounts)
    entries = Entry.objects.order_by("id").iterator(chunk_size=ENTRIES_PER_DOCUMENT)
    for number, batch in enumerate(_batches(entries, ENTRIES_PER_DOCUMENT), start=1):
        postings: dict[int, list] = {}
        for p in Posting.objects.filter(entry__in=batch).select_related("account").order_by("id"):
            postings.setdefault(p.entry_id, []).append([p.account.code, str(p.amount)])
        documents = [
            {
                "ref": e.pk,
                "booked_on": e.booked_on.isoformat(),
                "kind": e.kind,
                "memo": e.memo,
                "reverses": e.reverses_id,
                "postings": postings.get(e.pk, []),
            }
            for e in batch
        ]
        report.entries += len(documents)
        out.add_bytes(f"ledger/entries-{number:06d}.jsonl", _jsonl(documents))
    if jobs_private_key is not None:
        jobs = handover_jobs.jobs_document(jobs_private_key, receiver.public_key)
        out.add_json(handover_jobs.JOBS_MEMBER, jobs)
        report.jobs_carried = True
        report.profiles = len(jobs["profiles"])
        report.employers = len(jobs["employers"])
        report.openings = len(jobs["openings"])
    for blob in blobs:
        path = Path(settings.UPLOADS_DIR) / blob[:2] / blob
        if path.is_file():
            out.add_file(f"uploads/{blob[:2]}/{blob}", path)
            report.files += 1
    out.add_json("summary.json", {"cases": report.cases, "entries": report.entries})
    out.close()
    writer.close()
    audit.record(
        "continuity.handover_exported",
        actor=by,
        subject=receiver.fingerprint,
        cases=report.cases,
        entries=report.entries,
        files=report.files,
        jobs=report.jobs_carried,
        profiles=report.profiles,
        employers=report.employers,
    )
    return report


# --- import ---------------------------------------------------------------------------------------


def receiver_key_for(header: archive.ArchiveHeader) -> ReceiverKey:
    """The receiver key this archive is sealed to. Raises ArchiveKeyError."""
    for row in ReceiverKey.objects.order_by("-id"):
        if header.is_sealed_to(bytes(row.public_key)):
            return row
    raise archive.ArchiveKeyError("sealed to no receiver key of this organisation")


def _date(value) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise backup.DamagedBackupError("a date in the archive is damaged") from None


def _choice(value, allowed) -> str:
    if value not in allowed:
        raise backup.DamagedBackupError("a value in the archive is not one we know")
    return value


def _import_case(doc: dict, receiver_private: bytes, intake_public: bytes) -> tuple[int, int]:
    code = doc["code"]
    if not isinstance(code, str) or not 0 < len(code) <= 16:
        raise backup.DamagedBackupError("a case code in the archive is damaged")
    if Case.objects.filter(code=code).exists():
        raise HandoverConflictError("a case with this code exists here already")
    case_public = _unb64(doc["case_public_key"])
    case_private = archive.open_case_key_from_giver(
        _unb64(doc["case_key_sealed"]), receiver_private
    )
    if core.public_key_of(case_private) != case_public:
        raise core.TamperedCiphertextError("a case key does not match its case")
    case = Case.objects.create(
        code=code,
        programme=_choice(doc["programme"], Programme.values),
        status=_choice(doc["status"], Case.Status.values),
        received_on=_date(doc["received_on"]),
        language=str(doc["language"])[:8],
        case_public_key=case_public,
        # From now on the coordinators of this organisation hold the case.
        case_key_for_intake_sealed=core.seal_case_key_for_intake(case_private, intake_public),
        case_key_for_receipt_locked=_unb64(doc["receipt_locked"]),
        answers_sealed=_unb64(doc["answers_sealed"]),
    )
    applicant = doc.get("applicant")
    if applicant:
        # The applicant's receipt keeps working here: their key pair comes along.
        ApplicantKey.objects.create(
            case=case,
            applicant_public_key=_unb64(applicant["public_key"]),
            applicant_key_locked=_unb64(applicant["locked"]),
            case_key_for_applicant_sealed=_unb64(applicant["case_key_sealed"]),
        )
    messages: dict[int, Message] = {}
    for m in doc["messages"]:
        messages[m["ref"]] = Message.objects.create(
            case=case,
            from_applicant=bool(m["from_applicant"]),
            body_sealed=_unb64(m["body_sealed"]),
            sent_on=_date(m["sent_on"]),
        )
    for a in doc["attachments"]:
        if not isinstance(a["blob_name"], str) or not a["blob_name"].isalnum():
            raise backup.DamagedBackupError("a file name in the archive is damaged")
        Attachment.objects.create(
            case=case,
            message=messages.get(a["message"]) if a["message"] is not None else None,
            from_applicant=bool(a["from_applicant"]),
            blob_name=a["blob_name"],
            file_key_sealed=_unb64(a["file_key_sealed"]),
            meta_sealed=_unb64(a["meta_sealed"]),
            added_on=_date(a["added_on"]),
        )
    for c in doc["checklist"]:
        ChecklistEntry.objects.create(
            case=case,
            item=_choice(c["item"], ChecklistItem.values),
            done=bool(c["done"]),
            note_sealed=_unb64(c["note_sealed"]),
            updated_on=_date(c["updated_on"]),
        )
    for d in doc["decisions"]:
        Decision.objects.create(
            case=case,
            outcome=_choice(d["outcome"], Decision.Outcome.values),
            reason_category=_choice(d["reason_category"], Decision.ReasonCategory.values),
            reason_sealed=_unb64(d["reason_sealed"]),
            decided_on=_date(d["decided_on"]),
            message=messages.get(d["message"]) if d["message"] is not None else None,
        )
    return len(messages), len(doc["attachments"])


def _handover_code(code: str, tag: str) -> str:
    """The giver's account, kept apart under the receiver's root: Assets:Handover-X:Held:..."""
    root, _sep, rest = code.partition(":")
    new = f"{root}:{tag}:{rest}"
    if not ACCOUNT_CODE_RE.match(new) or len(new) > 120:
        raise backup.DamagedBackupError("an account name in the archive is damaged")
    return new


def _import_accounts(documents: list, tag: str) -> dict[str, Account]:
    accounts: dict[str, Account] = {}
    for a in documents:
        code = _handover_code(a["code"], tag)
        account, _created = Account.objects.get_or_create(
            code=code,
            defaults={
                "name": f"{a['name']} ({tag})"[:120],
                "kind": _choice(a["kind"], Account.Kind.values),
                "purpose": _choice(a["purpose"], Account.Purpose.values),
                "currency": _choice(a["currency"], Currency.values),
                "programme": _choice(a["programme"], ["", *Programme.values]),
                "opened_on": _date(a["opened_on"]),
            },
        )
        accounts[a["code"]] = account
    return accounts


def _import_entries(documents: list, accounts: dict[str, Account], refs: dict[int, Entry]) -> None:
    for e in documents:
        try:
            lines = [(accounts[code], Decimal(amount)) for code, amount in e["postings"]]
        except (KeyError, InvalidOperation, TypeError, ValueError):
            raise backup.DamagedBackupError("a ledger entry in the archive is damaged") from None
        try:
            entry = ledger.post_entry(
                _choice(e["kind"], Entry.Kind.values),
                lines,
                booked_on=_date(e["booked_on"]),
                memo=str(e["memo"]),
                reverses=refs.get(e["reverses"]) if e["reverses"] is not None else None,
            )
        except ledger.UnbalancedEntryError:
            raise backup.DamagedBackupError(
                "a ledger entry in the archive does not balance"
            ) from None
        refs[e["ref"]] = entry


def _lines(handle: BinaryIO) -> Iterator[dict]:
    for line in handle.read().decode("utf-8").splitlines():
        if line.strip():
            document = json.loads(line)
            if not isinstance(document, dict):
                raise ValueError("not a document")
            yield document


def import_handover(path: Path, *, by, staff_private_key: bytes) -> HandoverReport:
    """Take over another organisation's cases and books from a handover archive.

    Raises ArchiveError (not an archive, altered, cut, not sealed to our receiver keys),
    WrongKindError, HandoverConflictError, DamagedBackupError, NoIntakeAccessError or (the
    archive carries jobs work and no job coach here could read it) NoJobCoachError; on any
    of them nothing is imported.
    """
    header = backup.read_header(path)
    if header.kind != archive.KIND_HANDOVER:
        raise backup.WrongKindError("this is not a handover")
    row = receiver_key_for(header)
    intake_private = keyring.open_intake_key(by, staff_private_key)
    receiver_private = archive.open_receiver_key(bytes(row.private_key_sealed), intake_private)
    manifest = None
    for name, handle in backup._members(path, receiver_private):
        if name == payload.MANIFEST:
            manifest = backup._check_manifest(payload.read_json(handle), "handover")
    if manifest is None:
        raise backup.DamagedBackupError("the archive has no manifest")

    report = HandoverReport(from_org=str(manifest.get("from_org", ""))[:200])
    intake_public = keyring.intake_public_key()
    tag = "Handover-" + timezone.localdate().strftime("%Y%m%d")
    written: list[Path] = []
    try:
        with transaction.atomic():
            accounts: dict[str, Account] = {}
            refs: dict[int, Entry] = {}
            for name, handle in backup._members(path, receiver_private):
                if name.startswith("cases/"):
                    for doc in _lines(handle):
                        messages, files = _import_case(doc, receiver_private, intake_public)
                        report.cases += 1
                        report.messages += messages
                elif name == "ledger/accounts.json":
                    accounts = _import_accounts(payload.read_json(handle), tag)
                    report.accounts = len(accounts)
                elif name.startswith("ledger/entries-"):
                    documents = list(_lines(handle))
                    _import_entries(documents, accounts, refs)
                    report.entries += len(documents)
                elif name == handover_jobs.JOBS_MEMBER:
                    counts = handover_jobs.import_jobs(
                        payload.read_json(handle), receiver_private, by=by
                    )
                    report.jobs_carried = True
                    report.profiles = counts["profiles"]
                    report.employers = counts["employers"]
                    report.openings = counts["openings"]
                elif name.startswith("uploads/"):
                    backup._write_upload(name, handle, written)
                    report.files += 1
            audit.record(
                "continuity.handover_imported",
                actor=by,
                subject=core.key_fingerprint(bytes(row.public_key)),
                from_org=report.from_org,
                cases=report.cases,
                entries=report.entries,
                files=report.files,
                jobs=report.jobs_carried,
                profiles=report.profiles,
                employers=report.employers,
            )
    except backup.NotEmptyError:
        _remove(written)
        raise HandoverConflictError("a file in the archive exists here already") from None
    except (KeyError, TypeError, ValueError, IntegrityError, DatabaseError) as exc:
        _remove(written)
        raise backup.DamagedBackupError("the archive's contents do not load") from exc
    except BaseException:
        _remove(written)
        raise
    return report


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
