from __future__ import annotations

import pytest

from solidarity.vault import keyring


@pytest.fixture
def intake_key(db) -> bytes:
    """An organisation exists; returns its intake private key (what a coordinator unlocks)."""
    _org, private_key = keyring.create_organisation("Test fund")
    return private_key


@pytest.fixture(autouse=True)
def _uploads_per_test(settings, tmp_path):
    """Each test gets its own uploads folder, so 'no file was written' can be checked."""
    settings.UPLOADS_DIR = tmp_path / "uploads"
    # Tests read English messages; the site's default (for browsers that name no language)
    # is Belarusian.
    settings.LANGUAGE_CODE = "en"
