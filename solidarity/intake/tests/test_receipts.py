"""Receipts: a case code to find the case, a passphrase of seven dictionary words to open it."""

from __future__ import annotations

import math
import re
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solidarity.intake import receipts

CODE_PATTERN = re.compile(
    r"[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}(-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}){2}"
)


def eff_large_wordlist() -> set[str]:
    """The EFF large list as shipped, read here independently of the code under test."""
    text = resources.files("xkcdpass").joinpath("static/eff-long").read_text(encoding="utf-8")
    return set(text.split())


# --- case codes ------------------------------------------------------------------------------


def test_a_case_code_is_three_groups_of_four_from_the_unambiguous_alphabet():
    for _ in range(200):
        assert CODE_PATTERN.fullmatch(receipts.new_case_code())


def test_the_code_alphabet_has_no_characters_people_confuse():
    for confusing in "01OILU":
        assert confusing not in receipts.CODE_ALPHABET
    assert len(set(receipts.CODE_ALPHABET)) == len(receipts.CODE_ALPHABET) == 30


def test_a_case_code_cannot_be_guessed():
    bits = receipts.CODE_GROUPS * receipts.CODE_GROUP_SIZE * math.log2(len(receipts.CODE_ALPHABET))
    assert bits > 58
    assert len({receipts.new_case_code() for _ in range(500)}) == 500


@pytest.mark.parametrize(
    "typed",
    [
        "ABCD-EFGH-JKMN",
        "abcd-efgh-jkmn",
        "abcd efgh jkmn",
        "  AbCd EfGh JkMn ",
        "ABCDEFGHJKMN",
        "ABCD—EFGH—JKMN",  # a phone turned the dashes into em dashes
        "ABCD_EFGH.JKMN\n",
    ],
)
def test_a_case_code_typed_with_any_case_spaces_or_dashes_is_found(typed):
    assert receipts.normalise_code(typed) == "ABCD-EFGH-JKMN"


codes = st.text(alphabet=receipts.CODE_ALPHABET, min_size=12, max_size=12).map(
    lambda c: f"{c[:4]}-{c[4:8]}-{c[8:]}"
)


@given(code=codes)
def test_normalising_a_code_as_it_was_given_out_changes_nothing(code):
    assert receipts.normalise_code(code) == code
    assert receipts.normalise_code(code.lower().replace("-", " ")) == code


def test_a_case_code_typed_with_cyrillic_look_alike_letters_is_found():
    """Applicants type on Belarusian and Russian keyboards: А В С Е Н К М Р Т Х look exactly
    like the Latin letters of a code, but normalise_code drops them, so the code is not
    found. (The O→0, I/L→1 mapping it has instead can never help: 0, 1, O, I and L are not in
    CODE_ALPHABET.)"""
    assert receipts.normalise_code("АВСЕ-НКМР-ТХ23") == "ABCE-HKMP-TX23"  # Cyrillic capitals
    assert receipts.normalise_code("авсе нкмр тх23") == "ABCE-HKMP-TX23"  # and lower case


# --- passphrases ----------------------------------------------------------------------------------


def test_a_passphrase_is_seven_words_from_the_eff_large_list():
    eff = eff_large_wordlist()
    assert len(eff) == 7776
    for _ in range(50):
        words = receipts.new_passphrase().split(" ")
        assert len(words) == receipts.PASSPHRASE_WORDS == 7
        assert set(words) <= eff


def test_the_word_list_gives_seven_word_passphrases_of_at_least_90_bits():
    words = receipts.wordlist()
    assert len(set(words)) == len(words)
    assert receipts.PASSPHRASE_WORDS * math.log2(len(words)) >= 90


def test_passphrases_are_drawn_at_random():
    assert len({receipts.new_passphrase() for _ in range(100)}) == 100


def test_every_word_a_passphrase_can_hold_survives_normalisation():
    """Regression: the case key is locked under the passphrase as given out and opened under
    the normalised form of what the applicant types. normalise_passphrase splits on hyphens,
    and four EFF words have one (drop-down, felt-tip, t-shirt, yo-yo): a receipt holding one
    of them (about 1 in 280) could never be opened, even when typed exactly."""
    changed = [w for w in receipts.wordlist() if receipts.normalise_passphrase(w) != w]
    assert changed == []


@pytest.mark.parametrize(
    "typed",
    [
        "abacus brunette cactus dwelling eclipse fossil gizmo",
        "Abacus Brunette Cactus Dwelling Eclipse Fossil Gizmo",
        "ABACUS BRUNETTE CACTUS DWELLING ECLIPSE FOSSIL GIZMO",
        "  abacus  brunette\tcactus\ndwelling eclipse fossil gizmo  ",
        "abacus-brunette-cactus-dwelling-eclipse-fossil-gizmo",
        "abacus.brunette,cactus;dwelling_eclipse fossil gizmo.",
        "abacus\u00a0brunette cactus dwelling eclipse fossil gizmo",  # a no-break space
    ],
)
def test_a_passphrase_typed_with_any_case_or_separator_normalises_to_the_same(typed):
    assert (
        receipts.normalise_passphrase(typed)
        == "abacus brunette cactus dwelling eclipse fossil gizmo"
    )


def test_an_empty_or_blank_passphrase_normalises_to_nothing():
    assert receipts.normalise_passphrase("") == ""
    assert receipts.normalise_passphrase("  - . ") == ""


@given(text=st.text())
def test_normalising_a_passphrase_twice_changes_nothing_more(text):
    once = receipts.normalise_passphrase(text)
    assert receipts.normalise_passphrase(once) == once
