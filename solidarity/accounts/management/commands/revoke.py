from __future__ import annotations

import getpass
import os

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from solidarity.accounts import services
from solidarity.accounts.models import User
from solidarity.cases import access
from solidarity.channels import services as channels
from solidarity.vault.models import RekeyJob

PASSPHRASE_ENV = "SOLIDARITY_COORDINATOR_PASSPHRASE"  # noqa: S105 - a variable name


class Command(BaseCommand):
    help = (
        "Revoke a staff member (phone seized, arrested, left) and re-key every case they could "
        "ever open, to completion. Their sessions end and their login and key copies are gone "
        "at once; re-keying needs the intake key, so a coordinator who holds it signs with "
        "their username and passphrase (asked, or from SOLIDARITY_COORDINATOR_PASSPHRASE). "
        "The key is opened in this process only and never written anywhere. Interrupted, "
        "the same command resumes where it stopped."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", help="The staff member to revoke.")
        parser.add_argument(
            "--coordinator",
            help="Username of the coordinator who runs the re-key (asked if left out).",
        )

    def handle(self, *args, username: str, coordinator: str | None, **options) -> None:
        person = User.objects.filter(username=username).first()
        if person is None:
            raise CommandError(_("No staff account with this username."))
        coordinator = coordinator or input(_("Coordinator username: ")).strip()
        by = User.objects.filter(username=coordinator).first()
        if by is None or by.pk == person.pk:
            raise CommandError(_("Another coordinator must run the revocation."))
        key = self.unlock(by)
        try:
            job = access.revoke_staff(person, by=by)
        except access.LastIntakeHolderError:
            raise CommandError(
                _(
                    "This is the last person holding the intake key; approve another coordinator "
                    "first, or split the keys among trustees (`solidarity recovery split`)."
                )
            ) from None
        except access.AccessError as exc:
            raise CommandError(
                _("Refused: %(reason)s") % {"reason": exc.__class__.__name__}
            ) from None
        self.stdout.write(
            _("%(name)s is revoked: sessions ended, login disabled, key copies deleted.")
            % {"name": person.username}
        )
        if job.all_cases and channels.signing_key_predates(job.created_at):
            self.stdout.write(
                _(
                    "They could also sign the list of official channels. Replace that key: run "
                    "`solidarity channels sign --new-key` on the server, then publish the new "
                    "fingerprint everywhere."
                )
            )
        if job.state == RekeyJob.State.DONE and not job.cases_done:
            self.stdout.write(_("No case was ever open to them: nothing to re-key."))
            return
        try:
            job = access.run_rekey_job(job.pk, by=by, staff_private_key=key, progress=self.report)
        except access.NotAllowedError:
            raise CommandError(_("Only a coordinator holding the intake key can re-key.")) from None
        self.stdout.write(_("Re-keyed %(done)s cases.") % {"done": job.cases_done})
        if job.failed_cases:
            self.stderr.write(
                _("Left as they were (something in them did not open with their key): %(codes)s")
                % {"codes": ", ".join(job.failed_cases)}
            )
            raise CommandError(_("Some cases could not be re-keyed."))

    def unlock(self, by: User) -> bytes:
        """The one place this command reads the passphrase: the environment or the terminal."""
        passphrase = os.environ.get(PASSPHRASE_ENV) or getpass.getpass(
            _("Passphrase for %(username)s: ") % {"username": by.username}
        )
        try:
            return services.unlock_vault(by, passphrase)
        except services.UnlockFailedError:
            raise CommandError(_("The passphrase did not open the coordinator's key.")) from None

    def report(self, job: RekeyJob) -> None:
        self.stdout.write(
            _("%(done)s of %(total)s cases re-keyed")
            % {"done": job.cases_done, "total": job.cases_total}
        )
