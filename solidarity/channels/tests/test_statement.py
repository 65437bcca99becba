"""The canonical form and the strict parser of a statement (no database)."""

from __future__ import annotations

import base64
import json
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solidarity.channels import statement as fmt
from solidarity.channels.tests.conftest import ONION, onion_address
from solidarity.vault import signing

KEY = signing.generate_signing_key()


def _statement(**overrides) -> fmt.Statement:
    values = {
        "organisation": "Test Solidarity Fund",
        "public_key": KEY.public_key,
        "issued_at": "2026-12-07T07:20:00Z",
        "valid_until": "2027-03-07",
        "web": ["https://fund.example.org/"],
        "onion": [ONION],
        "bots": ["@FundHelpBot"],
        "other": [],
    }
    values.update(overrides)
    return fmt.build_statement(**values)


def _file(statement: fmt.Statement) -> dict:
    signed = fmt.SignedStatementFile(
        statement, signing.sign_statement(KEY.seed, statement.canonical())
    )
    return json.loads(signed.as_bytes())


def _parse(envelope: dict) -> fmt.SignedStatementFile:
    return fmt.parse_signed_file(json.dumps(envelope).encode())


def test_the_signed_bytes_are_sorted_compact_utf8():
    statement = _statement(organisation="Фонд салідарнасці")
    data = statement.canonical()
    assert data.startswith(b'{"bots":["@FundHelpBot"],"issued_at":')
    assert "Фонд салідарнасці".encode() in data
    assert b", " not in data
    assert b": " not in data


def test_a_signed_file_reads_back_to_the_same_statement():
    statement = _statement()
    assert _parse(_file(statement)).statement == statement


_label = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=20)
_bot = st.from_regex(r"@[A-Za-z][A-Za-z0-9_]{1,20}bot", fullmatch=True)
_printable = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Cf")), max_size=60
).filter(lambda s: s.strip())


@given(
    organisation=_printable,
    hosts=st.lists(_label, max_size=4, unique=True),
    bots=st.lists(_bot, max_size=3, unique=True),
    onions=st.lists(st.binary(min_size=32, max_size=32), max_size=2, unique=True),
    other=st.lists(_printable, max_size=3, unique=True),
)
def test_canonical_form_round_trips(organisation, hosts, bots, onions, other):
    statement = _statement(
        organisation=organisation,
        web=[f"https://{host}.example.org/" for host in hosts] or ["https://a.example.org"],
        bots=bots,
        onion=[onion_address(key) for key in onions],
        other=other,
    )
    envelope = _file(statement)
    # Serialised any way (spaces, any key order, escaped non-ASCII), it reads back the same,
    # and its canonical form is the same bytes: the signature still holds.
    again = fmt.parse_signed_file(json.dumps(envelope, indent=2, ensure_ascii=True).encode())
    assert again.statement == statement
    assert again.statement.canonical() == statement.canonical()
    signing.verify_statement(KEY.public_key, again.statement.canonical(), again.signature)


@pytest.mark.parametrize(
    "address",
    [
        "http://fund.example.org/",  # not https
        "https://fund.example.org/?ref=1",
        "https://fund.example.org/#top",
        "https://user@fund.example.org/",  # user name: the classic look-alike trick
        "https://fund.example.org@evil.example/",
        "https://fиnd.example.org/",  # a Cyrillic letter in the host
        "https://localhost/",
        "https://fund.example.org:99999/",
        "https://-fund.example.org/",
        "https:// fund.example.org/",
        "javascript:alert(1)",
        "fund.example.org",
        "https://" + ONION,  # onion addresses go in their own list
    ],
)
def test_bad_web_addresses_are_refused(address):
    with pytest.raises(fmt.StatementError, match="is not a web address we accept"):
        _statement(web=[address])


def test_bad_onion_addresses_are_refused():
    flipped = ("b" if ONION[0] != "b" else "c") + ONION[1:]
    for address in (flipped, "fund.onion", ONION.replace(".onion", ".com"), ONION[1:]):
        with pytest.raises(fmt.StatementError, match="not a valid v3 onion"):
            _statement(onion=[address])


@pytest.mark.parametrize("name", ["FundHelpBot", "@Fund", "@fund_help", "@1fundbot", "@fund-bot"])
def test_bad_bot_usernames_are_refused(name):
    with pytest.raises(fmt.StatementError, match="not a Telegram bot username"):
        _statement(bots=[name])


def test_a_statement_with_no_channel_is_refused():
    with pytest.raises(fmt.StatementError, match="names no web address"):
        _statement(web=[], onion=[], bots=[])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e["statement"].update(extra="x"), "Unknown field"),
        (lambda e: e["statement"].pop("valid_until"), "Missing field"),
        (lambda e: e["statement"].update(version=2), "version"),
        (lambda e: e["statement"].update(version="1"), "version"),
        (lambda e: e["statement"].update(web="https://fund.example.org/"), "must be a list"),
        (lambda e: e["statement"].update(bots=[7]), "must be text"),
        (lambda e: e["statement"].update(issued_at="2026-12-07 07:20"), "issued_at"),
        (lambda e: e["statement"].update(valid_until="2026-01-01"), "before the day of issue"),
        (lambda e: e["statement"].update(key_fingerprint="0000 " * 7 + "0000"), "fingerprint"),
        (lambda e: e["statement"].update(public_key="AB" * 32), "public_key"),
        (lambda e: e.update(format="other"), "not a statement of official channels"),
        (lambda e: e.update(extra=1), "exactly"),
        (lambda e: e.update(signature=e["signature"][:40]), "signature"),
        (lambda e: e.update(signature=base64.b64encode(b"x" * 63).decode()), "signature"),
    ],
)
def test_malformed_statements_are_refused_with_a_reason(change, message):
    envelope = _file(_statement())
    change(envelope)
    with pytest.raises(fmt.StatementError, match=message):
        _parse(envelope)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe{}", "UTF-8"),
        (b'{"format": ', "not valid JSON"),
        (b"[" * 100_000, "too large"),
        (b"[" * 50_000, "not valid JSON"),
        (b'{"format": 1.5, "signature": "", "statement": {}}', "whole number"),
        (b'{"format": NaN, "signature": "", "statement": {}}', "whole number"),
        (b'{"format": "a", "format": "b", "signature": "", "statement": {}}', "twice"),
    ],
)
def test_unreadable_files_are_refused(data, message):
    with pytest.raises(fmt.StatementError, match=message):
        fmt.parse_signed_file(data)
