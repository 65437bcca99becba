from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from telegram.error import TelegramError

from solidarity.bot import runtime, services, transport
from solidarity.vault.models import Organisation


class Command(BaseCommand):
    help = (
        "Run the Telegram bot by long polling until Ctrl-C (or SIGTERM), or switch Telegram to "
        "webhook mode. The token comes from TELEGRAM_BOT_TOKEN (or TELEGRAM_BOT_TOKEN_FILE). "
        "An unfinished application lives only in this process's memory and is lost when it "
        "stops; a confirmed one is committed before its receipt is sent."
    )

    def add_arguments(self, parser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--set-webhook",
            metavar="PUBLIC_URL",
            help="Have Telegram POST updates to PUBLIC_URL/telegram/webhook/<token>/ (https only; "
            "needs TELEGRAM_WEBHOOK_SECRET), served by `solidarity serve`. Then stop polling.",
        )
        mode.add_argument(
            "--delete-webhook",
            action="store_true",
            help="Switch Telegram back from webhook mode, so that `solidarity bot` can poll.",
        )

    def handle(self, *args, set_webhook=None, delete_webhook=False, **options) -> None:
        try:
            transport.token()
        except transport.BotNotConfiguredError:
            raise CommandError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and set its token "
                "(docs/operator-guide.md, Telegram)."
            ) from None
        try:
            if set_webhook:
                services.set_webhook(set_webhook)
                self.stdout.write(
                    f"Telegram now sends updates to {set_webhook.rstrip('/')}/telegram/webhook/…/ "
                    "(the path is derived from TELEGRAM_WEBHOOK_SECRET). Stop any polling bot."
                )
                return
            if delete_webhook:
                services.delete_webhook()
                self.stdout.write("Webhook removed: run `solidarity bot` to poll.")
                return
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        except TelegramError as exc:
            raise CommandError(f"Telegram refused: {type(exc).__name__}") from None
        if not Organisation.objects.exists():
            raise CommandError("No organisation yet: run `solidarity init` first.")
        self.stdout.write("The Telegram bot is polling for updates; Ctrl-C stops it.")
        runtime.run_polling()
