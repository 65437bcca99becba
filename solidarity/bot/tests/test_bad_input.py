"""What the bot does with input it must refuse: at the wire, through the real bot."""

from __future__ import annotations

import pytest

from solidarity.bot.tests.conftest import answer_all_questions
from solidarity.cases.models import Case
from solidarity.testing import builders


def test_a_huge_file_is_refused_by_its_declared_size_without_being_downloaded(
    polling_bot, fake_api, new_person
):
    person = new_person()
    person.say("/apply")
    answer_all_questions(person, stop_at="Service ID")
    # A 50 MB scan: Telegram declares the size in the message itself
    person.send_document(b"%PDF-1.4 tiny", "scan.pdf", declared_size=50 * 1024 * 1024)
    refusal = person.expect("is too large")
    assert "the limit is 10 MB" in refusal.text
    assert fake_api.calls_of("getFile") == []
    assert fake_api.calls_of("download") == []
    # The question stays open: a file that fits is taken
    person.send_photo(builders.jpeg_with_metadata())
    person.expect("Received: 1")


def test_a_video_over_the_bot_api_download_limit_is_refused_before_download(
    polling_bot, fake_api, new_person
):
    person = new_person()
    person.say("/apply")
    answer_all_questions(person, stop_at="Video statement")
    person.send_video(builders.mp4_bytes(), declared_size=30 * 1000 * 1000)
    person.expect("is too large: the limit is 20 MB")
    assert fake_api.calls_of("download") == []


def test_a_file_whose_size_the_message_omits_is_checked_before_download(
    polling_bot, settings, fake_api, new_person
):
    settings.MAX_ATTACHMENT_BYTES = 1024
    person = new_person()
    person.say("/apply")
    answer_all_questions(person, stop_at="Service ID")
    # getFile reports a size the message did not: the download is refused on it
    fake_api.send_document(person.user, b"%PDF-" + b"x" * 4000, "big.pdf", size_in_message=False)
    person.expect("is too large")
    assert len(fake_api.calls_of("getFile")) == 1
    assert fake_api.calls_of("download") == []


def test_a_file_of_the_wrong_type_is_refused_by_its_content(polling_bot, new_person):
    person = new_person()
    person.say("/apply")
    answer_all_questions(person, stop_at="Service ID")
    # A Word document renamed to .pdf: refused by what it is, not by its name
    person.send_document(b"PK\x03\x04" + b"\x00" * 200, "passport.pdf")
    person.expect("This file type is not accepted")
    # A damaged photo
    person.send_document(b"\xff\xd8\xff\xe0" + b"\x00" * 50, "photo.jpg")
    person.expect("This image could not be read")
    # A video where documents belong
    person.send_document(builders.mp4_bytes(), "clip.mp4")
    person.expect("This is a video")
    # A sticker is not a file of ours at all
    person.api.send_sticker(person.user)
    person.expect("I can only take text, photos, PDF files and videos")
    person.press("Done")
    person.expect("Resignation or dismissal papers")


def test_text_where_a_number_is_expected_is_refused_with_the_forms_message(polling_bot, new_person):
    person = new_person()
    person.say("/apply")
    answer_all_questions(person, stop_at="Contract-break penalty")
    person.say("a lot")
    again = person.expect("Contract-break penalty")
    assert "Enter a number." in again.text
    person.say("999999999999")  # more than any debt (intake.forms.MAX_AMOUNT)
    person.expect("Contract-break penalty")
    person.say("2 500,50")
    person.expect("Currency")
    person.press("BYN")
    for question in ("Loans you owe", "Other debts", "Monthly income"):
        person.expect(question)
        person.press("Skip")
    person.expect("How many people depend")
    person.say("two")
    assert "Enter a whole number." in person.expect("How many people depend").text
    person.say("45")
    assert "less than or equal to 30" in person.expect("How many people depend").text
    person.say("3")
    person.expect("What do you need?")
    # A date the form refuses
    person.say("/cancel")
    person.expect("Discarded")


def test_a_story_too_short_is_refused_when_done_is_pressed(polling_bot, new_person):
    person = new_person()
    person.say("/apply")
    answer_all_questions(person, stop_at="Your story")
    person.say("Too short")
    person.expect("Received. Write more")
    person.press("Done")
    assert "at least 20 characters" in person.expect("Your story").text
    person.say("and here is the rest of what happened to me.")
    person.expect("Received. Write more")
    person.press("Done")
    person.expect("Service ID")


@pytest.fixture
def flood_limit(bot_settings) -> int:
    # Read when the bot starts, so set before ``polling_bot``.
    bot_settings.TELEGRAM_MESSAGES_PER_MINUTE = 20
    return 20


def test_a_flood_of_messages_is_cut_off_and_told_once(
    flood_limit, polling_bot, fake_api, new_person
):
    flooder, bystander = new_person(), new_person()
    limit = flood_limit
    for number in range(limit + 40):
        flooder.say(f"message {number}")
    flooder.expect("Too many messages")
    # Updates are handled one at a time, in order: once the bystander is answered, the
    # whole flood before it has been handled.
    bystander.say("/start")
    bystander.expect("This bot takes applications")
    said = fake_api.bot_messages(flooder.chat_id)
    warnings = [m for m in said if "Too many messages" in m.text]
    assert len(warnings) == 1
    assert len(said) == limit + 1  # one answer per message within the limit, one warning
    assert not Case.objects.exists()
