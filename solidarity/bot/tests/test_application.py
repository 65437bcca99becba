"""A whole application through the bot, at the wire: fake Bot API, real bot, real database."""

from __future__ import annotations

from solidarity.bot.tests.conftest import answer_all_questions, receipt_from
from solidarity.cases import sealed
from solidarity.cases.models import Attachment, Case
from solidarity.cases.services import open_case, read_attachment
from solidarity.testing import builders
from solidarity.testing.factories import intake_private_key
from solidarity.vault import core

STORY = "I refused to beat protesters and resigned the next day. CanaryBotStoryR7"


def _open(case: Case):
    key = core.open_case_key_with_intake(
        bytes(case.case_key_for_intake_sealed), intake_private_key()
    )
    return key, open_case(case, key)


def test_a_whole_application_with_a_photo_is_sealed_and_the_chat_is_cleared(
    polling_bot, fake_api, new_person
):
    person = new_person()
    # Given a person who opens the bot
    person.say("/start")
    welcome = person.expect("This bot takes applications")
    assert "restarts" in welcome.text  # an unfinished application is lost on a restart
    person.press("Apply for help")

    # When they answer every question, with a few typed the way people type them
    person.expect("Who are you?")
    person.press("Security forces")
    person.expect("Your situation")
    person.press("I have quit the service")
    person.expect("Agency or employer")
    person.say("Internal troops, CanaryBotEmployerK2")
    person.expect("Your role or rank")
    person.say("Sergeant")
    person.expect("Service ID or badge number")
    person.press("Skip")
    person.expect("Since when")
    person.say("15.08.2020")
    person.expect("Contract-break penalty")
    person.say("12 500")
    person.expect("Currency")
    person.press("USD")
    for question in ("Loans you owe", "Other debts", "Monthly income"):
        person.expect(question)
        person.press("Skip")
    person.expect("How many people depend")
    person.say("2")
    person.expect("What do you need?")
    person.press("Money to live on")
    fake_api.wait_for(
        lambda: any(
            "✅" in label for label, _d in fake_api.bot_messages(person.chat_id)[-1].buttons
        ),
        what="the need to be ticked",
    )
    person.press("A new job")
    fake_api.wait_for(
        lambda: (
            sum("✅" in label for label, _d in fake_api.bot_messages(person.chat_id)[-1].buttons)
            == 2
        ),
        what="two needs ticked",
    )
    person.press("Done")
    person.expect("Your skills")
    person.say("Driving licence C")
    person.expect("Languages you speak")
    person.press("Skip")
    person.expect("May the fund write to you here")
    person.press("Yes, write to me here")
    person.expect("How may we reach you?")
    person.press("No contact")
    person.expect("Your story")
    person.say(STORY)
    person.expect("Received. Write more")
    person.press("Done")
    person.expect("Service ID")
    person.send_photo(builders.jpeg_with_metadata())
    person.expect("Received: 1")
    person.press("Done")
    person.expect("Resignation or dismissal papers")
    person.press("Done")
    person.expect("Video statement")
    person.press("Skip")
    summary = person.expect("Please check your application")
    assert "12500 USD" in summary.text
    assert "CanaryBotEmployerK2" in summary.text

    # Then nothing is stored before they press Send
    assert not Case.objects.exists()
    person.press("Send the application")
    receipt = person.expect("Case code")
    code, passphrase = receipt_from(receipt)
    assert len(passphrase.split()) == 7

    # And the case holds the same answers a web application holds, sealed
    case = Case.objects.get(code=code)
    assert case.programme == "security_forces"
    assert case.language == "en"
    key, opened = _open(case)
    answers = opened.answers
    assert answers["employer"] == "Internal troops, CanaryBotEmployerK2"
    assert answers["situation"] == "security_forces:quit"
    assert answers["since"] == "2020-08-15"
    assert answers["debt_contract"] == "12500"  # as typed, like the web form
    assert answers["debt_contract_currency"] == "USD"
    assert answers["dependants"] == 2
    assert answers["needs"] == ["money", "job"]
    assert answers["story"] == STORY
    assert answers["telegram_chat_id"] == person.chat_id  # they agreed to replies here
    assert answers["contact_kind"] == ""
    # And the photo is sealed without its EXIF (camera, GPS)
    (attachment,) = Attachment.objects.filter(case=case)
    meta, data = read_attachment(case, attachment.pk, key)
    assert meta["kind"] == "proof_files"
    assert meta["metadata_removed"] is True
    assert data.startswith(b"\xff\xd8\xff")
    for canary in (builders.MAKE_CANARY, builders.MODEL_CANARY, builders.GPS_CANARY):
        assert canary.encode() not in data
    assert builders.MAKE_CANARY.encode() not in sealed.read_file(
        key, attachment.blob_name, attachment.file_key_sealed
    )

    # When they confirm they wrote the receipt down
    person.press("I have written them down")
    advice = person.expect("Delete this chat")

    # Then every message of the conversation is gone from the chat but the advice
    left = [m for m in fake_api.messages(person.chat_id) if not m.deleted]
    assert [m.message_id for m in left] == [advice.message_id]
    # And the advice can go too
    person.press("Delete this message")
    fake_api.wait_for(
        lambda: all(m.deleted for m in fake_api.messages(person.chat_id)),
        what="the advice to be deleted",
    )


