from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from solidarity.accounts import recovery, services
from solidarity.accounts.cli import read_passphrase
from solidarity.accounts.models import User
from solidarity.vault import escrow, shamir, trustee_shares


class Command(BaseCommand):
    help = (
        "Trustees and the recovery key. `recovery split --threshold M --shares N --by "
        "COORDINATOR` makes a recovery key, splits it so that any M of N trustees can rebuild "
        "it (fewer learn nothing), seals to it every organisation key the coordinator holds, "
        "and prints the N shares (or writes them to --out, a directory outside the data "
        "directory): the recovery private key and the shares are never stored. --replace "
        "makes a new split and voids the old shares. `recovery escrow --by USER` seals again "
        "the keys USER holds (a job coach for the jobs key). `recovery status` shows M, N and "
        "which keys the trustees could recover. The passphrase is asked, or taken from "
        "SOLIDARITY_COORDINATOR_PASSPHRASE."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        split = sub.add_parser("split", help="Make the recovery key and split it M-of-N.")
        split.add_argument("--threshold", type=int, required=True, help="M: shares needed.")
        split.add_argument("--shares", type=int, required=True, help="N: shares made.")
        split.add_argument("--by", required=True, help="Coordinator holding the intake key.")
        split.add_argument("--out", help="Write one file per share (text and QR) here.")
        split.add_argument(
            "--replace", action="store_true", help="Replace the existing split (old shares void)."
        )
        again = sub.add_parser("escrow", help="Seal the keys a staff member holds again.")
        again.add_argument("--by", required=True, help="Staff member holding the keys.")
        sub.add_parser("status", help="M, N and which keys the trustees could recover.")

    def handle(self, *args, action: str, **options) -> None:
        if action == "split":
            self.split(options)
        elif action == "escrow":
            self.escrow(options["by"])
        else:
            self.status()

    def split(self, options) -> None:
        out = self.out_dir(options["out"])
        by = self.staff(options["by"])
        key = self.unlock(by)
        try:
            result = recovery.split_recovery_key(
                by,
                key,
                threshold=options["threshold"],
                count=options["shares"],
                replace=options["replace"],
            )
        except recovery.RecoveryRefusedError:
            raise CommandError(
                _("Only a coordinator holding the intake key can split it.")
            ) from None
        except escrow.RecoveryKeyExistsError:
            raise CommandError(
                _(
                    "A recovery key exists already. Use --replace to make a new split; the old "
                    "shares then open nothing."
                )
            ) from None
        except shamir.ShareParamsError:
            raise CommandError(
                _("The threshold must be at least 1 and at most the number of shares (up to 255).")
            ) from None
        self.stdout.write(
            _("Recovery key made: any %(m)s of %(n)s shares rebuild it. Set %(set)s.")
            % {"m": result.threshold, "n": result.count, "set": result.set_id}
        )
        self.stdout.write(
            _("Recovery key fingerprint (write it beside each share): %(fp)s")
            % {"fp": result.fingerprint}
        )
        self.stdout.write(_("Escrowed: %(kinds)s") % {"kinds": ", ".join(result.escrowed) or "-"})
        if out is None:
            self.stdout.write(_("Give each line to one trustee, on paper; it is not shown again:"))
            for text in result.shares:
                self.stdout.write(text)
        else:
            try:
                self.write_shares(out, result)
            except OSError:
                # The key exists now; printing the shares is better than losing them.
                self.stderr.write(_("Cannot write to %(dir)s.") % {"dir": out})
                self.stdout.write(
                    _("Give each line to one trustee, on paper; it is not shown again:")
                )
                for text in result.shares:
                    self.stdout.write(text)
        if result.threshold == 1 or result.threshold == result.count:
            self.stderr.write(
                _(
                    "Warning: with M = 1 any one trustee holds every key; with M = N one lost "
                    "share loses them all."
                )
            )
        self.status()

    def write_shares(self, out: Path, result: recovery.SplitResult) -> None:
        for number, text in enumerate(result.shares, start=1):
            header = [
                "# "
                + _("Solidarity recovery share %(i)s of %(n)s (any %(m)s recover the keys)")
                % {"i": number, "n": result.count, "m": result.threshold},
                "# "
                + _("Set %(set)s. Recovery key fingerprint: %(fp)s")
                % {"set": result.set_id, "fp": result.fingerprint},
                "# "
                + _(
                    "Keep it on paper, away from the other shares; type the last line at "
                    "`solidarity recover`."
                ),
            ]
            path = out / f"share-{result.set_id}-{number:03d}.txt"
            self.write_private(path, ("\n".join([*header, text]) + "\n").encode("utf-8"))
            self.write_private(path.with_suffix(".svg"), trustee_shares.share_qr_svg(text))
        self.stdout.write(
            _(
                "%(n)s shares written to %(dir)s: print each, give it to one trustee, then delete the files."
            )
            % {"n": result.count, "dir": out}
        )

    def write_private(self, path: Path, data: bytes) -> None:
        # Exclusive create: never overwrite a share already there; readable by the owner only.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)

    def out_dir(self, value: str | None) -> Path | None:
        if not value:
            return None
        out = Path(value).resolve()
        data_dir = Path(settings.DATA_DIR).resolve()
        if out == data_dir or data_dir in out.parents:
            # A seized server must not hold the shares: they are the keys to everything.
            raise CommandError(_("Shares must not be written inside the data directory."))
        if out.exists() and any(out.glob("share-*")):
            raise CommandError(_("That directory already holds shares; choose an empty one."))
        # Made and checked before the key exists: a split nobody received is worth nothing.
        try:
            out.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            raise CommandError(_("Cannot write to %(dir)s.") % {"dir": out}) from None
        if not os.access(out, os.W_OK | os.X_OK):
            raise CommandError(_("Cannot write to %(dir)s.") % {"dir": out})
        return out

    def escrow(self, username: str) -> None:
        by = self.staff(username)
        key = self.unlock(by)
        try:
            kinds = recovery.escrow_current_keys(by, key)
        except escrow.NoRecoveryKeyError:
            raise CommandError(
                _("No recovery key yet: run `solidarity recovery split` first.")
            ) from None
        except (recovery.NothingToEscrowError, recovery.RecoveryRefusedError):
            raise CommandError(_("This account holds none of the organisation keys.")) from None
        self.stdout.write(_("Escrowed: %(kinds)s") % {"kinds": ", ".join(kinds)})
        self.status()

    def status(self) -> None:
        state = recovery.recovery_status()
        if not state.set_id:
            self.stdout.write(
                _(
                    "No recovery key: the keys are lost if every holder is arrested. Run `solidarity recovery split`."
                )
            )
        else:
            self.stdout.write(
                _("Set %(set)s: any %(m)s of %(n)s shares, made %(when)s. Fingerprint: %(fp)s")
                % {
                    "set": state.set_id,
                    "m": state.threshold,
                    "n": state.count,
                    "when": state.created_at.date().isoformat(),
                    "fp": state.fingerprint,
                }
            )
        for key in state.keys:
            if not key.exists:
                label = _("does not exist yet")
            elif not state.set_id:
                label = _("not escrowed")
            elif key.escrowed:
                label = _("escrowed")
            elif key.stale:
                label = _("MISSING: an older key is escrowed; run `solidarity recovery escrow`")
            else:
                label = _("MISSING: run `solidarity recovery escrow --by` someone who holds it")
            self.stdout.write(f"  {key.kind}\t{label}")
        if state.set_id:
            self.stdout.write("  screening\t" + _("sealed to the intake key: recovered with it"))

    def staff(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No staff account with this username."))
        return user

    def unlock(self, by: User) -> bytes:
        """The one place this command reads the passphrase: the environment or the terminal."""
        passphrase = read_passphrase(by.username)
        try:
            return services.unlock_vault(by, passphrase)
        except services.UnlockFailedError:
            raise CommandError(_("The passphrase did not open this account's key.")) from None
