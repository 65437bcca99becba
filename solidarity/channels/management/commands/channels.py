from __future__ import annotations

import datetime
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from solidarity.accounts import services as accounts
from solidarity.accounts.cli import read_passphrase
from solidarity.accounts.models import User
from solidarity.channels import services, verification
from solidarity.channels import statement as fmt
from solidarity.vault import core, signing_keys


class Command(BaseCommand):
    help = (
        "The statement of the fund's official channels. `channels sign` signs the current web "
        "addresses, onion address and bots with the organisation's signing key (a coordinator "
        "holding the intake key opens it with their passphrase, asked or from "
        "SOLIDARITY_COORDINATOR_PASSPHRASE); sign again after every change. `channels verify "
        "FILE` checks a statement offline: exit 0 valid, 1 forged or altered, 2 unreadable or "
        "malformed, 3 wrong key or expired."
    )

    def add_arguments(self, parser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        sign = subcommands.add_parser("sign", help="Sign and publish the official channels.")
        sign.add_argument("--web", action="append", default=[], help="https:// address")
        sign.add_argument("--onion", action="append", default=[], help="v3 onion address")
        sign.add_argument("--bot", action="append", default=[], help="Telegram bot, @name_bot")
        sign.add_argument("--other", action="append", default=[], help="Any other channel")
        sign.add_argument(
            "--valid-until",
            help=f"Last day the statement holds (YYYY-MM-DD; default in "
            f"{services.DEFAULT_VALIDITY_DAYS} days).",
        )
        sign.add_argument(
            "--new-key",
            action="store_true",
            help="Replace the signing key (after a coordinator's key copy may have leaked).",
        )
        sign.add_argument("--by", required=True, help="Username of the signing coordinator.")
        sign.add_argument("--out", help="Also write the signed statement to this file.")
        verify = subcommands.add_parser("verify", help="Check a signed statement offline.")
        verification.add_arguments(verify)

    def handle(self, *args, subcommand: str, **options) -> None:
        if subcommand == "verify":
            # `python -m solidarity channels verify` never gets here (it runs without Django);
            # call_command and manage.py-style callers do, and get the same answer.
            code = verification.run(options["file"], options["fingerprint"], self.stdout)
            if code:
                sys.exit(code)
            return
        self.sign(**options)

    def sign(self, *, web, onion, bot, other, valid_until, new_key, by, out, **_options) -> None:
        coordinator = User.objects.filter(username=by).first()
        if coordinator is None:
            raise CommandError(_("No staff account with this username."))
        until = None
        if valid_until:
            try:
                until = datetime.date.fromisoformat(valid_until)
            except ValueError:
                raise CommandError(_("--valid-until must be a day like 2027-03-07.")) from None
        key = self.unlock(coordinator)
        try:
            row = services.sign_channels(
                services.Channels(tuple(web), tuple(onion), tuple(bot), tuple(other)),
                by=coordinator,
                staff_private_key=key,
                valid_until=until,
                new_key=new_key,
            )
        except fmt.StatementError as exc:
            message = _(exc.message) % exc.params if exc.params else _(exc.message)
            raise CommandError(message) from None
        except services.NotACoordinatorError:
            raise CommandError(
                _("Only a coordinator holding the intake key signs for the fund.")
            ) from None
        except services.ValidityError:
            raise CommandError(
                _("The statement must be valid from today for at most a year.")
            ) from None
        except signing_keys.NoSigningAccessError:
            raise CommandError(
                _(
                    "This coordinator holds no copy of the signing key. Ask one who does to "
                    "sign, or replace the key with --new-key."
                )
            ) from None
        except core.VaultError:
            raise CommandError(_("The signing key did not open.")) from None
        if out:
            Path(out).write_text(row.body, encoding="utf-8")
        self.stdout.write(
            _("Signed statement %(id)s, valid until %(until)s.")
            % {"id": row.pk, "until": row.valid_until.isoformat()}
        )
        self.stdout.write(
            _("Key fingerprint: %(fp)s. Publish it elsewhere too (social accounts, print).")
            % {"fp": row.signing_key.fingerprint}
        )

    def unlock(self, by: User) -> bytes:
        """The one place this command reads the passphrase: the environment or the terminal."""
        passphrase = read_passphrase(by.username)
        try:
            return accounts.unlock_vault(by, passphrase)
        except accounts.UnlockFailedError:
            raise CommandError(_("The passphrase did not open the coordinator's key.")) from None
