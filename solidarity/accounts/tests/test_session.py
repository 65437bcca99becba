"""The vault in the session: unlock, lock, logout and the idle timeout."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from solidarity.accounts.middleware import LAST_SEEN_KEY
from solidarity.audit.models import AuditEvent
from solidarity.testing.factories import log_in, make_application, make_org, make_staff


@pytest.fixture
def coordinator(db):
    make_org()
    return make_staff(role="coordinator", username="alice")


@pytest.fixture
def case_url(coordinator) -> str:
    return reverse("staff:case", args=[make_application().case_code])


def _vault_cookie(client) -> str:
    cookie = client.cookies.get("vk")
    return cookie.value if cookie else ""


def test_logout_locks_the_vault_and_ends_the_session(client, coordinator):
    log_in(client, coordinator)

    response = client.post(reverse("staff:logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert "staff_key_locked" not in client.session
    assert _vault_cookie(client) == ""
    assert AuditEvent.objects.filter(
        action="staff.logout", actor=coordinator.user, details={"reason": "logout"}
    ).exists()


def test_logout_needs_a_post(client, coordinator):
    log_in(client, coordinator)

    response = client.get(reverse("staff:logout"))

    assert response.status_code == 405
    assert "_auth_user_id" in client.session


def test_lock_keeps_the_login_but_sends_decrypting_pages_to_unlock(client, coordinator, case_url):
    log_in(client, coordinator)

    client.post(reverse("staff:lock"))
    queue = client.get(reverse("staff:queue"))
    case = client.get(case_url)

    assert queue.status_code == 200
    assert case.status_code == 302
    assert case["Location"].startswith(reverse("staff:unlock"))
    assert AuditEvent.objects.filter(action="staff.vault_locked").exists()


def test_unlock_with_the_passphrase_opens_the_vault_again(client, coordinator, case_url):
    log_in(client, coordinator)
    client.post(reverse("staff:lock"))

    response = client.post(
        reverse("staff:unlock") + f"?next={case_url}",
        {"passphrase": coordinator.passphrase, "next": case_url},
    )

    assert response.status_code == 302
    assert response["Location"] == case_url
    assert client.get(case_url).status_code == 200
    assert AuditEvent.objects.filter(action="staff.vault_unlocked").exists()


def test_unlock_with_a_wrong_passphrase_leaves_the_vault_locked(client, coordinator, case_url):
    log_in(client, coordinator)
    client.post(reverse("staff:lock"))

    response = client.post(reverse("staff:unlock"), {"passphrase": "not my passphrase at all"})

    assert response.status_code == 200
    assert "The vault did not open." in response.content.decode()
    assert client.get(case_url).status_code == 302


def test_idle_session_is_logged_out_and_its_vault_locked(client, coordinator, settings):
    # Given: a signed-in coordinator whose last request was longer ago than the timeout
    log_in(client, coordinator)
    client.get(reverse("staff:queue"))
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - settings.STAFF_IDLE_TIMEOUT - 1
    session.save()

    # When: they come back
    response = client.get(reverse("staff:queue"))

    # Then: they are sent to the login page with nothing unlocked left behind
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:login"))
    assert "_auth_user_id" not in client.session
    assert "staff_key_locked" not in client.session
    assert _vault_cookie(client) == ""
    assert AuditEvent.objects.filter(action="staff.logout", details={"reason": "idle"}).exists()


def test_activity_within_the_timeout_keeps_the_session(client, coordinator, settings):
    log_in(client, coordinator)
    client.get(reverse("staff:queue"))
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - settings.STAFF_IDLE_TIMEOUT + 60
    session.save()

    response = client.get(reverse("staff:queue"))

    assert response.status_code == 200
    assert client.session[LAST_SEEN_KEY] >= int(time.time()) - 5
