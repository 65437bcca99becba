"""The plaintext twin of ``solidarity.intake.services.submit_application``.

Same form (so the same validation and the same file cleaning), same durability (files are
written to a temporary name, fsynced and renamed before the row that names them; the rows
are written in one transaction) and the same receipt page. What it leaves out is exactly
the vault: no case key pair, no Argon2id receipt lock, no sealed boxes, no file encryption.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from bench.baseline.models import PlainApplication, PlainFile
from solidarity.cases.services import file_meta
from solidarity.intake import receipts
from solidarity.intake.forms import ApplicationForm

FAKE_PASSPHRASE = "plaintext baseline has no passphrase at all"  # noqa: S105


def _store_plain(data: bytes) -> str:
    name = secrets.token_hex(16)
    path = Path(settings.DATA_DIR) / "baseline" / name[:2] / name
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with open(partial, "wb") as target:
        target.write(data)
        target.flush()
        os.fsync(target.fileno())
    os.replace(partial, path)
    return name


@require_POST
def apply(request: HttpRequest) -> HttpResponse:
    form = ApplicationForm(request.POST, request.FILES)
    if not form.is_valid() or form.cleaned_data.get("website"):
        return HttpResponse("invalid application", status=400, content_type="text/plain")
    answers = form.answers()
    answers["submitted_at"] = timezone.now().isoformat(timespec="seconds")
    stored = [(_store_plain(item["file"].data), file_meta(item)) for item in form.attachments()]
    with transaction.atomic():
        application = PlainApplication.objects.create(
            code=receipts.new_case_code(),
            programme=form.cleaned_data["programme"],
            received_on=timezone.localdate(),
            language=get_language() or settings.LANGUAGE_CODE,
            answers_json=json.dumps(answers, ensure_ascii=False),
        )
        PlainFile.objects.bulk_create(
            PlainFile(application=application, path=name, meta_json=json.dumps(meta))
            for name, meta in stored
        )
    receipt = {
        "case_code": application.code,
        "passphrase": FAKE_PASSPHRASE,
        "video_kept_metadata": any(not m["metadata_removed"] for _n, m in stored),
    }
    return render(request, "intake/receipt.html", {"receipt": receipt})
