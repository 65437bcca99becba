from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from solidarity.accounts import demo, totp
from solidarity.channels.demo import build_channels_demo
from solidarity.jobs.demo import DEMO_COACH, build_jobs_demo
from solidarity.ledger.demo import build_ledger_demo


class Command(BaseCommand):
    help = (
        "DEMO ONLY. On an empty data directory: apply migrations, create the demo organisation "
        "with a coordinator, a volunteer and a treasurer (public passphrases, TOTP secrets from "
        "a public seed) and submit about fifty invented applications through the real intake. "
        "On a demo directory: print the logins again and change nothing. Refuses a directory "
        "set up with `solidarity init`."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--applications",
            type=int,
            default=demo.DEMO_APPLICATIONS,
            help="How many invented applications to submit (default: %(default)s).",
        )
        parser.add_argument(
            "--no-qr", action="store_true", help="Do not draw the QR codes (for narrow terminals)."
        )

    def handle(self, *args, applications: int, no_qr: bool, **options) -> None:
        call_command("migrate", interactive=False, verbosity=max(options["verbosity"] - 1, 0))
        try:
            created = demo.load_demo(applications)
        except demo.NotADemoError:
            raise CommandError(
                _("This data directory holds a real organisation; the demo does not touch it.")
            ) from None
        if created:
            # Money and jobs stories on top of the cases: donations, a plan and a batch waiting
            # for its second approver; a verified candidate, an employer and a placement.
            build_ledger_demo()
            jobs = build_jobs_demo()
            build_channels_demo()  # so /channels/, the footer and the bot show a fingerprint
            self.stdout.write(
                self.style.SUCCESS(
                    _("Demo organisation created with %(n)d invented applications.")
                    % {"n": applications}
                )
            )
            if jobs is not None:
                self.stdout.write(
                    _(
                        "A demo applicant who opted in to job search: case code %(code)s, "
                        "passphrase “%(passphrase)s” (sign in at /status/)."
                    )
                    % {"code": jobs.candidate_code, "passphrase": jobs.candidate_passphrase}
                )
        else:
            self.stdout.write(_("The demo organisation is already here; nothing was changed."))
        self.print_logins(qr=not no_qr)

    def print_logins(self, *, qr: bool) -> None:
        logins = demo.demo_logins((*demo.DEMO_STAFF, DEMO_COACH))
        self.stdout.write("")
        self.stdout.write(
            self.style.WARNING(
                _("DEMO LOGINS: public and for this demo only. Never use them for real cases.")
            )
        )
        header = (_("username"), _("role"), _("passphrase"), _("TOTP secret"), _("code now"))
        rows = [header] + [
            (x.username, x.role, x.passphrase, x.totp_secret, x.current_code) for x in logins
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            self.stdout.write(
                "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            )
        if qr:
            for login in logins:
                self.stdout.write("")
                self.stdout.write(f"{login.username} ({login.role}): {login.totp_uri}")
                self.stdout.write(totp.terminal_qr(login.totp_uri))
        self.stdout.write(
            _(
                "Sign in at /staff/login/. Codes change every 30 seconds; run `solidarity demo` "
                "again to see the current ones."
            )
        )
