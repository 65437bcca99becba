"""`solidarity channels verify FILE [--fingerprint FP]`: check a statement offline.

Runs before the project's settings are loaded (``solidarity/__main__.py`` hands the
arguments over here), so a person checking a statement on their own laptop needs the package
and nothing else: no database, no data directory, no settings, no network. Django is set up
with translations only, so the answer comes in Belarusian, Russian or English. It reads one
file and prints what it found in plain words.

Exit codes: 0 valid; 1 the signature does not hold (forged or altered); 2 the file cannot
be read or is not a well-formed statement; 3 the signature holds but the key is not the
fingerprint given, or the statement has expired.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from django.utils import translation
from django.utils.translation import gettext as _

from solidarity.channels import statement as fmt
from solidarity.vault import signing

VALID = 0
BAD_SIGNATURE = 1
MALFORMED = 2
WRONG_KEY_OR_EXPIRED = 3


@dataclass(frozen=True)
class Verdict:
    code: int
    lines: tuple[str, ...]
    statement: fmt.Statement | None = None


def verify_bytes(data: bytes, *, fingerprint: str = "", today: datetime.date) -> Verdict:
    """Check a signed statement file's bytes; the verdict says what to print and exit with.

    The verdict's first word (VALID, FORGED, WRONG KEY, EXPIRED, NOT A VALID STATEMENT)
    stays in English in every language, as the page that explains it says; the rest is
    translated.
    """
    expected = ""
    if fingerprint:
        expected = signing.normalise_fingerprint(fingerprint)
        if not expected:
            return Verdict(
                MALFORMED,
                (_("The fingerprint you gave is not 32 hex digits (8 groups of 4)."),),
            )
    try:
        signed = fmt.parse_signed_file(data)
    except fmt.StatementError as exc:
        reason = _(exc.message) % exc.params if exc.params else _(exc.message)
        return Verdict(MALFORMED, (f"NOT A VALID STATEMENT: {reason}",))
    found = signed.statement
    try:
        signing.verify_statement(found.public_key, found.canonical(), signed.signature)
    except signing.BadSignatureError:
        return Verdict(
            BAD_SIGNATURE,
            (
                "FORGED: "
                + _("the signature does not match this statement: it was forged or altered.")
                + " "
                + _("Do not trust any address in this file."),
            ),
        )
    lines = [
        _("Signature valid, made by the key with fingerprint %(fp)s")
        % {"fp": found.key_fingerprint},
        _("Organisation: %(name)s") % {"name": found.organisation},
        *(_("Web: %(address)s") % {"address": address} for address in found.web),
        *(_("Tor: %(address)s") % {"address": address} for address in found.onion),
        *(_("Telegram: %(name)s") % {"name": name} for name in found.bots),
        *found.other,
        _("Signed %(issued)s, valid until %(valid)s.")
        % {"issued": found.issued_at, "valid": found.valid_until},
    ]
    if expected and expected != found.key_fingerprint:
        return Verdict(
            WRONG_KEY_OR_EXPIRED,
            (
                *lines,
                "WRONG KEY: "
                + _(
                    "you expected %(expected)s, but this statement is signed by %(found)s. "
                    "Treat it as a forgery."
                )
                % {"expected": expected, "found": found.key_fingerprint},
            ),
            found,
        )
    if found.expired(today):
        return Verdict(
            WRONG_KEY_OR_EXPIRED,
            (
                *lines,
                "EXPIRED: "
                + _(
                    "this list expired on %(day)s. The fund may have changed its addresses "
                    "since; get the current list."
                )
                % {"day": found.valid_until},
            ),
            found,
        )
    if expected:
        lines.append("VALID: " + _("signed by the key you expected, and not expired."))
    else:
        lines.append(
            "VALID: "
            + _(
                "the signature holds. Now compare the fingerprint above with one you got "
                "elsewhere (printed, from people you trust), or run again with --fingerprint."
            )
        )
    return Verdict(VALID, tuple(lines), found)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="The signed statement (statement.json), or - for stdin.")
    parser.add_argument(
        "--fingerprint",
        default="",
        help="The fingerprint you expect, from a source other than the file (8 groups of 4).",
    )


def run(file: str, fingerprint: str, out: TextIO) -> int:
    """Read ``file`` (or stdin for "-"), print the verdict to ``out``, return the exit code."""
    try:
        if file == "-":
            data = sys.stdin.buffer.read(fmt.MAX_FILE_BYTES + 1)
        else:
            with Path(file).open("rb") as handle:
                data = handle.read(fmt.MAX_FILE_BYTES + 1)
    except OSError as exc:
        out.write(f"CANNOT READ {file}: {exc.strerror or exc.__class__.__name__}\n")
        return MALFORMED
    verdict = verify_bytes(
        data, fingerprint=fingerprint, today=datetime.datetime.now(datetime.UTC).date()
    )
    for line in verdict.lines:
        out.write(line + "\n")
    return verdict.code


LANGUAGES = ("be", "ru", "en")
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"


def _language_from_environment() -> str:
    """The person's language from the usual variables (be_BY.UTF-8 -> be); English if none
    of ours."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for value in os.environ.get(name, "").split(":"):
            code = value[:2].lower()
            if code in LANGUAGES:
                return code
    return "en"


def _set_up_translations() -> None:
    """Django's translations from the package's own catalogues, and nothing else: no
    settings module (which would create a data directory), no apps, no database."""
    import django
    from django.conf import settings

    settings.configure(
        USE_I18N=True,
        LANGUAGE_CODE="en",
        LANGUAGES=[(code, code) for code in LANGUAGES],
        LOCALE_PATHS=[str(LOCALE_DIR)],
        INSTALLED_APPS=[],
    )
    django.setup()


def main(argv: list[str]) -> int:
    """Entry point for ``python -m solidarity channels verify ...``, without the project's
    settings or database."""
    parser = argparse.ArgumentParser(
        prog="solidarity channels verify",
        description=(
            "Check a statement of the fund's official channels offline. Exit 0 valid, "
            "1 forged or altered, 2 unreadable or malformed, 3 wrong key or expired."
        ),
    )
    add_arguments(parser)
    parser.add_argument(
        "--language",
        choices=LANGUAGES,
        help="Language of the answer (default: from LANGUAGE, LC_ALL or LANG; else English).",
    )
    try:
        options = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, which is our code too
        return MALFORMED if exc.code else VALID
    _set_up_translations()
    translation.activate(options.language or _language_from_environment())
    return run(options.file, options.fingerprint, sys.stdout)
