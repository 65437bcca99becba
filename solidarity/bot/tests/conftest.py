"""The bot at the wire: the real python-telegram-bot Application, polling a fake Bot API.

The bot runs in a thread of its own, as `solidarity bot` runs it (``runtime.run_polling``),
and its sync work runs in asgiref's worker thread; so tests use ``transactional_db``: rows
the bot commits must be visible to the test's connection, and the other way round.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import re
import threading
import time
from dataclasses import dataclass

import pytest

from solidarity.bot import runtime
from solidarity.bot.handlers import build_application
from solidarity.bot.tests.fakebotapi import ChatMessage, FakeBotApi, TelegramUser
from solidarity.testing.factories import make_org

TOKEN = "7000000001:AAFakeTokenOnlyForTheTestSuite_x"
WEBHOOK_SECRET = "test-webhook-secret-0123456789-abcdefghijklmnop"
_user_ids = itertools.count(5550001000)


@pytest.fixture
def fake_api():
    api = FakeBotApi(TOKEN).start()
    yield api
    api.stop()


@pytest.fixture
def bot_settings(settings, fake_api, tmp_path):
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_BOT_API_URL = fake_api.url
    settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.UPLOADS_DIR = tmp_path / "uploads"
    settings.LANGUAGE_CODE = "en"
    # A test clicks through an application in a second or two, faster than any person.
    settings.TELEGRAM_MESSAGES_PER_MINUTE = 500
    return settings


@pytest.fixture
def org(transactional_db):
    return make_org()


@contextlib.contextmanager
def polling():
    """Run the bot as `solidarity bot` runs it (``runtime.run_polling``), in a thread."""
    application = build_application()
    loop = asyncio.new_event_loop()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            runtime.run_polling(application, handle_signals=False)
        except BaseException as exc:  # reported below
            failure.append(exc)

    thread = threading.Thread(target=run, name="test-bot", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not application.running and not failure:
        assert time.monotonic() < deadline, "the bot did not start"
        time.sleep(0.02)
    assert not failure, failure
    try:
        yield application
    finally:
        loop.call_soon_threadsafe(application.stop_running)
        thread.join(15)
    assert not thread.is_alive(), "the bot did not stop"
    assert not failure, failure


@pytest.fixture
def polling_bot(bot_settings, org, fake_api):
    """The bot, polling the fake API in a thread, until the test ends."""
    with polling() as application:
        yield application


@dataclass
class Person:
    """A Telegram user writing to the bot, as a test drives them."""

    api: FakeBotApi
    user: TelegramUser
    seen: int = 0  # bot messages already looked at by expect()

    @property
    def chat_id(self) -> int:
        return self.user.id

    def say(self, text: str) -> int:
        return self.api.send_text(self.user, text)

    def expect(self, fragment: str, timeout: float = 15.0) -> ChatMessage:
        """Wait for the next bot message containing ``fragment``; return it."""

        def find():
            messages = self.api.bot_messages(self.chat_id)
            for index in range(self.seen, len(messages)):
                if fragment in messages[index].text:
                    return index, messages[index]
            return None

        try:
            index, message = self.api.wait_for(find, timeout, what=repr(fragment))
        except AssertionError:
            said = [m.text[:120] for m in self.api.bot_messages(self.chat_id)[self.seen :]]
            raise AssertionError(f"no bot message with {fragment!r}; the bot said {said}") from None
        self.seen = index + 1
        return message

    def press(self, label: str) -> None:
        """Press the newest button whose label contains ``label``."""
        for message in reversed(self.api.bot_messages(self.chat_id)):
            if message.deleted:
                continue
            for text, data in message.buttons:
                if label in text:
                    self.api.press(self.user, message.message_id, data)
                    return
        raise AssertionError(f"no button {label!r} in the chat")

    def send_photo(self, data: bytes, **kwargs) -> int:
        return self.api.send_photo(self.user, data, **kwargs)

    def send_document(self, data: bytes, name: str, **kwargs) -> int:
        return self.api.send_document(self.user, data, name, **kwargs)

    def send_video(self, data: bytes, **kwargs) -> int:
        return self.api.send_video(self.user, data, **kwargs)


@pytest.fixture
def new_person(fake_api):
    def make(language: str = "en", username: str = "", first_name: str = "Test") -> Person:
        user_id = next(_user_ids)
        user = TelegramUser(
            id=user_id,
            first_name=first_name,
            username=username or f"user{user_id}",
            language_code=language,
        )
        return Person(fake_api, user)

    return make


def receipt_from(message: ChatMessage) -> tuple[str, str]:
    """The case code and passphrase from the receipt message (sent as HTML)."""
    codes = re.findall(r"<code>([^<]+)</code>", message.text)
    assert len(codes) == 2, message.text
    return html.unescape(codes[0]), html.unescape(codes[1])


def _script(story: str, employer: str) -> list[tuple[str, tuple[str, str]]]:
    """Each question, and a quick valid answer to it: ("press", label) or ("say", text)."""
    skip = ("press", "Skip")
    return [
        ("Who are you?", ("press", "Security forces")),
        ("Your situation", ("press", "I have quit the service")),
        ("Agency or employer", ("say", employer)),
        ("Your role or rank", skip),
        ("Service ID or badge number", skip),
        ("Since when", skip),
        ("Contract-break penalty", skip),
        ("Loans you owe", skip),
        ("Other debts", skip),
        ("Monthly income", skip),
        ("How many people depend", skip),
        ("What do you need?", ("press", "Done")),
        ("Your skills", skip),
        ("Languages you speak", skip),
        ("May the fund write to you here", ("press", "No")),
        ("How may we reach you?", ("press", "No contact")),
        ("Your story", ("say", story)),
        ("Received. Write more", ("press", "Done")),
        ("Service ID", ("press", "Done")),
        ("Resignation or dismissal papers", ("press", "Done")),
        ("Video statement", skip),
    ]


def answer_all_questions(
    person: Person,
    *,
    story: str = "I refused an illegal order and resigned the next day.",
    employer: str = "A unit in Minsk",
    stop_at: str = "Please check your application",
) -> ChatMessage:
    """Answer from 'Who are you?' on, quickly and validly, until the question ``stop_at``
    (by default the summary); return that question's message."""
    for question, (how, what) in _script(story, employer):
        message = person.expect(question)
        if question == stop_at:
            return message
        if how == "press":
            person.press(what)
        else:
            person.say(what)
    return person.expect(stop_at)
