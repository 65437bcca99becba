from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from solidarity.ledger import forecast
from solidarity.ledger.money import REPORTING_CURRENCY


class Command(BaseCommand):
    help = (
        "Runway: project cash week by week against what is owed, under a scenario of donations "
        "and applications (current: no new people; steady: recent averages; surge: applications "
        "tripling day over day for a week; no-donations). Prints when the money runs out and how "
        "many more people could start today without cash going below zero. With --allocate, "
        "proposes which proposed plans to fund within the free budget (0/1 linear programme, "
        "maximising the sum of priorities) and explains the choice."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scenario", choices=forecast.SCENARIOS, default="steady")
        parser.add_argument("--weeks", type=int, default=26)
        parser.add_argument("--allocate", action="store_true")
        parser.add_argument(
            "--budget", help=f"Budget in {REPORTING_CURRENCY} for --allocate (default: free cash)."
        )

    def handle(
        self, *args, scenario: str, weeks: int, allocate: bool, budget: str | None, **options
    ) -> None:
        if not 1 <= weeks <= 260:
            raise CommandError(_("--weeks must be between 1 and 260"))
        result = forecast.run_forecast(scenario, weeks=weeks)
        cur = REPORTING_CURRENCY
        self.stdout.write(
            _("Scenario: %(name)s, %(weeks)d weeks from %(day)s")
            % {"name": result.scenario.name, "weeks": weeks, "day": result.as_of}
        )
        for line in result.assumptions:
            self.stdout.write(f"  · {line}")
        if result.missing_rates:
            self.stdout.write(
                self.style.WARNING(
                    _("No exchange rate for %(currencies)s: those amounts count as zero.")
                    % {"currencies": ", ".join(result.missing_rates)}
                )
            )
        self.stdout.write(
            _(
                "Cash now %(cash)s %(cur)s; owed now %(owed)s %(cur)s; pledged on future events %(pledged)s %(cur)s"
            )
            % {
                "cash": result.cash_now,
                "owed": result.owed_now,
                "pledged": result.contingent,
                "cur": cur,
            }
        )
        header = (
            _("week of"),
            _("donations"),
            _("owed out"),
            _("new people"),
            _("their payments"),
            _("cash"),
        )
        self.stdout.write("  ".join(f"{h:>12}" for h in header))
        for week in result.weeks:
            cells = (
                week.start,
                week.inflow,
                week.committed_out,
                f"{week.new_people:.1f}",
                week.new_people_out,
                week.cash,
            )
            self.stdout.write("  ".join(f"{str(c):>12}" for c in cells))
        if result.runs_out_on:
            self.stdout.write(
                self.style.WARNING(
                    _("The money runs out in the week of %(day)s.") % {"day": result.runs_out_on}
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(_("The money lasts beyond %(weeks)d weeks.") % {"weeks": weeks})
            )
        self.stdout.write(_("More people who could start today: %(n)d") % {"n": result.capacity})
        if allocate:
            try:
                amount = Decimal(budget) if budget else forecast.free_budget()
            except InvalidOperation:
                raise CommandError(_("--budget must be a number")) from None
            allocation = forecast.allocate(forecast.candidates_from_plans(), amount)
            self.stdout.write("")
            for line in allocation.explanation:
                self.stdout.write(line)