def test_the_language_comes_from_telegram_and_can_be_switched(polling_bot, new_person):
    person = new_person(language="ru")
    person.say("/start")
    person.expect("Этот бот принимает заявки")
    person.press("Беларуская")
    person.expect("Гэты бот прымае заяўкі")
    person.press("Звярнуцца па дапамогу")
    question = person.expect("Хто вы?")
    assert ("Сілавыя структуры", "programme|security_forces") in question.buttons
    person.say("/language")
    person.expect("Выберыце мову")
    person.press("English")
    person.expect("Who are you?")  # the question in hand, asked again in the new language
    person.press("Security forces")
    person.expect("Your situation")
    person.say("/cancel")
    person.expect("Discarded")


def test_an_answer_can_be_changed_from_the_summary(polling_bot, new_person):
    person = new_person()
    person.say("/apply")
    answer_all_questions(person, story=STORY)
    person.press("Change an answer")
    person.expect("Which answer do you want to change?")
    person.press("Who are you?")
    person.expect("Who are you?")
    person.press("Workers")
    # The situation depends on the programme: it is asked again, then back to the summary
    person.expect("Your situation")
    person.press("I am on strike")
    summary = person.expect("Please check your application")
    assert "I am on strike" in summary.text
    # A changed story replaces the old one
    person.press("Change an answer")
    person.expect("Which answer do you want to change?")
    person.press("Your story")
    person.expect("Your story")
    person.say("On the second thought: I went on strike at the factory in August.")
    person.expect("Received. Write more")
    person.press("Done")
    summary = person.expect("Please check your application")
    assert "second thought" in summary.text
    assert STORY not in summary.text
    person.press("Send the application")
    code, _passphrase = receipt_from(person.expect("Case code"))
    assert Case.objects.get(code=code).programme == "workers"


def test_cancel_discards_the_application_and_deletes_the_conversation(
    polling_bot, fake_api, new_person
):
    person = new_person()
    person.say("/apply")
    person.expect("Who are you?")
    person.press("Security forces")
    person.expect("Your situation")
    person.say("/cancel")
    done = person.expect("Discarded")
    assert not Case.objects.exists()
    left = [m for m in fake_api.messages(person.chat_id) if not m.deleted]
    assert [m.message_id for m in left] == [done.message_id]
    # A new application starts from the first question again
    person.say("/apply")
    person.expect("Who are you?")


def test_messages_from_groups_are_not_answered(polling_bot, fake_api, new_person):
    person = new_person()
    group_update = {
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": -100123, "type": "supergroup", "title": "A group"},
            "from": person.user.as_user(),
            "text": "/apply",
        }
    }
    fake_api._push(group_update)
    # A private message after it is answered; the group got nothing
    person.say("/start")
    person.expect("This bot takes applications")
    assert fake_api.messages(-100123) == []
    assert all(int(p["chat_id"]) != -100123 for p in fake_api.calls_of("sendMessage"))


def test_after_sending_the_receipt_is_repeated_and_cancel_claims_nothing(
    polling_bot, fake_api, new_person
):
    person = new_person()
    person.say("/apply")
    answer_all_questions(person, story=STORY)
    person.press("Send the application")
    code, passphrase = receipt_from(person.expect("Case code"))
    # The application is stored: /cancel must not say otherwise, and the receipt comes again
    person.say("/cancel")
    person.expect("Your application has been sent")
    again = person.expect("Case code")
    assert receipt_from(again) == (code, passphrase)
    assert "Discarded" not in " ".join(m.text for m in fake_api.bot_messages(person.chat_id))
    assert Case.objects.filter(code=code).exists()
