"""The one adapter between Solidarity and the Telegram Bot API (python-telegram-bot 22).

Everything that talks to Telegram goes through here: the polling and webhook bot (an
``Application`` built by ``application_builder``) and the staff console's replies
(``send_text_now``). The token and the API address come from settings, never from callers.
"""

from __future__ import annotations

import asyncio
import logging

from django.conf import settings
from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ApplicationBuilder

# python-telegram-bot logs every update and every API call with its parameters at DEBUG,
# and httpx logs each request URL, which holds the bot token, at INFO. Either would put an
# applicant's words or the token into the log, so they are pinned to WARNING whatever
# level the operator gives the root logger.
for _name in ("telegram", "httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)

MAX_MESSAGE_CHARS = 4096  # Telegram refuses longer text messages
# api.telegram.org lets bots download files up to 20 MB (getFile answers "file is too big"
# above that); a self-hosted Bot API server allows more, but we keep one rule.
DOWNLOAD_LIMIT_BYTES = 20 * 1000 * 1000
DELETE_BATCH = 100  # deleteMessages takes at most 100 ids per call


class BotNotConfiguredError(Exception):
    """TELEGRAM_BOT_TOKEN is not set."""


class TelegramDeliveryError(Exception):
    """Telegram did not take the message (bot blocked, chat gone, network down)."""


def token() -> str:
    value = settings.TELEGRAM_BOT_TOKEN
    if not value:
        raise BotNotConfiguredError("TELEGRAM_BOT_TOKEN is not set")
    return value


def _api_urls() -> tuple[str, str]:
    root = settings.TELEGRAM_BOT_API_URL.rstrip("/")
    # python-telegram-bot appends the token to both.
    return f"{root}/bot", f"{root}/file/bot"


def application_builder() -> ApplicationBuilder:
    """A builder for the bot with our token and API address, and no persistence.

    Updates are processed one at a time (``concurrent_updates(False)``): a chat's answers
    then never race each other, and the sync services run one after another anyway.
    """
    base_url, base_file_url = _api_urls()
    # No .persistence(): python-telegram-bot would write chat state to disk, and an
    # unfinished application must live only in process memory (see conversation.py).
    return (
        Application.builder()
        .token(token())
        .base_url(base_url)
        .base_file_url(base_file_url)
        .concurrent_updates(False)
        # A 20 MB video over a slow link: give downloads time.
        .read_timeout(60)
        .write_timeout(60)
        .get_updates_read_timeout(40)
    )


def new_bot() -> Bot:
    base_url, base_file_url = _api_urls()
    return Bot(token(), base_url=base_url, base_file_url=base_file_url)


def split_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Cut a long text into messages Telegram accepts, at line breaks where possible."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        # A line break in the second half of the window, else a hard cut.
        cut = rest.rfind("\n", limit // 2, limit)
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip("\n"))
        rest = rest[cut:].lstrip("\n")
    if rest or not parts:
        parts.append(rest)
    return parts


async def delete_messages(bot: Bot, chat_id: int, message_ids: list[int]) -> None:
    """Delete what can be deleted; Telegram skips ids it cannot delete (older than 48 h)."""
    for start in range(0, len(message_ids), DELETE_BATCH):
        try:
            await bot.delete_messages(chat_id, message_ids[start : start + DELETE_BATCH])
        except TelegramError:
            # Nothing to do about a message Telegram will not delete; the applicant is told
            # how to clear the chat themselves.
            continue


def send_text_now(chat_id: int, text: str) -> None:
    """Send a text message from synchronous code (the staff console).

    Raises BotNotConfiguredError or TelegramDeliveryError. Must not be called from a
    thread that runs an event loop.
    """

    async def send() -> None:
        async with new_bot() as bot:
            for part in split_text(text):
                await bot.send_message(chat_id, part)

    try:
        asyncio.run(send())
    except Forbidden:
        raise TelegramDeliveryError("the applicant has blocked or deleted the bot") from None
    except BadRequest:
        raise TelegramDeliveryError("Telegram refused the message") from None
    except TelegramError:
        raise TelegramDeliveryError("Telegram could not be reached") from None
