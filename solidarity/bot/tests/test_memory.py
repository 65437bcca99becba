"""Where an unfinished application lives: in memory, bounded, and forgotten when idle."""

from __future__ import annotations

from solidarity.bot import conversation
from solidarity.bot.actions import Command, Press, Say, Text
from solidarity.bot.conversation import Conversations, language_of
from solidarity.bot.transport import split_text


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _texts(actions) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say))


def test_an_idle_application_is_forgotten(
    settings, db
):  # db: the welcome reads the key fingerprint
    settings.LANGUAGE_CODE = "en"
    clock = Clock()
    chats = Conversations(clock=clock)
    chats.handle(1, "en", Command("apply", "", 1))
    chats.handle(1, "en", Press("programme|security_forces", 2))
    assert "Your situation" in _texts(chats.handle(1, "en", Text("hello", 3)))
    # Two hours and a second later, the answers are gone: the next message starts afresh
    clock.now += conversation.IDLE_SECONDS + 1
    assert "This bot takes applications" in _texts(chats.handle(1, "en", Text("hello", 4)))
    assert len(chats) == 1


def test_the_number_of_conversations_held_is_bounded(settings, db):
    settings.LANGUAGE_CODE = "en"
    chats = Conversations(clock=Clock())
    for chat_id in range(conversation.MAX_CONVERSATIONS):
        chats.handle(chat_id, "en", Command("start", "", 1))
    busy = chats.handle(10**9, "en", Command("start", "", 1))
    assert "very busy" in _texts(busy)
    assert len(chats) == conversation.MAX_CONVERSATIONS


def test_the_language_follows_the_telegram_client():
    assert language_of("ru") == "ru"
    assert language_of("en-US") == "en"
    assert language_of("be") == "be"
    assert language_of("uk") == "be"  # the site's default for anything else
    assert language_of(None) == "be"


def test_long_texts_are_split_where_telegram_accepts_them():
    text = ("line\n" * 2000).strip()
    parts = split_text(text)
    assert all(0 < len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text
    assert split_text("x" * 5000) == ["x" * 4096, "x" * 904]
    assert split_text("") == [""]


def test_a_flood_of_start_reads_the_fingerprint_once_a_minute(
    settings, db, django_assert_num_queries
):
    settings.LANGUAGE_CODE = "en"
    clock = Clock()
    chats = Conversations(clock=clock)
    with django_assert_num_queries(1):
        for chat_id in range(200):
            chats.handle(chat_id, "en", Command("start", "", 1))
    clock.now += conversation.FINGERPRINT_SECONDS + 1
    with django_assert_num_queries(1):
        chats.handle(1, "en", Command("start", "", 2))
