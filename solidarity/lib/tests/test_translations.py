"""The Belarusian and Russian catalogues are complete, current, compiled and actually used.

Applicants read Belarusian or Russian; English is only the source language. To refresh the
catalogues after strings change (from inside solidarity/, with a throwaway data dir):

    python -m solidarity makemessages -l be -l ru --ignore=tests --ignore=migrations
    (translate every empty or fuzzy entry in locale/{be,ru}/LC_MESSAGES/django.po)
    python -m solidarity compilemessages

The .po files are read by the small parser below, so these checks need nothing but the
standard library; only the staleness and compilation checks need GNU gettext.
"""

from __future__ import annotations

import ast
import gettext
import html
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

import solidarity
from solidarity.testing.fixtures import require_or_skip

PACKAGE_DIR = Path(solidarity.__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "locale"
LANGUAGES = ("be", "ru")
# Run from inside solidarity/ so that the catalogues land in solidarity/locale.
MAKEMESSAGES_ARGS = ["makemessages", "--ignore=tests", "--ignore=migrations"]
COMMAND_TIMEOUT = 300  # seconds

# English that must never reach a Belarusian or Russian reader of the applicant pages, even if
# the catalogue loses the entry (the check over every catalogue entry would then miss it).
KNOWN_ENGLISH = [
    "Apply for help",
    "Your story in your own words",
    "Quick exit",
    "How we protect you",
    "Send application",
    "Check your application",
    "This field is required.",  # Django's own message, translated by Django's catalogues
]


# --- A minimal .po reader ------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # plural index (0 if none) -> text
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    def __str__(self) -> str:
        context = f" (context {self.msgctxt!r})" if self.msgctxt is not None else ""
        return f"line {self.line}: {self.msgid!r}{context}"


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def parse_po(path: Path) -> list[Entry]:
    """Every entry of a .po file, header included (msgid ""), obsolete ones marked as such."""
    entries: list[Entry] = []
    current: Entry | None = None
    flags: set[str] = set()
    seen_msgid = False
    target: tuple[str, int] | None = None  # where a continuation line "..." goes

    def finish() -> None:
        nonlocal current, flags, seen_msgid, target
        if current is not None:
            entries.append(current)
        current, flags, seen_msgid, target = None, set(), False, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):  # the previous msgid of an obsolete fuzzy entry
                continue
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if current is not None and current.msgstr:
                finish()  # a comment after a msgstr starts the next entry
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith('"'):
            if current is None or target is None:
                raise ValueError(f"{path}:{number}: a string continues nothing")
            _append(current, target, ast.literal_eval(line))
            continue
        match = _KEYWORD.match(line)
        if not match:
            raise ValueError(f"{path}:{number}: cannot parse {raw!r}")
        keyword, index, text = match.group(1), match.group(2), ast.literal_eval(match.group(3))
        if keyword in {"msgctxt", "msgid"} and current is not None:
            if current.msgstr or seen_msgid:
                finish()
        if current is None:
            current = Entry(msgid="", flags=flags, obsolete=obsolete, line=number)
        if keyword.startswith("msgstr"):
            target = ("msgstr", int(index or 0))
        else:
            target = (keyword, 0)
            seen_msgid = seen_msgid or keyword == "msgid"
        _append(current, target, text, first=True)
    finish()
    return entries


def _append(entry: Entry, target: tuple[str, int], text: str, first: bool = False) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index] = ("" if first else entry.msgstr[index]) + text
    else:
        setattr(entry, name, ("" if first else getattr(entry, name)) + text)


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def messages(language: str) -> list[Entry]:
    """The live entries of a catalogue: no header, no obsolete (#~) entries."""
    return [e for e in parse_po(po_path(language)) if e.msgid and not e.obsolete]


def header(language: str) -> tuple[Entry, dict[str, str]]:
    entry = next(e for e in parse_po(po_path(language)) if not e.msgid and not e.obsolete)
    fields = dict(
        line.split(":", 1) for line in entry.msgstr.get(0, "").splitlines() if ":" in line
    )
    return entry, {name.strip(): value.strip() for name, value in fields.items()}


def nplurals(language: str) -> int:
    _entry, fields = header(language)
    match = re.search(r"nplurals\s*=\s*(\d+)", fields.get("Plural-Forms", ""))
    assert match, f"{po_path(language)} has no Plural-Forms header"
    return int(match.group(1))


