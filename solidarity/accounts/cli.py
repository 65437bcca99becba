"""What the operator commands share when a staff member must unlock their key at a terminal."""

from __future__ import annotations

import getpass
import os

from django.utils.translation import gettext as _

# The environment variable a coordinator's passphrase may come from in scripts and tests;
# without it the terminal asks. Variable names, not secrets.
COORDINATOR_PASSPHRASE_ENV = "SOLIDARITY_COORDINATOR_PASSPHRASE"  # noqa: S105


def read_passphrase(username: str, env: str = COORDINATOR_PASSPHRASE_ENV) -> str:
    """The one place commands read a passphrase: the variable ``env``, else the terminal."""
    return os.environ.get(env) or getpass.getpass(
        _("Passphrase for %(username)s: ") % {"username": username}
    )
