"""The public page of official channels and the signed statement as a download. No login,
no JavaScript, nothing fetched from anywhere else."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from solidarity.channels import services


@require_GET
def page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "channels/page.html",
        {"published": services.published(), "retired_keys": services.retired_keys()},
    )


@require_GET
def statement_file(request: HttpRequest) -> HttpResponse:
    row = services.current_statement()
    if row is None:
        raise Http404(_("No statement has been signed yet."))
    # Served byte for byte as signed: any change, even in whitespace inside a value,
    # breaks the signature, which is the point.
    response = HttpResponse(row.body.encode("utf-8"), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="statement.json"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
