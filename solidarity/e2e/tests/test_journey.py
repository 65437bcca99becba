"""The whole story in a browser, one step after another, as people live it.

An applicant on a cheap phone with JavaScript off applies with a photo and keeps the
receipt, checks the status and writes to the fund; a coordinator signs in with TOTP, finds
the case in the queue and reads it, photo included. Each step saves a screenshot.

The steps are functions, so later issues add theirs to the story in order: the coordinator
assigns the case, a volunteer verifies it and writes, the applicant reads the answer with
the receipt, the treasurer pays.
"""

from __future__ import annotations

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from solidarity.cases.models import Case
from solidarity.e2e import pages
from solidarity.e2e.support import LAPTOP, RequestLog, Screenshots, StaffLogin
from solidarity.testing.builders import GPS_CANARY, MAKE_CANARY, MODEL_CANARY

pytestmark = pytest.mark.browser

APPLICANT_MESSAGE = "Дадаю: доўг трэба аддаць да канца месяца."


def test_an_applicant_applies_without_javascript_and_a_coordinator_reads_the_case(
    server, coordinator, new_context, screenshots
):
    application = pages.new_application()
    # Given an applicant's phone with JavaScript off, asking for Belarusian
    applicant_context = new_context(java_script_enabled=False)
    applicant = applicant_context.new_page()
    requests = RequestLog(server.url).attach(applicant)

    # When they read the home page in Russian and back in Belarusian, apply with a photo,
    # then check the status with the receipt and write to the fund
    visit_home_and_switch_languages(applicant, server.url, screenshots)
    receipt = apply_with_a_photo(applicant, server.url, application, screenshots)
    check_status_and_write(applicant, server.url, receipt, screenshots)

    # Then their browser talked to our server alone
    assert not requests.foreign(), f"requests to other origins: {requests.foreign()}"

    # And a coordinator signs in with TOTP and reads the case, photo and message included
    staff_context = new_context(viewport=LAPTOP, locale="en")
    staff = staff_context.new_page()
    coordinator_reads_the_case(staff, server.url, coordinator, receipt, application, screenshots)
    coordinator_logs_out(staff, server.url, screenshots)


# --- the applicant ------------------------------------------------------------------------


def visit_home_and_switch_languages(page: Page, base_url: str, shots: Screenshots) -> None:
    page.goto(f"{base_url}/")
    expect(page.locator("html")).to_have_attribute("lang", "be")
    shots.take(page, "home-be", doc="applicant-home")

    pages.switch_language(page, "ru")
    expect(page).to_have_url(f"{base_url}/")
    shots.take(page, "home-ru")

    pages.switch_language(page, "be")
    expect(page).to_have_url(f"{base_url}/")


def apply_with_a_photo(
    page: Page, base_url: str, application: pages.Application, shots: Screenshots
) -> pages.Receipt:
    page.locator("main a[href='/apply/']").click()
    expect(page).to_have_url(f"{base_url}/apply/")
    expect(page.locator("html")).to_have_attribute("lang", "be")
    shots.take(page, "form", doc="applicant-form", doc_first_screen=True)

    pages.fill_application(page, application)
    shots.take(page, "form-filled")
    pages.submit_application(page)

    receipt = pages.read_receipt(page)
    expect(page.locator("html")).to_have_attribute("lang", "be")
    # A photo loses its metadata; only a video would bring the warning about it.
    expect(page.locator("main .warning")).to_have_count(0)
    shots.take(page, "receipt", doc="applicant-receipt")
    return receipt


def check_status_and_write(
    page: Page, base_url: str, receipt: pages.Receipt, shots: Screenshots
) -> None:
    page.locator("main a[href='/status/']").click()
    expect(page).to_have_url(f"{base_url}/status/")
    shots.take(page, "status-sign-in")

    pages.open_status(page, base_url, receipt)
    with translation.override("be"):
        received = str(Case.Status.NEW.label)
    expect(page.locator("#case-status")).to_have_text(received)
    shots.take(page, "status")

    pages.send_applicant_message(page, APPLICANT_MESSAGE)
    expect(page.locator("main article.message.mine")).to_contain_text(APPLICANT_MESSAGE)
    shots.take(page, "status-message-sent", doc="applicant-status")


# --- staff --------------------------------------------------------------------------------


def coordinator_reads_the_case(
    page: Page,
    base_url: str,
    login: StaffLogin,
    receipt: pages.Receipt,
    application: pages.Application,
    shots: Screenshots,
) -> None:
    pages.staff_login(page, base_url, login)
    expect(page.locator(f"table.queue a[href='/staff/cases/{receipt.case_code}/']")).to_be_visible()
    shots.take(page, "staff-queue", doc="staff-queue", doc_first_screen=True)

    pages.open_case_from_queue(page, base_url, receipt.case_code)
    # The story is shown decrypted, and the applicant's message after it
    expect(page.locator("main .answers")).to_contain_text(application.marker)
    expect(page.locator("main .answers")).to_contain_text(application.employer)
    expect(page.locator("main article.from-applicant")).to_contain_text(APPLICANT_MESSAGE)
    # The photo is displayed: loaded and decoded by the browser
    photo = page.locator(f"main img.evidence[alt='{application.photo_name}']")
    expect(photo).to_be_visible()
    photo.evaluate("img => img.decode()")
    assert photo.evaluate("img => img.naturalWidth") > 0, "the photo did not load"
    # And what the server sends is the cleaned photo: the camera and the place are gone
    image = page.context.request.get(base_url + photo.get_attribute("src"))
    assert image.ok, f"the photo answered {image.status}"
    assert image.headers["content-type"] == "image/jpeg"
    for canary in (MAKE_CANARY, MODEL_CANARY, GPS_CANARY):
        assert canary.encode() not in image.body(), f"the photo still holds {canary}"
    shots.take(
        page,
        "staff-case",
        doc="staff-case",
        doc_region=("section[aria-labelledby=answers]", "section[aria-labelledby=evidence]"),
    )


def coordinator_logs_out(page: Page, base_url: str, shots: Screenshots) -> None:
    pages.staff_logout(page, base_url)
    shots.take(page, "staff-logged-out")
    # The console is closed again
    page.goto(f"{base_url}/staff/")
    expect(page).to_have_url(f"{base_url}/staff/login/?next=/staff/")
