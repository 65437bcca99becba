"""Factories for database rows (STYLE.md §6): plain functions with ``setdefault`` defaults.

Everything goes through the real services (keyring, accounts, intake), so a test builds
exactly what production would hold.
"""

from __future__ import annotations

import itertools
import time
from typing import NamedTuple

from django.test import Client
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from solidarity.accounts import services as accounts
from solidarity.accounts.models import User
from solidarity.intake.services import Receipt, submit_application
from solidarity.testing.builders import valid_application
from solidarity.vault import keyring
from solidarity.vault.models import Organisation

DEFAULT_PASSPHRASE = "correct horse battery staple, twice"  # noqa: S105 - test accounts only

# The intake private key exists only in memory after create_organisation; remember it by
# its public half so later factories can give it to coordinators.
_intake_private_keys: dict[bytes, bytes] = {}
_usernames = itertools.count(1)
_clients = itertools.count(1)


class Staff(NamedTuple):
    user: User
    device: TOTPDevice
    passphrase: str


def make_org(name: str = "Test Solidarity Fund") -> Organisation:
    """The organisation, with its intake key remembered for ``make_staff`` coordinators."""
    org, intake_private_key = keyring.create_organisation(name)
    _intake_private_keys[bytes(org.intake_public_key)] = intake_private_key
    return org


def intake_private_key(org: Organisation | None = None) -> bytes:
    org = org or Organisation.objects.order_by("id").first() or make_org()
    try:
        return _intake_private_keys[bytes(org.intake_public_key)]
    except KeyError:
        raise LookupError("this organisation was not made by make_org()") from None


def make_staff(**overrides) -> Staff:
    """A staff member enrolled like a real one: account, vault key, confirmed TOTP device.

    Coordinators also get the intake key (an organisation is made if none exists).
    """
    overrides.setdefault("role", User.Role.COORDINATOR)
    overrides.setdefault("passphrase", DEFAULT_PASSPHRASE)
    overrides.setdefault("username", f"{overrides['role']}{next(_usernames)}")
    role, passphrase, username = overrides["role"], overrides["passphrase"], overrides["username"]
    key = intake_private_key() if role == User.Role.COORDINATOR else None
    enrolment = accounts.enrol_staff_member(username, role, passphrase, by=None)
    if key is not None:
        keyring.give_intake_key(enrolment.user, key)
    return Staff(enrolment.user, enrolment.device, passphrase)


def totp_code(device: TOTPDevice) -> str:
    """A code the device accepts now: the current one, or the next step if the current
    one was already used (django-otp accepts each step once, with a tolerance of one)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now = time.time()
    totp.time = now
    if totp.t() <= device.last_t:
        totp.time = now + device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def log_in(client: Client, staff: Staff, **overrides):
    """Sign ``staff`` in through the login page; returns the response."""
    overrides.setdefault("username", staff.user.username)
    overrides.setdefault("passphrase", staff.passphrase)
    overrides.setdefault("code", totp_code(staff.device))
    return client.post(reverse("staff:login"), overrides)


def make_application(files: dict | None = None, **answers) -> Receipt:
    """Submit an application through the real intake service; returns its receipt.

    ``answers`` override the fields of ``builders.valid_application``; ``files`` maps a
    file field name to a list of uploads. An organisation is made if none exists.
    """
    if not Organisation.objects.exists():
        make_org()
    data = MultiValueDict()
    for key, value in valid_application(**answers).items():
        data.setlist(key, value if isinstance(value, list) else [value])
    uploads = MultiValueDict()
    for key, value in (files or {}).items():
        uploads.setlist(key, value if isinstance(value, list) else [value])
    # A fresh flood-control key per call: each factory call stands for another applicant.
    return submit_application(
        data, uploads, language="en", client=f"factory-applicant-{next(_clients)}"
    )
