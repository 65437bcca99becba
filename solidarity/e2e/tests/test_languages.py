"""Belarusian and Russian readers see no English on any applicant page, in a real browser.

The English to look for is read from the sources, so a new string is checked the day it is
written: every {% translate %} and plain {% blocktranslate %} of base.html and
templates/intake/, and every gettext string of intake/forms.py (labels, help, choices,
errors). The language comes from the `lang` cookie (what the language switch sets) while the
browser asks for English, so nothing falls back to the browser's language by luck.
"""

from __future__ import annotations

import ast
import datetime
import html
import re
from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import expect

import solidarity
from solidarity.e2e import pages

pytestmark = pytest.mark.browser

PACKAGE = Path(solidarity.__file__).resolve().parent
TEMPLATES = [
    PACKAGE / "templates" / "base.html",
    *sorted((PACKAGE / "templates/intake").glob("*.html")),
]
FORMS = [PACKAGE / "intake" / "forms.py"]
# Source strings that read the same in every language.
SAME_IN_EVERY_LANGUAGE = {"Telegram", "Signal", "BYN", "USD", "EUR", "Tor Browser"}

_TRANSLATE = re.compile(r"""\{%\s*(?:translate|trans)\s+(?P<q>["'])(?P<text>.*?)(?P=q)""", re.S)
_BLOCK = re.compile(
    r"\{%\s*(?:blocktranslate|blocktrans)\b(?P<args>[^%]*)%\}(?P<text>.*?)"
    r"\{%\s*(?:endblocktranslate|endblocktrans)\s*%\}",
    re.S,
)


def _normalise(text: str) -> str:
    return " ".join(html.unescape(text).split())


@cache
def english_sources() -> tuple[str, ...]:
    """Every English string an applicant page can show, as the sources spell it."""
    found: set[str] = set()
    for path in TEMPLATES:
        source = path.read_text(encoding="utf-8")
        found |= {m.group("text") for m in _TRANSLATE.finditer(source)}
        for block in _BLOCK.finditer(source):
            if "{{" not in block.group("text") and "{%" not in block.group("text"):
                found.add(block.group("text"))  # with variables, it is never shown verbatim
    for path in FORMS:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"_", "gettext", "gettext_lazy"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    sources = {_normalise(text) for text in found}
    return tuple(
        sorted(s for s in sources if s and "%(" not in s and s not in SAME_IN_EVERY_LANGUAGE)
    )


def test_the_english_sources_are_found():
    sources = english_sources()
    # One of each kind: a translate tag, a plain blocktranslate, a form label
    assert "Quick exit" in sources
    assert any(s.startswith("If you left the security forces") for s in sources)
    assert "Your story in your own words" in sources
    assert len(sources) > 60, sources


READABLE_TEXT = """() => {
    const lang = document.documentElement.lang;
    const parts = [document.title];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const element = node.parentElement;
        if (element.closest('script, style')) continue;
        // A language name in its own language (the switch) is meant to be there
        const own = element.closest('[lang]');
        if (own && own.lang !== lang) continue;
        parts.push(node.data);
    }
    for (const element of document.body.querySelectorAll('[alt], [title], [placeholder], [aria-label]')) {
        for (const name of ['alt', 'title', 'placeholder', 'aria-label']) {
            if (element.hasAttribute(name)) parts.push(element.getAttribute(name));
        }
    }
    return parts.join('\\n');
}"""


def english_on(page) -> list[str]:
    text = _normalise(page.evaluate(READABLE_TEXT))
    return [s for s in english_sources() if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text)]


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
