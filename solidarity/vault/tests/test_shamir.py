"""Shamir secret sharing over GF(2^8): properties, not examples (hypothesis)."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solidarity.vault import shamir

secrets_ = st.binary(min_size=1, max_size=48)


@st.composite
def splits(draw):
    count = draw(st.integers(min_value=1, max_value=12))
    threshold = draw(st.integers(min_value=1, max_value=count))
    return draw(secrets_), threshold, count


@given(splits(), st.randoms(use_true_random=False))
def test_any_threshold_shares_recover_the_secret(split, rng: random.Random):
    secret, threshold, count = split
    shares = shamir.split_secret(secret, threshold, count)
    assert [s.index for s in shares] == list(range(1, count + 1))
    chosen = rng.sample(shares, rng.randint(threshold, count))
    assert shamir.combine_shares(chosen, threshold) == secret


def test_every_subset_of_three_of_five_recovers():
    secret = bytes(range(32))
    shares = shamir.split_secret(secret, 3, 5)
    for subset in itertools.combinations(shares, 3):
        assert shamir.combine_shares(subset, 3) == secret
        assert shamir.combine_shares(list(reversed(subset)), 3) == secret


@settings(max_examples=60)
@given(
    st.binary(min_size=1, max_size=1),
    st.integers(min_value=2, max_value=8),
    st.data(),
)
def test_fewer_than_threshold_shares_leave_every_secret_possible(secret, threshold, data):
    """Perfect secrecy: fix any M-1 shares; as the missing share's byte runs over all 256
    values, the combined secret runs over all 256 values too. So M-1 shares are consistent
    with every secret, each exactly once: they do not determine it and favour no value."""
    count = data.draw(st.integers(min_value=threshold, max_value=12))
    shares = shamir.split_secret(secret, threshold, count)
    known = data.draw(st.permutations(shares)).copy()[: threshold - 1]
    missing_index = data.draw(
        st.sampled_from([i for i in range(1, 256) if i not in {s.index for s in known}])
    )
    candidates = {
        shamir.combine_shares([*known, shamir.Share(missing_index, bytes([value]))])
        for value in range(256)
    }
    assert len(candidates) == 256


def test_shares_do_not_contain_the_secret_in_clear():
    secret = b"the intake key, thirty-two bytes"
    shares = shamir.split_secret(secret, 2, 3)
    assert all(secret not in share.value for share in shares)
    # And two splits of the same secret give different shares (fresh randomness).
    assert shamir.split_secret(secret, 2, 3) != shares


def test_a_threshold_of_one_is_the_secret_itself():
    assert all(s.value == b"k" for s in shamir.split_secret(b"k", 1, 3))


@pytest.mark.parametrize(
    ("threshold", "count"), [(0, 3), (4, 3), (1, 0), (2, 256), (256, 256), (-1, 2)]
)
def test_it_refuses_thresholds_and_counts_out_of_range(threshold, count):
    with pytest.raises(shamir.ShareParamsError):
        shamir.split_secret(b"secret", threshold, count)


def test_it_refuses_an_empty_secret():
    with pytest.raises(shamir.ShareParamsError):
        shamir.split_secret(b"", 2, 3)


def test_it_allows_the_largest_split():
    shares = shamir.split_secret(b"ab", 255, 255)
    assert shamir.combine_shares(shares, 255) == b"ab"


def test_duplicate_indexes_are_refused():
    shares = shamir.split_secret(b"secret", 2, 3)
    with pytest.raises(shamir.DuplicateShareError):
        shamir.combine_shares([shares[0], shares[0]])
    with pytest.raises(shamir.DuplicateShareError):
        shamir.combine_shares([shares[0], shamir.Share(1, shares[1].value)])


def test_shares_of_different_lengths_are_refused():
    a = shamir.split_secret(b"secret", 2, 3)
    b = shamir.split_secret(b"longer secret", 2, 3)
    with pytest.raises(shamir.MixedSharesError):
        shamir.combine_shares([a[0], b[1]])
    with pytest.raises(shamir.MixedSharesError):
        shamir.combine_shares([a[0], shamir.Share(2, b"")])


def test_too_few_shares_are_refused_when_the_threshold_is_known():
    shares = shamir.split_secret(b"secret", 3, 5)
    with pytest.raises(shamir.NotEnoughSharesError):
        shamir.combine_shares(shares[:2], 3)
    with pytest.raises(shamir.NotEnoughSharesError):
        shamir.combine_shares([])


def test_mixing_two_splits_gives_a_wrong_secret_not_the_right_one():
    first = shamir.split_secret(b"secret-one", 2, 3)
    second = shamir.split_secret(b"secret-two", 2, 3)
    mixed = shamir.combine_shares([first[0], second[1]], 2)
    assert mixed not in {b"secret-one", b"secret-two"}


@pytest.mark.parametrize("index", [0, 256, -1])
def test_an_index_outside_the_field_is_refused(index):
    with pytest.raises(shamir.ShamirError):
        shamir.combine_shares([shamir.Share(index, b"x"), shamir.Share(2, b"y")])
