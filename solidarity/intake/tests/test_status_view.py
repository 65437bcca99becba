"""The applicant's status page at /status/: open with the receipt, read, answer, leave."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from solidarity.cases.models import Case, Message
from solidarity.cases.services import open_case, store_message
from solidarity.testing.builders import jpeg_with_metadata, receipt_from_page, valid_application
from solidarity.vault import core


def _apply(client) -> tuple[str, str]:
    page = client.post("/apply/", valid_application()).content.decode()
    return receipt_from_page(page)


def test_an_outsider_without_a_receipt_sees_no_case(client, intake_key):
    _apply(client)
    outsider = client.__class__()
    response = outsider.get("/status/case/")
    assert response.status_code == 302
    assert response["Location"] == "/status/"
    assert outsider.get("/status/files/1/").status_code == 404


def test_the_receipt_opens_the_case_even_typed_carelessly(client, intake_key):
    code, passphrase = _apply(client)
    response = client.post(
        "/status/",
        {"code": code.lower().replace("-", " "), "passphrase": f"  {passphrase.upper()} "},
    )
    assert response.status_code == 302
    page = client.get("/status/case/").content.decode()
    assert code in page
    assert 'id="case-status"' in page


def test_a_wrong_passphrase_and_an_unknown_code_get_the_same_answer(client, intake_key):
    code, _passphrase = _apply(client)
    wrong = client.post("/status/", {"code": code, "passphrase": "not the right words at all"})
    unknown = client.post(
        "/status/", {"code": "ZZZZ-ZZZZ-ZZZZ", "passphrase": "not the right words at all"}
    )
    assert wrong.status_code == unknown.status_code == 400

    def message(response):
        return re.search(r'role="alert"><p>([^<]+)', response.content.decode()).group(1)

    assert message(wrong) == message(unknown)
    assert client.get("/status/case/").status_code == 302


def test_wrong_receipts_are_rate_limited(client, intake_key, settings):
    code, passphrase = _apply(client)
    address = "198.51.100.4"
    statuses = [
        client.post(
            "/status/", {"code": code, "passphrase": f"wrong guess {i}"}, REMOTE_ADDR=address
        ).status_code
        for i in range(settings.STATUS_RATE_PER_CODE_PER_HOUR + 1)
    ]
    assert statuses[-1] == 429
    # Even the right passphrase waits now: a guesser cannot tell a hit from the lock-out.
    right = client.post(
        "/status/", {"code": code, "passphrase": passphrase}, REMOTE_ADDR="198.51.100.5"
    )
    assert right.status_code == 429


def test_the_applicant_reads_the_funds_message_and_answers_with_a_file(client, intake_key):
    # Given a case with a message from the fund
    code, passphrase = _apply(client)
    case = Case.objects.get(code=code)
    store_message(case, "Please send a photo of your resignation letter.", [], author=None)
    Message.objects.filter(case=case).update(from_applicant=False)

    # When the applicant opens the status page and answers with a photo
    client.post("/status/", {"code": code, "passphrase": passphrase})
    page = client.get("/status/case/").content.decode()
    assert "Please send a photo of your resignation letter." in page
    response = client.post(
        "/status/case/",
        {"body": "Here it is.", "files": SimpleUploadedFile("letter.jpg", jpeg_with_metadata())},
    )

    # Then the answer and the file are sealed to the case and readable with its key
    assert response.status_code == 302
    case_key = core.open_case_key_with_intake(bytes(case.case_key_for_intake_sealed), intake_key)
    opened = open_case(case, case_key)
    answer = opened.messages[-1]
    assert answer["from_applicant"] is True
    assert answer["body"] == "Here it is."
    assert answer["files"][0]["name"] == "letter.jpg"


def test_an_empty_message_is_refused_with_an_explanation(client, intake_key):
    code, passphrase = _apply(client)
    client.post("/status/", {"code": code, "passphrase": passphrase})
    response = client.post("/status/case/", {"body": "   "})
    assert response.status_code == 400
    assert "Write a message or add a file." in response.content.decode()
    assert Message.objects.count() == 0


def test_leaving_closes_the_case_on_this_device(client, intake_key):
    code, passphrase = _apply(client)
    client.post("/status/", {"code": code, "passphrase": passphrase})
    response = client.post("/status/leave/")
    assert response.status_code == 302
    assert "ak" not in client.cookies or client.cookies["ak"].value == ""
    assert client.get("/status/case/").status_code == 302
