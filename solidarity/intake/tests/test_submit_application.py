"""submit_application, open_receipt and add_applicant_message: the intake service itself.

The organisation comes from the `intake_key` fixture (conftest), which keeps the intake
private key as a coordinator would hold it; each test has its own UPLOADS_DIR. The flood
gates are module-level, so every test uses its own client string.
"""

from __future__ import annotations

import datetime
import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from solidarity.cases.models import Attachment, Case, Message
from solidarity.cases.services import open_case, read_attachment
from solidarity.intake import receipts
from solidarity.intake.services import (
    InvalidApplicationError,
    ReceiptRejectedError,
    TooManyRequestsError,
    add_applicant_message,
    open_receipt,
    read_case_for_applicant,
    submit_application,
)
from solidarity.testing import builders
from solidarity.testing.builders import upload, valid_application
from solidarity.vault import core
from solidarity.vault.models import Organisation

CODE = re.compile(r"[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}")
HANDLE_CANARY = "canary_handle_k9"


def new_client() -> str:
    """A flood-control key no other test uses."""
    return f"test-client-{uuid.uuid4()}"


def unknown_code() -> str:
    """A well-formed case code that no case has (the per-code gate is shared by all tests)."""
    return receipts.new_case_code()


def multi(mapping: dict | None) -> MultiValueDict:
    """Form data or files as a request carries them: every value a list."""
    out = MultiValueDict()
    for key, value in (mapping or {}).items():
        out.setlist(key, value if isinstance(value, list) else [value])
    return out


def submit(files: dict | None = None, *, client: str | None = None, **answers):
    return submit_application(
        multi(valid_application(**answers)),
        multi(files),
        language="en",
        client=client or new_client(),
    )


def uploaded_files() -> list[Path]:
    root = Path(settings.UPLOADS_DIR)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def case_key(case: Case, intake_key: bytes) -> bytes:
    """Open the case key as a coordinator does: through the intake private key."""
    return core.open_case_key_with_intake(bytes(case.case_key_for_intake_sealed), intake_key)


def assert_nothing_saved() -> None:
    assert Case.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert uploaded_files() == []


# --- a valid application --------------------------------------------------------------------


def test_a_valid_application_returns_a_receipt_and_files_a_new_case(intake_key):
    receipt = submit()
    assert CODE.fullmatch(receipt.case_code)
    assert len(receipt.passphrase.split(" ")) == 7
    # The key is locked under the passphrase as given; it must read the same once normalised
    assert receipts.normalise_passphrase(receipt.passphrase) == receipt.passphrase
    assert receipt.video_kept_metadata is False
    case = Case.objects.get()
    assert case.code == receipt.case_code
    assert (case.programme, case.status, case.language) == ("security_forces", "new", "en")
    assert case.received_on == timezone.localdate()


def test_the_answers_open_with_the_intake_key_and_hold_the_story(intake_key):
    submit(contact_kind="telegram", contact_handle=f"@{HANDLE_CANARY}")
    case = Case.objects.get()
    answers = open_case(case, case_key(case, intake_key)).answers
    assert builders.STORY_CANARY in answers["story"]
    assert answers["contact_handle"] == f"@{HANDLE_CANARY}"
    assert answers["situation"] == "security_forces:quit"
    assert answers["debt_contract"] == "12500.00"
    assert answers["dependants"] == 2
    assert answers["needs"] == ["money", "job"]
    assert answers["since"] == "2020-09-01"
    assert datetime.datetime.fromisoformat(answers["submitted_at"])
    assert "website" not in answers


def test_the_answers_open_with_the_receipt_alone(intake_key):
    receipt = submit()
    case, key = open_receipt(receipt.case_code, receipt.passphrase, client=new_client())
    assert case.code == receipt.case_code
    assert key == case_key(case, intake_key)
    assert builders.STORY_CANARY in open_case(case, key).answers["story"]


def test_the_receipt_opens_however_the_applicant_types_it(intake_key):
    receipt = submit()
    code = receipt.case_code.lower().replace("-", " ")
    passphrase = "  " + receipt.passphrase.upper().replace(" ", "-") + ". "
    case, _key = open_receipt(code, passphrase, client=new_client())
    assert case.code == receipt.case_code


