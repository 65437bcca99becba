"""The two ways of running the bot: long polling, and webhook updates in the web process.

Polling (``solidarity bot``) runs python-telegram-bot's own loop in the foreground.

Webhook mode needs no process of its own: the web process that receives the webhook
starts, on the first update, one daemon thread that runs the same ``Application`` on its
own event loop; the view only checks the request and puts the update on that
application's queue (python-telegram-bot's documented way of feeding it "custom" webhook
updates). Conversations live in that process's memory, so every update of a chat must
reach the same process: serve webhook mode with one web process for ``/telegram/``
(docs/operator-guide.md, "Telegram").
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import threading

from telegram import Update
from telegram.ext import Application

from solidarity.bot.handlers import ALLOWED_UPDATES, build_application

log = logging.getLogger(__name__)

START_TIMEOUT = 30  # seconds for the first getMe of a webhook-mode bot
STOP_TIMEOUT = 30  # seconds to finish the updates in hand at shutdown
POLL_TIMEOUT = 30  # seconds Telegram holds a getUpdates call open when there is nothing new


class BotUnavailableError(Exception):
    """The bot could not be started in this process (Telegram unreachable, bad token)."""


class UnreadableUpdateError(Exception):
    """An update that looked right at first sight but does not parse."""


def run_polling(application: Application | None = None, *, handle_signals: bool = True) -> None:
    """Poll Telegram for updates until SIGINT or SIGTERM (or ``stop_running()``).

    ``handle_signals=False`` runs without signal handlers, in a thread (the test suite).
    """
    application = application or build_application()
    options = {} if handle_signals else {"stop_signals": None}
    application.run_polling(
        allowed_updates=ALLOWED_UPDATES,
        poll_interval=0.0,
        timeout=POLL_TIMEOUT,
        # Updates that arrived while the bot was down are answered, not dropped: a person
        # who wrote during a restart still gets an answer.
        drop_pending_updates=False,
        **options,
    )


class WebhookRuntime:
    """The bot inside a web process: an event loop in a daemon thread."""

    def __init__(self) -> None:
        self.application = build_application()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="telegram-bot", daemon=True)
        self._started = threading.Event()
        self._failure: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._start())
        except Exception as exc:  # reported to start() by class name only
            self._failure = exc
            self._started.set()
            self.loop.close()
            return
        self._started.set()
        self.loop.run_forever()
        self.loop.close()

    async def _start(self) -> None:
        await self.application.initialize()
        await self.application.start()

    def start(self) -> None:
        self._thread.start()
        if not self._started.wait(START_TIMEOUT) or self._failure is not None:
            name = type(self._failure).__name__ if self._failure else "timeout"
            raise BotUnavailableError(f"the Telegram bot could not start: {name}")

    def feed(self, payload: dict) -> None:
        """Queue one update (already checked by ``services.take_webhook_update``).

        Raises UnreadableUpdateError if python-telegram-bot cannot read it.
        """
        try:
            update = Update.de_json(payload, self.application.bot)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise UnreadableUpdateError("the update does not have the shape of one") from None
        future = asyncio.run_coroutine_threadsafe(
            self.application.update_queue.put(update), self.loop
        )
        future.result(timeout=5)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return

        async def shut_down() -> None:
            await self.application.stop()
            await self.application.shutdown()

        try:
            asyncio.run_coroutine_threadsafe(shut_down(), self.loop).result(STOP_TIMEOUT)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(STOP_TIMEOUT)


_runtime: WebhookRuntime | None = None
_runtime_lock = threading.Lock()


def webhook_runtime() -> WebhookRuntime:
    """This process's webhook bot, started on first use. Raises BotUnavailableError."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            runtime = WebhookRuntime()
            runtime.start()
            _runtime = runtime
            atexit.register(stop_webhook_runtime)
        return _runtime


def stop_webhook_runtime() -> None:
    """Finish the updates in hand and stop this process's webhook bot, if it runs."""
    global _runtime
    with _runtime_lock:
        runtime, _runtime = _runtime, None
    if runtime is not None:
        runtime.stop()
