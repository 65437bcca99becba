from __future__ import annotations

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read English source strings; the default language is Belarusian."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