def test_no_answer_is_stored_in_clear_in_the_case_row(intake_key):
    submit(contact_kind="telegram", contact_handle=HANDLE_CANARY)
    row = Case.objects.values().get()
    stored = b"".join(
        bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
        for value in row.values()
    )
    for secret in (builders.STORY_CANARY, HANDLE_CANARY, "Internal troops", "Sergeant"):
        assert secret.encode() not in stored


def stored_binary_values() -> list[bytes]:
    """Every binary value intake left in the database (cases, files, the organisation)."""
    values = []
    for model in (Case, Attachment, Organisation):
        for row in model.objects.values():
            values += [bytes(v) for v in row.values() if isinstance(v, bytes | memoryview)]
    return values


def opens_with_any_window_of(material: list[bytes], case: Case) -> bool:
    """Try every 32-byte window of ``material`` as a private key, directly and as the intake
    key, on the sealed answers."""
    windows = {blob[i : i + core.KEY_SIZE] for blob in material for i in range(len(blob) - 31)}
    for candidate in windows:
        try:
            key = core.open_case_key_with_intake(bytes(case.case_key_for_intake_sealed), candidate)
        except core.VaultError:
            key = candidate
        try:
            open_case(case, key)
        except core.VaultError:
            continue
        return True
    return False


def test_nothing_the_database_holds_opens_an_application(intake_key):
    submit({"proof_files": upload("id.jpg", builders.jpeg_with_metadata())})
    case = Case.objects.get()
    material = stored_binary_values()
    assert not opens_with_any_window_of(material, case)
    # A control: the same search succeeds once a coordinator's intake key is among the material
    assert opens_with_any_window_of([*material, intake_key], case)


def test_uploaded_files_are_cleaned_sealed_and_readable_with_the_case_key(intake_key):
    # Given an application with a photo, a PDF and a video
    receipt = submit(
        {
            "proof_files": upload("id-card.jpg", builders.jpeg_with_metadata()),
            "papers_files": upload("resignation.pdf", builders.pdf_with_metadata()),
            "video_file": upload("statement.mp4", builders.mp4_bytes()),
        }
    )
    # Then the applicant is told the video kept its metadata
    assert receipt.video_kept_metadata is True
    case = Case.objects.get()
    key = case_key(case, intake_key)
    # And each file is on disk only as ciphertext, with no half-written leftovers
    files = uploaded_files()
    assert len(files) == 3
    assert not [f for f in files if f.suffix == ".part"]
    for path in files:
        data = path.read_bytes()
        for canary in (builders.MAKE_CANARY, builders.PDF_AUTHOR_CANARY, "ftypmp42"):
            assert canary.encode() not in data
    # And each opens with the case key, cleaned, under its original name and kind
    opened = {}
    for attachment in Attachment.objects.filter(case=case):
        meta, data = read_attachment(case, attachment.id, key)
        opened[meta["kind"]] = (meta, data)
        assert attachment.from_applicant
        assert attachment.message is None
    photo_meta, photo = opened["proof_files"]
    assert (photo_meta["name"], photo_meta["content_type"]) == ("id-card.jpg", "image/jpeg")
    assert photo_meta["metadata_removed"] is True
    assert builders.MAKE_CANARY.encode() not in photo
    assert photo.startswith(b"\xff\xd8")
    pdf_meta, pdf = opened["papers_files"]
    assert pdf_meta["content_type"] == "application/pdf"
    assert builders.PDF_AUTHOR_CANARY.encode() not in pdf
    assert pdf.startswith(b"%PDF-")
    video_meta, video = opened["video_file"]
    assert video_meta["metadata_removed"] is False
    assert video == builders.mp4_bytes()


