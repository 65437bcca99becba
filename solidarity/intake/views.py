"""Applicant pages. Thin: each validates through a form in a service and renders the result."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods, require_POST

from solidarity.cases.models import Case
from solidarity.cases.services import read_attachment
from solidarity.intake import services
from solidarity.intake.forms import SITUATIONS, ApplicantMessageForm, ApplicationForm, ReceiptForm
from solidarity.ledger import rail_register
from solidarity.vault import session


def _client(request: HttpRequest) -> str:
    """The flood-control key for this request. Only hashed in memory (see throttle.py)."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/too_many.html", status=429)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/home.html")


@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _render_form(request, ApplicationForm())
    try:
        receipt = services.submit_application(
            request.POST,
            request.FILES,
            language=get_language() or settings.LANGUAGE_CODE,
            client=_client(request),
        )
    except services.TooManyRequestsError:
        return _too_many(request)
    except services.InvalidApplicationError as exc:
        return _render_form(request, exc.form, status=400)
    # Rendered directly, never redirected or stored: the passphrase exists only in this page.
    return render(request, "intake/receipt.html", {"receipt": receipt})


def _render_form(request: HttpRequest, form: ApplicationForm, status: int = 200) -> HttpResponse:
    chosen = form["situation"].value() or ""
    situation_groups = [
        {
            "programme": programme,
            "options": [
                {
                    "value": f"{programme}:{key}",
                    "label": label,
                    "checked": chosen == f"{programme}:{key}",
                }
                for key, label in items
            ],
        }
        for programme, items in SITUATIONS.items()
    ]
    context = {
        "form": form,
        "situation_groups": situation_groups,
        "max_file_mb": settings.MAX_ATTACHMENT_BYTES // (1024 * 1024),
        "max_video_mb": settings.MAX_VIDEO_BYTES // (1024 * 1024),
    }
    return render(request, "intake/apply.html", context, status=status)


@require_http_methods(["GET", "POST"])
def status_login(request: HttpRequest) -> HttpResponse:
    form = ReceiptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case, key = services.open_receipt(
                form.cleaned_data["code"], form.cleaned_data["passphrase"], client=_client(request)
            )
        except services.TooManyRequestsError:
            return _too_many(request)
        except services.ReceiptRejectedError:
            form.add_error(None, form.rejected_message)
        else:
            request.session.cycle_key()
            request.session["applicant_case"] = case.pk
            request.session.set_expiry(settings.APPLICANT_SESSION_SECONDS)
            response = redirect("intake:status_case")
            session.keep_unlocked(request, response, session.APPLICANT, key)
            return response
    return render(
        request, "intake/status_login.html", {"form": form}, status=400 if form.errors else 200
    )


def _applicant_case(request: HttpRequest) -> tuple[Case, bytes] | None:
    key = session.unlocked_key(request, session.APPLICANT)
    case_id = request.session.get("applicant_case")
    if key is None or case_id is None:
        return None
    case = Case.objects.filter(pk=case_id).first()
    return (case, key) if case is not None else None


@require_http_methods(["GET", "POST"])
def status_case(request: HttpRequest) -> HttpResponse:
    opened = _applicant_case(request)
    if opened is None:
        return redirect("intake:status")
    case, key = opened
    form = ApplicantMessageForm()
    status = 200
    if request.method == "POST":
        try:
            services.add_applicant_message(case, request.POST, request.FILES)
        except services.InvalidApplicationError as exc:
            form, status = exc.form, 400
        else:
            return redirect(f"{request.path}?sent=1")
    view = services.read_case_for_applicant(case, key)
    context = {
        "view": view,
        "form": form,
        "sent": request.GET.get("sent") == "1",
        "guidance": rail_register.guidance_pending(case),
        "acknowledged": request.GET.get("read") == "1",
    }
    return render(request, "intake/status_case.html", context, status=status)


@require_POST
def status_guidance(request: HttpRequest, destination_id: int) -> HttpResponse:
    """The applicant has read the guidance about the rail a payment will take."""
    opened = _applicant_case(request)
    if opened is None:
        return redirect("intake:status")
    case, _key = opened
    try:
        rail_register.acknowledge_guidance(case, destination_id)
    except rail_register.GuidanceError:
        raise Http404 from None
    return redirect(f"{reverse('intake:status_case')}?read=1")


def status_file(request: HttpRequest, attachment_id: int) -> HttpResponse:
    opened = _applicant_case(request)
    if opened is None:
        raise Http404
    case, key = opened
    try:
        meta, data = read_attachment(case, attachment_id, key)
    except case.attachments.model.DoesNotExist:
        raise Http404 from None
    response = HttpResponse(data, content_type=meta["content_type"])
    # A neutral file name: on a phone that is later searched, "file.pdf" in the downloads
    # says less than the name the fund or the applicant gave it.
    response["Content-Disposition"] = (
        "attachment; filename=file." + meta["content_type"].split("/")[-1]
    )
    # A decrypted file must not stay in a shared computer's cache, and may run nothing
    # even if a browser were tricked into rendering it as a page.
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_POST
def status_leave(request: HttpRequest) -> HttpResponse:
    response = redirect("intake:home")
    session.lock(request, response, session.APPLICANT)
    request.session.flush()
    return response
