"""The money side in a browser: from a verified case to a SEPA file, with four eyes, then the
public transparency page in every language.

A coordinator proposes the support plan of a verified case from the programme's policy,
activates it and adds where to pay, sealed. Treasurer A prepares the payout batch and is
not offered the approval, and a forged approval of theirs is refused; treasurer B approves
and downloads the SEPA file. Anyone then reads the transparency page in Belarusian, Russian
and English, with money written each language's way. Each step saves a screenshot.
"""

from __future__ import annotations

import base64
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from solidarity.e2e import pages
from solidarity.e2e.english import staff_english_on
from solidarity.e2e.support import LAPTOP, Screenshots, StaffLogin
from solidarity.ledger.models import PayoutBatch
from solidarity.lib.money import format_money
from solidarity.testing.fixtures import LiveServer

pytestmark = pytest.mark.browser

TREASURER_A = "tina"
TREASURER_B = "tom"
TREASURER_PASSPHRASE = "e2e only: copper meadow ledger stone"  # noqa: S105 - test accounts
# Their authenticator apps' secrets (hex), as `solidarity staff` would have enrolled them.
TOTP_KEYS = {TREASURER_A: "a1" * 20, TREASURER_B: "b2" * 20}
# Invented, checksum-valid IBANs: the fund's and the beneficiary's. Never real accounts.
FUND_IBAN = "DE02100100100006820101"
BENEFICIARY_IBAN = "LT601010012345678901"
BENEFICIARY = "E2E Beneficiary"
# The policy pays the debt up to the cap at once: one payment, due today.
DEBT_CAP = Decimal("3200.00")

# Given the fund as the treasurers found it: two treasurers, a bank account, the rates, a
# policy for the programme, and donations from weeks that have ended (the transparency page
# shows only those). And the case, verified by the case workers (test_journey shows how).
FUND = f"""
import datetime
from decimal import Decimal
from django.utils import timezone
from solidarity.accounts import services
from solidarity.accounts.models import User
from solidarity.ledger import donations, plans, services as ledger

coordinator = User.objects.get(role="coordinator", username="coord")
for name, key in {TOTP_KEYS!r}.items():
    services.enrol_staff_member(name, "treasurer", {TREASURER_PASSPHRASE!r}, by=None, totp_key=key)
tina = User.objects.get(username={TREASURER_A!r})
today = timezone.localdate()
bank = ledger.open_held_account(
    "E2E bank", "EUR", by=tina, bank_holder="E2E Fund", bank_iban={FUND_IBAN!r},
    bank_bic="MARKDEF1100",
)
dollars = ledger.open_held_account("E2E dollars", "USD", by=tina)
for currency, rate in (("EUR", "1.08"), ("BYN", "0.31")):
    ledger.record_rate(currency, today - datetime.timedelta(days=60), Decimal(rate), by=tina)
for n in range(12):
    for account, amount in ((dollars, "150.00"), (bank, "400.00")):
        donations.record_donation(
            amount=Decimal(amount) + n, currency=account.currency, held_account=account,
            received_on=today - datetime.timedelta(days=15 + n % 3), by=tina,
        )
plans.set_policy(
    "security_forces", by=coordinator, reason="E2E policy", currency="EUR",
    debt_cap=Decimal({str(DEBT_CAP)!r}), monthly_income_cap=Decimal("0.00"), income_months=0,
    course_cap=Decimal("0.00"), legal_aid_cap=Decimal("0.00"),
)
"""


def treasurer_login(username: str) -> StaffLogin:
    secret = base64.b32encode(bytes.fromhex(TOTP_KEYS[username])).decode()
    return StaffLogin(username, TREASURER_PASSPHRASE, f"otpauth://totp/{username}?secret={secret}")


def a_verified_case(server: LiveServer, page: Page) -> pages.Receipt:
    """An officer applies on the public form; the case workers verify the case."""
    receipt = pages.apply(page, server.url, pages.new_application(photo=False))
    server.manage(
        "shell",
        "-c",
        "from solidarity.cases.models import Case\n"
        f"Case.objects.filter(code={receipt.case_code!r}).update(status=Case.Status.VERIFIED)",
    )
    return receipt


