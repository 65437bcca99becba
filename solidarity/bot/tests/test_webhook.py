"""Webhook mode: Telegram POSTs updates to the web process, which feeds the same bot.

The fake Bot API plays Telegram: `solidarity bot --set-webhook` registers the URL and the
secret with it, and it then delivers each update by POSTing it, with the secret header,
through Django's test client.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from solidarity.bot import runtime, services
from solidarity.bot.tests.conftest import WEBHOOK_SECRET
from solidarity.bot.tests.fakebotapi import TelegramUser

PUBLIC_URL = "https://fund.example.org"
HEADER = "HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN"


@pytest.fixture
def webhook_mode(bot_settings, org, fake_api, client):
    """Telegram (the fake) delivers updates to /telegram/webhook/<token>/ as in production."""
    call_command("bot", set_webhook=PUBLIC_URL)
    responses = []

    def post(url: str, secret: str, update: dict) -> None:
        assert url.startswith(PUBLIC_URL + "/")
        response = client.post(
            url.removeprefix(PUBLIC_URL),
            json.dumps(update),
            content_type="application/json",
            **{HEADER: secret},
        )
        responses.append(response.status_code)

    fake_api.deliver_to(post)
    yield responses
    runtime.stop_webhook_runtime()


def _path(secret: str = WEBHOOK_SECRET) -> str:
    return reverse("bot:webhook", args=[services.webhook_path_token(secret)])


def _update(text: str = "/start") -> str:
    user = TelegramUser(id=5550007777, first_name="A", username="someone_else")
    message = {
        "message_id": 1,
        "date": 0,
        "chat": user.as_chat(),
        "from": user.as_user(),
        "text": text,
    }
    return json.dumps({"update_id": 1, "message": message})


def test_updates_are_answered_by_the_same_conversation_as_in_polling(
    webhook_mode, fake_api, new_person
):
    person = new_person()
    person.say("/start")
    person.expect("This bot takes applications")
    person.press("Apply for help")
    person.expect("Who are you?")
    person.press("Workers")
    person.expect("Your situation")
    assert set(webhook_mode) == {200}
    assert fake_api.calls_of("getUpdates") == []  # nothing polled


def test_set_webhook_registers_the_secret_and_only_the_updates_we_take(webhook_mode, fake_api):
    assert fake_api.webhook["url"] == PUBLIC_URL + _path()
    assert fake_api.webhook["secret_token"] == WEBHOOK_SECRET
    assert json.loads(fake_api.webhook["allowed_updates"]) == ["message", "callback_query"]
    assert fake_api.webhook["max_connections"] == "1"
    # The secret itself is not in the URL (proxies log URLs)
    assert WEBHOOK_SECRET not in fake_api.webhook["url"]


def test_an_outsider_without_the_secret_header_is_refused(db, bot_settings, fake_api, client):
    response = client.post(_path(), _update(), content_type="application/json")
    assert response.status_code == 403
    response = client.post(
        _path(), _update(), content_type="application/json", **{HEADER: "guessed" * 8}
    )
    assert response.status_code == 403
    # Nothing reached the bot: it was not even started
    assert runtime._runtime is None
    assert fake_api.calls == []


def test_a_wrong_path_or_a_get_is_refused(db, bot_settings, client):
    wrong = reverse("bot:webhook", args=["0" * 32])
    assert client.post(wrong, _update(), content_type="application/json").status_code == 404
    assert client.get(_path()).status_code == 405


def test_without_a_webhook_secret_or_token_the_webhook_does_not_exist(db, bot_settings, client):
    def post(path: str, secret: str) -> int:
        return client.post(
            path, _update(), content_type="application/json", **{HEADER: secret}
        ).status_code

    bot_settings.TELEGRAM_WEBHOOK_SECRET = None
    assert post(_path(), WEBHOOK_SECRET) == 404
    bot_settings.TELEGRAM_WEBHOOK_SECRET = "too-short"
    assert post(_path("too-short"), "too-short") == 404
    bot_settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
    bot_settings.TELEGRAM_BOT_TOKEN = None
    assert post(_path(), WEBHOOK_SECRET) == 404


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        '{"update_id": "1", "message": {}}',
        '{"update_id": true, "message": {}}',
        '{"update_id": 1}',
        '{"update_id": 2, "my_chat_member": {"chat": {"id": 1}}}',
        '{"update_id": 3, "message": {"text": "/start"}, "callback_query": {}}',
        '{"update_id": 4, "message": "/start"}',
        '{"update_id": 5, "message": {"message_id": "x", "text": "/start"}}',
    ],
)
def test_updates_we_do_not_take_are_acknowledged_and_dropped(
    db, bot_settings, fake_api, client, body
):
    # (No update here reaches the bot's database work, so the cheap ``db`` fixture does.)
    response = client.post(
        _path(), body, content_type="application/json", **{HEADER: WEBHOOK_SECRET}
    )
    # 200, so that Telegram does not send it again and again
    assert response.status_code == 200
    runtime.stop_webhook_runtime()
    assert fake_api.calls_of("sendMessage") == []
