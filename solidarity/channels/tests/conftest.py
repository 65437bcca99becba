"""The cast for channel tests: `org`, `coordinator` (holds the intake key), `volunteer`,
and helpers to make valid addresses and a signed statement."""

from __future__ import annotations

import base64
import hashlib
import secrets

import pytest
from django.utils import translation

from solidarity.channels import services
from solidarity.testing.factories import make_org, make_staff
from solidarity.vault import keyring


def onion_address(public_key: bytes | None = None) -> str:
    """A well-formed v3 onion address (correct checksum) for a random or given key."""
    public_key = public_key or secrets.token_bytes(32)
    version = b"\x03"
    checksum = hashlib.sha3_256(b".onion checksum" + public_key + version).digest()[:2]
    return base64.b32encode(public_key + checksum + version).decode().lower() + ".onion"


ONION = onion_address(bytes(range(32)))
CHANNELS = services.Channels(
    web=("https://fund.example.org/", "https://mirror.example.net/help"),
    onion=(ONION,),
    bots=("@FundHelpBot",),
    other=("Signal: ask a coordinator in person",),
)


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read English source strings; the default language is Belarusian."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def org(db):
    return make_org()


@pytest.fixture
def coordinator(org):
    return make_staff(role="coordinator")


@pytest.fixture
def volunteer(org):
    return make_staff(role="volunteer")


def sign(coordinator, channels: services.Channels = CHANNELS, **kwargs):
    key = keyring.unlock_staff_key(coordinator.user, coordinator.passphrase)
    return services.sign_channels(channels, by=coordinator.user, staff_private_key=key, **kwargs)
