from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from solidarity.accounts import services as accounts
from solidarity.accounts.models import User
from solidarity.continuity import backup, handover, payload
from solidarity.continuity.refusals import existing_file, obtain_passphrase, open_output, refusal
from solidarity.vault import core, keyring


class Command(BaseCommand):
    help = (
        "Hand the fund's work over to another organisation, or take it over. "
        "`receiver-key` (at the receiving organisation) makes a key pair, keeps the private "
        "half sealed to this organisation's intake key and writes the public half to a file "
        "for the giver. `export` (at the giving organisation, by a coordinator) seals every "
        "case key, the cases, their files and the books to that key. `import` (at the "
        "receiving organisation, by a coordinator) takes them over. Compare the fingerprint "
        "over a second channel before exporting: whoever holds the key reads every case. "
        "Passphrases are asked, or taken from SOLIDARITY_COORDINATOR_PASSPHRASE."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        make = sub.add_parser("receiver-key", help="Make a key to receive another fund's work.")
        make.add_argument("--org", required=True, help="The organisation handing over.")
        make.add_argument("--out", required=True, type=Path, help="The public key file (new).")
        export = sub.add_parser("export", help="Seal all cases and books to a receiver key.")
        export.add_argument("--to", required=True, type=Path, help="The receiver's key file.")
        export.add_argument("--by", required=True, help="Username of the coordinator.")
        export.add_argument("--out", required=True, type=Path, help="The archive to write (new).")
        export.add_argument(
            "--fingerprint",
            help="The fingerprint the receiver read to you over a second channel: "
            "the export refuses a key with another one.",
        )
        take = sub.add_parser("import", help="Take over the cases and books in an archive.")
        take.add_argument("file", type=Path, help="The handover archive.")
        take.add_argument("--by", required=True, help="Username of the coordinator.")

    def handle(self, *args, subcommand: str, **options) -> None:
        if subcommand == "receiver-key":
            self.receiver_key(options["org"], options["out"])
        elif subcommand == "export":
            self.export(options["to"], options["by"], options["out"], options["fingerprint"])
        else:
            self.take_over(options["file"], options["by"])

    def receiver_key(self, org: str, out: Path) -> None:
        with open_output(out) as target:
            try:
                row, text = handover.create_receiver_key(org)
            except keyring.VaultNotInitialisedError:
                target.close()
                out.unlink(missing_ok=True)
                raise CommandError(_("This installation has no organisation yet.")) from None
            target.write(text.encode("utf-8"))
        self.stdout.write(_("Receiver key written to %(path)s.") % {"path": out})
        self.stdout.write(
            _("Fingerprint: %(fingerprint)s")
            % {"fingerprint": core.key_fingerprint(bytes(row.public_key))}
        )
        self.stdout.write(
            _("Read this fingerprint to the giving organisation over a second channel.")
        )

    def unlock(self, username: str) -> tuple[User, bytes]:
        user = User.objects.filter(username=username).first()
        if user is None or not user.is_coordinator or user.revoked_at is not None:
            raise CommandError(_("Only a coordinator can hand the work over or take it over."))
        try:
            return user, accounts.unlock_vault(user, obtain_passphrase(username))
        except accounts.UnlockFailedError:
            raise CommandError(_("The passphrase did not open the coordinator's key.")) from None

    def export(self, key_file: Path, username: str, out: Path, expected: str | None) -> None:
        try:
            receiver = handover.parse_receiver_key_file(
                existing_file(key_file).read_text(encoding="utf-8", errors="replace")
            )
        except handover.ReceiverKeyFileError:
            raise CommandError(_("This is not a valid receiver key file.")) from None
        self.stdout.write(
            _("Receiver: %(org)s, fingerprint %(fingerprint)s")
            % {"org": receiver.receiver_org, "fingerprint": receiver.fingerprint}
        )
        if expected is not None and not handover.same_fingerprint(expected, receiver.fingerprint):
            raise CommandError(
                _(
                    "The receiver key's fingerprint is not the one you were given. Stop: the key "
                    "may have been replaced on the way. Nothing was exported."
                )
            )
        user, staff_key = self.unlock(username)
        with open_output(out) as target:
            try:
                report = handover.export_handover(
                    target, receiver, by=user, staff_private_key=staff_key
                )
            except BaseException as exc:
                target.close()
                out.unlink(missing_ok=True)
                if isinstance(exc, keyring.NoIntakeAccessError):
                    raise CommandError(_("This coordinator holds no intake key.")) from None
                if isinstance(exc, core.VaultError):
                    raise CommandError(
                        _("A case key did not open; nothing was handed over.")
                    ) from None
                raise
        self.stdout.write(
            _("Handover written: %(cases)s cases, %(files)s files, %(entries)s ledger entries.")
            % {"cases": report.cases, "files": report.files, "entries": report.entries}
        )

    def take_over(self, file: Path, username: str) -> None:
        existing_file(file)
        try:
            header = backup.read_header(file)
            if header.kind != backup.archive.KIND_HANDOVER:
                raise backup.WrongKindError("not a handover")
            handover.receiver_key_for(header)
        except (core.VaultError, backup.ContinuityError) as exc:
            raise refusal(exc) from None
        user, staff_key = self.unlock(username)
        try:
            report = handover.import_handover(file, by=user, staff_private_key=staff_key)
        except keyring.NoIntakeAccessError:
            raise CommandError(_("This coordinator holds no intake key.")) from None
        except handover.HandoverConflictError:
            raise CommandError(
                _("A case in this archive exists here already (imported before?).")
                + " "
                + _("Nothing was changed.")
            ) from None
        except (core.VaultError, backup.ContinuityError, payload.PayloadError) as exc:
            raise refusal(exc) from None
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Taken over from %(org)s: %(cases)s cases, %(messages)s messages, "
                    "%(files)s files, %(entries)s ledger entries."
                )
                % {
                    "org": report.from_org,
                    "cases": report.cases,
                    "messages": report.messages,
                    "files": report.files,
                    "entries": report.entries,
                }
            )
        )
