"""Where an intake request's time goes: each step timed alone, in one process, one thread.

    .venv/bin/python bench/costs.py [--rounds 300] [--attachment-share 0.2]

Runs Django in-process on a throwaway SQLite data directory with the production KDF and the
bench settings, and times the steps ``submit_application`` takes for the same request the
load benchmark sends, next to what the plaintext baseline does instead. CPU time is the
thread's own (others' load on a shared machine barely moves it); wall time includes waiting
for the disk (fsync). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def setup_django(data_dir: Path, source: Path, settings: str) -> None:
    os.environ.pop("SOLIDARITY_KDF", None)
    os.environ.pop("DATABASE_URL", None)
    os.environ["SOLIDARITY_DATA_DIR"] = str(data_dir)
    os.environ["SOLIDARITY_APPLY_RATE_PER_HOUR"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    sys.path.insert(0, str(source))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from solidarity.vault import keyring

    keyring.create_organisation("Bench")


def measure(fn, rounds: int) -> tuple[float, float]:
    """Median CPU and wall milliseconds of ``fn()`` over ``rounds`` calls (after 5 warm-ups)."""
    for _ in range(5):
        fn()
    cpu, wall = [], []
    for _ in range(rounds):
        c0, w0 = time.thread_time(), time.perf_counter()
        fn()
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu) * 1000, statistics.median(wall) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--attachment-share", type=float, default=0.2)
    parser.add_argument("--source", type=Path, default=REPO, help="a frozen copy (see intake.py)")
    parser.add_argument("--settings", default="bench.settings", help="for what-if experiments")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="solidarity-costs-", dir="/var/tmp"))
    try:
        setup_django(data_dir, args.source.resolve(), args.settings)
        run(args.rounds, args.attachment_share)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run(rounds: int, share: float) -> None:
    import datetime
    import io
    import json

    from django.db import transaction
    from django.shortcuts import render
    from django.test import RequestFactory

    from bench import intake
    from bench.baseline import views as baseline
    from bench.baseline.models import PlainApplication
    from solidarity.cases import sealed
    from solidarity.cases.models import Case
    from solidarity.intake import receipts, services
    from solidarity.intake.forms import ApplicationForm
    from solidarity.vault import core, keyring

    pool = intake.Pool(20, 1.0, seed=1)
    with_file, without = pool.items[0], intake.build_submission(99, "x", pool.rng, None)
    factory = RequestFactory()
    content_type = f"multipart/form-data; boundary={intake.BOUNDARY}"

    def parsed(sub):
        body = b"".join(sub.parts)
        request = factory.generic("POST", "/apply/", body, content_type=content_type)
        request.POST  # noqa: B018 - parse now
        return request

    def valid_form(sub):
        request = parsed(sub)
        form = ApplicationForm(request.POST, request.FILES)
        assert form.is_valid(), form.errors
        return form

    form_plain, form_file = valid_form(without), valid_form(with_file)
    cleaned_jpeg = form_file.attachments()[0]["file"].data
    answers = form_plain.answers()
    params = keyring.params()
    intake_pk = keyring.intake_public_key()
    keys = core.create_case_keys(intake_pk, receipts.new_passphrase(), params)
    passphrase = receipts.new_passphrase()
    meta = {"kind": "proof_files", "name": "photo.jpg", "content_type": "image/jpeg", "size": 1}
    rows: list[tuple[str, str, float, float, float]] = []  # (side, step, per, cpu, wall)

    def step(side: str, name: str, fn, per: float = 1.0) -> None:
        cpu, wall = measure(fn, rounds)
        rows.append((side, name, per, cpu, wall))

    # What both do.
    step("info", "parse multipart alone, no file", lambda: parsed(without), 1 - share)
    step("info", "parse multipart alone, 200 KB JPEG", lambda: parsed(with_file), share)
    step("both", "parse + ApplicationForm valid, no file", lambda: valid_form(without), 1 - share)
    step(
        "both",
        "parse + ApplicationForm valid, JPEG re-encoded",
        lambda: valid_form(with_file),
        share,
    )
    request = factory.get("/apply/")
    fake = {"case_code": "ABCD-EFGH-JKMN", "passphrase": passphrase, "video_kept_metadata": False}
    step(
        "both",
        "render receipt page",
        lambda: render(request, "intake/receipt.html", {"receipt": fake}),
    )
    step("both", "new case code", receipts.new_case_code)

    # Sealed only.
    step("sealed", "new passphrase (7 words)", receipts.new_passphrase)
    step("sealed", "intake public key (SELECT organisation)", keyring.intake_public_key)
    step("sealed", "case and applicant key pairs (2 x X25519)", core.generate_keypair)
    rows[-1] = (*rows[-1][:3], rows[-1][3] * 2, rows[-1][4] * 2)
    step(
        "sealed",
        "case key sealed to intake key",
        lambda: core.seal_case_key_for_intake(keys.private_key, intake_pk),
    )
    step(
        "sealed",
        "case key sealed to applicant key",
        lambda: core.seal_case_key_for_applicant(keys.private_key, keys.applicant_public_key),
    )
    step(
        "sealed",
        "applicant key locked with receipt (Argon2id 1 MiB, 1 pass)",
        lambda: core.lock_applicant_key(keys.private_key, passphrase, params),
    )
    step(
        "info",
        "= core.create_case_keys (the four rows above)",
        lambda: core.create_case_keys(intake_pk, passphrase, params),
    )
    step("sealed", "seal answers JSON", lambda: sealed.seal_json(keys.public_key, answers))
    step(
        "sealed",
        "seal file (secretstream) in memory",
        lambda: core.seal_file_for_case(keys.public_key, io.BytesIO(cleaned_jpeg), io.BytesIO()),
        share,
    )
    step("sealed", "seal file metadata", lambda: sealed.seal_json(keys.public_key, meta), share)

    def sealed_write():
        blob, _key = sealed.store_file(keys.public_key, cleaned_jpeg)
        sealed.delete_file(blob)

    step("write", "sealed: store_file (seal, write, fsync, rename)", sealed_write, share)

    def save_sealed():
        services._save_case("workers", "be", keys, answers, [], datetime.date.today())

    step("write", "sealed: _save_case (seal answers, 2 INSERTs, commit)", save_sealed)

    # Baseline only.
    def plain_write():
        name = baseline._store_plain(cleaned_jpeg)
        (Path(data_dir_of()) / "baseline" / name[:2] / name).unlink()

    def data_dir_of():
        from django.conf import settings

        return settings.DATA_DIR

    step("write", "baseline: write, fsync, rename plaintext file", plain_write, share)

    def save_plain():
        with transaction.atomic():
            PlainApplication.objects.create(
                code=receipts.new_case_code(),
                programme="workers",
                received_on=datetime.date.today(),
                language="be",
                answers_json=json.dumps(answers, ensure_ascii=False),
            )

    step("write", "baseline: INSERT plaintext row, commit", save_plain)
    print(f"({Case.objects.count()} sealed and {PlainApplication.objects.count()} plain rows)")

    # Whole requests through Django's handler (middleware, view, template; no HTTP server).
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")

    def post(path, sub):
        def go():
            response = client.generic("POST", path, b"".join(sub.parts), content_type=content_type)
            assert response.status_code == 200, response.status_code

        return go

    # Interleaved, so a burst of other work on the machine hits both sides alike.
    base, seal = "/bench-baseline/apply/", "/apply/"
    cases = [
        ("request baseline", "whole request, no file", post(base, without), 1 - share),
        ("request sealed", "whole request, no file", post(seal, without), 1 - share),
        ("request baseline", "whole request, 200 KB JPEG", post(base, with_file), share),
        ("request sealed", "whole request, 200 KB JPEG", post(seal, with_file), share),
    ]
    samples: dict[int, tuple[list[float], list[float]]] = {i: ([], []) for i in range(len(cases))}
    for turn in range(rounds + 5):
        for i, (_side, _name, fn, _per) in enumerate(cases):
            c0, w0 = time.thread_time(), time.perf_counter()
            fn()
            if turn >= 5:
                samples[i][0].append(time.thread_time() - c0)
                samples[i][1].append(time.perf_counter() - w0)
    for i, (side, name, _fn, per) in enumerate(cases):
        cpu, wall = samples[i]
        rows.append(
            (side, name, per, statistics.median(cpu) * 1000, statistics.median(wall) * 1000)
        )

    print("\n| side | step | share of requests | CPU ms | wall ms |")
    print("|---|---|---|---|---|")
    for side, name, per, cpu, wall in rows:
        print(f"| {side} | {name} | {per:.0%} | {cpu:.3f} | {wall:.3f} |")
    for side in ("both", "sealed", "request baseline", "request sealed"):
        cpu = sum(per * c for s, _n, per, c, _w in rows if s == side)
        wall = sum(per * w for s, _n, per, _c, w in rows if s == side)
        print(f"{side}: steps above, per average request: CPU {cpu:.3f} ms, wall {wall:.3f} ms")
    for prefix in ("sealed:", "baseline:"):
        cpu = sum(per * c for s, n, per, c, _w in rows if n.startswith(prefix))
        wall = sum(per * w for s, n, per, _c, w in rows if n.startswith(prefix))
        print(f"writes {prefix} per average request: CPU {cpu:.3f} ms, wall {wall:.3f} ms")


if __name__ == "__main__":
    main()
