from __future__ import annotations

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from solidarity.accounts.cli import read_passphrase
from solidarity.continuity import backup, payload
from solidarity.continuity.refusals import existing_file, refusal
from solidarity.vault import core


class Command(BaseCommand):
    help = (
        "Restore a backup made by `solidarity backup` into this new, empty installation "
        "(refused if it holds any data). A coordinator named in the backup opens it with their "
        "passphrase (asked, or from SOLIDARITY_COORDINATOR_PASSPHRASE). The whole archive is "
        "checked before anything is written; an altered or cut archive changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="The backup file.")
        parser.add_argument("--by", required=True, help="Username of the coordinator restoring.")

    def handle(self, *args, file: Path, by: str, **options) -> None:
        existing_file(file)
        try:
            header = backup.read_header(file)
            if header.kind != backup.archive.KIND_BACKUP:
                raise backup.WrongKindError("not a backup")
        except (core.VaultError, backup.ContinuityError) as exc:
            raise refusal(exc) from None
        if _migrations_pending():
            call_command("migrate", interactive=False, verbosity=max(options["verbosity"] - 1, 0))
        try:
            if not backup.installation_is_empty():
                raise backup.NotEmptyError("not empty")
        except (core.VaultError, backup.ContinuityError) as exc:
            raise refusal(exc) from None
        passphrase = read_passphrase(by)
        try:
            report = backup.restore_backup(file, by, passphrase)
        except (core.VaultError, backup.ContinuityError, payload.PayloadError) as exc:
            raise refusal(exc) from None
        except OSError as exc:
            raise CommandError(_("Cannot read the archive: %(reason)s") % {"reason": exc}) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Restored %(rows)s rows and %(files)s files.")
                % {"rows": report.rows, "files": report.files}
            )
        )
        self.stdout.write(_("Next: run `solidarity audit verify`, then `solidarity serve`."))


def _migrations_pending() -> bool:
    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
