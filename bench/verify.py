"""Open every receipt a load was given and compare the stored application with what was sent.

    python -m bench.verify RECEIPTS.json   (env: the server's DJANGO_SETTINGS_MODULE,
                                            SOLIDARITY_DATA_DIR and DATABASE_URL)

Sealed: each receipt goes through ``solidarity.intake.services.open_receipt`` (the applicant's
own way in: Argon2id on the passphrase, then the case key), then the answers and the files
are opened with that key. Baseline: the plaintext row with that code. Prints one JSON object:
``lost`` counts receipts that do not open or whose contents differ from what was sent;
``rows`` is the number of applications stored (it should equal the receipts).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

JPEG_MAGIC = b"\xff\xd8\xff"
EMPTY = ("", None, [])


def compare(answers: dict, expected: dict, not_sent: set[str]) -> None:
    """Raise unless every answer sent came back unchanged. Fields the form has and the bench
    did not send (a field added since) must be empty; they are listed in the result."""
    differ = sorted(k for k in expected if answers.get(k, object()) != expected[k])
    if differ:
        raise ValueError(f"answers differ: {differ}")
    for key in set(answers) - set(expected):
        if answers[key] not in EMPTY:
            raise ValueError(f"unexpected answer {key!r}")
        not_sent.add(key)


def verify_sealed(receipts: list[dict]) -> dict:
    from django.conf import settings

    from solidarity.cases import sealed
    from solidarity.cases.models import Attachment, Case
    from solidarity.intake import services

    lost, problems, not_sent = 0, [], set()
    for number, receipt in enumerate(receipts):
        try:
            case, key = services.open_receipt(
                receipt["code"], receipt["passphrase"], client=f"bench-verify-{number}"
            )
            answers = sealed.open_json(key, case.answers_sealed)
            answers.pop("submitted_at", None)
            compare(answers, receipt["expected"], not_sent)
            attachments = list(case.attachments.all())
            if len(attachments) != receipt["files"]:
                raise ValueError(f"{len(attachments)} files, sent {receipt['files']}")
            for attachment in attachments:
                data = sealed.read_file(key, attachment.blob_name, attachment.file_key_sealed)
                meta = sealed.open_json(key, attachment.meta_sealed)
                if not data.startswith(JPEG_MAGIC) or meta["size"] != len(data):
                    raise ValueError("file does not open to the cleaned JPEG")
        except Exception as exc:
            lost += 1
            if len(problems) < 5:
                problems.append(f"{receipt['code']}: {exc!r}")
    blobs = sum(1 for p in Path(settings.UPLOADS_DIR).rglob("*") if p.is_file())
    return {
        "lost": lost,
        "rows": Case.objects.count(),
        "file_rows": Attachment.objects.count(),
        "files_on_disk": blobs,
        "problems": problems,
        "fields_not_sent": sorted(not_sent),
    }


def verify_baseline(receipts: list[dict]) -> dict:
    from django.conf import settings

    from bench.baseline.models import PlainApplication, PlainFile

    by_code = {a.code: a for a in PlainApplication.objects.all()}
    files: dict[int, list[PlainFile]] = {}
    for f in PlainFile.objects.all():
        files.setdefault(f.application_id, []).append(f)
    root = Path(settings.DATA_DIR) / "baseline"
    lost, problems, not_sent = 0, [], set()
    for receipt in receipts:
        try:
            application = by_code[receipt["code"]]
            answers = json.loads(application.answers_json)
            answers.pop("submitted_at", None)
            compare(answers, receipt["expected"], not_sent)
            stored = files.get(application.id, [])
            if len(stored) != receipt["files"]:
                raise ValueError(f"{len(stored)} files, sent {receipt['files']}")
            for f in stored:
                if not (root / f.path[:2] / f.path).read_bytes().startswith(JPEG_MAGIC):
                    raise ValueError("file is not the cleaned JPEG")
        except Exception as exc:
            lost += 1
            if len(problems) < 5:
                problems.append(f"{receipt['code']}: {exc!r}")
    blobs = sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0
    return {
        "lost": lost,
        "rows": len(by_code),
        "file_rows": sum(len(v) for v in files.values()),
        "files_on_disk": blobs,
        "problems": problems,
        "fields_not_sent": sorted(not_sent),
    }


def main() -> None:
    import django

    django.setup()
    payload = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    started = time.perf_counter()
    if payload["kind"] == "sealed":
        result = verify_sealed(payload["receipts"])
    else:
        result = verify_baseline(payload["receipts"])
    result["verify_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
