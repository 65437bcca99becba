"""Receipts: a case code to find the case and a passphrase of dictionary words to open it."""

from __future__ import annotations

import re
import secrets
from functools import cache
from importlib import resources
from typing import NewType

ReceiptPassphrase = NewType("ReceiptPassphrase", str)

# Crockford-style alphabet without 0/O, 1/I/L and U: read aloud or copied by hand safely.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS = 3
CODE_GROUP_SIZE = 4  # 12 characters, ~59 bits: codes cannot be guessed, only copied
# Seven words of the EFF large list (7,772 words used) give ~90 bits: out of reach of an offline
# search even if the sealed case key is seized.
PASSPHRASE_WORDS = 7


@cache
def wordlist() -> tuple[str, ...]:
    text = resources.files("xkcdpass").joinpath("static/eff-long").read_text(encoding="utf-8")
    # The four hyphenated words (yo-yo, t-shirt...) are left out so a hyphen typed between
    # words can count as a space; 7,772 words still give 12.9 bits each.
    words = tuple(w for w in (line.strip() for line in text.split()) if w.isalpha())
    if len(words) < 7700:
        raise RuntimeError("the EFF large word list is incomplete")
    return words


def new_case_code() -> str:
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP_SIZE))
    return "-".join(chars[i : i + CODE_GROUP_SIZE] for i in range(0, len(chars), CODE_GROUP_SIZE))


def new_passphrase() -> ReceiptPassphrase:
    words = wordlist()
    return ReceiptPassphrase(" ".join(secrets.choice(words) for _ in range(PASSPHRASE_WORDS)))


# Letters a Belarusian or Russian keyboard types that look exactly like Latin letters of a
# code (the code alphabet has no 0, 1, O, I or L, so those need no mapping).
_LOOK_ALIKES = str.maketrans("АВСЕНКМРТХУ", "ABCEHKMPTXY")


def normalise_code(raw: str) -> str:
    """Accept the code typed with any case, spaces or dashes, and common look-alikes."""
    text = raw.upper().translate(_LOOK_ALIKES)
    chars = re.sub(r"[^0-9A-Z]", "", text)
    return "-".join(chars[i : i + CODE_GROUP_SIZE] for i in range(0, len(chars), CODE_GROUP_SIZE))


def normalise_passphrase(raw: str) -> ReceiptPassphrase:
    """Words in lower case, separated by single spaces, whatever the phone's keyboard did."""
    return ReceiptPassphrase(" ".join(re.split(r"[\s\-_.,;]+", raw.strip().lower())).strip())
