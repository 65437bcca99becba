"""The cast for jobs tests: `coach` (a job coach, holds the jobs key once it exists),
`volunteer`, `treasurer` and `coordinator` (staff who may not see job profiles), and the
anonymous outsider (a fresh client)."""

from __future__ import annotations

import pytest
from django.utils import translation

from solidarity.jobs.tests.factories import ensure_org, make_coach
from solidarity.testing.factories import make_staff


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read English source strings; the default language is Belarusian."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def org(db):
    return ensure_org()


@pytest.fixture
def coach(org):
    return make_coach(username="coach")


@pytest.fixture
def volunteer(org):
    return make_staff(role="volunteer", username="vera")


@pytest.fixture
def treasurer(org):
    return make_staff(role="treasurer", username="tina")


@pytest.fixture
def coordinator(org):
    return make_staff(role="coordinator", username="cora")
