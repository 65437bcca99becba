"""The printed share: typed back from paper, with typos caught and named."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solidarity.vault import shamir, trustee_shares

SECRET = bytes(range(100, 132))


def _split(threshold=3, count=5):
    return trustee_shares.split_for_trustees(SECRET, threshold, count)


def test_a_share_reads_back_as_printed():
    set_id, texts = _split()
    share = trustee_shares.decode_share(texts[1])
    assert (share.set_id, share.threshold, share.index) == (set_id, 3, 2)
    assert texts[1].startswith(f"SR1 {set_id[:4]}-{set_id[4:]} 003-002 ")
    assert SECRET.hex() not in texts[1].lower()


def test_shares_typed_with_spaces_lower_case_and_look_alike_digits_combine():
    set_id, texts = _split()
    typed = [
        texts[4].lower(),
        texts[0].replace(" ", ""),
        texts[2].replace(" ", "  ").replace("-", " ").replace("O", "0").replace("I", "1"),
    ]
    assert trustee_shares.combine_from_trustees(typed, set_id, 3) == SECRET


@given(st.integers(min_value=0, max_value=10_000), st.sampled_from("ABCDEFGHJKMNPQRSTUVWXYZ234567"))
def test_any_one_wrong_character_is_caught_and_the_share_named(seed, replacement):
    set_id, texts = _split(2, 3)
    compact = texts[1].replace(" ", "").replace("-", "")
    position = 3 + seed % (len(compact) - 3)  # anywhere after the SR1 prefix
    if compact[position] == replacement or (compact[position].isdigit() and position < 17):
        replacement = "9" if compact[position] != "9" else "8"
    typo = compact[:position] + replacement + compact[position + 1 :]
    share, error = None, None
    try:
        share = trustee_shares.decode_share(typo, 2)
    except trustee_shares.ShareFormatError as exc:
        error = exc
    if error is not None:
        assert error.position == 2
        assert typo not in str(error)
    else:
        # Only the unused padding bits of the last base32 character may change unnoticed,
        # and then the share still holds the same bytes.
        assert share == trustee_shares.decode_share(texts[1])


def test_a_mistyped_share_is_named_by_its_position():
    set_id, texts = _split()
    body = texts[1].split(" ")
    body[5] = body[5][:-1] + ("A" if body[5][-1] != "A" else "B")
    with pytest.raises(trustee_shares.ShareFormatError) as raised:
        trustee_shares.combine_from_trustees([texts[0], " ".join(body), texts[2]], set_id, 3)
    assert raised.value.position == 2


@pytest.mark.parametrize(
    "text",
    ["", "hello", "SR1", "SR2 AAAA-AAAA 003-001 ABCDE", "SR1 AAAA-AAAA 0X3-001 ABCDEFGH ABCD-EFGH"],
)
def test_garbage_is_refused(text):
    with pytest.raises(trustee_shares.ShareFormatError):
        trustee_shares.decode_share(text, 1)


def test_a_dropped_character_is_caught():
    set_id, texts = _split()
    compact = texts[0].replace(" ", "")
    with pytest.raises(trustee_shares.ShareFormatError):
        trustee_shares.decode_share(compact[:30] + compact[31:], 1)


def test_shares_of_another_set_are_refused_by_position():
    set_id, texts = _split()
    _other_id, other = _split()
    with pytest.raises(trustee_shares.ForeignShareError) as raised:
        trustee_shares.combine_from_trustees([texts[0], texts[1], other[2]], set_id, 3)
    assert raised.value.position == 3


def test_a_share_claiming_another_threshold_is_refused():
    set_id, texts = _split(2, 3)
    with pytest.raises(trustee_shares.ForeignShareError):
        trustee_shares.combine_from_trustees(texts[:3], set_id, 3)


def test_the_same_share_twice_is_refused():
    set_id, texts = _split()
    with pytest.raises(shamir.DuplicateShareError):
        trustee_shares.combine_from_trustees([texts[0], texts[0].lower(), texts[1]], set_id, 3)


def test_too_few_shares_are_refused():
    set_id, texts = _split()
    with pytest.raises(shamir.NotEnoughSharesError):
        trustee_shares.combine_from_trustees(texts[:2], set_id, 3)


def test_a_forged_share_with_a_valid_checksum_but_another_length_is_refused():
    set_id, texts = _split()
    forged = trustee_shares.encode_share(trustee_shares.TrusteeShare(set_id, 3, 3, b"\x01" * 16))
    with pytest.raises(shamir.MixedSharesError):
        trustee_shares.combine_from_trustees([texts[0], texts[1], forged], set_id, 3)


def test_the_qr_code_is_an_svg_of_the_share():
    _set_id, texts = _split()
    svg = trustee_shares.share_qr_svg(texts[0])
    assert svg.startswith(b"<?xml")
    assert b"<svg" in svg


def test_set_ids_are_base32_and_differ():
    ids = {trustee_shares.new_set_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(len(base64.b32decode(i)) == 5 for i in ids)


def test_the_stored_digest_names_each_share_and_hides_it():
    _set_id, texts = _split()
    shares = [trustee_shares.decode_share(t) for t in texts]
    digests = [trustee_shares.share_digest(s) for s in shares]
    assert len(set(digests)) == 5
    assert all(s.value.hex() not in d for s, d in zip(shares, digests, strict=True))
    altered = shares[0]._replace(value=bytes([shares[0].value[0] ^ 1]) + shares[0].value[1:])
    assert trustee_shares.share_digest(altered) != digests[0]
