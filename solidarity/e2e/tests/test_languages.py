"""Belarusian and Russian readers see no English on any applicant page, in a real browser.

The English to look for is read from the sources, so a new string is checked the day it is
written: every {% translate %} and plain {% blocktranslate %} of base.html and
templates/intake/, and every gettext string of intake/forms.py (labels, help, choices,
errors). The language comes from the `lang` cookie (what the language switch sets) while the
browser asks for English, so nothing falls back to the browser's language by luck.
"""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from solidarity.e2e import pages
from solidarity.e2e.english import STAFF_FORMS, STAFF_TEMPLATES, english_on, english_sources

pytestmark = pytest.mark.browser


def test_the_english_sources_are_found():
    sources = english_sources()
    # One of each kind: a translate tag, a plain blocktranslate, a form label
    assert "Quick exit" in sources
    assert any(s.startswith("If you left the security forces") for s in sources)
    assert "Your story in your own words" in sources
    assert len(sources) > 60, sources
    staff = english_sources(tuple(STAFF_TEMPLATES), tuple(STAFF_FORMS))
    assert "Seal and send" in staff  # staff/case.html
    assert "Approve this batch" in staff  # ledger/batch.html
    assert "Message to the applicant" in staff  # a form label


@pytest.mark.parametrize("language", ["be", "ru"])
def test_no_english_is_left_on_the_applicant_pages(server, coordinator, new_context, language):
    # Given a browser that asks for English, where the language switch chose LANGUAGE
    context = new_context(locale="en-GB")
    context.add_cookies([{"name": "lang", "value": language, "url": server.url}])
    page = context.new_page()
    found = {}
    for name in pages.applicant_pages(page, server.url):
        assert page.locator("html").get_attribute("lang") == language, (
            f"{name} is not in {language}"
        )
        english = english_on(page)
        if english:
            found[name] = english
    assert not found, (
        f"English left on the applicant pages in {language} (missing translations?):\n"
        + "\n".join(f"  {name}: {strings}" for name, strings in found.items())
    )


@pytest.mark.parametrize("language", ["be", "ru"])
def test_dates_are_written_the_way_the_reader_writes_them(
    server, coordinator, new_context, language
):
    # Given an applicant who wrote to the fund today
    page = new_context(locale=language).new_page()
    receipt = pages.apply(page, server.url, pages.new_application(photo=False))
    pages.open_status(page, server.url, receipt)
    pages.send_applicant_message(page, "Дзякуй.")
    # Then the date of the message reads day.month.year, as in Belarus, not 11/22/2026
    today = datetime.datetime.now(datetime.UTC).date()
    expect(page.locator("main article.message .meta").first).to_contain_text(
        today.strftime("%d.%m.%Y")
    )
