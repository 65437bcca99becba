from __future__ import annotations

import pytest

from solidarity.accounts.demo import DEMO_STAFF
from solidarity.accounts.passphrases import (
    WeakPassphraseError,
    check_staff_passphrase,
    passphrase_problems,
)


def test_a_long_varied_passphrase_is_accepted():
    assert check_staff_passphrase("amber harbour lantern wolf", "alice")


@pytest.mark.parametrize(
    ("passphrase", "problem"),
    [
        ("short words", "at least 14 characters"),
        ("abababababababab", "at least 8 different characters"),
        ("migrationschool", "common passwords"),
        ("my name is alice and this is long", "must not contain the username"),
        ("my name is ALICE and this is long", "must not contain the username"),
    ],
)
def test_weak_passphrases_are_refused_with_the_reason(passphrase, problem):
    with pytest.raises(WeakPassphraseError) as refused:
        check_staff_passphrase(passphrase, "alice")

    assert any(problem in text for text in refused.value.problems)


def test_every_broken_rule_is_reported_at_once():
    problems = passphrase_problems("alice", "alice")

    # too short, too few characters, a common password, and the username itself
    assert len(problems) == 4


def test_the_published_demo_passphrases_pass_the_rules():
    for username, _role, passphrase in DEMO_STAFF:
        assert passphrase_problems(passphrase, username) == []
