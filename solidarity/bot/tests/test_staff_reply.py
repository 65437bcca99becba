"""A coordinator's reply reaches the applicant's Telegram chat, opened from the sealed case."""

from __future__ import annotations

import pytest
from django.utils.datastructures import MultiValueDict

from solidarity.accounts.models import User
from solidarity.audit.models import AuditEvent
from solidarity.bot import transport
from solidarity.bot.services import NoTelegramChatError, send_reply_via_telegram
from solidarity.bot.tests.conftest import receipt_from
from solidarity.bot.tests.fakebotapi import TelegramUser
from solidarity.cases import sealed
from solidarity.cases.models import Case
from solidarity.cases.services import case_private_key_for_staff, store_message
from solidarity.intake.services import open_receipt, submit_application
from solidarity.testing import builders
from solidarity.testing.factories import make_application, make_org, make_staff
from solidarity.vault import keyring

REPLY = "Thank you. Please send a photo of your resignation letter."


def _apply_through_the_bot(person, *, reply_here: bool) -> Case:
    person.say("/apply")
    person.expect("Who are you?")
    person.press("Security forces")
    person.expect("Your situation")
    person.press("I want to quit")
    person.expect("Agency or employer")
    person.say("A unit in Hrodna")
    for question in (
        "Your role",
        "Service ID",
        "Since when",
        "Contract-break",
        "Loans",
        "Other debts",
        "Monthly income",
        "How many people",
    ):
        person.expect(question)
        person.press("Skip")
    person.expect("What do you need?")
    person.press("Done")
    for question in ("Your skills", "Languages"):
        person.expect(question)
        person.press("Skip")
    person.expect("May the fund write to you here")
    person.press("Yes, write to me here" if reply_here else "No")
    person.expect("How may we reach you?")
    person.press("No contact")
    person.expect("Your story")
    person.say("I was ordered to detain people at a peaceful march and refused.")
    person.expect("Received. Write more")
    person.press("Done")
    for question in ("Service ID", "Resignation"):
        person.expect(question)
        person.press("Done")
    person.expect("Video statement")
    person.press("Skip")
    person.expect("Please check your application")
    person.press("Send the application")
    code, _passphrase = receipt_from(person.expect("Case code"))
    return Case.objects.get(code=code)


def _coordinator_opens(case: Case):
    coordinator = make_staff(role=User.Role.COORDINATOR)
    staff_key = keyring.unlock_staff_key(coordinator.user, coordinator.passphrase)
    return coordinator.user, case_private_key_for_staff(case, coordinator.user, staff_key)


def test_a_staff_reply_reaches_the_chat_of_a_bot_applicant(polling_bot, fake_api, new_person):
    person = new_person()
    case = _apply_through_the_bot(person, reply_here=True)
    # Given a coordinator in an unlocked session, as the staff console has one
    user, case_key = _coordinator_opens(case)

    # When they store a reply and send it through the bot
    store_message(case, REPLY, [], author=user)
    send_reply_via_telegram(case, case_key, REPLY, actor=user)

    # Then it reaches the chat, and the sending is audited without the chat id
    message = person.expect(REPLY)
    assert message.text.startswith("A message from the fund:")
    event = AuditEvent.objects.get(action="case.telegram_reply_sent")
    assert event.subject == case.code
    assert str(person.chat_id) not in str(event.details)


def test_no_reply_through_the_bot_without_the_applicants_consent(polling_bot, fake_api, new_person):
    person = new_person()
    case = _apply_through_the_bot(person, reply_here=False)
    _user, case_key = _coordinator_opens(case)
    with pytest.raises(NoTelegramChatError):
        send_reply_via_telegram(case, case_key, REPLY)
    assert REPLY not in " ".join(m.text for m in fake_api.bot_messages(person.chat_id))


def test_a_web_application_has_no_telegram_chat(db, bot_settings):
    receipt = make_application()
    case, key = open_receipt(receipt.case_code, receipt.passphrase, client="test")
    with pytest.raises(NoTelegramChatError):
        send_reply_via_telegram(case, key, REPLY)


def test_a_blocked_bot_is_reported_as_a_delivery_error(polling_bot, fake_api, new_person):
    person = new_person()
    case = _apply_through_the_bot(person, reply_here=True)
    _user, case_key = _coordinator_opens(case)
    fake_api.blocked.add(person.chat_id)
    with pytest.raises(transport.TelegramDeliveryError) as raised:
        send_reply_via_telegram(case, case_key, REPLY)
    assert str(person.chat_id) not in str(raised.value)


def test_sending_without_a_token_is_refused(bot_settings):
    bot_settings.TELEGRAM_BOT_TOKEN = None
    with pytest.raises(transport.BotNotConfiguredError):
        transport.send_text_now(5550009999, REPLY)


def test_a_long_reply_is_split_into_messages_telegram_accepts(db, bot_settings, fake_api):
    # Given a chat that wrote to the bot, and a case whose sealed answers name it
    user = TelegramUser(id=5550009998, first_name="A", username="someone_here")
    fake_api.send_text(user, "/start")
    data = MultiValueDict()
    for name, value in builders.valid_application().items():
        data.setlist(name, value if isinstance(value, list) else [value])
    make_org()
    receipt = submit_application(
        data,
        MultiValueDict(),
        language="en",
        client="test",
        extra_sealed={"telegram_chat_id": user.id, "story": "not allowed to replace an answer"},
    )
    case, key = open_receipt(receipt.case_code, receipt.passphrase, client="test")
    assert sealed.open_json(key, case.answers_sealed)["story"].startswith("I refused")

    send_reply_via_telegram(case, key, "x" * 5000)

    parts = [m.text for m in fake_api.bot_messages(user.id)]
    assert len(parts) == 2
    assert all(len(p) <= 4096 for p in parts)
    assert "".join(parts).count("x") == 5000
