from __future__ import annotations

import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from solidarity.accounts import services, totp
from solidarity.accounts.passphrases import WeakPassphraseError, check_staff_passphrase
from solidarity.vault.keyring import OrganisationExistsError

PASSPHRASE_ENV = "SOLIDARITY_INIT_PASSPHRASE"  # noqa: S105 - a variable name, not a secret


def _already_initialised() -> CommandError:
    return CommandError(_("This data directory is already initialised; init runs only once."))


def _weak(exc: WeakPassphraseError) -> CommandError:
    return CommandError(_("Passphrase refused:") + "\n  " + "\n  ".join(exc.problems))


class Command(BaseCommand):
    help = (
        "Set up a new data directory: apply migrations, create the organisation and its intake "
        "key, and the first coordinator, who alone holds that key. Refuses to run twice. The "
        "passphrase (asked twice, or taken from SOLIDARITY_INIT_PASSPHRASE) must have at least "
        "14 characters and 8 different ones, not be a common password and not contain the "
        "username. Prints the coordinator's TOTP secret and QR code once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--org", required=True, help="The fund's name.")
        parser.add_argument("--admin", required=True, help="Username of the first coordinator.")

    def handle(self, *args, org: str, admin: str, **options) -> None:
        call_command("migrate", interactive=False, verbosity=max(options["verbosity"] - 1, 0))
        # Checked before asking, so nobody types a passphrase for nothing.
        if services.organisation_exists():
            raise _already_initialised()
        passphrase = self.obtain_passphrase(admin)
        try:
            enrolment = services.initialise_organisation(org, admin, passphrase)
        except OrganisationExistsError:
            raise _already_initialised() from None
        except WeakPassphraseError as exc:
            raise _weak(exc) from None
        except services.UsernameTakenError:
            raise CommandError(_("A staff account with this username already exists.")) from None
        except ValidationError as exc:
            raise CommandError(_("Username refused:") + " " + " ".join(exc.messages)) from None
        device = enrolment.device
        uri = totp.provisioning_uri(device)
        self.stdout.write(self.style.SUCCESS(_("Organisation “%(org)s” created.") % {"org": org}))
        self.stdout.write(_("Coordinator: %(username)s") % {"username": admin})
        self.stdout.write(
            _("Add this account to an authenticator app now; the secret is not shown again.")
        )
        self.stdout.write(_("TOTP secret: %(secret)s") % {"secret": totp.secret_base32(device)})
        self.stdout.write(_("TOTP URI: %(uri)s") % {"uri": uri})
        self.stdout.write(totp.terminal_qr(uri))
        self.stdout.write(_("Next: run `solidarity serve` and sign in at /staff/login/."))

    def obtain_passphrase(self, username: str) -> str:
        """The one place this command reads the passphrase: the environment or the terminal."""
        passphrase = os.environ.get(PASSPHRASE_ENV)
        if not passphrase:
            passphrase = getpass.getpass(
                _("Passphrase for %(username)s: ") % {"username": username}
            )
            if getpass.getpass(_("Repeat the passphrase: ")) != passphrase:
                raise CommandError(_("The two passphrases differ. Nothing was changed."))
        try:
            return check_staff_passphrase(passphrase, username)
        except WeakPassphraseError as exc:
            raise _weak(exc) from None
