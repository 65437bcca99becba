"""The application form at /apply/: a real request through the whole stack."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from solidarity.cases import sealed
from solidarity.cases.models import Attachment, Case
from solidarity.cases.services import open_case
from solidarity.testing.builders import (
    MAKE_CANARY,
    STORY_CANARY,
    jpeg_with_metadata,
    receipt_from_page,
    valid_application,
)
from solidarity.vault import core


def _receipt(page: str) -> tuple[str, str]:
    return receipt_from_page(page)


def _uploads() -> list[Path]:
    root = Path(settings.UPLOADS_DIR)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_form_renders_without_javascript_or_third_party_resources(client, intake_key):
    response = client.get("/apply/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in page
    assert 'name="story"' in page
    # Everything the page loads comes from us.
    assert not re.search(r'(src|href)="https?://(?!www\.wikipedia\.org)', page)
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"


def test_a_valid_application_with_a_photo_returns_a_receipt_and_seals_everything(
    client, intake_key
):
    # Given an applicant with a photo that carries EXIF (camera make, GPS)
    data = valid_application()
    data["proof_files"] = SimpleUploadedFile("id-card.jpg", jpeg_with_metadata())

    # When they apply
    response = client.post("/apply/", data)

    # Then they get a receipt, and the case opens only with a key, without the photo's EXIF
    assert response.status_code == 200
    code, passphrase = _receipt(response.content.decode())
    assert len(passphrase.split()) == 7
    case = Case.objects.get(code=code)
    assert STORY_CANARY.encode() not in bytes(case.answers_sealed)
    case_key = core.open_case_key_with_intake(bytes(case.case_key_for_intake_sealed), intake_key)
    opened = open_case(case, case_key)
    assert STORY_CANARY in opened.answers["story"]
    assert opened.answers["debt_contract"] == "12500.00"
    (attachment,) = Attachment.objects.filter(case=case)
    meta = sealed.open_json(case_key, attachment.meta_sealed)
    assert meta["name"] == "id-card.jpg"
    assert meta["metadata_removed"] is True
    photo = sealed.read_file(case_key, attachment.blob_name, attachment.file_key_sealed)
    assert photo.startswith(b"\xff\xd8\xff")
    assert MAKE_CANARY.encode() not in photo


def test_invalid_input_is_shown_next_to_each_field_and_nothing_is_saved(client, intake_key):
    data = valid_application(
        story="short", debt_loans="twelve", dependants="-1", situation="workers:strike"
    )
    data["proof_files"] = SimpleUploadedFile("notes.jpg", b"this is plain text, not a photo")

    response = client.post("/apply/", data)

    page = response.content.decode()
    assert response.status_code == 400
    for field in ("story", "debt_loans", "dependants", "situation", "proof_files"):
        assert f'id="id_{field}_error"' in page, field
    assert "Nothing has been saved yet" in page
    assert Case.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert _uploads() == []


def test_errors_are_translated_into_the_applicants_language(client, intake_key):
    response = client.post("/apply/", valid_application(story=""), HTTP_ACCEPT_LANGUAGE="ru")
    page = response.content.decode()
    assert response.status_code == 400
    assert "Обязательное поле." in page


def test_a_file_over_the_limit_is_refused_with_a_clear_message(client, intake_key, settings):
    settings.MAX_ATTACHMENT_BYTES = 1024
    data = valid_application()
    data["papers_files"] = SimpleUploadedFile("scan.jpg", jpeg_with_metadata(size=(400, 400)))

    response = client.post("/apply/", data)

    assert response.status_code == 400
    assert "is too large" in response.content.decode()
    assert Case.objects.count() == 0


def test_a_filled_honeypot_saves_nothing(client, intake_key):
    response = client.post("/apply/", valid_application(website="http://spam.example"))
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_a_flood_from_one_client_is_stopped(client, intake_key, settings):
    # The gate counts by client address; this test client's address is unique to it.
    address = "192.0.2.77"
    statuses = [
        client.post("/apply/", valid_application(), REMOTE_ADDR=address).status_code
        for _ in range(settings.APPLY_RATE_PER_HOUR + 1)
    ]
    assert statuses[:-1] == [200] * settings.APPLY_RATE_PER_HOUR
    assert statuses[-1] == 429
    assert Case.objects.count() == settings.APPLY_RATE_PER_HOUR


def test_get_and_post_are_the_only_methods(client, intake_key):
    assert client.put("/apply/").status_code == 405


def test_an_applicant_writes_amounts_the_belarusian_way(client, intake_key):
    # Given an applicant reading the form in Belarusian, who writes "12 500,50" as at home
    data = valid_application()
    data["debt_contract"] = "12 500,50"

    # When they apply
    response = client.post("/apply/", data, HTTP_ACCEPT_LANGUAGE="be")

    # Then the amount is understood, not refused
    assert response.status_code == 200
    code, _passphrase = _receipt(response.content.decode())
    case = Case.objects.get(code=code)
    case_key = core.open_case_key_with_intake(bytes(case.case_key_for_intake_sealed), intake_key)
    assert open_case(case, case_key).answers["debt_contract"] == "12500.50"
