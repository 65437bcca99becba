from __future__ import annotations

from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("staff/", include("solidarity.oversight.urls")),
    path("staff/", include("solidarity.accounts.urls")),
    path("staff/ledger/", include("solidarity.ledger.urls")),
    path("hooks/", include("solidarity.ledger.hook_urls")),
    path("transparency/", include("solidarity.transparency.urls")),
    path("telegram/", include("solidarity.bot.urls")),
    path("staff/jobs/", include("solidarity.jobs.urls")),
    path("status/jobs/", include("solidarity.jobs.applicant_urls")),
    path("channels/", include("solidarity.channels.urls")),
    path("", include("solidarity.intake.urls")),
]
