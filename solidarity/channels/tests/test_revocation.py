"""Revoking a coordinator who could sign: the console and `solidarity revoke` say to replace
the signing key, until it is replaced."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.urls import reverse

from solidarity.channels.tests.conftest import sign
from solidarity.testing.factories import log_in, make_staff
from solidarity.vault.models import RekeyJob, SigningKeyWrap

REMINDER = "They could also sign the list of official channels"


def test_revoking_a_signer_from_the_console_says_to_replace_the_key(client, coordinator):
    # Given two coordinators who can both sign
    bob = make_staff(role="coordinator")
    sign(coordinator)
    assert SigningKeyWrap.objects.filter(user=bob.user).exists()
    log_in(client, coordinator)
    # When Bob is revoked
    revoked = client.post(
        reverse("staff:person_revoke", args=[bob.user.pk]), {"confirm": bob.user.username}
    )
    page = client.get(revoked["Location"]).content.decode()
    # Then his copy is gone and the job page says to replace the signing key
    assert not SigningKeyWrap.objects.filter(user=bob.user).exists()
    assert REMINDER in page
    # ... until it is replaced
    sign(coordinator, new_key=True)
    assert REMINDER not in client.get(revoked["Location"]).content.decode()


def test_the_revoke_command_says_it_too(coordinator, monkeypatch):
    bob = make_staff(role="coordinator")
    sign(coordinator)
    monkeypatch.setenv("SOLIDARITY_COORDINATOR_PASSPHRASE", coordinator.passphrase)
    out = io.StringIO()
    call_command("revoke", bob.user.username, coordinator=coordinator.user.username, stdout=out)
    assert RekeyJob.objects.get(person=bob.user).all_cases
    assert REMINDER in out.getvalue()


def test_revoking_a_volunteer_says_nothing_about_signing(coordinator, volunteer, monkeypatch):
    sign(coordinator)
    monkeypatch.setenv("SOLIDARITY_COORDINATOR_PASSPHRASE", coordinator.passphrase)
    out = io.StringIO()
    call_command(
        "revoke", volunteer.user.username, coordinator=coordinator.user.username, stdout=out
    )
    assert "is revoked" in out.getvalue()
    assert REMINDER not in out.getvalue()
