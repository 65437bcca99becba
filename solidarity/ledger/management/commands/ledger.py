from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from solidarity.audit import services as audit
from solidarity.ledger import books, services


class Command(BaseCommand):
    help = (
        "The books. `ledger export --format beancount [--output FILE]` writes every entry, "
        "rate and account for accountants (it passes bean-check, with a balance assertion per "
        "account). `ledger check` verifies that every account's balance equals the sum of its "
        "postings and that every currency sums to zero. Entries are never edited: corrections "
        "are reversing entries, and the export shows both."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write the books in an accountant's format.")
        export.add_argument("--format", choices=["beancount"], default="beancount")
        export.add_argument(
            "--output", "-o", default="-", help="File to write (default: standard output)."
        )
        export.add_argument("--title", default="Solidarity fund")
        sub.add_parser("check", help="Verify balances against postings.")

    def handle(self, *args, action: str, **options) -> None:
        if action == "export":
            self.export(options["output"], options["title"])
        else:
            self.check()

    def export(self, output: str, title: str) -> None:
        # The books leave the server: say so in the audit trail, whoever ran the command.
        if output == "-":
            lines = books.export_beancount(self.stdout, title=title)
        else:
            with open(output, "w", encoding="utf-8") as handle:
                lines = books.export_beancount(handle, title=title)
        audit.record("ledger.export", subject="beancount", lines=lines)
        if output == "-":
            return
        self.stderr.write(_("%(n)d lines written to %(file)s") % {"n": lines, "file": output})

    def check(self) -> None:
        bad = [c for c in services.check_balances() if not c.ok]
        unbalanced = {cur: total for cur, total in services.currency_totals().items() if total != 0}
        for check in bad:
            self.stderr.write(
                f"{check.account.code}: cached {check.cached}, postings sum to {check.summed}"
            )
        for currency, total in unbalanced.items():
            self.stderr.write(
                _("%(currency)s: postings sum to %(total)s, not zero")
                % {"currency": currency, "total": total}
            )
        if bad or unbalanced:
            raise CommandError(_("The books do not agree."))
        self.stdout.write(_("The books balance: every account agrees with its postings."))
