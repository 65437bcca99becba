"""The cast for money tests: `treasurer` prepares, `second_treasurer` and `coordinator` may
approve, `volunteer` may do nothing with money, `outsider` is anonymous."""

from __future__ import annotations

import pytest
from django.utils import translation

from solidarity.ledger.tests.factories import ensure_org
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
def coordinator(org):
    return make_staff(role="coordinator", username="coord")


@pytest.fixture
def treasurer(org):
    return make_staff(role="treasurer", username="tina")


@pytest.fixture
def second_treasurer(org):
    return make_staff(role="treasurer", username="tom")


@pytest.fixture
def volunteer(org):
    return make_staff(role="volunteer", username="vera")
