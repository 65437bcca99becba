"""python-telegram-bot glue: Telegram updates in, conversation actions out.

Polling (``solidarity bot``) and webhook mode (``views.webhook``) build the same
``Application`` here and differ only in how updates reach it. Updates are read strictly:
only private chats, only messages and presses of our buttons; everything else is dropped
without an answer (a bot added to a group must not take applications there).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import traceback
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import translation
from django.utils.translation import gettext as _
from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from solidarity.bot import actions, transport
from solidarity.bot import conversation as talk
from solidarity.intake.throttle import FloodGate, OpenGate

log = logging.getLogger(__name__)

# What we ask Telegram for (getUpdates and setWebhook); everything else stays at Telegram.
ALLOWED_UPDATES = ["message", "callback_query"]
STATE = "solidarity"
RECEIPT_ATTEMPTS = 5  # the receipt is sent again after network errors: 1+2+4+8 s at most


@dataclass
class BotState:
    """What one bot process keeps, all in memory: conversations and flood counters."""

    conversations: talk.Conversations
    gate: FloodGate | OpenGate
    warned: dict[int, float]

    @classmethod
    def new(cls) -> BotState:
        # Per chat, per minute: a person answering questions sends a few messages a minute;
        # a script or a stuck key sends hundreds. Counters are keyed hashes (throttle.py).
        gate = FloodGate.from_limit(settings.TELEGRAM_MESSAGES_PER_MINUTE, window=60.0)
        return cls(conversations=talk.Conversations(), gate=gate, warned={})

    def should_warn(self, chat_id: int, now: float) -> bool:
        """Tell a flooding chat to slow down once a minute, not once per message."""
        for key in [k for k, t in self.warned.items() if now - t > 60]:
            del self.warned[key]
        if chat_id in self.warned:
            return False
        self.warned[chat_id] = now
        return True


@dataclass(frozen=True)
class Incoming:
    chat_id: int
    language_code: str | None
    event: actions.Event
    file_id: str = ""
    caption: str = ""


def build_application() -> Application:
    """The bot, ready for polling or for updates handed over by the webhook view."""
    application = transport.application_builder().post_init(set_commands).build()
    application.bot_data[STATE] = BotState.new()
    application.add_handler(TypeHandler(Update, on_update))
    application.add_error_handler(on_error)
    return application


def parse(update: Update) -> Incoming | None:
    """The one event of ours in an update, or None for anything we do not take."""
    query = update.callback_query
    if query is not None:
        message = query.message
        if (
            not isinstance(message, Message)
            or message.chat.type != ChatType.PRIVATE
            or not isinstance(query.data, str)
        ):
            return None
        event = actions.Press(data=query.data[:64], message_id=message.message_id)
        return Incoming(message.chat.id, query.from_user.language_code, event)
    message = update.message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return None
    user = message.from_user
    if user is None or user.is_bot:
        return None
    chat_id, language, message_id = message.chat.id, user.language_code, message.message_id
    if message.text is not None:
        if message.text.startswith("/"):
            head, _sep, args = message.text.partition(" ")
            name = head[1:].split("@", 1)[0].lower()
            return Incoming(chat_id, language, actions.Command(name, args.strip(), message_id))
        return Incoming(chat_id, language, actions.Text(message.text, message_id))
    caption = message.caption or ""
    offered = None
    if message.photo:
        largest = message.photo[-1]
        offered = ("photo", "photo.jpg", largest.file_size, largest.file_id)
    elif message.document is not None:
        doc = message.document
        offered = ("document", doc.file_name or "document", doc.file_size, doc.file_id)
    elif message.video is not None:
        video = message.video
        offered = ("video", video.file_name or "video.mp4", video.file_size, video.file_id)
    elif message.video_note is not None:
        note = message.video_note
        offered = ("video", "video.mp4", note.file_size, note.file_id)
    if offered is None:
        return Incoming(chat_id, language, actions.Unsupported(message_id))
    kind, name, size, file_id = offered
    event = actions.FileOffer(kind=kind, name=name[:200], size=size, message_id=message_id)
    return Incoming(chat_id, language, event, file_id=file_id, caption=caption)


def _handle_sync(state: BotState, incoming: Incoming, event: actions.Event) -> list[actions.Action]:
    close_old_connections()
    try:
        return state.conversations.handle(incoming.chat_id, incoming.language_code, event)
    finally:
        # An update is like a web request: give the connection back when it is done, so
        # no connection idles in the bot's worker thread between updates.
        connections.close_all()


# One thread runs all the sync work (ORM, libsodium), one update after another.
_handle = sync_to_async(_handle_sync, thread_sensitive=True)


async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    state: BotState = context.application.bot_data[STATE]
    query = update.callback_query
    incoming = parse(update)
    if incoming is None:
        if query is not None:
            await _quietly(query.answer())
        return
    now = asyncio.get_running_loop().time()
    if not state.gate.allow(str(incoming.chat_id)):
        if query is not None:
            await _quietly(query.answer())
        if state.should_warn(incoming.chat_id, now):
            with translation.override(talk.language_of(incoming.language_code)):
                text = _("Too many messages. Please wait a minute, then go on.")
            await _quietly(context.bot.send_message(incoming.chat_id, text))
        return
    todo = await _handle(state, incoming, incoming.event)
    if todo and isinstance(todo[0], actions.Fetch):
        event = await _download(context, incoming, todo[0].limit)
        todo = await _handle(state, incoming, event)
    await _perform(context, state, incoming.chat_id, todo, query)


async def _download(
    context: ContextTypes.DEFAULT_TYPE, incoming: Incoming, limit: int
) -> actions.Upload | actions.FileTooLarge:
    offer = incoming.event
    assert isinstance(offer, actions.FileOffer)
    too_large = actions.FileTooLarge(name=offer.name, limit=limit, message_id=offer.message_id)
    try:
        telegram_file = await context.bot.get_file(incoming.file_id)
    except BadRequest:
        return too_large  # "file is too big": over the Bot API's download limit
    if telegram_file.file_size is not None and telegram_file.file_size > limit:
        return too_large
    data = bytes(await telegram_file.download_as_bytearray())
    if len(data) > limit:  # the declared size was wrong
        return too_large
    return actions.Upload(
        name=offer.name, data=data, caption=incoming.caption, message_id=offer.message_id
    )


def _markup(keyboard: actions.Keyboard) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in keyboard
        ]
    )


async def _perform(
    context: ContextTypes.DEFAULT_TYPE,
    state: BotState,
    chat_id: int,
    todo: list[actions.Action],
    query: CallbackQuery | None,
) -> None:
    if query is not None:
        await _quietly(query.answer())
        kept = [a.keyboard for a in todo if isinstance(a, actions.KeepButtons)]
        # A pressed question loses its buttons, so an old answer cannot be pressed again.
        await _quietly(query.edit_message_reply_markup(_markup(kept[-1]) if kept else None))
    for action in todo:
        if isinstance(action, actions.Say):
            await _say(context, state, chat_id, action)
        elif isinstance(action, actions.Delete) and action.message_ids:
            await transport.delete_messages(context.bot, chat_id, list(action.message_ids))


async def _say(
    context: ContextTypes.DEFAULT_TYPE, state: BotState, chat_id: int, say: actions.Say
) -> None:
    parts = [say.text] if say.html else transport.split_text(say.text)
    for index, part in enumerate(parts):
        markup = _markup(say.keyboard) if index == len(parts) - 1 else None
        attempts = RECEIPT_ATTEMPTS if say.must_arrive else 1
        for attempt in range(attempts):
            try:
                sent = await context.bot.send_message(
                    chat_id,
                    part,
                    reply_markup=markup,
                    parse_mode=ParseMode.HTML if say.html else None,
                )
                break
            except RetryAfter as exc:
                if attempt == attempts - 1:
                    raise
                wait = exc.retry_after
                seconds = wait.total_seconds() if isinstance(wait, datetime.timedelta) else wait
                await asyncio.sleep(min(float(seconds), 30.0))
            except BadRequest:
                raise
            except NetworkError:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(2**attempt)
        if say.track:
            state.conversations.track(chat_id, sent.message_id)


async def _quietly(call) -> None:
    """For calls whose failure changes nothing (an expired button, an unchanged keyboard)."""
    try:
        await call
    except TelegramError:
        return


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    # The class and the stack only: an exception's message, like the update itself, can
    # hold what an applicant wrote.
    stack = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    log.error("bot update failed: %s\n%s", type(error).__name__, stack)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    user = update.effective_user
    with translation.override(talk.language_of(user.language_code if user else None)):
        text = _("Something went wrong. Please send your last message again.")
    await _quietly(context.bot.send_message(update.effective_chat.id, text))


async def set_commands(application: Application) -> None:
    await set_commands_on(application.bot)


async def set_commands_on(bot) -> None:
    """The command menu Telegram shows, in each language the bot speaks."""
    for language in [None, *talk.LANGUAGES]:
        with translation.override(language or settings.LANGUAGE_CODE):
            commands = [
                BotCommand("apply", _("Apply for help")),
                BotCommand("status", _("Check my case")),
                BotCommand("cancel", _("Discard what I have written")),
                BotCommand("language", _("Change the language")),
                BotCommand("channels", _("Our official addresses")),
            ]
        try:
            await bot.set_my_commands(commands, language_code=language)
        except TelegramError as exc:
            log.warning("could not set the bot's command menu: %s", type(exc).__name__)
            return