def test_a_treasurer_prepares_another_approves_and_the_public_sees_the_money(
    server, coordinator, new_context, screenshots
):
    # Given the fund's books and a case its case workers verified
    server.manage("shell", "-c", FUND)
    applicant = new_context(locale="be").new_page()
    receipt = a_verified_case(server, applicant)
    code = receipt.case_code

    # When the coordinator proposes the plan, activates it and says where to pay
    staff = new_context(viewport=LAPTOP, locale="en").new_page()
    coordinator_plans_the_support(staff, server.url, coordinator, code, screenshots)
    # And the applicant reads, in Belarusian, what paying to that bank risks, before the
    # first payment can leave
    the_applicant_reads_the_rail_guidance(applicant, server.url, receipt, screenshots)

    # Then treasurer A prepares the batch, but may not approve it
    tina = new_context(viewport=LAPTOP, locale="en").new_page()
    batch_url = treasurer_prepares_a_batch(tina, server.url, code, screenshots)
    four_eyes_stop_the_preparer(tina, batch_url, screenshots)

    # And treasurer B (who reads Russian) approves it and downloads the SEPA file
    tom = new_context(viewport=LAPTOP, locale="ru").new_page()
    sepa = second_treasurer_approves_and_exports(tom, server.url, batch_url, screenshots)
    assert b"pain.001" in sepa
    assert BENEFICIARY_IBAN.encode() in sepa
    assert FUND_IBAN.encode() in sepa
    assert f'<InstdAmt Ccy="EUR">{DEBT_CAP}</InstdAmt>'.encode() in sepa
    # and every page of the books reads in Russian for them
    the_books_read_in_russian(tom, server.url)

    # Then anyone reads the figures in Belarusian, Russian and English, each its own way
    public = new_context(locale="be").new_page()
    the_public_reads_the_transparency_page(public, server.url, screenshots)


def coordinator_plans_the_support(
    page: Page, base_url: str, login: StaffLogin, code: str, shots: Screenshots
) -> None:
    pages.staff_login(page, base_url, login)
    page.goto(f"{base_url}/staff/ledger/plans/")
    page.locator(f"form[action='/staff/ledger/plans/propose/{code}/'] button").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(base_url)}/staff/ledger/plans/\d+/$"))
    page.locator("form:has(input[name=action][value=activate]) button").click()
    expect(page.locator("ul.notices")).to_contain_text("payments scheduled")

    page.locator("details:has(form input[name=action][value=destination]) summary").click()
    page.locator("#id_dest-rail").select_option("sepa")
    page.locator("#id_dest-holder").fill(BENEFICIARY)
    page.locator("#id_dest-iban").fill(BENEFICIARY_IBAN)
    page.locator("form:has(input[name=action][value=destination]) button[type=submit]").click()
    expect(page.locator("ul.notices")).to_contain_text("sealed and saved")
    # Only the last digits are ever shown on a page
    expect(page.locator("main")).not_to_contain_text(BENEFICIARY_IBAN)
    expect(page.locator("main")).to_contain_text(format_money(DEBT_CAP, "EUR", "en"))
    shots.take(page, "plan", doc="staff-plan", doc_first_screen=True)
    pages.staff_logout(page, base_url)


def the_applicant_reads_the_rail_guidance(
    page: Page, base_url: str, receipt: pages.Receipt, shots: Screenshots
) -> None:
    pages.open_status(page, base_url, receipt)
    guidance = page.locator("section.guidance")
    expect(guidance).to_have_count(1)
    with translation.override("be"):
        heading = translation.gettext("Before your first payment: read this")
    expect(guidance.locator("h2")).to_have_text(heading)
    shots.take(page, "guidance")
    guidance.locator("button[type=submit]").click()
    expect(page.locator("p.notice[role=status]")).to_be_visible()
    expect(page.locator("section.guidance")).to_have_count(0)


def treasurer_prepares_a_batch(page: Page, base_url: str, code: str, shots: Screenshots) -> str:
    pages.staff_login(page, base_url, treasurer_login(TREASURER_A), lands_on="/staff/ledger/")
    page.goto(f"{base_url}/staff/ledger/batches/")
    page.locator("#id_rail").select_option("sepa")
    bank = page.locator("#id_held_account option").filter(has_text="E2E bank")
    page.locator("#id_held_account").select_option(bank.get_attribute("value"))
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(rf"{re.escape(base_url)}/staff/ledger/batches/\d+/$"))
    expect(page.locator("main table")).to_contain_text(code)
    return page.url


