from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from solidarity.cases import services
from solidarity.cases.models import Case, Programme


def case_counts() -> dict:
    """Cases by status and by programme: queue columns only, nothing sealed."""
    by_status = services.status_counts()
    by_programme = {value: 0 for value, _label in Programme.choices}
    for row in services.programme_status_counts():
        by_programme[row["programme"]] = by_programme.get(row["programme"], 0) + row["n"]
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_programme": by_programme,
    }


class Command(BaseCommand):
    help = (
        "Print how many cases there are by status and by programme. Reads only the clear "
        "queue columns, so it needs no key and reveals nothing about any applicant."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")

    def handle(self, *args, **options) -> None:
        counts = case_counts()
        if options["json"]:
            self.stdout.write(json.dumps(counts, indent=2, sort_keys=True))
            return
        labels = {
            **{value: str(label) for value, label in Case.Status.choices},
            **{value: str(label) for value, label in Programme.choices},
        }
        for title, key in ((_("By status"), "by_status"), (_("By programme"), "by_programme")):
            self.stdout.write(title)
            width = max(len(labels.get(k, k)) for k in counts[key])
            for k, n in counts[key].items():
                self.stdout.write(f"  {labels.get(k, k).ljust(width)}  {n:>6}")
        self.stdout.write(_("Total: %(n)d") % {"n": counts["total"]})
