"""The cast for case-work tests (STYLE.md §6): `coordinator` holds the intake key and may do
everything here; `volunteer` and `treasurer` are enrolled staff without it; `outsider` is
anonymous. A volunteer works a case only through an access grant (given on assignment)."""

from __future__ import annotations

import secrets
from typing import NamedTuple

import pytest
from django.utils import translation

from solidarity.cases.models import Case
from solidarity.intake.receipts import wordlist
from solidarity.screening import services as screening
from solidarity.testing.factories import Staff, make_application, make_org, make_staff
from solidarity.vault import keyring


class Worker(NamedTuple):
    """A staff member with their vault key unlocked, as a service call gets it."""

    user: object
    key: bytes
    staff: Staff


def unlocked(staff: Staff) -> Worker:
    return Worker(staff.user, keyring.unlock_staff_key(staff.user, staff.passphrase), staff)


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
def coordinator(org) -> Worker:
    return unlocked(make_staff(role="coordinator", username="alice"))


@pytest.fixture
def volunteer(org) -> Worker:
    return unlocked(make_staff(role="volunteer", username="victor"))


@pytest.fixture
def treasurer(org) -> Worker:
    return unlocked(make_staff(role="treasurer", username="tamara"))


@pytest.fixture
def receipt(org):
    return make_application(story=unique_story())


@pytest.fixture
def case(receipt) -> Case:
    return Case.objects.get(code=receipt.case_code)


def unique_story() -> str:
    """A story unlike any other, so screening never flags two test cases as one story."""
    return " ".join(secrets.choice(wordlist()) for _ in range(60))


def make_case(**answers) -> Case:
    answers.setdefault("story", unique_story())
    return Case.objects.get(code=make_application(**answers).case_code)


def screen(case: Case, coordinator: Worker) -> str:
    """Run the real screening on one case (a coordinator's action); returns its state."""
    screening.screen_case(coordinator.user, coordinator.key, case)
    return screening.screening_status(case)
