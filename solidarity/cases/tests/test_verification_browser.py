"""Verification in a real browser against `solidarity serve`: a coordinator works a case
through the checklist, asks for more information, the applicant answers with a file on
/status/, and the case is verified. What the test client cannot see: the forms under the
real CSP and CSRF checks, and what the pages look like.

With SOLIDARITY_DOCS_SCREENSHOTS=1 it also refreshes docs/screenshots/volunteer-*.png, the
pictures of docs/volunteer-guide.md (each must stay under 200 KB).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django_otp.oath import TOTP

from solidarity.testing.fixtures import (
    LiveServer,
    _free_port,
    _run_command,
    _stop,
    _wait_until_serving,
)

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
MAX_SCREENSHOT_BYTES = 200 * 1024
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000

USERNAME = "olga"
PASSPHRASE = "violet hedgehog under the old bridge"
TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test secret, hex
NOTE = "Saw the service ID on a video call; name and photo match the applicant."

# Run inside the server's environment: an organisation, a coordinator with a known TOTP
# secret, invented applications as the demo has them, and one already verified officer to
# vouch. Prints the receipt of the case the test works on.
SETUP = f"""
import json
from django.utils.datastructures import MultiValueDict
from django.core.files.uploadedfile import SimpleUploadedFile
from solidarity.accounts import demo, services
from solidarity.cases.models import Case
from solidarity.intake.services import submit_application
from solidarity.vault import keyring

services.initialise_organisation("Solidarity Fund", {USERNAME!r}, {PASSPHRASE!r},
                                 totp_key={TOTP_KEY!r})
receipts = []
for i in range(8):
    data = MultiValueDict()
    for key, value in demo._answers(i).items():
        data.setlist(key, value if isinstance(value, list) else [value])
    files = MultiValueDict()
    if i == 7:
        files.setlist("proof_files", [SimpleUploadedFile("service-id.png", demo.demo_image(i))])
    receipts.append(submit_application(data, files, language="en", client=f"setup-{{i}}"))
Case.objects.filter(code=receipts[0].case_code).update(status=Case.Status.VERIFIED)
work = receipts[7]
print(json.dumps({{"code": work.case_code, "passphrase": work.passphrase,
                  "voucher": receipts[0].case_code}}))
"""


@contextmanager
def own_server(root: Path) -> Iterator[LiveServer]:
    """A server of this test's own: the shared one may already hold another organisation."""
    data_dir = root / "data"
    data_dir.mkdir(mode=0o700)
    env = dict(os.environ)
    env.update(
        SOLIDARITY_DATA_DIR=str(data_dir),
        SOLIDARITY_KDF="fast-insecure-for-tests",
        DJANGO_SETTINGS_MODULE="solidarity.settings",
        PYTHONUNBUFFERED="1",
    )
    env.pop("DATABASE_URL", None)  # SQLite: this test is about pages, not the database
    _run_command(["migrate", "--noinput"], env, check=True)
    log_path = root / "server.log"
    port = _free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "solidarity", "serve", "--host", "127.0.0.1"]
            + ["--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", data_dir, env, process, log_path)
    try:
        _wait_until_serving(server)
        yield server
    finally:
        _stop(process)


def _note_problem(problems: list[str]):
    """Console errors and warnings (a CSP violation, a failed load); Chromium's DOM hints
    about autocomplete attributes are advice, not failures."""

    def note(message) -> None:
        if message.type in {"error", "warning"}:
            problems.append(message.text)

    return note


class Shots:
    """Screenshots for the volunteer guide, kept only when asked for."""

    def __init__(self) -> None:
        self.enabled = os.environ.get("SOLIDARITY_DOCS_SCREENSHOTS") == "1"

    def take(self, page, name: str, *, clip_to: str | None = None) -> None:
        if not self.enabled:
            return
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = DOCS_SCREENSHOTS / f"volunteer-{name}.png"
        if clip_to:
            page.locator(clip_to).screenshot(path=str(path), animations="disabled")
        else:
            page.screenshot(path=str(path), animations="disabled")
        size = path.stat().st_size
        assert size < MAX_SCREENSHOT_BYTES, f"{path} is {size // 1024} KB"