# --- invalid applications save nothing ---------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "files", "field"),
    [
        ({"story": ""}, {}, "story"),
        ({"story": "Too short."}, {}, "story"),
        ({"programme": ""}, {}, "programme"),
        ({"debt_contract": "-5"}, {}, "debt_contract"),
        ({"debt_loans": "a lot"}, {}, "debt_loans"),
        ({"dependants": "three"}, {}, "dependants"),
        ({"situation": "workers:strike"}, {}, "situation"),
        ({"contact_kind": "telegram", "contact_handle": "@ab"}, {}, "contact_handle"),
        ({"contact_kind": "telegram", "contact_handle": "ivan petrov"}, {}, "contact_handle"),
        ({"contact_kind": "telegram", "contact_handle": ""}, {}, "contact_handle"),
        ({"contact_handle": "@someone_real"}, {}, "contact_kind"),
        ({}, {"proof_files": upload("photo.jpg", b"Just some text, not a photo.")}, "proof_files"),
        ({}, {"proof_files": upload("photo.jpg", builders.mp4_bytes())}, "proof_files"),
        ({}, {"video_file": upload("video.mp4", builders.jpeg_with_metadata())}, "video_file"),
        (
            {},
            {"papers_files": upload("scan.heic", b"\x00\x00\x00\x18ftypheic" + bytes(64))},
            "papers_files",
        ),
    ],
)
def test_an_invalid_application_is_refused_on_the_right_field_and_saves_nothing(
    intake_key, answers, files, field
):
    # A valid PDF rides along in another field: it must not be written either
    files = {"papers_files": upload("ok.pdf", builders.pdf_with_metadata()), **files}
    with pytest.raises(InvalidApplicationError) as refused:
        submit(files, **answers)
    assert field in refused.value.form.errors
    assert_nothing_saved()


def test_a_photo_over_the_size_limit_is_refused_and_saves_nothing(intake_key, settings):
    photo = builders.jpeg_with_metadata()
    settings.MAX_ATTACHMENT_BYTES = len(photo) - 1
    with pytest.raises(InvalidApplicationError) as refused:
        submit({"proof_files": upload("big.jpg", photo)})
    assert list(refused.value.form.errors) == ["proof_files"]
    assert_nothing_saved()


def test_a_video_over_the_size_limit_is_refused_and_saves_nothing(intake_key, settings):
    settings.MAX_VIDEO_BYTES = 1024
    with pytest.raises(InvalidApplicationError) as refused:
        submit({"video_file": upload("long.mp4", builders.mp4_bytes(2048))})
    assert list(refused.value.form.errors) == ["video_file"]
    assert_nothing_saved()


def test_a_file_the_upload_handler_cut_off_is_refused_as_too_large(intake_key):
    photo = upload("huge.jpg", builders.jpeg_with_metadata())
    photo.too_large = True  # what BoundedMemoryUploadHandler marks past MAX_VIDEO_BYTES
    with pytest.raises(InvalidApplicationError) as refused:
        submit({"proof_files": photo})
    assert "proof_files" in refused.value.form.errors
    assert_nothing_saved()


def test_too_many_files_are_refused_and_save_nothing(intake_key, settings):
    settings.MAX_ATTACHMENTS = 1
    photos = [upload(f"p{i}.jpg", builders.jpeg_with_metadata()) for i in range(3)]
    with pytest.raises(InvalidApplicationError) as refused:
        submit({"proof_files": photos})
    assert "__all__" in refused.value.form.errors
    assert_nothing_saved()


def test_a_filled_honeypot_is_refused_and_saves_nothing(intake_key):
    with pytest.raises(InvalidApplicationError) as refused:
        submit(website="http://spam.example")
    assert "website" in refused.value.form.errors
    assert_nothing_saved()


# --- the flood gate ------------------------------------------------------------------------------


def test_one_client_is_stopped_after_the_hourly_limit_and_others_are_not(intake_key):
    # Given one client that has sent as many applications as an hour allows
    client = new_client()
    limit = settings.APPLY_RATE_PER_HOUR
    for _ in range(limit):
        submit(client=client)
    # When it sends one more, it is stopped and nothing more is saved
    with pytest.raises(TooManyRequestsError):
        submit(client=client)
    assert Case.objects.count() == limit
    # Then another client still gets through
    submit(client=new_client())
    assert Case.objects.count() == limit + 1


def test_invalid_applications_count_towards_the_limit_too(intake_key):
    client = new_client()
    for _ in range(settings.APPLY_RATE_PER_HOUR):
        with pytest.raises(InvalidApplicationError):
            submit(client=client, story="")
    with pytest.raises(TooManyRequestsError):
        submit(client=client)
    assert_nothing_saved()


# --- opening a receipt ---------------------------------------------------------------------------


