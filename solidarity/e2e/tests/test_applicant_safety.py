"""Applicant pages in a real browser: safe to open on a phone someone may look at or seize.

On every applicant page, in every language: the browser talks to our server alone; the
title says nothing about who applies or why; the quick-exit link is on the first screen;
nothing scrolls sideways at 360 px; the headers forbid third-party content and caching.
And the quick exit leaves for a neutral site without leaving the page in the history, and
closes an open application on the device. The neutral site is faked by the browser
(page.route), so no test touches the network.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import BrowserContext, Page, expect

from solidarity.e2e import pages
from solidarity.e2e.support import PHONE, RequestLog

pytestmark = pytest.mark.browser

LANGUAGES = ("be", "ru", "en")
# The only titles an applicant page may have (each translated): words that could be any
# website's. base.html and the templates under intake/ set them.
NEUTRAL_TITLES = ("Information", "Form", "Receipt", "Status", "Sign in")
# Stems that must never be in a title, whatever a translation says.
REVEALING = re.compile(
    r"secur|force|defect|desert|quit|resign|dismiss|police|militia|army|solidar|fund|refus|"
    r"repress|protest|strike|сілав|силов|дэзерт|дезерт|звальн|звольн|увол|міліц|милиц|"
    r"салідар|солидар|фонд|адмов|отказ|рэпрэс|репрес|пратэст|протест|страйк|забастов|армі|арми",
    re.IGNORECASE,
)
NEUTRAL_SITE_PAGE = "<!doctype html><html lang='en'><title>Wikipedia</title><p>Neutral page</p>"


def neutral_titles(language: str) -> set[str]:
    with translation.override(language):
        return {gettext(title) for title in NEUTRAL_TITLES}


def keep_off_the_network(context: BrowserContext, server_url: str) -> None:
    """Our server is reached; any other address gets the stub neutral page, never the net."""

    def handle(route):
        if route.request.url.startswith(server_url + "/"):
            route.continue_()
        else:
            route.fulfill(status=200, content_type="text/html", body=NEUTRAL_SITE_PAGE)

    context.route("**/*", handle)


@pytest.mark.parametrize("language", LANGUAGES)
def test_applicant_pages_are_neutral_self_contained_and_fit_a_phone(
    server, coordinator, new_context, screenshots, language
):
    # Given a phone with JavaScript on, in LANGUAGE, that cannot reach any other site
    context = new_context(locale=language)
    keep_off_the_network(context, server.url)
    page = context.new_page()
    requests = RequestLog(server.url).attach(page)
    documents = []
    page.on(
        "response",
        lambda r: documents.append(r) if r.request.resource_type == "document" else None,
    )
    allowed_titles = neutral_titles(language)
    problems: list[str] = []

    # When it shows every applicant page, then on each:
    for name in pages.applicant_pages(page, server.url):
        screenshots.take(page, name)
        expect(page.locator("html")).to_have_attribute("lang", language)
        # A neutral title: one of a short list, and none of the words that give it away
        title = page.title()
        if title not in allowed_titles:
            problems.append(f"{name}: title {title!r} is not one of {sorted(allowed_titles)}")
        if REVEALING.search(title):
            problems.append(f"{name}: title {title!r} gives away what the site is for")
        # The quick exit: there, pointing at the neutral site, on the first screen
        problems += quick_exit_problems(page, name)
        # Nothing scrolls sideways on a 360 px phone
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide = widest_elements(page)
            problems.append(f"{name}: {width} px wide at {PHONE['width']} px; too wide: {wide}")
        # Only our server was asked for anything
        if requests.foreign():
            problems.append(f"{name}: requests to other origins: {requests.foreign()}")
        requests.clear()

    # And every page came with headers that keep other origins and caches out
    for response in documents:
        problems += header_problems(response)
    assert not problems, f"applicant pages in {language}:\n" + "\n".join(problems)


def quick_exit_problems(page: Page, name: str) -> list[str]:
    link = page.locator("a[data-quick-exit]")
    if link.count() != 1:
        return [f"{name}: {link.count()} quick-exit links, expected 1"]
    problems = []
    if link.get_attribute("href") != settings.QUICK_EXIT_URL:
        problems.append(f"{name}: the quick exit goes to {link.get_attribute('href')!r}")
    if "noreferrer" not in (link.get_attribute("rel") or ""):
        problems.append(f"{name}: the quick exit would tell the neutral site where it came from")
    page.evaluate("window.scrollTo(0, 0)")
    box = link.bounding_box()
    if not link.is_visible() or box is None or box["y"] + box["height"] > PHONE["height"]:
        problems.append(f"{name}: the quick exit is not on the first screen ({box})")
    return problems


def widest_elements(page: Page) -> list[str]:
    return page.evaluate(
        """(limit) => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > limit)
            .slice(0, 5)
            .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                 + (e.className ? '.' + String(e.className).replace(/ /g, '.') : ''))""",
        PHONE["width"],
    )


def header_problems(response) -> list[str]:
    url, headers = response.url, response.headers
    problems = []
    policy = headers.get("content-security-policy", "")
    if "default-src 'none'" not in policy or re.search(r"https?:|\*", policy):
        problems.append(f"{url}: Content-Security-Policy {policy!r} lets other origins in")
    if "no-store" not in headers.get("cache-control", ""):
        problems.append(f"{url}: Cache-Control {headers.get('cache-control')!r}: a phone keeps it")
    if headers.get("referrer-policy", "") not in {"no-referrer", "same-origin"}:
        problems.append(f"{url}: Referrer-Policy {headers.get('referrer-policy')!r}")
    return problems


# --- the quick exit -------------------------------------------------------------------------


def neutral_phone(new_context, server_url: str) -> Page:
    """A phone with JavaScript on that was on another site before it opened ours."""
    context = new_context()
    keep_off_the_network(context, server_url)
    page = context.new_page()
    page.goto("https://neutral.example/")
    return page


def take_the_quick_exit(page: Page, press) -> None:
    """Leave by ``press``; the page must be replaced by the neutral site, not added to the
    history, so Back does not lead to it."""
    left_from, entries = page.url, page.evaluate("history.length")
    press()
    expect(page).to_have_url(settings.QUICK_EXIT_URL)
    assert page.evaluate("history.length") == entries, "the quick exit added a history entry"
    page.go_back()
    assert page.url != left_from, "Back returns to the page the person left"


@pytest.mark.parametrize("path", ["/", "/apply/", "/status/"])
def test_the_quick_exit_replaces_the_page_in_the_history(server, coordinator, new_context, path):
    page = neutral_phone(new_context, server.url)
    page.goto(server.url + path)
    take_the_quick_exit(page, page.locator("a[data-quick-exit]").click)
    # Back leads to the site the person was on before
    expect(page).to_have_url("https://neutral.example/")


def test_pressing_escape_three_times_leaves_too(server, coordinator, new_context):
    page = neutral_phone(new_context, server.url)
    page.goto(server.url + "/apply/")
    page.locator("#id_story").fill("Someone is coming")
    take_the_quick_exit(page, lambda: [page.keyboard.press("Escape") for _ in range(3)])
    expect(page).to_have_url("https://neutral.example/")


def test_the_quick_exit_closes_an_open_application(server, coordinator, new_context):
    # Given an applicant who has their application open with the receipt
    page = neutral_phone(new_context, server.url)
    receipt = pages.apply(page, server.url, pages.new_application(photo=False))
    pages.open_status(page, server.url, receipt)
    # When they take the quick exit from it
    take_the_quick_exit(page, page.locator("a[data-quick-exit]").click)
    # Then whoever takes the phone next cannot reopen it from the history list
    status = page.context.request.get(server.url + "/status/case/", max_redirects=0)
    deadline = 20
    while status.status == 200 and deadline:
        page.wait_for_timeout(250)  # the browser sends the closing request as it leaves
        status = page.context.request.get(server.url + "/status/case/", max_redirects=0)
        deadline -= 1
    assert status.status == 302, "the application is still open on the device"
    assert status.headers["location"] == "/status/"