@pytest.mark.browser
@pytest.mark.slow
def test_a_case_is_verified_in_a_real_browser(tmp_path, chromium_path):
    from playwright.sync_api import expect, sync_playwright

    shots = Shots()
    with own_server(tmp_path) as server:
        setup = server.manage("shell", "-c", SETUP)
        receipt = json.loads(setup.stdout.strip().splitlines()[-1])
        code = receipt["code"]
        problems: list[str] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            try:
                staff = browser.new_context(
                    viewport=LAPTOP, extra_http_headers={"Accept-Language": "en"}
                )
                staff.set_default_timeout(TIMEOUT_MS)
                page = staff.new_page()
                page.on("console", _note_problem(problems))

                # Given a coordinator who signs in with passphrase and code
                page.goto(server.url + "/staff/")
                page.fill("#id_username", USERNAME)
                page.fill("#id_passphrase", PASSPHRASE)
                page.fill("#id_code", f"{TOTP(bytes.fromhex(TOTP_KEY)).token():06d}")
                shots.take(page, "login")
                page.click("form[action='/staff/login/'] button[type=submit]")
                expect(page.locator("h1")).to_have_text("Queue")
                shots.take(page, "queue")

                # When they open the case, screen it, and tick the first step with a note
                page.goto(f"{server.url}/staff/cases/{code}/")
                expect(page.locator("#verification")).to_be_visible()
                page.get_by_role("button", name="Screen this case now").click()
                expect(page.locator("li#step-screening_clear textarea")).to_have_count(1)
                shots.take(page, "case")
                first = page.locator("ol.checklist > li").first
                first.locator("textarea[name=note]").fill(NOTE)
                page.locator("#verification").scroll_into_view_if_needed()
                shots.take(page, "checklist", clip_to="section.verification")
                first.locator("button[type=submit]").click()

                # Then the note is shown, sealed at rest but readable to them
                expect(page.locator("ul.notices")).to_contain_text("The checklist was updated.")
                expect(first).to_contain_text(NOTE)

                # When two more steps are done and the video is still missing
                for item in ("separation_papers", "screening_clear"):
                    row = page.locator(f"li#step-{item}")
                    row.locator("summary").click()
                    row.locator("textarea[name=note]").fill("Checked against the papers.")
                    row.locator("button[type=submit]").click()
                    expect(page.locator("ul.notices")).to_contain_text("updated")
                vouch = page.locator("li#step-vouched")
                vouch.locator("summary").click()
                vouch.locator("textarea[name=note]").fill("Vouched on a call with both.")
                vouch.locator("input[name=voucher_code]").fill(receipt["voucher"])
                vouch.locator("button[type=submit]").click()
                expect(page.locator("ul.notices")).to_contain_text("updated")

                # the coordinator asks the applicant for it
                decide = page.locator("section.verification form.decide")
                decide.locator("select[name=outcome]").select_option("more_info")
                decide.locator("textarea[name=message]").fill(
                    "Thank you. Please record a short video statement and upload it here."
                )
                decide.scroll_into_view_if_needed()
                shots.take(page, "decision", clip_to="form.decide")
                decide.locator("button[type=submit]").click()
                expect(page.locator("ul.notices")).to_contain_text("More information needed")

                # Then the applicant reads it on /status/ and answers with the video
                phone = browser.new_context(
                    viewport=PHONE, extra_http_headers={"Accept-Language": "en"}
                )
                phone.set_default_timeout(TIMEOUT_MS)
                applicant = phone.new_page()
                applicant.on("console", _note_problem(problems))
                applicant.goto(server.url + "/status/")
                # Applicant pages open in Belarusian whatever the browser asks for
                applicant.get_by_role("button", name="English").click()
                applicant.fill("#id_code", code)
                applicant.fill("#id_passphrase", receipt["passphrase"])
                applicant.locator("main form button[type=submit]").click()
                expect(applicant.locator("#case-status")).to_have_text("More information needed")
                expect(applicant.locator("#case-decision")).to_contain_text("video statement")
                shots.take(applicant, "applicant-status")
                applicant.fill("#id_body", "Here is my video statement.")
                applicant.set_input_files(
                    "#id_files",
                    files=[
                        {
                            "name": "statement.mp4",
                            "mimeType": "video/mp4",
                            "buffer": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
                            + b"\x00" * 4000,
                        }
                    ],
                )
                applicant.locator("main form[enctype] button[type=submit]").click()
                expect(applicant.locator("p.notice")).to_be_visible()

                # When the coordinator resumes, ticks the video and verifies
                page.reload()
                expect(page.locator("#conversation ~ article").last).to_contain_text(
                    "Here is my video statement."
                )
                page.locator("section.verification form.inline button[type=submit]").first.click()
                expect(page.locator("ul.notices")).to_contain_text("Being reviewed")
                video = page.locator("li#step-video_statement")
                video.locator("summary").click()
                video.locator("textarea[name=note]").fill("Watched the video; the face matches.")
                video.locator("button[type=submit]").click()
                expect(page.locator("ul.notices")).to_contain_text("updated")
                decide = page.locator("section.verification form.decide")
                decide.locator("select[name=outcome]").select_option("verified")
                decide.locator("textarea[name=message]").fill(
                    "You are verified. We will write here about support."
                )
                decide.locator("button[type=submit]").click()
                expect(page.locator("ul.notices")).to_contain_text("Verified")
                page.locator("#verification").scroll_into_view_if_needed()
                shots.take(page, "verified", clip_to="section.verification")

                # Then the applicant sees the outcome
                applicant.goto(server.url + "/status/case/")
                expect(applicant.locator("#case-status")).to_have_text("Verified")
                expect(applicant.locator("#case-decision")).to_contain_text("You are verified.")
                shots.take(applicant, "applicant-verified")

                # And the coordinator finds every step in the audit log, without contents
                page.goto(f"{server.url}/staff/audit/?subject={code}")
                expect(page.locator("table.audit")).to_contain_text("case.decided")
                expect(page.locator("table.audit")).not_to_contain_text("face matches")
                shots.take(page, "audit")
            finally:
                browser.close()
        assert problems == []
