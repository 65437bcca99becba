"""A coordinator reads a case submitted through the real intake, and writes back."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from solidarity.audit.models import AuditEvent
from solidarity.cases.models import Attachment, Message
from solidarity.intake.services import open_receipt, read_case_for_applicant
from solidarity.testing.builders import (
    MAKE_CANARY,
    STORY_CANARY,
    jpeg_with_metadata,
    pdf_with_metadata,
)
from solidarity.testing.factories import log_in, make_application, make_org, make_staff


@pytest.fixture
def coordinator(db):
    make_org()
    return make_staff(role="coordinator", username="alice")


@pytest.fixture
def receipt(coordinator):
    return make_application(
        files={
            "proof_files": [SimpleUploadedFile("service-id.jpg", jpeg_with_metadata())],
            "papers_files": [SimpleUploadedFile("resignation.pdf", pdf_with_metadata())],
        },
        employer="Riot police, second company",
        needs=["money", "retraining"],
    )


@pytest.fixture
def signed_in(client, coordinator):
    log_in(client, coordinator)
    return client


def test_coordinator_sees_the_decrypted_application(signed_in, receipt):
    response = signed_in.get(reverse("staff:case", args=[receipt.case_code]))

    page = response.content.decode()
    assert response.status_code == 200
    assert STORY_CANARY in page
    assert "Riot police, second company" in page
    # Labels come from the application form, choices are shown by their labels
    assert "Your story in your own words" in page
    assert "Money to live on and pay debts, Retraining" in page
    assert "$12,500.00" in page  # the amount, written the English way


def test_viewing_a_case_is_audited(signed_in, receipt, coordinator):
    signed_in.get(reverse("staff:case", args=[receipt.case_code]))

    assert AuditEvent.objects.filter(
        action="case.viewed", actor=coordinator.user, subject=receipt.case_code
    ).exists()


def test_the_image_is_shown_inline_and_served_decrypted(signed_in, receipt, coordinator):
    # Files are stored in the order of the form: the photo first, then the PDF
    image = Attachment.objects.filter(case__code=receipt.case_code).order_by("pk").first()
    url = reverse("staff:case_file", args=[receipt.case_code, image.id])

    page = signed_in.get(reverse("staff:case", args=[receipt.case_code])).content.decode()
    response = signed_in.get(url)

    assert f'<img src="{url}"' in page
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].startswith("inline")
    with Image.open(io.BytesIO(response.content)) as picture:
        assert picture.size == (40, 20)
        assert not picture.getexif()
    assert MAKE_CANARY.encode() not in response.content
    assert AuditEvent.objects.filter(
        action="case.file_viewed", actor=coordinator.user, details={"attachment": image.id}
    ).exists()


def test_a_pdf_is_a_download_not_a_page(signed_in, receipt):
    pdf = Attachment.objects.filter(case__code=receipt.case_code).order_by("-pk").first()

    response = signed_in.get(reverse("staff:case_file", args=[receipt.case_code, pdf.id]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="resignation.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")
    assert "sandbox" in response["Content-Security-Policy"]


def test_the_queue_shows_no_decrypted_data(signed_in, receipt):
    response = signed_in.get(reverse("staff:queue"))

    page = response.content.decode()
    assert receipt.case_code in page
    assert STORY_CANARY not in page
    assert "Riot police" not in page


def test_a_message_is_sealed_for_the_applicant_and_audited(signed_in, receipt, coordinator):
    url = reverse("staff:case", args=[receipt.case_code])

    response = signed_in.post(
        url,
        {
            "body": "Please send a photo of your contract. SecretReplyCanaryT5",
            "files": [SimpleUploadedFile("form.jpg", jpeg_with_metadata())],
        },
    )

    assert response.status_code == 302
    message = Message.objects.get(case__code=receipt.case_code)
    assert message.author == coordinator.user
    assert not message.from_applicant
    assert b"SecretReplyCanaryT5" not in bytes(message.body_sealed)
    assert AuditEvent.objects.filter(
        action="case.message_sent", actor=coordinator.user, subject=receipt.case_code
    ).exists()
    # The applicant reads it with the receipt
    case, key = open_receipt(receipt.case_code, receipt.passphrase, client="test-applicant")
    seen = read_case_for_applicant(case, key)
    assert seen.messages[0]["body"].endswith("SecretReplyCanaryT5")
    assert seen.messages[0]["files"][0]["name"] == "form.jpg"
    # And the coordinator sees it in the case page
    assert "SecretReplyCanaryT5" in signed_in.get(url).content.decode()


def test_an_empty_message_is_refused_with_a_reason(signed_in, receipt):
    url = reverse("staff:case", args=[receipt.case_code])

    response = signed_in.post(url, {"body": "   "})

    assert response.status_code == 200
    assert "Write a message or attach a file." in response.content.decode()
    assert not Message.objects.filter(case__code=receipt.case_code).exists()


def test_an_unreadable_attachment_is_refused_with_a_reason(signed_in, receipt):
    url = reverse("staff:case", args=[receipt.case_code])

    response = signed_in.post(
        url, {"body": "See attached", "files": [SimpleUploadedFile("x.exe", b"MZ\x90\x00")]}
    )

    assert response.status_code == 200
    assert "x.exe" in response.content.decode()
    assert not Message.objects.filter(case__code=receipt.case_code).exists()
