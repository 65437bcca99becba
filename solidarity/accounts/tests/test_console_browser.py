"""The console in a real browser against `solidarity serve`: what the test client cannot see
(CSRF with the browser's Origin header, the CSP, cookies)."""

from __future__ import annotations

import pytest
from django_otp.oath import TOTP

USERNAME = "browser-coordinator"
PASSPHRASE = "violet hedgehog under the bridge"
TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test secret, hex
ENROL = (
    "from solidarity.accounts import services; "
    f"services.enrol_staff_member({USERNAME!r}, 'coordinator', {PASSPHRASE!r}, by=None, "
    f"totp_key={TOTP_KEY!r})"
)


def current_code() -> str:
    return f"{TOTP(bytes.fromhex(TOTP_KEY)).token():06d}"


@pytest.mark.browser
@pytest.mark.slow
def test_staff_sign_in_lock_and_log_out_in_a_real_browser(live_server_process, chromium_path):
    from playwright.sync_api import sync_playwright

    server = live_server_process
    # No organisation is created: the live server is shared, and the queue needs none.
    server.manage("shell", "-c", ENROL)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            page = browser.new_page(extra_http_headers={"Accept-Language": "en"})
            page.on("console", lambda message: problems.append(message.text))

            # Given the login page, reached by asking for the console
            page.goto(server.url + "/staff/")
            assert "/staff/login/" in page.url

            # When the coordinator signs in with passphrase and code
            page.fill("#id_username", USERNAME)
            page.fill("#id_passphrase", PASSPHRASE)
            page.fill("#id_code", current_code())
            page.click("form[action='/staff/login/'] button[type=submit]")

            # Then the queue opens and the vault is unlocked in this browser only
            assert page.url == server.url + "/staff/"
            assert page.locator("h1").inner_text() == "Queue"
            vault_cookie = [c for c in page.context.cookies() if c["name"] == "vk"]
            assert vault_cookie[0]["httpOnly"]
            assert vault_cookie[0]["sameSite"] == "Strict"

            # Locking and logging out are form posts too
            page.click("form[action='/staff/lock/'] button")
            assert page.locator("a[href='/staff/unlock/']").count() == 1
            page.click("form[action='/staff/logout/'] button")
            assert "/staff/login/" in page.url
            assert not [c for c in page.context.cookies() if c["name"] == "vk"]
        finally:
            browser.close()
    # Any CSP violation or failed load shows up as a console message
    assert problems == []
