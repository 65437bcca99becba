"""`solidarity bot`: polling needs a token and an organisation; webhook mode needs a secret."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from solidarity.bot.tests.conftest import TOKEN, polling


def test_the_bot_refuses_to_start_without_a_token(bot_settings):
    bot_settings.TELEGRAM_BOT_TOKEN = None
    with pytest.raises(CommandError, match="TELEGRAM_BOT_TOKEN is not set"):
        call_command("bot")


def test_the_bot_refuses_to_poll_before_the_organisation_exists(db, bot_settings, fake_api):
    with pytest.raises(CommandError, match="solidarity init"):
        call_command("bot")
    assert fake_api.calls_of("getUpdates") == []


def test_set_webhook_needs_https_and_a_strong_secret(bot_settings, fake_api):
    with pytest.raises(CommandError, match="https"):
        call_command("bot", set_webhook="http://fund.example.org")
    bot_settings.TELEGRAM_WEBHOOK_SECRET = "short"
    with pytest.raises(CommandError, match="TELEGRAM_WEBHOOK_SECRET"):
        call_command("bot", set_webhook="https://fund.example.org")
    assert fake_api.calls_of("setWebhook") == []


def test_set_and_delete_webhook_switch_telegram_between_modes(bot_settings, fake_api, capsys):
    call_command("bot", set_webhook="https://fund.example.org/")
    out = capsys.readouterr().out
    assert fake_api.webhook["url"].startswith("https://fund.example.org/telegram/webhook/")
    # The command names the address but not the path token derived from the secret
    assert fake_api.webhook["url"].rsplit("/", 2)[-2] not in out
    assert fake_api.calls_of("setMyCommands")  # the command menu, in every language
    call_command("bot", delete_webhook=True)
    assert fake_api.webhook == {}


def test_polling_answers_updates_that_arrived_while_the_bot_was_down(
    bot_settings, org, fake_api, new_person
):
    # Given a message sent while no bot was running
    person = new_person()
    person.say("/start")
    # When the bot starts polling
    with polling():
        # Then the message is answered
        person.expect("This bot takes applications")
    deletes = fake_api.calls_of("deleteWebhook")
    assert deletes
    assert deletes[0]["drop_pending_updates"] == "false"


@pytest.mark.slow
def test_solidarity_bot_runs_as_a_process_and_stops_on_sigterm(tmp_path, fake_api, new_person):
    """The real command in its own process (SQLite in its own data dir), at the wire."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        SOLIDARITY_DATA_DIR=str(tmp_path / "data"),
        SOLIDARITY_KDF="fast-insecure-for-tests",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BOT_API_URL=fake_api.url,
        PYTHONUNBUFFERED="1",
    )

    def solidarity(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "solidarity", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )

    # One process for both, to spare a start-up: migrate, then the organisation.
    solidarity(
        "shell",
        "-c",
        "from django.core.management import call_command; call_command('migrate', verbosity=0); "
        "from solidarity.vault import keyring; keyring.create_organisation('F')",
    )
    person = new_person()
    person.say("/start")
    process = subprocess.Popen(
        [sys.executable, "-m", "solidarity", "bot"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        person.expect("This bot takes applications", timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert TOKEN not in output  # httpx would log it in request URLs at INFO
