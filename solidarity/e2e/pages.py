"""What people do on the site, one function per step, for the browser tests.

Elements are found by name, id or role attributes, never by visible text, so the same steps
work in every language. Each function leaves the page where a person would be next.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from playwright.sync_api import Page, expect

from solidarity.e2e.support import StaffLogin
from solidarity.testing.builders import jpeg_with_metadata

# The applicant's form (Django's ids) and the buttons that belong to a form in <main>.
APPLY_SUBMIT = "main form[enctype] button[type=submit]"
STATUS_LOGIN_SUBMIT = "main form:has(#id_passphrase) button[type=submit]"
MESSAGE_SUBMIT = "main form:has(#id_body) button[type=submit]"


@dataclass(frozen=True)
class Receipt:
    case_code: str
    passphrase: str


@dataclass(frozen=True)
class Application:
    """What an applicant types. ``marker`` is unique to this application, so staff-side
    checks can find exactly this story."""

    story: str
    marker: str
    employer: str = "Унутраныя войскі, вайсковая частка ў Мінску"
    role: str = "Сяржант"
    since: str = "2021-03-15"
    debt_contract: str = "12500"
    dependants: str = "2"
    photo_name: str = "service-id.jpg"
    photo: bytes | None = None


def new_application(*, photo: bool = True) -> Application:
    marker = f"E2E-{secrets.token_hex(4).upper()}"
    story = (
        "Я адмовіўся разганяць мірны пратэст і напісаў рапарт аб звальненні. "
        f"Цяпер мне трэба выплаціць доўг за кантракт. Справа {marker}."
    )
    return Application(
        story=story, marker=marker, photo=jpeg_with_metadata(size=(320, 200)) if photo else None
    )


# --- the applicant ------------------------------------------------------------------------


def switch_language(page: Page, code: str) -> None:
    """Press a language button in the header (a plain form: works without JavaScript)."""
    page.locator(f"form.langs button[value='{code}']").click()
    expect(page.locator("html")).to_have_attribute("lang", code)


def fill_application(page: Page, application: Application) -> None:
    """Fill the form at /apply/ as a security-forces officer who quit."""
    page.locator("input[name=programme][value=security_forces]").check()
    page.locator("input[name=situation][value='security_forces:quit']").check()
    page.locator("#id_employer").fill(application.employer)
    page.locator("#id_role").fill(application.role)
    page.locator("#id_since").fill(application.since)
    page.locator("#id_debt_contract").fill(application.debt_contract)
    page.locator("#id_debt_contract_currency").select_option("USD")
    page.locator("#id_dependants").fill(application.dependants)
    page.locator("input[name=needs][value=money]").check()
    page.locator("input[name=needs][value=job]").check()
    page.locator("#id_story").fill(application.story)
    if application.photo is not None:
        page.locator("#id_proof_files").set_input_files(
            {"name": application.photo_name, "mimeType": "image/jpeg", "buffer": application.photo}
        )


def submit_application(page: Page) -> None:
    page.locator(APPLY_SUBMIT).click()
    page.wait_for_load_state()


def read_receipt(page: Page) -> Receipt:
    code = page.locator("#case-code").inner_text().strip()
    passphrase = page.locator("#passphrase").inner_text().strip()
    assert code, "the receipt shows no case code"
    assert len(passphrase.split()) == 7, f"not a receipt passphrase: {passphrase!r}"
    return Receipt(code, passphrase)


def apply(page: Page, base_url: str, application: Application) -> Receipt:
    """From anywhere to the receipt page: open the form, fill it, send it."""
    page.goto(f"{base_url}/apply/")
    fill_application(page, application)
    submit_application(page)
    return read_receipt(page)


def open_status(page: Page, base_url: str, receipt: Receipt) -> None:
    """Sign in at /status/ with a receipt; ends on /status/case/."""
    page.goto(f"{base_url}/status/")
    page.locator("#id_code").fill(receipt.case_code)
    page.locator("#id_passphrase").fill(receipt.passphrase)
    page.locator(STATUS_LOGIN_SUBMIT).click()
    expect(page).to_have_url(f"{base_url}/status/case/")


def send_applicant_message(page: Page, text: str) -> None:
    """On /status/case/: write to the fund."""
    page.locator("#id_body").fill(text)
    page.locator(MESSAGE_SUBMIT).click()
    expect(page.locator("main [role=status]")).to_be_visible()


# Every state of the applicant pages, in the order applicant_pages() shows them.
APPLICANT_PAGES = (
    "home",
    "apply",
    "apply-with-errors",
    "receipt",
    "status",
    "status-with-errors",
    "status-case",
)


def applicant_pages(page: Page, base_url: str) -> Iterator[str]:
    """Walk through every applicant page, yielding its name while the browser shows it.

    Sends one invalid and one valid application (no files), so an organisation must exist.
    """
    page.goto(f"{base_url}/")
    yield "home"
    page.goto(f"{base_url}/apply/")
    yield "apply"
    submit_application(page)  # empty: the form comes back with errors
    expect(page.locator("#errors")).to_be_visible()
    yield "apply-with-errors"
    fill_application(page, new_application(photo=False))
    submit_application(page)
    receipt = read_receipt(page)
    yield "receipt"
    page.goto(f"{base_url}/status/")
    yield "status"
    page.locator(STATUS_LOGIN_SUBMIT).click()  # empty: both fields are required
    expect(page.locator("#id_code")).to_have_attribute("aria-invalid", "true")
    yield "status-with-errors"
    open_status(page, base_url, receipt)
    yield "status-case"


# --- staff --------------------------------------------------------------------------------


def staff_login(page: Page, base_url: str, login: StaffLogin, lands_on: str = "/staff/") -> None:
    """Username, passphrase and the code from the authenticator app; ends on the page of
    their role (``lands_on``: the queue for a coordinator)."""
    page.goto(f"{base_url}/staff/login/")
    page.locator("#id_username").fill(login.username)
    page.locator("#id_passphrase").fill(login.passphrase)
    page.locator("#id_code").fill(login.code())
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}{lands_on}")


def open_case_from_queue(page: Page, base_url: str, case_code: str) -> None:
    page.locator(f"table.queue a[href='/staff/cases/{case_code}/']").click()
    expect(page).to_have_url(f"{base_url}/staff/cases/{case_code}/")


def staff_logout(page: Page, base_url: str) -> None:
    page.locator("form[action='/staff/logout/'] button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/staff/login/")


def invite_staff(page: Page, base_url: str, username: str, role: str) -> str:
    """A coordinator adds a staff member; returns the one-time enrolment link."""
    page.goto(f"{base_url}/staff/people/add/")
    page.locator("#id_username").fill(username)
    page.locator("#id_role").select_option(role)
    page.locator("main form button[type=submit]").click()
    link = page.locator("#enrol-link").inner_text().strip()
    assert link.startswith(f"{base_url}/staff/enrol/"), link
    return link


def enrol(page: Page, link: str, username: str, passphrase: str) -> tuple[StaffLogin, str]:
    """The new person opens their link, types the secret into their authenticator app (here:
    the test), chooses a passphrase and enters the app's code. Returns their login and the
    key fingerprint they read out to the coordinator."""
    page.goto(link)
    secret = page.locator("main code").first.inner_text().strip()
    login = StaffLogin(username, passphrase, f"otpauth://totp/{username}?secret={secret}")
    page.locator("#id_passphrase").fill(passphrase)
    page.locator("#id_passphrase_again").fill(passphrase)
    page.locator("#id_code").fill(login.code())
    page.locator("main form button[type=submit]").click()
    fingerprint = page.locator("#fingerprint").inner_text().strip()
    assert fingerprint, "the enrolment page shows no key fingerprint"
    return login, fingerprint


def approve_staff(page: Page, base_url: str, username: str, fingerprint: str) -> None:
    """On the People page: the fingerprint matches what the person read out; approve."""
    page.goto(f"{base_url}/staff/people/")
    row = page.locator("table.people tbody tr").filter(
        has=page.locator(f"td:text-is('{username}')")
    )
    expect(row.locator("code")).to_have_text(fingerprint)
    row.locator("form[action$='/approve/'] button[type=submit]").click()
    expect(row.locator("form[action$='/approve/']")).to_have_count(0)


def lock_vault(page: Page, base_url: str) -> None:
    page.locator("form[action='/staff/lock/'] button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/staff/")


def unlock_vault(page: Page, login: StaffLogin) -> None:
    """On the unlock page a locked vault leads to: the passphrase, and back where they were."""
    expect(page.locator("main form[action='/staff/unlock/']")).to_be_visible()
    page.locator("#id_passphrase").fill(login.passphrase)
    page.locator("main form[action='/staff/unlock/'] button[type=submit]").click()


def screen_case(page: Page) -> None:
    """On a case page: run screening (duplicates, the abuser list) for this case."""
    page.locator("#screening form[action*='/screening/'] button[type=submit]").click()
    expect(page.locator("#screening form.inline[action*='/screening/cases/']")).to_have_count(0)


def assign_case(page: Page, username: str) -> None:
    """On a case page: give the case, and a key to it, to a volunteer."""
    form = page.locator("#access form.assign").first
    option = form.locator("select option").filter(has_text=username).first
    form.locator("select").select_option(option.get_attribute("value"))
    form.locator("button[type=submit]").click()
    expect(page.locator("#access")).to_contain_text(username)


def tick_step(page: Page, item: str, note: str, voucher: str = "") -> None:
    """On a case page: tick a verification step, saying what was seen."""
    step = page.locator(f"li#step-{item}")
    details = step.locator("details")
    if details.get_attribute("open") is None:
        step.locator("summary").click()
    step.locator("textarea[name=note]").fill(note)
    if voucher:
        step.locator("input[name=voucher_code]").fill(voucher)
    step.locator("button[type=submit]").click()
    expect(page.locator(f"li#step-{item}")).to_have_class("done")


def send_staff_message(page: Page, text: str) -> None:
    """On a case page: a message to the applicant, sealed to the case."""
    page.locator("form.reply textarea[name=body]").fill(text)
    page.locator("form.reply button[type=submit]").click()
    expect(page.locator("article.message.from-fund").last).to_contain_text(text)


def record_decision(page: Page, outcome: str, message: str) -> None:
    """On a case page, as a coordinator: verified, rejected or more information needed."""
    form = page.locator("section.verification form.decide")
    form.locator("select[name=outcome]").select_option(outcome)
    form.locator("textarea[name=message]").fill(message)
    form.locator("button[type=submit]").click()
    expect(page.locator("section.verification article.decision")).to_have_count(1)