def test_an_unknown_code_and_a_wrong_passphrase_are_refused_alike(intake_key):
    receipt = submit()
    client = new_client()
    with pytest.raises(ReceiptRejectedError) as unknown:
        open_receipt(unknown_code(), receipt.passphrase, client=client)
    wrong_phrase = " ".join(reversed(receipt.passphrase.split(" ")))
    with pytest.raises(ReceiptRejectedError) as wrong:
        open_receipt(receipt.case_code, wrong_phrase, client=client)
    with pytest.raises(ReceiptRejectedError) as empty:
        open_receipt(receipt.case_code, "  ", client=client)
    assert str(unknown.value) == str(wrong.value) == str(empty.value)


def test_guessing_one_receipt_is_stopped_whichever_client_asks(intake_key):
    # Given a case whose passphrase has been guessed wrong from many clients
    receipt = submit()
    for _ in range(settings.STATUS_RATE_PER_CODE_PER_HOUR):
        with pytest.raises(ReceiptRejectedError):
            open_receipt(receipt.case_code, "wrong guess", client=new_client())
    # Then even the right passphrase is held back for this code for now
    with pytest.raises(TooManyRequestsError):
        open_receipt(receipt.case_code, receipt.passphrase, client=new_client())


def test_one_client_guessing_receipts_is_stopped(intake_key):
    client = new_client()
    for _ in range(settings.STATUS_RATE_PER_HOUR):
        with pytest.raises(ReceiptRejectedError):
            open_receipt(unknown_code(), "wrong guess", client=client)
    receipt = submit()
    with pytest.raises(TooManyRequestsError):
        open_receipt(receipt.case_code, receipt.passphrase, client=client)


def test_opening_a_receipt_correctly_does_not_use_up_the_allowance(intake_key):
    receipt = submit()
    client = new_client()
    for _ in range(settings.STATUS_RATE_PER_HOUR + 1):
        case, _key = open_receipt(receipt.case_code, receipt.passphrase, client=client)
    assert case.code == receipt.case_code


# --- the applicant's later messages ------------------------------------------------------------


def test_an_applicant_message_is_sealed_to_the_case_and_readable_with_its_key(intake_key):
    # Given an applicant who opened their receipt
    receipt = submit()
    case, key = open_receipt(receipt.case_code, receipt.passphrase, client=new_client())
    # When they send a message with a photo
    text = "My commander called my mother. CanaryMessageBodyR2"
    message = add_applicant_message(
        case,
        multi({"body": f"  {text}  "}),
        multi({"files": upload("letter.jpg", builders.jpeg_with_metadata())}),
    )
    # Then the row holds only ciphertext
    stored = Message.objects.get(pk=message.pk)
    assert stored.from_applicant
    assert stored.author is None
    assert b"CanaryMessageBodyR2" not in bytes(stored.body_sealed)
    # And the case key opens it, for staff and for the applicant alike
    [opened] = open_case(case, key).messages
    assert opened["body"] == text
    assert opened["from_applicant"] is True
    [photo] = opened["files"]
    assert (photo["name"], photo["kind"]) == ("letter.jpg", "message")
    _meta, data = read_attachment(case, photo["id"], key)
    assert builders.MAKE_CANARY.encode() not in data
    [seen] = read_case_for_applicant(case, key).messages
    assert seen["body"] == text
    assert seen["files"][0]["name"] == "letter.jpg"


def test_a_message_is_added_with_the_case_public_key_only(intake_key):
    # The server adds to a case it cannot read: a wrong private key cannot open the result
    submit()
    case = Case.objects.get()
    add_applicant_message(case, multi({"body": "Hello again"}), multi({}))
    with pytest.raises(core.TamperedCiphertextError):
        open_case(case, core.generate_keypair().private_key)
    assert open_case(case, case_key(case, intake_key)).messages[0]["body"] == "Hello again"


@pytest.mark.parametrize(
    ("data", "files"),
    [
        ({"body": "   "}, {}),
        ({"body": "See the attached file"}, {"files": upload("x.jpg", b"not a photo")}),
    ],
)
def test_an_invalid_applicant_message_saves_nothing(intake_key, data, files):
    submit()
    case = Case.objects.get()
    with pytest.raises(InvalidApplicationError):
        add_applicant_message(case, multi(data), multi(files))
    assert Message.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert uploaded_files() == []
