"""The `solidarity` command: Django's management commands plus ours (init, demo, serve, stats)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:2] == ["channels", "verify"]:
        # Checking a statement must work offline on anyone's laptop: no settings, no data
        # directory (settings would create one), no database.
        from solidarity.channels.verification import main as verify

        sys.exit(verify(args[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidarity.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["solidarity", *args])


if __name__ == "__main__":
    main()
