from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from solidarity.continuity import backup
from solidarity.continuity.refusals import open_output
from solidarity.vault import keyring


class Command(BaseCommand):
    help = (
        "Write a backup of this installation (every table and every sealed upload) to a new "
        "file, sealed to the organisation's intake key: only a coordinator's passphrase opens "
        "it, with `solidarity restore`. Needs no passphrase to make, so it can run from cron. "
        "Keep copies away from the server: a seized server must not be the only copy."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="The file to write (new).")

    def handle(self, *args, out: Path, **options) -> None:
        with open_output(out) as target:
            try:
                report = backup.make_backup(target)
            except keyring.VaultNotInitialisedError:
                target.close()
                out.unlink(missing_ok=True)
                raise CommandError(_("This installation has no organisation yet.")) from None
            except keyring.NoIntakeAccessError:
                target.close()
                out.unlink(missing_ok=True)
                raise CommandError(
                    _("No coordinator holds the intake key: nobody could restore this backup.")
                ) from None
            except BaseException:
                target.close()
                out.unlink(missing_ok=True)
                raise
        self.stdout.write(
            _("Backup written: %(rows)s rows, %(files)s files, %(size)s bytes.")
            % {"rows": report.rows, "files": report.files, "size": report.bytes_written}
        )
        self.stdout.write(
            _("Sealed to the intake key %(fingerprint)s.") % {"fingerprint": report.fingerprint}
        )
