"""The whole story in a browser, one step after another, as people live it.

An applicant on a cheap phone with JavaScript off applies with a photo and keeps the
receipt, checks the status and writes to the fund. A coordinator signs in with TOTP and
reads the case, photo included; adds a volunteer, who enrols with their own passphrase and
authenticator app; approves them after comparing key fingerprints; locks and unlocks the
vault, screens the case and assigns it. The volunteer signs in with TOTP (in Russian), works
the verification checklist and writes to the applicant; the coordinator verifies the case.
The applicant, on another device, signs in with the receipt in Belarusian and reads the
message and the outcome. Each step saves a screenshot; the TOTP codes are computed here from
the secrets the pages show, as an authenticator app would.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from solidarity.cases.models import Case
from solidarity.e2e import pages
from solidarity.e2e.english import staff_english_on
from solidarity.e2e.support import LAPTOP, RequestLog, Screenshots, StaffLogin
from solidarity.lib.money import NBSP, format_money
from solidarity.testing.builders import GPS_CANARY, MAKE_CANARY, MODEL_CANARY
from solidarity.testing.fixtures import LiveServer

pytestmark = pytest.mark.browser

APPLICANT_MESSAGE = "Дадаю: доўг трэба аддаць да канца месяца."
VOLUNTEER = "vera"
VOLUNTEER_PASSPHRASE = "e2e only: pebble lantern orchard ferry"  # noqa: S105 - a test account
VOLUNTEER_MESSAGE = "Дзякуй. Мы праверылі вашыя дакументы; хутка напішам пра падтрымку."
DECISION_MESSAGE = "Вашу заяву пацверджана."
# The security-forces checklist, as the volunteer works it: what they saw for each step.
CHECKLIST = (
    ("service_id", "Удостоверение видела по видеосвязи, фото совпадает."),
    ("separation_papers", "Рапорт об увольнении с печатью части, датирован прошлым месяцем."),
    ("video_statement", "Короткое видеообращение записано во время звонка."),
    ("vouched", "Проверенный сотрудник из той же части поручился по телефону."),
    ("screening_clear", "Проверка по спискам: совпадений нет."),
)

# An officer the fund verified earlier, who vouches for the applicant (the checklist asks
# for one). Made behind the scenes: this story starts after that case was done.
VERIFIED_OFFICER = """
from django.utils.datastructures import MultiValueDict
from solidarity.accounts import demo
from solidarity.cases.models import Case
from solidarity.intake.services import submit_application

data = MultiValueDict()
for key, value in demo._answers(0).items():
    data.setlist(key, value if isinstance(value, list) else [value])
