"""What the continuity commands tell the operator when an archive is refused."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from solidarity.continuity import backup, payload
from solidarity.vault import archive, core

JOB_COACH_PASSPHRASE_ENV = "SOLIDARITY_JOB_COACH_PASSPHRASE"  # noqa: S105 - a variable name


def refusal(exc: Exception) -> CommandError:
    """A translated, key-free explanation of why an archive was refused."""
    nothing = _("Nothing was changed.")
    if isinstance(exc, archive.NotAnArchiveError):
        text = _("This file is not a Solidarity archive.")
    elif isinstance(exc, archive.ArchiveKeyError):
        text = _("This archive is sealed to another key (another installation or organisation).")
    elif isinstance(exc, archive.ArchiveTruncatedError):
        text = _("The archive is incomplete: the file was cut short.")
    elif isinstance(exc, archive.ArchiveTamperedError):
        text = _("The archive was altered or damaged, and is refused.")
    elif isinstance(exc, backup.NotEmptyError):
        text = _("This installation already holds data; restore only into a new, empty one.")
    elif isinstance(exc, backup.WrongKindError):
        text = _("This archive is of another kind (a backup and a handover are not the same).")
    elif isinstance(exc, backup.UnlockRefusedError):
        text = _("The passphrase does not open this coordinator's copy of the key.")
    elif isinstance(exc, backup.IncompatibleBackupError):
        text = _("This archive was made by a newer version of Solidarity: upgrade first.")
    elif isinstance(exc, backup.ContinuityError | payload.PayloadError):
        text = _("The archive's contents do not load.")
    elif isinstance(exc, core.VaultError):
        text = _("The key did not open.")
    else:
        raise exc
    return CommandError(f"{text} {nothing}")


def open_output(path: Path):
    """A new file, readable by its owner only; an existing file is never overwritten."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CommandError(
            _("%(path)s exists already; choose another name.") % {"path": path}
        ) from None
    except OSError as exc:
        raise CommandError(
            _("Cannot write %(path)s: %(reason)s") % {"path": path, "reason": exc.strerror}
        ) from None
    return os.fdopen(fd, "wb")


def existing_file(path: Path) -> Path:
    if not path.is_file():
        raise CommandError(_("No such file: %(path)s") % {"path": path})
    return path
