"""Bot services for the rest of Solidarity: staff replies through Telegram, and webhooks."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.translation import gettext as _

from solidarity.audit import services as audit
from solidarity.bot import transport
from solidarity.cases import sealed
from solidarity.cases.models import Case

log = logging.getLogger(__name__)

# Telegram accepts 1-256 characters of A-Z a-z 0-9 _ - as a webhook secret; we want at
# least 32 of them (about 190 bits when drawn with `secrets.token_urlsafe(32)`).
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{32,256}")
# The update kinds the bot takes (handlers.ALLOWED_UPDATES); other kinds are acknowledged
# and dropped without being parsed.
_TAKEN_UPDATES = frozenset({"message", "callback_query"})


class NoTelegramChatError(Exception):
    """The applicant did not agree to be written to through the bot."""


def send_reply_via_telegram(case: Case, case_private_key: bytes, text: str, *, actor=None) -> None:
    """Send ``text`` to the applicant's Telegram chat, whose id is sealed in the case.

    Call it in an unlocked staff session, after storing the message with
    ``cases.services.store_message`` (so /status shows it too). The chat id is opened
    here, used once and not kept. Raises NoTelegramChatError, transport.BotNotConfiguredError
    or transport.TelegramDeliveryError; with ``actor`` the sending is audited.
    """
    answers = sealed.open_json(case_private_key, case.answers_sealed)
    chat_id = answers.get("telegram_chat_id")
    if not isinstance(chat_id, int) or isinstance(chat_id, bool):
        raise NoTelegramChatError("this applicant did not agree to replies in Telegram")
    with translation.override(case.language or settings.LANGUAGE_CODE):
        body = "\n\n".join(
            [
                _("A message from the fund:"),
                text,
                _(
                    "Delete this message when you have read it. You can read all messages "
                    "again with /status."
                ),
            ]
        )
    transport.send_text_now(chat_id, body)
    if actor is not None:
        audit.record("case.telegram_reply_sent", actor=actor, subject=case.code)


# --- webhook mode ---------------------------------------------------------------------------


def webhook_secret() -> str:
    """The configured webhook secret. Raises ImproperlyConfigured if unset or weak."""
    secret = settings.TELEGRAM_WEBHOOK_SECRET or ""
    if not _WEBHOOK_SECRET.fullmatch(secret):
        raise ImproperlyConfigured(
            "TELEGRAM_WEBHOOK_SECRET must be 32 to 256 characters of A-Z a-z 0-9 _ -"
        )
    return secret


def webhook_path_token(secret: str) -> str:
    """The secret part of the webhook URL, derived from the webhook secret.

    A URL ends up in proxy logs; the header secret must not, so the path carries a one-way
    digest of it instead of the secret itself.
    """
    return hashlib.sha256(b"solidarity telegram webhook path\x00" + secret.encode()).hexdigest()[
        :32
    ]


def webhook_url(public_url: str) -> str:
    path = f"/telegram/webhook/{webhook_path_token(webhook_secret())}/"
    return public_url.rstrip("/") + path


def set_webhook(public_url: str) -> None:
    """Tell Telegram to deliver updates to this site. Raises ImproperlyConfigured or TelegramError."""
    from solidarity.bot.handlers import ALLOWED_UPDATES, set_commands_on

    if not public_url.startswith("https://"):
        raise ImproperlyConfigured("Telegram delivers webhooks only to https:// addresses")
    url, secret = webhook_url(public_url), webhook_secret()

    async def call() -> None:
        async with transport.new_bot() as bot:
            await bot.set_webhook(
                url,
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
                # One update at a time: a chat's answers arrive in order, and the view only
                # queues them, so this costs no throughput.
                max_connections=1,
                drop_pending_updates=False,
            )
            await set_commands_on(bot)

    asyncio.run(call())


def delete_webhook() -> None:
    """Go back to polling: Telegram keeps updates until `solidarity bot` fetches them."""

    async def call() -> None:
        async with transport.new_bot() as bot:
            await bot.delete_webhook(drop_pending_updates=False)

    asyncio.run(call())


def take_webhook_update(payload: object) -> dict | None:
    """The update to process, or None for one we do not take (acknowledged and dropped).

    Strict: a JSON object with an integer ``update_id`` and exactly one update kind, one
    we asked for.
    """
    if not isinstance(payload, dict):
        return None
    update_id = payload.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    kinds = set(payload) - {"update_id"}
    if len(kinds) != 1 or not kinds <= _TAKEN_UPDATES:
        return None
    if not isinstance(payload[next(iter(kinds))], dict):
        return None
    return payload