def four_eyes_stop_the_preparer(page: Page, batch_url: str, shots: Screenshots) -> None:
    # The page offers no approval, and says why
    approve = page.locator("form:has(input[name=action][value=approve])")
    expect(approve).to_have_count(0)
    expect(page.locator("main p.hint").first).to_contain_text("Another treasurer")
    shots.take(page, "batch-prepared", doc="treasurer-batch", doc_first_screen=True)

    # And a hand-made approval is refused by the server
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    answer = page.request.post(
        batch_url,
        form={"csrfmiddlewaretoken": token, "action": "approve"},
        headers={"Accept-Language": "en"},  # as the browser's own requests say
        max_redirects=0,
    )
    assert answer.status == 302, answer.status
    assert answer.headers["location"] == urlsplit(batch_url).path
    page.goto(batch_url)
    expect(page.locator("ul.notices")).to_contain_text("somebody else must approve it")
    with translation.override("en"):
        prepared = str(PayoutBatch.Status.PREPARED.label)
    expect(page.locator("dl.facts dd").first).to_have_text(prepared)
    shots.take(page, "four-eyes-refused")


def second_treasurer_approves_and_exports(
    page: Page, base_url: str, batch_url: str, shots: Screenshots
) -> bytes:
    pages.staff_login(page, base_url, treasurer_login(TREASURER_B), lands_on="/staff/ledger/")
    page.goto(batch_url)
    # Amounts in the Russian way, e.g. "3 200,00 €"
    expect(page.locator("dl.facts")).to_contain_text(format_money(DEBT_CAP, "EUR", "ru"))
    page.locator("form:has(input[name=action][value=approve]) button").click()
    export = page.locator("form:has(input[name=action][value=export]) button")
    expect(export).to_be_visible()
    shots.take(page, "batch-approved")
    with page.expect_download() as download:
        export.click()
    path = Path(download.value.path())
    assert download.value.suggested_filename.endswith(".xml"), download.value.suggested_filename
    page.goto(batch_url)
    shots.take(page, "batch-exported", doc="treasurer-exported", doc_first_screen=True)
    return path.read_bytes()


def the_books_read_in_russian(page: Page, base_url: str) -> None:
    left = {}
    for ledger_page in LEDGER_PAGES:
        page.goto(f"{base_url}/staff/ledger/{ledger_page}")
        english = staff_english_on(page)
        if english:
            left[ledger_page or "overview"] = english
    assert not left, f"English left on the Russian ledger pages: {left}"


# The pages of the books, as their menu lists them.
LEDGER_PAGES = (
    "",
    "donations/",
    "campaigns/",
    "accounts/",
    "policies/",
    "plans/",
    "commitments/",
    "batches/",
    "runway/",
)


# What each language's money looks like on the page, whole units of dollars.
MONEY_SHAPE = {
    "en": re.compile(r"\$\d{1,3}(,\d{3})+"),
    "ru": re.compile(r"\d{1,3}(\xa0\d{3})+\xa0\$"),
    "be": re.compile(r"\d{1,3}(\xa0\d{3})+\xa0\$"),
}


def the_public_reads_the_transparency_page(page: Page, base_url: str, shots: Screenshots) -> None:
    page.goto(f"{base_url}/transparency/")
    raised = page.context.request.get(f"{base_url}/transparency/data.json").json()["totals"][
        "raised"
    ]
    assert raised > 1000, "the donations should show as raised"
    for language in ("be", "ru", "en"):
        if page.locator("html").get_attribute("lang") != language:
            pages.switch_language(page, language)
        shown = page.locator("ul.figures li").first.locator(".value").inner_text()
        assert shown == format_money(raised, "USD", language)
        assert MONEY_SHAPE[language].fullmatch(shown), (language, shown)
        shots.take(
            page,
            f"transparency-{language}",
            doc=f"transparency-{language}" if language in ("en", "ru") else None,
            doc_first_screen=True,
        )
