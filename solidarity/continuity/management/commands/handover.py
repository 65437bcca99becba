from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from solidarity.accounts import services as accounts
from solidarity.accounts.cli import read_passphrase
from solidarity.accounts.models import User
from solidarity.continuity import backup, handover, payload
from solidarity.continuity.refusals import (
    JOB_COACH_PASSPHRASE_ENV,
    existing_file,
    open_output,
    refusal,
)
from solidarity.jobs import keys as jobs_keys
from solidarity.jobs.roles import is_job_coach
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
        "The jobs work (candidate profiles, employers, openings, courses) travels only when a "
        "job coach opens the jobs key with `export --jobs-by COACH`. "
        "Passphrases are asked, or taken from SOLIDARITY_COORDINATOR_PASSPHRASE (and "
        "SOLIDARITY_JOB_COACH_PASSPHRASE for the job coach)."
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
        export.add_argument(
            "--jobs-by",
            help="Username of a job coach whose copy of the jobs key opens the employers and "
            "candidates' contacts for the receiver: without it the jobs work stays behind.",
        )
        take = sub.add_parser("import", help="Take over the cases and books in an archive.")
        take.add_argument("file", type=Path, help="The handover archive.")
        take.add_argument("--by", required=True, help="Username of the coordinator.")

    def handle(self, *args, subcommand: str, **options) -> None:
        if subcommand == "receiver-key":
            self.receiver_key(options["org"], options["out"])
        elif subcommand == "export":
            self.export(
                options["to"],
                options["by"],
                options["out"],
                options["fingerprint"],
                options["jobs_by"],
            )
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
            return user, accounts.unlock_vault(user, read_passphrase(username))
        except accounts.UnlockFailedError:
            raise CommandError(_("The passphrase did not open the coordinator's key.")) from None

    def open_jobs_key(self, username: str) -> bytes:
        coach = User.objects.filter(username=username).first()
        if coach is None or not is_job_coach(coach) or coach.revoked_at is not None:
            raise CommandError(_("--jobs-by must name a job coach."))
        try:
            staff_key = accounts.unlock_vault(
                coach, read_passphrase(username, JOB_COACH_PASSPHRASE_ENV)
            )
        except accounts.UnlockFailedError:
            raise CommandError(_("The passphrase did not open the job coach's key.")) from None
        try:
            return jobs_keys.open_jobs_key(coach, staff_key)
        except core.VaultError:
            raise CommandError(_("This job coach holds no jobs key.")) from None

    def export(
        self,
        key_file: Path,
        username: str,
        out: Path,
        expected: str | None,
        jobs_by: str | None,
    ) -> None:
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
        jobs_private_key = self.open_jobs_key(jobs_by) if jobs_by else None
        with open_output(out) as target:
            try:
                report = handover.export_handover(
                    target,
                    receiver,
                    by=user,
                    staff_private_key=staff_key,
                    jobs_private_key=jobs_private_key,
                )
            except BaseException as exc:
                target.close()
                out.unlink(missing_ok=True)
                if isinstance(exc, keyring.NoIntakeAccessError):
                    raise CommandError(_("This coordinator holds no intake key.")) from None
                if isinstance(exc, core.VaultError):
                    raise CommandError(
                        _("A case key or a jobs record did not open; nothing was handed over.")
                    ) from None
                raise
        self.stdout.write(
            _("Handover written: %(cases)s cases, %(files)s files, %(entries)s ledger entries.")
            % {"cases": report.cases, "files": report.files, "entries": report.entries}
        )
        self.write_jobs(report)

    def write_jobs(self, report: handover.HandoverReport) -> None:
        if report.jobs_carried:
            self.stdout.write(
                _(
                    "Jobs work: %(profiles)s candidate profiles, %(employers)s employers, "
                    "%(openings)s openings."
                )
                % {
                    "profiles": report.profiles,
                    "employers": report.employers,
                    "openings": report.openings,
                }
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "The jobs work (candidate profiles, employers, openings, courses) was "
                        "not carried: give --jobs-by with a job coach to carry it."
                    )
                )
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
        except jobs_keys.NoJobCoachError:
            raise CommandError(
                _("This archive carries jobs work: enrol a job coach here first.")
                + " "
                + _("Nothing was changed.")
            ) from None
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
        if report.jobs_carried:
            self.write_jobs(report)
