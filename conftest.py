"""Repository-wide pytest hooks. The shared fixtures live in solidarity/testing/fixtures.py.

REQUIRE_ALL=1 (set by .ci/run): a skipped test fails, so CI cannot go green while a service
(PostgreSQL, Chromium, gettext) is missing. Only a skip declared up front with
`@pytest.mark.skip` or `@pytest.mark.skipif` on the test stays a skip: such a decision is
visible in review. A service check must therefore use `require_or_skip()` or the fixtures
(`chromium_path`, `postgres_url`), never a `skipif`. xfail is not affected.

SOLIDARITY_TEST_DB=sqlite (set by the Makefile's SQLite pass, which a PostgreSQL pass
follows): tests that ask for `postgres_url` are deselected there instead of skipped.
"""

from __future__ import annotations

import os

import pytest

from solidarity.testing.fixtures import require_all


def pytest_report_header(config: pytest.Config) -> list[str]:
    try:
        from django.conf import settings

        db = settings.DATABASES["default"]
        if "postgresql" in db["ENGINE"]:
            where = (
                f"PostgreSQL {db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
                f" (tests run in test_{db['NAME']})"
            )
        else:
            where = "SQLite (in-memory test database)"
        data_dir = settings.DATA_DIR
    except Exception as exc:  # the settings failed to load: pytest-django reports why
        where, data_dir = f"unknown ({exc.__class__.__name__})", "unknown"
    if os.environ.get("SOLIDARITY_TEST_DB") == "sqlite":
        where += "; tests using postgres_url are deselected (they run in the PostgreSQL pass)"
    return [
        f"solidarity database: {where}",
        f"solidarity data dir: {data_dir}, KDF: {os.environ.get('SOLIDARITY_KDF')},"
        f" REQUIRE_ALL: {'yes' if require_all() else 'no'}",
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("SOLIDARITY_TEST_DB") != "sqlite":
        return
    postgres_only = [item for item in items if "postgres_url" in getattr(item, "fixturenames", ())]
    if postgres_only:
        config.hook.pytest_deselected(items=postgres_only)
        items[:] = [item for item in items if item not in postgres_only]


def _skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr)


def _declared_skip(item: pytest.Item, reason: str) -> bool:
    """True if a skip or skipif marker on the item produced this skip."""
    for mark in item.iter_markers("skipif"):
        declared = mark.kwargs.get("reason")
        if reason == declared or (declared is None and reason.startswith("condition: ")):
            return True
    for mark in item.iter_markers("skip"):
        declared = mark.kwargs.get("reason", mark.args[0] if mark.args else "unconditional skip")
        if reason == declared:
            return True
    return False


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if not (report.skipped and require_all()) or hasattr(report, "wasxfail"):
        return report
    reason = _skip_reason(report)
    if report.when == "setup" and _declared_skip(item, reason):
        return report
    report.outcome = "failed"
    report.longrepr = f"skipped under REQUIRE_ALL=1, which makes skips fail: {reason}"
    return report


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_make_collect_report(collector: pytest.Collector):
    # A module-level pytest.skip() or pytest.importorskip() skips a whole module.
    report = yield
    if report.skipped and require_all():
        report.outcome = "failed"
        report.longrepr = f"module skipped under REQUIRE_ALL=1: {_skip_reason(report)}"
    return report