receipt = submit_application(data, MultiValueDict(), language="be", client="e2e-voucher")
Case.objects.filter(code=receipt.case_code).update(status=Case.Status.VERIFIED)
print(receipt.case_code)
"""


def a_verified_officer(server: LiveServer) -> str:
    return server.manage("shell", "-c", VERIFIED_OFFICER).stdout.strip().splitlines()[-1]


def a_story_of_their_own() -> pages.Application:
    """An application whose story is unlike the other tests' (screening would rightly flag
    two applications telling the same story)."""
    application = pages.new_application()
    story = (
        "Я служыў кіроўцам у часці і ў жніўні атрымаў загад везці затрыманых. "
        "Я адмовіўся, здаў форму і з'ехаў да сястры. Кантракт патрабуе вярнуць грошы "
        f"за навучанне, а працы пакуль няма. Нумар для пошуку: {application.marker}."
    )
    return pages.Application(story=story, marker=application.marker, photo=application.photo)


def test_an_application_goes_from_the_form_to_a_verified_case_and_back_to_the_applicant(
    server, coordinator, new_context, screenshots
):
    voucher = a_verified_officer(server)
    application = a_story_of_their_own()
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
    staff = new_context(viewport=LAPTOP, locale="en").new_page()
    coordinator_reads_the_case(staff, server.url, coordinator, receipt, application, screenshots)

    # When the coordinator brings in a volunteer, who enrols on their own laptop (in Russian)
    volunteer_page = new_context(viewport=LAPTOP, locale="ru").new_page()
    volunteer = coordinator_adds_a_volunteer(staff, volunteer_page, server.url, screenshots)

    # and unlocks the vault again, screens the case and assigns it to the volunteer
    coordinator_unlocks_screens_and_assigns(staff, server.url, coordinator, receipt, screenshots)

    # Then the volunteer works the checklist and writes to the applicant
    volunteer_verifies(
        volunteer_page, server.url, volunteer, receipt, application.marker, voucher, screenshots
    )

    # And the coordinator, satisfied, verifies the case
    coordinator_verifies(staff, server.url, receipt, screenshots)

    # Then the applicant, on another phone, reads the message and the outcome in Belarusian
    phone = new_context(java_script_enabled=False).new_page()
    applicant_reads_the_outcome(phone, server.url, receipt, screenshots)

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
    shots.take(page, "status-message-sent")


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
    # The debt reads the English way: "$12,500.00"
    debt = format_money(Decimal(application.debt_contract).quantize(Decimal("0.01")), "USD", "en")
    expect(page.locator("main .answers")).to_contain_text(debt)
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


def coordinator_adds_a_volunteer(
    page: Page, volunteer_page: Page, base_url: str, shots: Screenshots
) -> StaffLogin:
    link = pages.invite_staff(page, base_url, VOLUNTEER, "volunteer")
    shots.take(page, "staff-invited")

    login, fingerprint = pages.enrol(volunteer_page, link, VOLUNTEER, VOLUNTEER_PASSPHRASE)
    expect(volunteer_page.locator("html")).to_have_attribute("lang", "ru")
    shots.take(volunteer_page, "volunteer-enrolled")
    # The link works once
    assert volunteer_page.goto(link).status == 404

    pages.approve_staff(page, base_url, VOLUNTEER, fingerprint)
    shots.take(page, "staff-people")
    return login


def coordinator_unlocks_screens_and_assigns(
    page: Page, base_url: str, login: StaffLogin, receipt: pages.Receipt, shots: Screenshots
) -> None:
    # Leaving the desk: the vault is locked, and a case needs it unlocked again
    pages.lock_vault(page, base_url)
    page.goto(f"{base_url}/staff/cases/{receipt.case_code}/")
    back = quote(f"/staff/cases/{receipt.case_code}/", safe="")
    expect(page).to_have_url(f"{base_url}/staff/unlock/?next={back}")
    shots.take(page, "staff-unlock")
    pages.unlock_vault(page, login)
    expect(page).to_have_url(f"{base_url}/staff/cases/{receipt.case_code}/")

    pages.screen_case(page)
    expect(page.locator("#screening article.flag")).to_have_count(0)
    pages.assign_case(page, VOLUNTEER)
    shots.take(page, "staff-assigned")


def volunteer_verifies(
    page: Page,
    base_url: str,
    login: StaffLogin,
    receipt: pages.Receipt,
    marker: str,
    voucher: str,
    shots: Screenshots,
) -> None:
    # The code of the enrolment may not be used twice: this waits for the next one if needed
    pages.staff_login(page, base_url, login, lands_on="/staff/mine/")
    case_link = page.locator(f"table.queue a[href='/staff/cases/{receipt.case_code}/']")
    expect(case_link).to_be_visible()
    shots.take(page, "volunteer-my-cases")
    assert not staff_english_on(page), staff_english_on(page)
    case_link.click()
    expect(page.locator("main .answers")).to_contain_text(marker)
    # and the debt the Russian way: "12 500,00 $"
    expect(page.locator("main .answers")).to_contain_text(f"12{NBSP}500,00{NBSP}$")

    for item, note in CHECKLIST:
        pages.tick_step(page, item, note, voucher=voucher if item == "vouched" else "")
    expect(page.locator("section.verification ol.checklist > li.done")).to_have_count(
        len(CHECKLIST)
    )
    # Notes are sealed to the case, yet the volunteer reads them back
    expect(page.locator("li#step-service_id")).to_contain_text(CHECKLIST[0][1])
    page.locator("#verification").scroll_into_view_if_needed()
    shots.take(
        page,
        "volunteer-checklist",
        doc="volunteer-checklist-ru",
        doc_region=("section.verification h2", "section.verification ol.checklist"),
    )
    # A volunteer works the checklist; only a coordinator decides
    expect(page.locator("section.verification form.decide")).to_have_count(0)

    pages.send_staff_message(page, VOLUNTEER_MESSAGE)
    shots.take(page, "volunteer-message-sent")
    # Every word of the console is in Russian for them
    assert not staff_english_on(page), staff_english_on(page)


def coordinator_verifies(
    page: Page, base_url: str, receipt: pages.Receipt, shots: Screenshots
) -> None:
    page.goto(f"{base_url}/staff/cases/{receipt.case_code}/")
    expect(page.locator("article.message.from-fund").last).to_contain_text(VOLUNTEER_MESSAGE)
    pages.record_decision(page, "verified", DECISION_MESSAGE)
    with translation.override("en"):
        verified = str(Case.Status.VERIFIED.label)
    expect(page.locator("dl.facts")).to_contain_text(verified)
    shots.take(
        page,
        "staff-case-verified",
        doc="staff-verified",
        doc_region=("h1", "section.verification"),
    )


def applicant_reads_the_outcome(
    page: Page, base_url: str, receipt: pages.Receipt, shots: Screenshots
) -> None:
    pages.open_status(page, base_url, receipt)
    expect(page.locator("html")).to_have_attribute("lang", "be")
    with translation.override("be"):
        verified = str(Case.Status.VERIFIED.label)
    expect(page.locator("#case-status")).to_have_text(verified)
    expect(page.locator("#case-decision")).to_contain_text(DECISION_MESSAGE)
    fund_messages = page.locator("main article.message:not(.mine)")
    expect(fund_messages.filter(has_text=VOLUNTEER_MESSAGE)).to_have_count(1)
    expect(page.locator("main article.message.mine")).to_contain_text(APPLICANT_MESSAGE)
    shots.take(page, "status-verified", doc="applicant-status")


def coordinator_logs_out(page: Page, base_url: str, shots: Screenshots) -> None:
    pages.staff_logout(page, base_url)
    shots.take(page, "staff-logged-out")
    # The console is closed again
    page.goto(f"{base_url}/staff/")
    expect(page).to_have_url(f"{base_url}/staff/login/?next=/staff/")
