from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils.translation import gettext as _

from solidarity.accounts import services, team
from solidarity.accounts.models import User


class Command(BaseCommand):
    help = (
        "Staff accounts from the server's shell. `staff add USERNAME --role ROLE` creates an "
        "inactive account and prints a one-time enrolment link (valid three days; only its "
        "digest is stored): the person chooses their own passphrase and sets up TOTP there, "
        "then a coordinator or administrator approves the account in the console after "
        "comparing key fingerprints. `staff list` shows every account and its state."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Create an account and print its enrolment link.")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=list(User.Role.values))
        add.add_argument(
            "--base-url",
            default="",
            help="The console's address as staff reach it, e.g. https://fund.example.org",
        )
        sub.add_parser("list", help="Every staff account with its role and state.")

    def handle(self, *args, action: str, **options) -> None:
        if action == "add":
            self.add(options["username"], options["role"], options["base_url"])
        else:
            self.list()

    def add(self, username: str, role: str, base_url: str) -> None:
        try:
            invitation = team.invite_staff(username, role, by=None)
        except services.UsernameTakenError:
            raise CommandError(_("A staff account with this username already exists.")) from None
        except ValidationError as exc:
            raise CommandError(_("Username refused:") + " " + " ".join(exc.messages)) from None
        path = reverse("staff:enrol", args=[invitation.token])
        self.stdout.write(
            _("Account %(username)s (%(role)s) created, inactive until approved.")
            % {"username": username, "role": invitation.user.get_role_display()}
        )
        self.stdout.write(
            _("Give this one-time link to them over a channel you trust (it is not shown again):")
        )
        self.stdout.write(base_url.rstrip("/") + path)

    def list(self) -> None:
        labels = {
            "invited": _("link sent, not enrolled"),
            "awaiting_approval": _("waiting for approval"),
            "active": _("active"),
            "revoked": _("revoked"),
        }
        for row in team.staff_list():
            intake = " " + _("(holds the intake key)") if row.holds_intake_key else ""
            self.stdout.write(
                f"{row.user.username}\t{row.user.role}\t{labels[row.state]}{intake}"
                f"\t{row.fingerprint or '-'}"
            )
