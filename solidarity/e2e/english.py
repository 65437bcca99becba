"""Finding English left on a page shown in Belarusian or Russian.

The English to look for is read from the sources, so a new string is checked the day it is
written: every {% translate %} and plain {% blocktranslate %} of the given templates, and
every gettext string of the given Python modules (labels, help, choices, errors). Text in an
element marked with another language (the language switch) does not count.
"""

from __future__ import annotations

import ast
import html
import re
from functools import cache
from pathlib import Path

import solidarity

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


# What the staff console shows a volunteer or a treasurer (who may read Russian).
STAFF_TEMPLATES = [
    *sorted((PACKAGE / "templates/staff").glob("*.html")),
    *sorted((PACKAGE / "templates/staff/case").glob("*.html")),
    *sorted((PACKAGE / "templates/ledger").glob("*.html")),
]
STAFF_FORMS = [
    PACKAGE / "accounts" / "forms.py",
    PACKAGE / "cases" / "forms.py",
    PACKAGE / "ledger" / "forms.py",
]


@cache
def english_sources(
    templates: tuple[Path, ...] = tuple(TEMPLATES), forms: tuple[Path, ...] = tuple(FORMS)
) -> tuple[str, ...]:
    """Every English string the pages of these templates can show, as the sources spell it
    (by default: the applicant's pages)."""
    found: set[str] = set()
    for path in templates:
        source = path.read_text(encoding="utf-8")
        found |= {m.group("text") for m in _TRANSLATE.finditer(source)}
        for block in _BLOCK.finditer(source):
            if "{{" not in block.group("text") and "{%" not in block.group("text"):
                found.add(block.group("text"))  # with variables, it is never shown verbatim
    for path in forms:
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


READABLE_TEXT = """() => {
    const lang = document.documentElement.lang;
    const parts = [document.title];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const element = node.parentElement;
        // Identifiers (case codes, account codes) are not text to translate
        if (element.closest('script, style, code, [translate=no]')) continue;
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


def english_on(page, sources: tuple[str, ...] | None = None) -> list[str]:
    """The source strings (by default the applicant's) still readable in English on the page."""
    text = _normalise(page.evaluate(READABLE_TEXT))
    sources = english_sources() if sources is None else sources
    return [s for s in sources if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text)]


# Staff source strings that a translated page rightly shows in English: "reason" is also a
# column of the bank's confirmation CSV, which the import hint names as the file spells it;
# a BIC is called a BIC in Russian and Belarusian too.
STAFF_VERBATIM = {"reason", "BIC"}


def staff_english_on(page) -> list[str]:
    """English left on a staff console page (staff read Russian or English at least)."""
    sources = english_sources(tuple(STAFF_TEMPLATES), tuple(STAFF_FORMS))
    return english_on(page, tuple(s for s in sources if s not in STAFF_VERBATIM))
