from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from solidarity.oversight import alerts


class Command(BaseCommand):
    help = (
        "Insider alerts. `alerts scan` reads the last 24 hours of the audit log and raises an "
        "alert for a volunteer who opened far more cases than the others (more than "
        f"max({alerts.MANY_CASES_FACTOR} x their median, {alerts.MANY_CASES_FLOOR})), for "
        "anyone who tried to open a case not assigned to them, and for an account with "
        f"{alerts.FAILED_UNLOCK_LIMIT} or more failed sign-ins or unlocks. Coordinators see "
        "them at /staff/alerts/. Repeatable: each alert is raised once per person and day. "
        "The worker also runs it every hour."
    )

    def add_arguments(self, parser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        subcommands.add_parser("scan", help="Raise alerts from the last 24 hours of the audit log.")

    def handle(self, *args, subcommand: str, **options) -> None:
        if subcommand == "scan":
            self.scan()

    def scan(self) -> None:
        raised = alerts.scan_alerts()
        self.stdout.write(
            ngettext("%(n)d new alert.", "%(n)d new alerts.", len(raised)) % {"n": len(raised)}
        )
        for alert in raised:
            # Usernames and case codes only: nothing here identifies an applicant.
            self.stdout.write(
                _("%(kind)s: %(who)s %(subject)s")
                % {
                    "kind": alert.get_kind_display(),
                    "who": alert.staff_name,
                    "subject": alert.subject,
                }
            )
