"""What the applicant sees on /status/ after a decision, and files in both directions."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from solidarity.cases import verification
from solidarity.cases.models import Attachment, Case, Message
from solidarity.cases.tests.conftest import make_case, screen
from solidarity.testing.builders import pdf_with_metadata
from solidarity.testing.factories import log_in

SECRET_REASON = "CanaryInternalReasonK7: matches a man seen at Okrestina"


def applicant(receipt) -> Client:
    client = Client()
    response = client.post(
        reverse("intake:status"), {"code": receipt.case_code, "passphrase": receipt.passphrase}
    )
    assert response.status_code == 302
    return client


def status_page(client: Client) -> str:
    return client.get(reverse("intake:status_case")).content.decode()


def test_the_applicant_sees_a_request_for_more_information(receipt, case, coordinator):
    verification.decide_case(
        case,
        by=coordinator.user,
        staff_key=coordinator.key,
        outcome="more_info",
        message="Please send a photo of your dismissal order.",
    )

    page = status_page(applicant(receipt))

    assert "More information needed" in page
    assert "We need more information from you." in page
    assert 'id="case-decision"' in page
    assert "Please send a photo of your dismissal order." in page


def test_the_applicant_sees_verification(receipt, case, coordinator):
    screen(case, coordinator)
    for item in ("service_id", "separation_papers", "video_statement", "screening_clear"):
        verification.set_checklist_item(
            case, item, by=coordinator.user, staff_key=coordinator.key, done=True, note="ok"
        )
    voucher = make_case()
    Case.objects.filter(pk=voucher.pk).update(status=Case.Status.VERIFIED)
    verification.set_checklist_item(
        case,
        "vouched",
        by=coordinator.user,
        staff_key=coordinator.key,
        done=True,
        note="known to us",
        voucher_code=voucher.code,
    )
    verification.decide_case(
        case,
        by=coordinator.user,
        staff_key=coordinator.key,
        outcome="verified",
        message="You are verified. Welcome.",
    )

    page = status_page(applicant(receipt))

    assert '<dd id="case-status">Verified</dd>' in page
    assert "Your application is verified." in page
    assert "You are verified. Welcome." in page


def test_a_rejection_reason_stays_with_the_fund_unless_sent(receipt, case, coordinator):
    verification.decide_case(
        case,
        by=coordinator.user,
        staff_key=coordinator.key,
        outcome="rejected",
        reason_category="suspected_provocation",
        reason=SECRET_REASON,
    )

    page = status_page(applicant(receipt))

    assert "Not accepted" in page
    assert "We cannot accept your application." in page
    assert SECRET_REASON not in page
    assert "provocation" not in page.lower()
    assert 'id="case-decision"' not in page


def test_a_rejection_reason_the_coordinator_sends_is_shown(receipt, case, coordinator):
    verification.decide_case(
        case,
        by=coordinator.user,
        staff_key=coordinator.key,
        outcome="rejected",
        reason_category="not_eligible",
        reason="The programme covers dismissals since 2020.",
        send_reason=True,
    )

    page = status_page(applicant(receipt))

    assert "The programme covers dismissals since 2020." in page


def test_after_reopening_the_old_decision_is_no_longer_featured(receipt, case, coordinator):
    verification.decide_case(
        case,
        by=coordinator.user,
        staff_key=coordinator.key,
        outcome="rejected",
        reason_category="not_eligible",
        reason="Too early.",
        send_reason=True,
    )
    verification.reopen_case(case, by=coordinator.user, staff_key=coordinator.key)

    page = status_page(applicant(receipt))

    assert "Being reviewed" in page
    assert 'id="case-decision"' not in page
    assert "Too early." in page  # still in the conversation


def test_a_file_from_staff_reaches_the_applicant_and_back(receipt, case, coordinator):
    # Given a coordinator who sends a form to fill in
    staff = Client()
    log_in(staff, coordinator.staff)
    form = SimpleUploadedFile("form-to-sign.pdf", pdf_with_metadata())
    response = staff.post(
        reverse("staff:case", args=[case.code]), {"body": "Please sign this.", "files": [form]}
    )
    assert response.status_code == 302
    sent = Attachment.objects.get(case=case, from_applicant=False)

    # When the applicant opens the status page and downloads it
    client = applicant(receipt)
    page = status_page(client)
    download = client.get(reverse("intake:status_file", args=[sent.id]))

    # Then it arrives decrypted, stripped of metadata and not cached
    assert "Please sign this." in page
    assert "form-to-sign.pdf" in page
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF")
    assert b"CanaryPdfAuthor" not in download.content
    assert download["Cache-Control"] == "no-store"
    assert "sandbox" in download["Content-Security-Policy"]

    # And the applicant answers with a file of their own, which the coordinator opens
    signed = SimpleUploadedFile("signed.pdf", pdf_with_metadata())
    response = client.post(
        reverse("intake:status_case"), {"body": "Signed, attached.", "files": [signed]}
    )
    assert response.status_code == 302
    reply = Message.objects.get(case=case, from_applicant=True)
    [back] = reply.attachments.all()
    staff_page = staff.get(reverse("staff:case", args=[case.code])).content.decode()
    assert "Signed, attached." in staff_page
    assert "signed.pdf" in staff_page
    got = staff.get(reverse("staff:case_file", args=[case.code, back.id]))
    assert got.status_code == 200
    assert got.content.startswith(b"%PDF")


def test_an_applicant_cannot_download_another_cases_file(receipt, case, coordinator):
    other = make_case()
    staff = Client()
    log_in(staff, coordinator.staff)
    staff.post(
        reverse("staff:case", args=[other.code]),
        {
            "body": "For the other applicant",
            "files": [SimpleUploadedFile("x.pdf", pdf_with_metadata())],
        },
    )
    theirs = Attachment.objects.get(case=other, from_applicant=False)

    response = applicant(receipt).get(reverse("intake:status_file", args=[theirs.id]))

    assert response.status_code == 404
