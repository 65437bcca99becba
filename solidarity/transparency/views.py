"""The public transparency page and its JSON twin. No login, no JavaScript, nothing fetched
from anywhere else; charts are SVG drawn here."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from solidarity.ledger import charts
from solidarity.lib.money import format_money
from solidarity.transparency import services


def _display(value) -> str:
    """A count in the reader's language ("1 234" in be/ru), or a suppressed "< 5" as it is."""
    return value if isinstance(value, str) else format_money(value)


# The figures that are amounts of money (whole units of data["currency"]).
MONEY_FIGURES = frozenset({"raised", "committed", "paid"})
MONEY_WEEK = MONEY_FIGURES | {"week"}


@require_GET
def page(request: HttpRequest) -> HttpResponse:
    snapshot = services.build_snapshot()
    data = snapshot.as_json()
    labels = [row["week"] for row in data["weekly"]]
    money_chart = None
    if labels:
        money_chart = charts.line_chart(
            labels,
            [
                charts.Series(_("Raised"), [float(v) for v in snapshot.raised], charts.PALETTE[0]),
                charts.Series(
                    _("Committed"),
                    [float(v) for v in snapshot.committed],
                    charts.PALETTE[3],
                    dashed=True,
                ),
                charts.Series(_("Paid"), [float(v) for v in snapshot.paid], charts.PALETTE[1]),
            ],
            title=_("Raised, committed and paid over time (%(cur)s)") % {"cur": data["currency"]},
        )
    people_chart = charts.bar_chart(
        [
            (
                services.programme_label(programme),
                None if isinstance(value, str) else float(value),
                _display(value),
            )
            for programme, value in data["people_supported_by_programme"].items()
        ],
        title=_("People supported, by programme"),
    )
    totals = data["totals"]
    return render(
        request,
        "transparency/page.html",
        {
            "data": data,
            # Money is formatted by the template (|money), counts here.
            "totals": {
                k: v if v is None or k in MONEY_FIGURES else _display(v) for k, v in totals.items()
            },
            "money_chart": money_chart,
            "people_chart": people_chart,
            "weekly": [
                {**row, **{k: _display(v) for k, v in row.items() if k not in MONEY_WEEK}}
                for row in reversed(data["weekly"])
            ],
            "min_group": services.MIN_GROUP,
        },
    )


@require_GET
def as_json(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(services.build_snapshot().as_json())
    # Anyone may republish these figures; they are the same for everyone.
    response["Access-Control-Allow-Origin"] = "*"
    return response
