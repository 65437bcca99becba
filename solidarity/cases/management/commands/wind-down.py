from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from solidarity.accounts.cli import read_passphrase
from solidarity.cases import winddown

# The passphrases of the first and second confirming coordinator, for runs without a
# terminal (tests, a script kept on an encrypted stick). Unset, each is asked for.
PASSPHRASE_ENV = ("SOLIDARITY_WINDDOWN_PASSPHRASE_1", "SOLIDARITY_WINDDOWN_PASSPHRASE_2")


class Command(BaseCommand):
    help = (
        "Wind the fund down: delete every copy of every case key and everything sealed, "
        "uploaded, screened or matched, and keep only the books (for "
        "SOLIDARITY_KEEP_BOOKS_YEARS) and the audit log. Needs the organisation's name typed "
        "and two different coordinators' passphrases (asked, or from "
        "SOLIDARITY_WINDDOWN_PASSPHRASE_1 and _2). --dry-run reports and changes nothing. "
        "There is no undo."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--organisation",
            default=None,
            help="The organisation's name, exactly (asked if left out).",
        )
        parser.add_argument(
            "--by",
            action="append",
            default=[],
            metavar="USERNAME",
            help="A confirming coordinator; give it twice, for two different people.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be done; change nothing."
        )

    def handle(self, *args, organisation: str | None, by: list[str], dry_run: bool, **options):
        confirmations: list[tuple[str, str]] = []
        typed = organisation or ""
        if not dry_run:
            typed = organisation or self.ask(_("Type the organisation's name to confirm: "))
            usernames = list(by)
            while len(usernames) < winddown.CONFIRMATIONS_NEEDED:
                usernames.append(self.ask(_("Confirming coordinator's username: ")))
            for index, username in enumerate(usernames[: winddown.CONFIRMATIONS_NEEDED]):
                confirmations.append((username, self.passphrase(index, username)))
        try:
            report = winddown.wind_down(typed, confirmations, dry_run=dry_run)
        except winddown.WindDownRefusedError as exc:
            raise CommandError(_("Refused, nothing changed: %(why)s") % {"why": exc}) from None
        for line in report.lines():
            self.stdout.write(line)

    def ask(self, prompt: str) -> str:
        """The one place this command reads typed answers (other than passphrases)."""
        return input(prompt).strip()

    def passphrase(self, index: int, username: str) -> str:
        return read_passphrase(username, PASSPHRASE_ENV[index])
