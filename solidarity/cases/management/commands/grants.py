from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from solidarity.cases import access


class Command(BaseCommand):
    help = (
        "Access grant upkeep. `grants expire` deletes the sealed case key copy of every grant "
        "past its expiry day (SOLIDARITY_GRANT_DAYS after it was given or last renewed), so "
        "a volunteer's key opens nothing stored for a case they no longer work on. Needs no "
        "key; each shredded grant is audited. The worker also runs it every hour."
    )

    def add_arguments(self, parser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        subcommands.add_parser("expire", help="Shred the copies of every expired access grant.")

    def handle(self, *args, subcommand: str, **options) -> None:
        if subcommand == "expire":
            self.expire()

    def expire(self) -> None:
        count = access.expire_grants()
        self.stdout.write(
            ngettext(
                "%(n)d expired access grant shredded.",
                "%(n)d expired access grants shredded.",
                count,
            )
            % {"n": count}
        )
