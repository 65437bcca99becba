from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from solidarity.accounts.cli import read_passphrase
from solidarity.accounts.models import User
from solidarity.screening import services
from solidarity.vault import core, keyring

PASSPHRASE_ENV = "SOLIDARITY_SCREEN_PASSPHRASE"  # noqa: S105 - a variable name, not a secret


class Command(BaseCommand):
    help = (
        "Screen every case not yet screened (or not against the newest abuser list), in "
        "batches, as a coordinator who holds the intake key: the same work as the console's "
        "“Screen the next cases”, for large backlogs such as after importing a new list. "
        "Asks for the coordinator's passphrase (or reads SOLIDARITY_SCREEN_PASSPHRASE); the "
        "unlocked key lives in this process only. Prints counts, never case contents."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", required=True, help="Username of the coordinator.")
        parser.add_argument(
            "--batch", type=int, default=services.BATCH_SIZE, help="Cases per transaction batch."
        )

    def handle(self, *args, user: str, batch: int, **options) -> None:
        account = User.objects.filter(username=user).first()
        if account is None or not account.is_coordinator:
            raise CommandError(_("%(user)s is not a coordinator.") % {"user": user})
        passphrase = self.obtain_passphrase(user)
        try:
            staff_key = keyring.unlock_staff_key(account, passphrase)
        except core.VaultError:
            raise CommandError(_("The passphrase does not open this coordinator's key.")) from None
        after_id = 0
        total, flags, unreadable = 0, 0, 0
        while True:
            try:
                report = services.screen_pending_cases(
                    account, staff_key, limit=batch, after_id=after_id
                )
            except services.ScreeningRefusedError:
                raise CommandError(_("This coordinator holds no intake key.")) from None
            total += report.screened
            flags += report.flags_raised
            unreadable += report.unreadable
            if report.screened:
                self.stdout.write(
                    _("%(n)d screened, %(left)d to go") % {"n": total, "left": report.remaining}
                )
            if report.screened + report.unreadable < batch or report.last_case_id <= after_id:
                break
            after_id = report.last_case_id
        self.stdout.write(
            _("Done: %(n)d cases screened, %(flags)d new flags, %(bad)d did not open.")
            % {"n": total, "flags": flags, "bad": unreadable}
        )

    def obtain_passphrase(self, username: str) -> str:
        """The one place this command reads the passphrase: the environment or the terminal."""
        return read_passphrase(username, PASSPHRASE_ENV)
