"""The seizure test for the bot: after bot applications, the server holds nothing in clear.

Given a person with a distinctive Telegram username, name and chat id, when they apply
through the bot with canary strings in every answer and file, agree to replies in the chat,
and later write to the fund with /status, then no canary, nor the chat id, the username,
the name or the passphrase appears in any row of any table, in any uploaded file, or in
anything logged (all loggers at DEBUG) or printed.
"""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path

from django.conf import settings
from django.db import connection

from solidarity.bot.tests.conftest import receipt_from
from solidarity.cases.models import Case
from solidarity.testing import builders


class Canaries:
    def __init__(self) -> None:
        self.tag = secrets.token_hex(3).upper()
        self.values: list[str] = []

    def new(self, label: str) -> str:
        value = f"Canary{self.tag}{label}{secrets.token_hex(2).upper()}"
        self.values.append(value)
        return value

    def new_cyrillic(self, label: str) -> str:
        value = f"Канарэйка{self.tag}{label}Ўладзімір"
        self.values.append(value)
        return value


def _forms(value: str) -> set[bytes]:
    return {value.encode("utf-8"), json.dumps(value)[1:-1].encode("ascii")}


def _dump_database() -> dict[str, bytes]:
    """Every table's raw content, as a seized database file would give it up."""
    dump = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from the catalogue
            chunks = []
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes | bytearray):
                        chunks.append(bytes(value))
                    elif value is not None:
                        chunks.append(str(value).encode("utf-8"))
            dump[table] = b"\x00".join(chunks)
    return dump


def _uploads() -> dict[str, bytes]:
    root = Path(settings.UPLOADS_DIR)
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_seized_server_reveals_nothing_of_a_bot_applicant(
    polling_bot, fake_api, new_person, caplog, capfd
):
    photo, pdf = builders.jpeg_with_metadata(), builders.pdf_with_metadata()
    # Pillow logs EXIF tags (camera, GPS) at DEBUG while it reads a photo, for the web form
    # as for the bot; the production logging config never lets DEBUG through for it.
    caplog.set_level(logging.INFO, logger="PIL")
    # Then every other logger that does not pin its own level, at DEBUG. (Each set_level
    # also sets the capturing handler's level, so DEBUG comes last.)
    caplog.set_level(logging.DEBUG, logger="solidarity")
    caplog.set_level(logging.DEBUG)
    canaries = Canaries()
    person = new_person(
        username=canaries.new("user"), first_name=canaries.new_cyrillic("name"), language="en"
    )
    handle = canaries.new("tg")[:30]

    # Given a person who applies with canaries everywhere
    person.say("/apply")
    person.expect("Who are you?")
    person.press("Security forces")
    person.expect("Your situation")
    person.press("I was dismissed")
    person.expect("Agency or employer")
    person.say(canaries.new("employer"))
    person.expect("Your role or rank")
    person.say(canaries.new_cyrillic("role"))
    person.expect("Service ID or badge number")
    person.say(canaries.new("svcno"))  # 6 + 6 + 5 + 4 = 21 characters, under the 40 allowed
    person.expect("Since when")
    person.say("2020-08-15")
    person.expect("Contract-break penalty")
    person.say("24500")
    person.expect("Currency")
    person.press("USD")
    for question in ("Loans you owe", "Other debts", "Monthly income"):
        person.expect(question)
        person.press("Skip")
    person.expect("How many people depend")
    person.say("3")
    person.expect("What do you need?")
    person.press("Legal help")
    person.press("Done")
    person.expect("Your skills")
    person.say(canaries.new("skills"))
    person.expect("Languages you speak")
    person.say(canaries.new("languages"))
    person.expect("May the fund write to you here")
    person.press("Yes, write to me here")
    person.expect("How may we reach you?")
    person.press("Telegram")
    person.expect("Your Telegram username")
    person.say("@" + handle)
    person.expect("Your story")
    person.say(f"{canaries.new('story')} I refused the order.")
    person.expect("Received. Write more")
    person.say(canaries.new_cyrillic("story"))
    person.expect("Received. Write more")
    person.press("Done")
    person.expect("Service ID")
    person.send_photo(photo)
    person.expect("Received: 1")
    person.send_document(pdf, canaries.new("filename") + ".pdf")
    person.expect("Received: 2")
    person.press("Done")
    person.expect("Resignation or dismissal papers")
    person.press("Done")
    person.expect("Video statement")
    person.send_video(builders.mp4_bytes() + canaries.new("videobytes").encode() * 4)
    person.expect("Please check your application")
    person.press("Send the application")
    code, passphrase = receipt_from(person.expect("Case code"))
    person.press("I have written them down")
    person.expect("Delete this chat")
    # And later writes to the fund
    person.say(f"/status {code} {passphrase}")
    person.expect("Status of your case")
    person.press("Write to the fund")
    person.expect("Write your message")
    person.say(canaries.new("followup"))
    person.expect("sealed and sent")

    # Then the server holds the case, and nothing that identifies them
    assert Case.objects.filter(code=code).exists()
    places = {f"table {t}": content for t, content in _dump_database().items()}
    assert any(code.encode() in content for content in places.values())  # the scan reads rows
    uploads = _uploads()
    assert len(uploads) == 3  # the photo, the PDF and the video, sealed
    places.update(uploads)
    places["log records"] = caplog.text.encode("utf-8")
    out, err = capfd.readouterr()
    places["stdout"], places["stderr"] = out.encode("utf-8"), err.encode("utf-8")
    secrets_to_find = [
        *canaries.values,
        handle,
        passphrase,
        str(person.chat_id),
        *builders_canaries(),
    ]
    leaks = [
        (where, secret)
        for where, content in places.items()
        for secret in secrets_to_find
        if any(form in content for form in _forms(secret))
    ]
    assert leaks == [], f"found in clear: {leaks[:10]}"


def builders_canaries() -> list[str]:
    """The metadata canaries the builders hide in the photo and the PDF."""
    return [
        builders.MAKE_CANARY,
        builders.MODEL_CANARY,
        builders.GPS_CANARY,
        builders.XMP_CANARY,
        builders.PDF_AUTHOR_CANARY,
        builders.PDF_TITLE_CANARY,
        builders.PDF_XMP_CANARY,
    ]
