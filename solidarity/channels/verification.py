"""`solidarity channels verify FILE [--fingerprint FP]`: check a statement offline.

Runs before Django is set up (``solidarity/__main__.py`` hands the arguments over here), so
a person checking a statement on their own laptop needs the package and nothing else: no
database, no data directory, no settings, no network. It reads one file and prints what it
found in plain words.

Exit codes: 0 valid; 1 the signature does not hold (forged or altered); 2 the file cannot
be read or is not a well-formed statement; 3 the signature holds but the key is not the
fingerprint given, or the statement has expired.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

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
    """Check a signed statement file's bytes; the verdict says what to print and exit with."""
    expected = ""
    if fingerprint:
        expected = signing.normalise_fingerprint(fingerprint)
        if not expected:
            return Verdict(
                MALFORMED,
                ("The fingerprint you gave is not 32 hex digits (8 groups of 4).",),
            )
    try:
        signed = fmt.parse_signed_file(data)
    except fmt.StatementError as exc:
        return Verdict(MALFORMED, (f"NOT A VALID STATEMENT: {exc}",))
    found = signed.statement
    try:
        signing.verify_statement(found.public_key, found.canonical(), signed.signature)
    except signing.BadSignatureError:
        return Verdict(
            BAD_SIGNATURE,
            (
                "FORGED OR ALTERED: the signature does not match this statement.",
                "Do not trust any address in this file.",
            ),
        )
    lines = [
        f"Signature: valid, made by the key with fingerprint {found.key_fingerprint}",
        f"Organisation: {found.organisation}",
        *(f"Web: {address}" for address in found.web),
        *(f"Onion: {address}" for address in found.onion),
        *(f"Telegram bot: {name}" for name in found.bots),
        *(f"Other: {line}" for line in found.other),
        f"Issued: {found.issued_at}; valid until: {found.valid_until}",
    ]
    if expected and expected != found.key_fingerprint:
        return Verdict(
            WRONG_KEY_OR_EXPIRED,
            (
                *lines,
                f"WRONG KEY: you expected {expected}, but this statement is signed by "
                f"{found.key_fingerprint}. Treat it as a forgery.",
            ),
            found,
        )
    if found.expired(today):
        return Verdict(
            WRONG_KEY_OR_EXPIRED,
            (
                *lines,
                f"EXPIRED on {found.valid_until}: the fund may have changed its addresses "
                "since. Get the current statement.",
            ),
            found,
        )
    if expected:
        lines.append("VALID: signed by the key you expected, and not expired.")
    else:
        lines.append(
            "VALID SIGNATURE. Now compare the fingerprint above with one you got elsewhere "
            "(printed, from people you trust), or run again with --fingerprint."
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


def main(argv: list[str]) -> int:
    """Entry point for ``python -m solidarity channels verify ...``, without Django setup."""
    parser = argparse.ArgumentParser(
        prog="solidarity channels verify",
        description=(
            "Check a statement of the fund's official channels offline. Exit 0 valid, "
            "1 forged or altered, 2 unreadable or malformed, 3 wrong key or expired."
        ),
    )
    add_arguments(parser)
    try:
        options = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad arguments, which is our code too
        return MALFORMED if exc.code else VALID
    return run(options.file, options.fingerprint, sys.stdout)
