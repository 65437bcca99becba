"""/channels in the bot: the signed official addresses and the key fingerprint, so a person
can tell the fund's bot from the fakes the police ran in funds' names."""

from __future__ import annotations

from solidarity.channels.tests.conftest import ONION, sign
from solidarity.testing.factories import make_staff


def test_before_anything_is_signed_the_bot_says_so(polling_bot, new_person):
    person = new_person()
    person.say("/channels")
    person.expect("has not published a signed list")
    person.say("/start")
    welcome = person.expect("This bot takes applications")
    assert "fingerprint" not in welcome.text


def test_channels_lists_the_addresses_and_the_fingerprint(polling_bot, new_person):
    row = sign(make_staff(role="coordinator"))
    person = new_person()
    person.say("/channels")
    reply = person.expect("official addresses")
    assert row.signing_key.fingerprint in reply.text
    assert "https://fund.example.org/" in reply.text
    assert ONION in reply.text
    assert "@FundHelpBot" in reply.text


def test_the_welcome_message_carries_the_fingerprint(polling_bot, new_person):
    row = sign(make_staff(role="coordinator"))
    person = new_person()
    person.say("/start")
    welcome = person.expect("This bot takes applications")
    assert row.signing_key.fingerprint in welcome.text
    assert "/channels" in welcome.text


def test_the_command_menu_offers_channels(polling_bot, fake_api):
    menus = fake_api.calls_of("setMyCommands")
    assert menus
    assert all('"channels"' in call["commands"] for call in menus)
