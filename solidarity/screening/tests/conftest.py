"""The cast for screening tests (STYLE.md §6): ``coordinator`` holds the intake key and may
screen; ``volunteer`` is enrolled staff without it; ``outsider`` is anonymous. Cases go in
through the real intake service, like an applicant's."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import NamedTuple

import pytest
from django.utils import translation
from django.utils.datastructures import MultiValueDict

from solidarity.cases.models import Case
from solidarity.intake.services import submit_application
from solidarity.testing.builders import valid_application
from solidarity.testing.factories import Staff, make_org, make_staff
from solidarity.vault import keyring

STORIES = Path(__file__).parent / "stories"
_clients = itertools.count(1)
# Answers the web form does not ask but a channel may seal beside it: the bot's chat id, and
# a full name (a possible future field). The service number is a form field.
_EXTRA = ("telegram_chat_id", "full_name")


def story(name: str) -> str:
    return (STORIES / f"{name}.txt").read_text(encoding="utf-8")


class Worker(NamedTuple):
    """A staff member with their vault key unlocked, as a service call gets it."""

    user: object
    key: bytes
    staff: Staff


def unlocked(staff: Staff) -> Worker:
    return Worker(staff.user, keyring.unlock_staff_key(staff.user, staff.passphrase), staff)


def apply(**answers) -> Case:
    """Submit an application through intake (like ``make_application``), with any of
    ``_EXTRA`` sealed beside the form's answers; returns the case."""
    extra = {key: answers.pop(key) for key in _EXTRA if key in answers}
    data = MultiValueDict()
    for key, value in valid_application(**answers).items():
        data.setlist(key, value if isinstance(value, list) else [value])
    receipt = submit_application(
        data,
        MultiValueDict(),
        language="en",
        client=f"screening-applicant-{next(_clients)}",
        extra_sealed=extra or None,
    )
    return Case.objects.get(code=receipt.case_code)


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


def database_bytes() -> bytes:
    """Every cell of every table, as raw bytes: what a seized database would show."""
    from django.db import connection

    chunks = []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            chunks.extend(line.encode("utf-8") for line in connection.connection.iterdump())
        else:
            for table in connection.introspection.table_names(cursor):
                cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from introspection
                for row in cursor.fetchall():
                    for cell in row:
                        if isinstance(cell, bytes | memoryview):
                            chunks.append(bytes(cell))
                        else:
                            chunks.append(str(cell).encode("utf-8"))
    return b"\n".join(chunks)


def assert_nowhere_in_database(*values: str) -> None:
    dump = database_bytes()
    for value in values:
        for form in {value, value.lower(), value.upper()}:
            assert form.encode("utf-8") not in dump, "found in the database in clear"
