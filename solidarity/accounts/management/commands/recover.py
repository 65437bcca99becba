from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from solidarity.accounts import recovery
from solidarity.accounts.models import User
from solidarity.vault import core, escrow, shamir, trustee_shares


class Command(BaseCommand):
    help = (
        "Rebuild the recovery key from M trustees' shares and give the organisation keys to "
        "a coordinator (e.g. one enrolled after the last holder was arrested and revoked). "
        "Shares are typed at the prompt (spaces, hyphens and lower case are fine) or read "
        "from --share-file. A mistyped share is named; shares of another split, too few "
        "shares or shares that do not rebuild this fund's key change nothing. The key exists "
        "only in this process. Afterwards revoke the arrested person with the new "
        "coordinator, which rotates the intake key and re-keys every case."
    )
    # call_command(..., stdin=...) in tests; the terminal otherwise.
    stealth_options = ("stdin",)

    def add_arguments(self, parser) -> None:
        parser.add_argument("--to", required=True, help="Coordinator to receive the keys.")
        parser.add_argument(
            "--share-file",
            action="append",
            default=[],
            help="A share file written by `recovery split` (repeat for each share).",
        )
        parser.add_argument(
            "--fingerprint",
            help=(
                "Key fingerprint of a coordinator still awaiting approval, as compared with "
                "them in person: recovering for them approves them."
            ),
        )

    def handle(self, *args, to: str, share_file: list[str], **options) -> None:
        user = User.objects.filter(username=to).first()
        if user is None:
            raise CommandError(_("No staff account with this username."))
        fingerprint = options.get("fingerprint")
        # Checked before anyone types a share.
        self.check_recipient(user, fingerprint)
        try:
            needed = recovery.required_shares()
        except escrow.NoRecoveryKeyError:
            raise CommandError(
                _("No recovery key was ever split: there is nothing to recover.")
            ) from None
        if share_file:
            texts = [self.read_file(path) for path in share_file]
        else:
            texts = self.read_typed(needed, options.get("stdin"))
        try:
            result = recovery.recover_keys(user, texts, fingerprint=fingerprint)
        except (recovery.RecoveryRefusedError, recovery.FingerprintMismatchError):
            # The account changed while the shares were typed: checked again for the reason.
            self.check_recipient(user, fingerprint)
            raise CommandError(_("Nothing was changed.")) from None
        except trustee_shares.ShareFormatError as exc:
            raise CommandError(
                _("Share %(n)s is mistyped: check it against the paper and type it again.")
                % {"n": exc.position}
                + " "
                + _("Nothing was changed.")
            ) from None
        except trustee_shares.ForeignShareError as exc:
            raise CommandError(
                _("Share %(n)s belongs to another set (an older split or another fund).")
                % {"n": exc.position}
                + " "
                + _("Nothing was changed.")
            ) from None
        except escrow.UnknownShareError as exc:
            raise CommandError(
                _(
                    "Share %(n)s is not one of the shares handed out for this set: it was "
                    "forged or altered. Ask that trustee for the paper."
                )
                % {"n": exc.position}
                + " "
                + _("Nothing was changed.")
            ) from None
        except shamir.DuplicateShareError:
            raise CommandError(
                _("The same share was given twice.") + " " + _("Nothing was changed.")
            ) from None
        except shamir.NotEnoughSharesError:
            raise CommandError(
                _("%(m)s shares are needed.") % {"m": needed} + " " + _("Nothing was changed.")
            ) from None
        except (shamir.ShamirError, escrow.WrongRecoveryKeyError):
            raise CommandError(
                _("These shares do not rebuild this fund's recovery key.")
                + " "
                + _("Nothing was changed.")
            ) from None
        except core.VaultError:
            raise CommandError(
                _("An escrowed key does not open: the database was altered.")
                + " "
                + _("Nothing was changed.")
            ) from None
        self.stdout.write(
            _("Recovered and given to %(name)s: %(kinds)s")
            % {"name": user.username, "kinds": ", ".join(result.given) or "-"}
        )
        if result.coaches_given_jobs_key:
            self.stdout.write(
                _("Jobs key given to the job coaches: %(names)s")
                % {"names": ", ".join(result.coaches_given_jobs_key)}
            )
        if result.not_escrowed:
            self.stderr.write(
                _("Not escrowed, so not recovered: %(kinds)s")
                % {"kinds": ", ".join(result.not_escrowed)}
            )
        self.stdout.write(
            _(
                "Next: revoke the arrested person with `solidarity revoke USERNAME --coordinator "
                "%(name)s` (it rotates the intake key), then make a new split."
            )
            % {"name": user.username}
        )

    def check_recipient(self, user: User, fingerprint: str | None) -> None:
        try:
            recovery.check_recipient(user, fingerprint)
        except recovery.RecoveryRefusedError:
            raise CommandError(
                _(
                    "Keys go only to a coordinator who has enrolled (has a personal key) and is "
                    "active or awaiting approval."
                )
            ) from None
        except recovery.FingerprintMismatchError:
            raise CommandError(
                _(
                    "%(name)s is awaiting approval: recovering approves them. Compare their key "
                    "fingerprint with them in person and pass it with --fingerprint. Nothing "
                    "was changed."
                )
                % {"name": user.username}
            ) from None

    def read_file(self, path: str) -> str:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise CommandError(_("Cannot read the share file %(path)s.") % {"path": path}) from None
        # Lines starting with # are the printed explanation around the share.
        lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
        return " ".join(lines)

    def read_typed(self, needed: int, stdin) -> list[str]:
        """The one place this command reads shares from the terminal: one line each."""
        stream = stdin or sys.stdin
        self.stdout.write(
            _("Type %(m)s shares, one line each (as printed; spaces and case do not matter).")
            % {"m": needed}
        )
        texts = []
        for number in range(1, needed + 1):
            self.stdout.write(_("Share %(n)s of %(m)s: ") % {"n": number, "m": needed}, ending="")
            self.stdout.flush()
            line = stream.readline()
            if not line.strip():
                break
            texts.append(line.strip())
        return texts