def require_gettext(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        require_or_skip(
            f"GNU gettext not installed ({', '.join(missing)}): apt-get install gettext"
        )


def listing(entries) -> str:
    return "\n".join(f"  {entry}" for entry in entries)


# --- The catalogues are complete --------------------------------------------------------------


def test_the_parser_reads_plurals_contexts_continuations_and_obsolete_entries(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: be\\n"\n\n'
        '#, fuzzy, python-format\nmsgctxt "button"\nmsgid ""\n"Send "\n"it"\nmsgstr "Адправіць"\n'
        '#: a.py:1\nmsgid "%(n)s case"\nmsgid_plural "%(n)s cases"\n'
        'msgstr[0] "%(n)s справа"\nmsgstr[1] ""\n\n'
        '#~ msgid "Old"\n#~ msgstr "Стары"\n',
        encoding="utf-8",
    )
    head, button, case, old = parse_po(po)
    assert head.msgid == ""
    assert head.msgstr == {0: "Language: be\n"}
    assert (button.msgctxt, button.msgid, button.msgstr) == ("button", "Send it", {0: "Адправіць"})
    assert button.flags == {"fuzzy", "python-format"}
    assert case.key == (None, "%(n)s case", "%(n)s cases")
    assert case.msgstr == {0: "%(n)s справа", 1: ""}
    assert not case.flags
    assert old.obsolete
    assert old.msgstr == {0: "Стары"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    path = po_path(language)
    assert path.exists(), f"{path} is missing: run makemessages (see this module's docstring)"
    head, fields = header(language)
    assert "fuzzy" not in head.flags, f"{path}: the header is fuzzy, so msgfmt would drop it"
    assert fields.get("Language") == language, f"{path}: the header says Language: {fields}"

    forms = nplurals(language)
    entries = messages(language)
    assert entries, f"{path} holds no messages"
    fuzzy = [e for e in entries if "fuzzy" in e.flags]
    empty = [
        e
        for e in entries
        if not all(e.msgstr.get(i) for i in range(forms if e.msgid_plural is not None else 1))
    ]
    problems = []
    if empty:
        problems.append(f"{len(empty)} untranslated (empty msgstr):\n{listing(empty)}")
    if fuzzy:
        problems.append(f"{len(fuzzy)} fuzzy (check, then remove the flag):\n{listing(fuzzy)}")
    assert not problems, f"{path}:\n" + "\n".join(problems)


_PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[#0 +\-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def _placeholders(text: str) -> set[str]:
    return {p for p in _PLACEHOLDER.findall(text) if p != "%%"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder_of_the_english(language):
    wrong = []
    for entry in messages(language):
        if "python-format" not in entry.flags:
            continue
        expected = _placeholders(entry.msgid) | _placeholders(entry.msgid_plural or "")
        for index, text in entry.msgstr.items():
            if text and _placeholders(text) != expected:
                wrong.append(f"{entry} [{index}] has {sorted(_placeholders(text))}")
    assert not wrong, f"{po_path(language)}: placeholders differ from the English:\n" + "\n".join(
        f"  {w} instead of the English placeholders" for w in wrong
    )


# --- The catalogues are current -----------------------------------------------------------------


def test_the_catalogues_list_exactly_the_messages_in_the_code(tmp_path):
    """makemessages on a copy of the package must find the same messages as the committed .po."""
    require_gettext("xgettext", "msgmerge", "msguniq")
    copy = tmp_path / "solidarity"
    shutil.copytree(
        PACKAGE_DIR,
        copy,
        ignore=shutil.ignore_patterns("locale", "tests", "migrations", "__pycache__", "*.pyc"),
    )
    (copy / "locale").mkdir()
    # Settings whose LOCALE_PATHS point into the copy: makemessages must never write the
    # committed catalogues.
    (tmp_path / "i18n_check_settings.py").write_text(
        "from solidarity.settings import *  # noqa: F403\n"
        f"LOCALE_PATHS = [{str(copy / 'locale')!r}]\n",
        encoding="utf-8",
    )
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "i18n_check_settings"
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(tmp_path), str(PACKAGE_DIR.parent), env.get("PYTHONPATH")])
    )
    result = subprocess.run(
        [sys.executable, "-m", "solidarity", *MAKEMESSAGES_ARGS, "-l", "be"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"
    fresh_po = copy / "locale" / "be" / "LC_MESSAGES" / "django.po"
    in_code = {e.key: e for e in parse_po(fresh_po) if e.msgid and not e.obsolete}
    assert in_code, f"makemessages found no messages in {copy}"

    problems = []
    for language in LANGUAGES:
        committed = {e.key: e for e in messages(language)}
        new = [in_code[key] for key in in_code.keys() - committed.keys()]
        gone = [committed[key] for key in committed.keys() - in_code.keys()]
        if new:
            problems.append(
                f"{po_path(language)} lacks {len(new)} message(s) the code uses:\n"
                + "\n".join(f"  {e.msgid!r}" for e in sorted(new, key=lambda e: e.msgid))
            )
        if gone:
            problems.append(
                f"{po_path(language)} has {len(gone)} message(s) the code no longer uses:\n"
                + listing(sorted(gone, key=lambda e: e.msgid))
            )
    assert not problems, (
        "The catalogues are stale. From inside solidarity/ run "
        f"`python -m solidarity {' '.join(MAKEMESSAGES_ARGS)} -l be -l ru`, translate, "
        "then `python -m solidarity compilemessages`.\n" + "\n".join(problems)
    )


# --- The compiled catalogues match ------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_file_is_compiled_from_the_current_po_file(language, tmp_path):
    require_gettext("msgfmt")
    committed = po_path(language).with_suffix(".mo")
    assert committed.exists(), f"{committed} is missing: run compilemessages"
    fresh = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(fresh), str(po_path(language))],
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"msgfmt rejected {po_path(language)}:\n{result.stderr}"

    def catalog(path: Path) -> dict:
        with path.open("rb") as handle:
            return gettext.GNUTranslations(handle)._catalog

    expected, actual = catalog(fresh), catalog(committed)
    differing = sorted(
        str(key) for key in expected.keys() | actual.keys() if expected.get(key) != actual.get(key)
    )
    assert not differing, (
        f"{committed} is not compiled from the current {po_path(language).name}: "
        f"run `python -m solidarity compilemessages` inside solidarity/. Differing msgids:\n"
        + "\n".join(f"  {key}" for key in differing[:40])
    )


# --- Applicants see no English ------------------------------------------------------------------


class _VisibleText(HTMLParser):
    """The text a reader sees: text nodes and the attributes screen readers speak."""

    SPOKEN_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._hidden += 1
        self.parts.extend(v for k, v in attrs if k in self.SPOKEN_ATTRIBUTES and v)

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _VisibleText()
    parser.feed(page)
    parser.close()
    return " ".join(" ".join(html.unescape(part).split()) for part in parser.parts)


def english_sources(language: str) -> list[str]:
    """Every English msgid that, translated, reads differently (no placeholders to fill)."""
    from django.conf import settings

    sources = set(KNOWN_ENGLISH)
    # The language switcher names each language in itself ("English" stays English), by design.
    endonyms = {name for _code, name in settings.LANGUAGES}
    for entry in messages(language):
        if entry.msgid in endonyms:
            continue
        if entry.msgid_plural is None and "%" not in entry.msgid:
            if entry.msgstr.get(0) != entry.msgid:
                sources.add(entry.msgid)
    return sorted(sources)


def _get(client, url, language):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


def _post_invalid_application(client, language):
    # A documentation address of its own, so the per-client flood gate of other tests cannot
    # close on this request. The story is too short, so the form comes back with errors.
    return client.post(
        "/apply/",
        {"programme": "security_forces", "story": "short", "contact_kind": "telegram"},
        HTTP_ACCEPT_LANGUAGE=language,
        REMOTE_ADDR=f"198.51.100.{LANGUAGES.index(language) + 10}",
    )


PAGES = {
    "the home page": lambda client, language: _get(client, "/", language),
    "the application form": lambda client, language: _get(client, "/apply/", language),
    "the form with errors": _post_invalid_application,
    "the receipt sign-in": lambda client, language: _get(client, "/status/", language),
}
# A phrase each page must show in the reader's language: proof the catalogue was used at all.
TRANSLATED = {"be": "Хуткі выхад", "ru": "Быстрый выход"}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_applicant_pages_show_no_english_to_belarusian_and_russian_readers(
    db, client, language, page
):
    from solidarity.vault import keyring

    keyring.create_organisation("Test")
    response = PAGES[page](client, language)
    assert response.status_code in {200, 400}, f"{page} answered {response.status_code}"
    content = response.content.decode()
    assert f'<html lang="{language}"' in content
    text = visible_text(content)
    assert TRANSLATED[language] in text, f"{page} is not in {language}:\n{text}"

    english = [
        source
        for source in english_sources(language)
        if re.search(rf"(?<!\w){re.escape(source)}(?!\w)", text)
    ]
    assert not english, f"{page} in {language} shows English:\n" + "\n".join(
        f"  {source!r}" for source in english
    )
