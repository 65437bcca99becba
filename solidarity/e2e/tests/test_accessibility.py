"""axe-core on every applicant page, in every language: no serious or critical violations.

axe-core comes from the npm registry (package.json, `npm ci`) and is injected into each page
as it is shown. Our Content-Security-Policy (script-src 'self') rightly refuses injected
scripts, so these contexts bypass it; the safety tests check the policy itself. Every
finding, minor ones included, is written to artifacts/axe/<language>.json.
"""

from __future__ import annotations

import pytest

from solidarity.e2e import pages
from solidarity.e2e.support import LAPTOP, write_json

pytestmark = pytest.mark.browser

LANGUAGES = ("be", "ru", "en")
BLOCKING = {"serious", "critical"}


def run_axe(page, axe_source: str) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    return page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )


def describe(page_name: str, violation: dict) -> str:
    nodes = "\n".join(
        f"      {' '.join(node['target'])}: {node.get('failureSummary', '').splitlines()[-1].strip()}"
        for node in violation["nodes"][:5]
    )
    return (
        f"  {page_name}: [{violation['impact']}] {violation['id']}: {violation['help']}"
        f" ({len(violation['nodes'])} elements)\n{nodes}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_applicant_pages_have_no_serious_accessibility_violations(
    server, coordinator, new_context, axe_source, request, language
):
    page = new_context(locale=language, bypass_csp=True).new_page()
    report, blocking = {}, []
    for name in pages.applicant_pages(page, server.url):
        violations = run_axe(page, axe_source)
        report[name] = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "targets": [" ".join(n["target"]) for n in v["nodes"]],
            }
            for v in violations
        ]
        blocking += [describe(name, v) for v in violations if v["impact"] in BLOCKING]
    write_json(request.config.rootpath / "artifacts" / "axe" / f"{language}.json", report)
    assert not blocking, f"axe-core in {language}:\n" + "\n".join(blocking)


def error_pages(page, base_url: str):
    """The form and the receipt sign-in, each sent empty so that they come back with errors."""
    page.goto(f"{base_url}/apply/")
    pages.submit_application(page)
    yield "apply-with-errors"
    page.goto(f"{base_url}/status/")
    page.locator(pages.STATUS_LOGIN_SUBMIT).click()
    page.wait_for_load_state()
    yield "status-with-errors"


def test_every_error_is_linked_to_its_field(server, coordinator, new_context):
    page = new_context(locale="be").new_page()
    for name in error_pages(page, server.url):
        assert page.locator("main [aria-invalid=true]").count() >= 2, f"{name} shows no errors"
        # Every message in red belongs to a field or group that names it as its description
        unlinked = page.evaluate(
            """() => [...document.querySelectorAll('main .error[id]')]
                .filter(e => !document.querySelector(`[aria-describedby~="${e.id}"]`))
                .map(e => e.id)"""
        )
        assert not unlinked, f"{name}: error messages no field points to: {unlinked}"
        # Every field marked invalid points to a message that exists (a radio button through
        # its group: the fieldset)
        dangling = page.evaluate(
            """() => [...document.querySelectorAll('main [aria-invalid=true]')]
                .filter(f => ![f, f.closest('fieldset')].some(e => e && (e.getAttribute('aria-describedby') || '')
                    .split(' ').some(id => document.getElementById(id)?.classList.contains('error'))))
                .map(f => f.id || f.name)"""
        )
        assert not dangling, f"{name}: invalid fields without their error message: {dangling}"
        # Each link of the error summary leads to an element on the page
        missing = page.evaluate(
            """() => [...document.querySelectorAll('#errors a[href^="#"]')]
                .map(a => a.getAttribute('href').slice(1))
                .filter(id => !document.getElementById(id))"""
        )
        assert not missing, f"{name}: the error summary links to nothing: {missing}"


def test_the_form_works_with_the_keyboard_alone(server, coordinator, new_context):
    page = new_context(locale="be").new_page()
    page.goto(f"{server.url}/apply/")
    # Given the controls a person must be able to reach (one stop per group of radios)
    expected = set(
        page.evaluate(
            """() => [...document.querySelectorAll('main input, main select, main textarea, main button')]
                .filter(e => e.type !== 'hidden' && !e.closest('[aria-hidden=true]'))
                .map(e => e.type === 'radio' ? 'radio:' + e.name : (e.id || e.type))"""
        )
    )
    # When they press Tab through the whole page
    reached: list[str] = []
    for _ in range(200):
        page.keyboard.press("Tab")
        current = page.evaluate(
            """() => { const e = document.activeElement;
                if (!e || e === document.body) return null;
                if (e.type === 'radio') return 'radio:' + e.name;
                return e.id || (e.matches('[data-quick-exit]') ? 'quick-exit' : '')
                    || e.className || e.type || e.tagName; }"""
        )
        if current is None or (reached and current == reached[0]):
            break
        reached.append(current)
    # Then the first stops are the skip link and the quick exit, every control is reached,
    # and the honeypot never is
    assert reached[:2] == ["skip", "quick-exit"], reached[:5]
    assert not expected - set(reached), f"never reached with Tab: {expected - set(reached)}"
    assert "id_website" not in reached


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_transparency_page_has_no_serious_accessibility_violations(
    server, coordinator, new_context, axe_source, request, language
):
    # Donors and journalists read it on phones too, charts and table included
    page = new_context(locale=language, bypass_csp=True).new_page()
    page.goto(f"{server.url}/transparency/")
    assert page.locator("html").get_attribute("lang") == language
    page.locator("details").evaluate_all("all => all.forEach(d => d.open = true)")
    violations = run_axe(page, axe_source)
    write_json(
        request.config.rootpath / "artifacts" / "axe" / f"transparency-{language}.json",
        [{"id": v["id"], "impact": v["impact"], "help": v["help"]} for v in violations],
    )
    blocking = [describe("transparency", v) for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe-core in {language}:\n" + "\n".join(blocking)


# The console's pages a coordinator opens in a day's work, with a case to open.
STAFF_PAGES = (
    "/staff/",
    "/staff/people/",
    "/staff/people/add/",
    "/staff/screening/",
    "/staff/audit/",
    "/staff/ledger/",
    "/staff/ledger/donations/",
    "/staff/ledger/accounts/",
    "/staff/ledger/policies/",
    "/staff/ledger/plans/",
    "/staff/ledger/batches/",
    "/staff/ledger/runway/",
)


def test_the_staff_console_has_no_serious_accessibility_violations(
    server, coordinator, new_context, axe_source, request
):
    # Given a case in the queue and a coordinator signed in (volunteers use the same pages)
    receipt = pages.apply(new_context().new_page(), server.url, pages.new_application())
    page = new_context(locale="en", viewport=LAPTOP, bypass_csp=True).new_page()
    pages.staff_login(page, server.url, coordinator)
    report, blocking = {}, []
    for path in (*STAFF_PAGES, f"/staff/cases/{receipt.case_code}/"):
        page.goto(server.url + path)
        violations = run_axe(page, axe_source)
        report[path] = [{"id": v["id"], "impact": v["impact"]} for v in violations]
        blocking += [describe(path, v) for v in violations if v["impact"] in BLOCKING]
    write_json(request.config.rootpath / "artifacts" / "axe" / "staff-en.json", report)
    assert not blocking, "axe-core on the staff console:\n" + "\n".join(blocking)
