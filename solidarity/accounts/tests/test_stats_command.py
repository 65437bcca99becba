from __future__ import annotations

import io
import json

from django.core.management import call_command

from solidarity.cases.models import Case
from solidarity.testing.factories import make_application


def test_stats_json_counts_cases_by_status_and_programme(db):
    make_application()
    make_application()
    worker = make_application(programme="workers", situation="workers:strike")
    Case.objects.filter(code=worker.case_code).update(status=Case.Status.VERIFIED)
    out = io.StringIO()

    call_command("stats", "--json", stdout=out)

    counts = json.loads(out.getvalue())
    assert counts["total"] == 3
    assert counts["by_status"]["new"] == 2
    assert counts["by_status"]["verified"] == 1
    assert counts["by_status"]["rejected"] == 0
    assert counts["by_programme"] == {"security_forces": 2, "workers": 1, "repression": 0}


def test_stats_without_json_prints_a_table(db):
    make_application()
    out = io.StringIO()

    call_command("stats", stdout=out)

    assert "Total: 1" in out.getvalue()
    assert "Received" in out.getvalue()
