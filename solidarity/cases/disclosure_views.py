"""Coordinators' pages for staged disclosure: message templates and operational terms.
Each view checks the form, calls one service in solidarity.cases.disclosure and redirects."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from solidarity.accounts.decorators import coordinator_required
from solidarity.cases import disclosure
from solidarity.cases.forms import MessageTemplateForm, OperationalTermForm
from solidarity.cases.models import MessageTemplate, OperationalTerm


@require_GET
@coordinator_required
def templates(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "staff/disclosure/templates.html",
        {"templates": MessageTemplate.objects.all()},
    )


@require_http_methods(["GET", "POST"])
@coordinator_required
def template_edit(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    template = (
        get_object_or_404(MessageTemplate, pk=template_id) if template_id else MessageTemplate()
    )
    form = MessageTemplateForm(request.POST or None, instance=template)
    if request.method == "POST":
        if form.is_valid():
            disclosure.save_template(form.instance, by=request.user)
            messages.success(request, _("The template was saved."))
            return redirect("staff:message_templates")
        return render(
            request,
            "staff/disclosure/template_edit.html",
            {"form": form, "template": template},
            status=400,
        )
    return render(
        request, "staff/disclosure/template_edit.html", {"form": form, "template": template}
    )


@require_POST
@coordinator_required
def template_deactivate(request: HttpRequest, template_id: int) -> HttpResponse:
    template = get_object_or_404(MessageTemplate, pk=template_id)
    disclosure.deactivate_template(template, by=request.user)
    messages.success(request, _("The template is no longer offered."))
    return redirect("staff:message_templates")


@require_http_methods(["GET", "POST"])
@coordinator_required
def terms(request: HttpRequest) -> HttpResponse:
    """The term list shows kinds and dates only; adding a term is the one way to type one."""
    form = OperationalTermForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                disclosure.add_term(
                    form.cleaned_data["term"],
                    form.cleaned_data["kind"],
                    by=request.user,
                    prefix=form.cleaned_data["prefix"],
                )
            except disclosure.TermError as exc:
                form.add_error("term", str(exc))
            else:
                messages.success(request, _("The term was added."))
                return redirect("staff:operational_terms")
        status = 400
    return render(
        request,
        "staff/disclosure/terms.html",
        {"form": form, "terms": OperationalTerm.objects.select_related("added_by")},
        status=status,
    )


@require_POST
@coordinator_required
def term_deactivate(request: HttpRequest, term_id: int) -> HttpResponse:
    term = get_object_or_404(OperationalTerm, pk=term_id)
    disclosure.deactivate_term(term, by=request.user)
    messages.success(request, _("The term is no longer checked."))
    return redirect("staff:operational_terms")
