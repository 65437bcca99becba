"""Signing in: username, passphrase and TOTP code, one generic error, a per-account limit."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from solidarity.accounts.models import LOGIN_FAILURE_LIMIT, LoginThrottle
from solidarity.audit.models import AuditEvent
from solidarity.testing.factories import log_in, make_org, make_staff, totp_code

GENERIC_ERROR = "Sign-in failed. Check your username, passphrase and the code from your app."


@pytest.fixture
def coordinator(db):
    make_org()
    return make_staff(role="coordinator", username="alice")


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _vault_unlocked(client) -> bool:
    return bool(client.session.get("staff_key_locked")) and bool(
        client.cookies.get("vk") and client.cookies["vk"].value
    )


def test_login_page_asks_for_username_passphrase_and_code(client):
    response = client.get(reverse("staff:login"))

    assert response.status_code == 200
    for name in ("username", "passphrase", "code"):
        assert f'name="{name}"' in response.content.decode()


def test_right_passphrase_and_code_sign_in_and_unlock_the_vault(client, coordinator):
    response = log_in(client, coordinator)

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:queue")
    assert _signed_in(client)
    assert _vault_unlocked(client)
    assert client.get(reverse("staff:queue")).status_code == 200
    assert AuditEvent.objects.filter(action="staff.login", actor=coordinator.user).exists()


def test_the_server_keeps_only_the_locked_half_of_the_vault_key(client, coordinator):
    log_in(client, coordinator)

    # The session row holds the key locked; the key that opens it is only in the cookie.
    locked = client.session["staff_key_locked"]
    cookie_key = client.cookies["vk"].value
    assert locked
    assert cookie_key
    assert cookie_key not in str(dict(client.session))


@pytest.mark.parametrize(
    "wrong",
    [
        {"passphrase": "not the right passphrase at all"},
        {"code": "000000"},
        {"username": "mallory"},
        {"code": "12345"},
        {"passphrase": ""},
    ],
    ids=["passphrase", "code", "username", "short-code", "empty-passphrase"],
)
def test_anything_wrong_gives_one_generic_error(client, coordinator, wrong):
    if wrong.get("code") == "000000" and totp_code(coordinator.device) == "000000":
        wrong = {"code": "111111"}

    response = log_in(client, coordinator, **wrong)

    assert response.status_code == 200
    assert GENERIC_ERROR in response.content.decode()
    assert not _signed_in(client)
    assert not _vault_unlocked(client)


def test_wrong_passphrase_and_wrong_code_read_the_same(client, coordinator):
    bad_passphrase = log_in(client, coordinator, passphrase="not the right passphrase at all")
    bad_code = log_in(
        client,
        coordinator,
        code="999999" if totp_code(coordinator.device) != "999999" else "888888",
    )

    def error_block(response) -> str:
        text = response.content.decode()
        start = text.index('<div class="errors"')
        return text[start : text.index("</div>", start)]

    assert error_block(bad_passphrase) == error_block(bad_code)


def test_a_code_is_accepted_only_once(client, coordinator):
    code = totp_code(coordinator.device)
    log_in(client, coordinator, code=code)
    client.post(reverse("staff:logout"))

    response = log_in(client, coordinator, code=code)

    assert not _signed_in(client)
    assert GENERIC_ERROR in response.content.decode()


def test_failed_logins_are_counted_per_account_and_then_refused(client, coordinator):
    # Given: the account has used up its failed attempts
    for _ in range(LOGIN_FAILURE_LIMIT):
        log_in(client, coordinator, passphrase="guessing a passphrase here")

    # When: the right passphrase and code arrive
    response = log_in(client, coordinator)

    # Then: they are refused like any wrong attempt
    assert not _signed_in(client)
    assert GENERIC_ERROR in response.content.decode()
    assert LoginThrottle.objects.get(user=coordinator.user).failures == LOGIN_FAILURE_LIMIT


def test_the_account_opens_again_after_the_window(client, coordinator):
    for _ in range(LOGIN_FAILURE_LIMIT):
        log_in(client, coordinator, passphrase="guessing a passphrase here")
    LoginThrottle.objects.filter(user=coordinator.user).update(
        window_started=datetime.datetime(2020, 8, 9, tzinfo=datetime.UTC)
    )

    log_in(client, coordinator)

    assert _signed_in(client)
    assert not LoginThrottle.objects.filter(user=coordinator.user).exists()


def test_failed_logins_of_one_account_do_not_lock_another(client, coordinator):
    other = make_staff(role="coordinator", username="bob")
    for _ in range(LOGIN_FAILURE_LIMIT):
        log_in(client, coordinator, passphrase="guessing a passphrase here")

    log_in(client, other)

    assert _signed_in(client)


def test_failed_logins_against_an_account_are_audited_without_addresses(client, coordinator):
    log_in(client, coordinator, passphrase="guessing a passphrase here")

    event = AuditEvent.objects.get(action="staff.login_failed")
    assert event.subject == "alice"
    assert event.actor is None
    assert event.details == {"failures": 1}


def test_next_parameter_is_followed_only_within_the_site(client, coordinator):
    url = reverse("staff:login")

    outside = client.post(
        url + "?next=https://evil.example/",
        {
            "username": "alice",
            "passphrase": coordinator.passphrase,
            "code": totp_code(coordinator.device),
            "next": "https://evil.example/",
        },
    )

    assert outside["Location"] == reverse("staff:queue")


def test_a_signed_in_user_visiting_login_goes_to_the_console(client, coordinator):
    log_in(client, coordinator)

    response = client.get(reverse("staff:login"))

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:queue")
