"""The Telegram webhook: Telegram POSTs each update here when webhook mode is on."""

from __future__ import annotations

import json
import logging
import secrets

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from solidarity.bot import runtime, services

log = logging.getLogger(__name__)


@csrf_exempt  # Telegram cannot send a CSRF token; the secret header authenticates it
def webhook(request: HttpRequest, token: str) -> HttpResponse:
    """Check that Telegram sent it, queue the update for the bot, answer at once.

    404 unless webhook mode is configured and the path token is right; 403 without the
    secret header; 200 for everything Telegram sent, including updates we do not take, so
    that Telegram does not send them again.
    """
    if not settings.TELEGRAM_BOT_TOKEN:
        raise Http404
    try:
        secret = services.webhook_secret()
    except ImproperlyConfigured:
        raise Http404 from None
    # Both compared in constant time: neither may be guessed a character at a time.
    expected_path = services.webhook_path_token(secret)
    if not secrets.compare_digest(token.encode(), expected_path.encode()):
        raise Http404
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    header = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not secrets.compare_digest(header.encode(), secret.encode()):
        return HttpResponse(status=403)
    try:
        update = services.take_webhook_update(json.loads(request.body))
    except (ValueError, RequestDataTooBig):
        update = None
    if update is None:
        log.info("webhook update not taken")  # nothing of the update itself is logged
        return HttpResponse(status=200)
    try:
        runtime.webhook_runtime().feed(update)
    except runtime.UnreadableUpdateError:
        log.info("webhook update not taken")
        return HttpResponse(status=200)
    except runtime.BotUnavailableError:
        log.error("webhook update not processed: the bot could not start")
        return HttpResponse(status=503)  # Telegram sends it again later
    return HttpResponse(status=200)
