"""What a staff passphrase must be.

One passphrase both signs a staff member in and unlocks their personal vault key, so a
seized database lets an attacker guess it offline against the Argon2id-locked key. Length
is what makes that search hopeless; the other rules only turn away the obviously guessable.
"""

from __future__ import annotations

from functools import cache
from typing import NewType

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from solidarity.vault.core import MAX_PASSPHRASE_LENGTH

StaffPassphrase = NewType("StaffPassphrase", str)

# Four or more words, or a long sentence: out of reach of offline guessing at Argon2id cost.
MIN_LENGTH = 14  # characters
# "aaaaaaaaaaaaaa" and "abababababab…" are long but guessed first.
MIN_DISTINCT_CHARACTERS = 8


class WeakPassphraseError(ValueError):
    """The passphrase breaks one or more rules; ``problems`` says which, for the person choosing it."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("passphrase is too weak")
        self.problems = problems


@cache
def _common_passwords() -> frozenset[str]:
    # Django's list of 20,000 common passwords (lower case), shipped with Django itself.
    return frozenset(CommonPasswordValidator().passwords)


def passphrase_problems(passphrase: str, username: str = "") -> list[str]:
    """Every rule the passphrase breaks, as sentences for the person choosing it."""
    problems = []
    if len(passphrase) < MIN_LENGTH:
        problems.append(
            ngettext(
                "Use at least %(n)d character: several words or a sentence work well.",
                "Use at least %(n)d characters: several words or a sentence work well.",
                MIN_LENGTH,
            )
            % {"n": MIN_LENGTH}
        )
    if len(passphrase.encode("utf-8")) > MAX_PASSPHRASE_LENGTH:
        problems.append(_("This passphrase is too long."))
    if len(set(passphrase)) < MIN_DISTINCT_CHARACTERS:
        problems.append(
            _("Use at least %(n)d different characters.") % {"n": MIN_DISTINCT_CHARACTERS}
        )
    if passphrase.strip().lower() in _common_passwords():
        problems.append(_("This passphrase is on a list of common passwords."))
    if username and username.lower() in passphrase.lower():
        problems.append(_("The passphrase must not contain the username."))
    return problems


def check_staff_passphrase(passphrase: str, username: str = "") -> StaffPassphrase:
    """The passphrase, accepted. Raises WeakPassphraseError listing every rule it breaks."""
    problems = passphrase_problems(passphrase, username)
    if problems:
        raise WeakPassphraseError(problems)
    return StaffPassphrase(passphrase)
