from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from solidarity.ledger import donor_protection


class Command(BaseCommand):
    help = (
        "What the fund keeps about donors, in counts only. `donors status` counts donations, "
        "receipt addresses kept (sealed), those past their retention "
        "(SOLIDARITY_DONOR_RECEIPT_MONTHS, default 13) and donations from high-risk "
        "countries. `donors purge` deletes every receipt address past its retention and "
        "forgets the digests of references and processor events older than "
        "SOLIDARITY_DONOR_REFERENCE_MONTHS (default 18); run it daily (it is audited, and "
        "prints only how many it deleted)."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="Counts only: nothing that tells one donor from another.")
        sub.add_parser("purge", help="Delete receipt addresses kept past their retention.")

    def handle(self, *args, action: str, **options) -> None:
        if action == "purge":
            count = donor_protection.purge_expired_receipts()
            donations, events = donor_protection.forget_old_references()
            self.stdout.write(_("%(n)d expired receipt addresses deleted.") % {"n": count})
            self.stdout.write(
                _("%(n)d old reference digests and %(events)d old processor events forgotten.")
                % {"n": donations, "events": events}
            )
            return
        status = donor_protection.donor_status()
        lines = [
            _("Donations: %(n)d") % {"n": status.donations},
            _("Receipt addresses kept (sealed): %(n)d") % {"n": status.receipt_addresses},
            _("... of them past their retention, waiting for `donors purge`: %(n)d")
            % {"n": status.expired_addresses},
            _("Receipt addresses are kept for %(n)d months.") % {"n": status.retention_months},
            _("Donations flagged as from a high-risk country: %(n)d") % {"n": status.high_risk},
            _("Reference and event digests remembered: %(n)d (for %(months)d months)")
            % {"n": status.reference_digests, "months": status.reference_months},
            _("Reference digests keyed with SOLIDARITY_DONOR_REFERENCE_SECRET")
            if status.secret_configured
            else _(
                "Reference digests keyed with a secret derived from SECRET_KEY: set "
                "SOLIDARITY_DONOR_REFERENCE_SECRET before SECRET_KEY ever changes."
            ),
        ]
        for line in lines:
            self.stdout.write(line)
