"""/status in the bot: the applicant's receipt opens their case, and nothing else does."""

from __future__ import annotations

from solidarity.accounts.models import User
from solidarity.cases import sealed
from solidarity.cases.models import Message
from solidarity.cases.services import store_message
from solidarity.intake.services import open_receipt
from solidarity.testing import builders
from solidarity.testing.factories import make_application, make_staff


def _case_with_a_question():
    receipt = make_application()
    case, _key = open_receipt(receipt.case_code, receipt.passphrase, client="test-setup")
    coordinator = make_staff(role=User.Role.COORDINATOR)
    store_message(
        case, "Please send a photo of your resignation letter.", [], author=coordinator.user
    )
    return receipt, case


def test_status_with_the_right_receipt_shows_the_status_and_the_funds_messages(
    polling_bot, fake_api, new_person
):
    receipt, _case = _case_with_a_question()
    person = new_person()
    # Given a person who sends the code and the passphrase in one message
    sent = person.say(f"/status {receipt.case_code} {receipt.passphrase}")

    # Then they see the status and the fund's question
    shown = person.expect("Status of your case: Received")
    assert "Please send a photo of your resignation letter." in shown.text
    assert "The fund" in shown.text
    # And the message holding the passphrase was deleted at once
    (mine,) = [m for m in fake_api.messages(person.chat_id) if m.message_id == sent]
    assert mine.deleted


def test_status_step_by_step_accepts_a_code_typed_loosely(polling_bot, fake_api, new_person):
    receipt, _case = _case_with_a_question()
    person = new_person()
    person.say("/status")
    person.expect("Send your case code")
    code_message = person.say(receipt.case_code.lower().replace("-", " "))
    person.expect("Send your passphrase")
    passphrase_message = person.say(receipt.passphrase.upper())
    person.expect("Status of your case")
    deleted = {m.message_id for m in fake_api.messages(person.chat_id) if m.deleted}
    assert {code_message, passphrase_message} <= deleted


def test_status_with_a_wrong_passphrase_or_an_unknown_code_shows_nothing(
    polling_bot, fake_api, new_person
):
    receipt, _case = _case_with_a_question()
    person = new_person()
    wrong_words = " ".join(reversed(receipt.passphrase.split()))
    person.say(f"/status {receipt.case_code} {wrong_words}")
    refused = person.expect("do not match")
    person.say(f"/status ABCD-EFGH-JKMN {receipt.passphrase}")
    refused_too = person.expect("do not match")
    # The same answer for both, and nothing of the case
    assert refused.text == refused_too.text
    said = " ".join(m.text for m in fake_api.bot_messages(person.chat_id))
    assert "resignation letter" not in said
    assert "Status of your case" not in said
    person.say("/status 12345")
    person.expect("A case code has 12 letters and digits")


def test_the_applicant_can_answer_the_fund_with_text_and_a_photo(polling_bot, new_person):
    receipt, case = _case_with_a_question()
    person = new_person()
    person.say(f"/status {receipt.case_code} {receipt.passphrase}")
    person.expect("Status of your case")
    person.press("Write to the fund")
    person.expect("Write your message to the fund")
    person.say("Here is my letter. CanaryBotFollowUpP3")
    person.expect("sealed and sent")
    person.send_photo(builders.jpeg_with_metadata())
    person.expect("sealed and sent")

    _case, key = open_receipt(receipt.case_code, receipt.passphrase, client="test-check")
    from_applicant = list(Message.objects.filter(case=case, from_applicant=True))
    assert len(from_applicant) == 2
    bodies = [sealed.open_json(key, m.body_sealed)["body"] for m in from_applicant]
    assert bodies[0] == "Here is my letter. CanaryBotFollowUpP3"
    (photo,) = from_applicant[1].attachments.all()
    data = sealed.read_file(key, photo.blob_name, photo.file_key_sealed)
    assert builders.GPS_CANARY.encode() not in data

    # And the status shows both afterwards
    person.press("Done: delete these messages")
    person.say(f"/status {receipt.case_code} {receipt.passphrase}")
    assert "CanaryBotFollowUpP3" in person.expect("Status of your case").text
