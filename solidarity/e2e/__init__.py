"""End-to-end browser tests: Playwright drives Debian's Chromium against a real server process.

The tests live in ``solidarity/e2e/tests/``; this package holds what they share:
``support`` (the server, Chromium, TOTP codes, request logs, screenshots) and ``pages``
(what an applicant or a staff member does, step by step). See ``tests/conftest.py`` for the
fixtures and how to run the suite.
"""
