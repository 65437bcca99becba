"""Whatever bytes a person is handed, `channels verify` answers with an exit code and plain
words, never a traceback; and an altered file never passes as a different statement."""

from __future__ import annotations

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from solidarity.channels import statement as fmt
from solidarity.channels import verification
from solidarity.channels.tests.conftest import ONION
from solidarity.vault import signing

KEY = signing.generate_signing_key()
TODAY = datetime.date(2026, 12, 7)
_STATEMENT = fmt.build_statement(
    organisation="Фонд салідарнасці",
    public_key=KEY.public_key,
    issued_at="2026-12-07T07:20:00Z",
    valid_until="2027-03-07",
    web=["https://fund.example.org/"],
    onion=[ONION],
    bots=["@FundHelpBot"],
    other=["Signal: ask in person"],
)
VALID_FILE = fmt.SignedStatementFile(
    _STATEMENT, signing.sign_statement(KEY.seed, _STATEMENT.canonical())
).as_bytes()


def test_the_untouched_file_is_valid():
    verdict = verification.verify_bytes(VALID_FILE, today=TODAY)
    assert verdict.code == verification.VALID
    assert verdict.statement == _STATEMENT


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_are_refused_in_words(data):
    verdict = verification.verify_bytes(data, today=TODAY)
    assert verdict.code in {verification.BAD_SIGNATURE, verification.MALFORMED}
    assert verdict.lines


@settings(max_examples=300)
@given(
    st.lists(
        st.tuples(st.integers(0, len(VALID_FILE) - 1), st.integers(1, 255)),
        min_size=1,
        max_size=4,
    )
)
def test_an_altered_file_is_refused_or_says_exactly_the_same(changes):
    data = bytearray(VALID_FILE)
    for position, flip in changes:
        data[position] ^= flip
    verdict = verification.verify_bytes(bytes(data), today=TODAY)
    assert verdict.code in {verification.VALID, verification.BAD_SIGNATURE, verification.MALFORMED}
    if verdict.code == verification.VALID:
        # Only a change that means nothing (an escape spelled differently) may still verify
        assert verdict.statement == _STATEMENT


def test_a_lone_surrogate_or_a_bidi_control_is_refused_not_a_crash():
    for sneaky in ("\\ud800", "\\u202e", "\\ufeff"):
        data = VALID_FILE.replace(b"Signal: ask in person", f"Signal{sneaky}".encode())
        verdict = verification.verify_bytes(data, today=TODAY)
        assert verdict.code == verification.MALFORMED, sneaky
        assert "invisible characters" in verdict.lines[0]
