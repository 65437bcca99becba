"""The transparency tests build the same books as the ledger tests: share their fixtures."""

from __future__ import annotations

from solidarity.ledger.tests.conftest import *  # noqa: F403
