"""Fixtures of the browser suite.

Run it alone with

    SOLIDARITY_KDF=fast-insecure-for-tests .venv/bin/pytest solidarity/e2e -q

It needs Debian's Chromium (`apt-get install chromium`; CHROMIUM_PATH overrides
/usr/bin/chromium) and, for the accessibility checks, axe-core from `npm ci`. Without them
the tests skip, and fail under REQUIRE_ALL=1. Screenshots go to artifacts/screenshots/;
SOLIDARITY_DOCS_SCREENSHOTS=1 also refreshes the ones in docs/screenshots/.

The suite starts its own server (package scope), and Playwright is started and stopped
within this package: its event loop must not outlive these tests, or Django would refuse
database access in the tests that run after them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from solidarity.e2e.support import (
    CHROMIUM_ARGS,
    PHONE,
    TIMEOUT_MS,
    LiveServer,
    Screenshots,
    StaffLogin,
    init_organisation,
    start_server,
)
from solidarity.testing.fixtures import require_or_skip

ORG_NAME = "E2E Fund"
COORDINATOR = "coord"
COORDINATOR_PASSPHRASE = "e2e only: walnut lighthouse tram"  # noqa: S105 - a test account


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failed browser test shows the end of the server's log beside the traceback."""
    report = yield
    server = getattr(item, "funcargs", {}).get("server")
    if report.failed and isinstance(server, LiveServer):
        report.sections.append(("solidarity serve: end of the log", server.log_tail(40)))
    return report


@pytest.fixture(scope="package")
def server(chromium_path, tmp_path_factory) -> Iterator[LiveServer]:
    """The app in its own `solidarity serve` process (after Chromium is known to be there)."""
    # Every browser here connects from 127.0.0.1, and the suite sends about twenty
    # applications: the per-client flood gate (tested in intake/tests) would close on it.
    limits_off = {"SOLIDARITY_APPLY_RATE_PER_HOUR": "0"}
    with start_server(tmp_path_factory.mktemp("e2e-server"), limits_off) as live:
        yield live


@pytest.fixture(scope="package")
def coordinator(server) -> StaffLogin:
    """The organisation, created with `solidarity init` as an operator would, and its first
    coordinator, who holds the intake key. Applications need it, so every test asks for it."""
    return init_organisation(server, ORG_NAME, COORDINATOR, COORDINATOR_PASSPHRASE)


@pytest.fixture(scope="package")
def browser(chromium_path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_context(browser) -> Iterator:
    """A factory of browser contexts (a fresh profile each), closed after the test.

    Applicant contexts default to a 360 x 740 phone in Belarusian; pass ``locale``,
    ``java_script_enabled=False``, ``bypass_csp=True`` (for axe) or ``viewport=LAPTOP``."""
    contexts: list[BrowserContext] = []

    def make(**options) -> BrowserContext:
        options.setdefault("viewport", PHONE)
        options.setdefault("locale", "be")
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshots(request) -> Screenshots:
    root = request.config.rootpath
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    return Screenshots(root / "artifacts" / "screenshots" / name, root / "docs" / "screenshots")


@pytest.fixture(scope="session")
def axe_source(request) -> str:
    """axe-core's browser bundle, installed by `npm ci` from package-lock.json."""
    path = request.config.rootpath / "node_modules" / "axe-core" / "axe.min.js"
    if not path.is_file():
        require_or_skip(f"axe-core not installed: npm ci (looked for {path})")
    return path.read_text(encoding="utf-8")
