"""The staff console. Each view checks access, calls one service and renders the result."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from solidarity.accounts import display, services
from solidarity.accounts.decorators import (
    coordinator_required,
    forbidden,
    staff_required,
    vault_required,
)
from solidarity.accounts.display import INLINE_IMAGE_TYPES, answer_rows, queue_counts, queue_rows
from solidarity.accounts.forms import (
    AssignForm,
    BulkAssignForm,
    LoginForm,
    QueueFilterForm,
    StaffMessageForm,
    UnlockForm,
)
from solidarity.accounts.models import User
from solidarity.cases import access, disclosure
from solidarity.cases import services as cases
from solidarity.cases.models import Attachment, Case
from solidarity.intake.forms import ATTACHMENT_KINDS
from solidarity.vault import session as vault_session


def _next_target(request: HttpRequest) -> str:
    """The page to return to after signing in or unlocking, as asked (not yet checked)."""
    return request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")


def _next_url(request: HttpRequest) -> str:
    target = _next_target(request)
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    if request.user.is_authenticated:
        return _landing(request.user)
    return reverse("staff:queue")


# --- signing in and out -------------------------------------------------------------------


@sensitive_post_parameters("passphrase", "code")
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.user.is_verified():
        return redirect(_next_url(request))
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                key = services.log_in(
                    request,
                    form.cleaned_data["username"],
                    form.cleaned_data["passphrase"],
                    form.cleaned_data["code"],
                )
            except services.LoginFailedError:
                pass
            else:
                response = redirect(_next_url(request))
                vault_session.keep_unlocked(request, response, vault_session.STAFF, key)
                return response
        # One message whatever was wrong: naming the part would help a guesser.
        form = LoginForm(initial={"username": request.POST.get("username", "")[:150]})
        error = _(
            "Sign-in failed. Check your username, passphrase and the code from your app. "
            "After many failed attempts an account is paused for 15 minutes."
        )
    return render(
        request, "staff/login.html", {"form": form, "error": error, "next": _next_target(request)}
    )


@sensitive_post_parameters("passphrase")
@require_http_methods(["GET", "POST"])
@staff_required
def unlock(request: HttpRequest) -> HttpResponse:
    if vault_session.is_unlocked(request, vault_session.STAFF):
        return redirect(_next_url(request))
    form = UnlockForm(request.POST or None)
    error = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                key = services.unlock_vault(request.user, form.cleaned_data["passphrase"])
            except services.UnlockFailedError:
                pass
            else:
                response = redirect(_next_url(request))
                vault_session.keep_unlocked(request, response, vault_session.STAFF, key)
                return response
        form = UnlockForm()
        error = _(
            "The vault did not open. Check your passphrase. "
            "After many failed attempts an account is paused for 15 minutes."
        )
    return render(
        request, "staff/unlock.html", {"form": form, "error": error, "next": _next_target(request)}
    )


@require_POST
@staff_required
def lock(request: HttpRequest) -> HttpResponse:
    response = redirect("staff:queue")
    services.lock_vault(request, response)
    messages.info(request, _("The vault is locked. Enter your passphrase to open cases again."))
    return response


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    response = redirect("staff:login")
    services.log_out(request, response, reason="logout")
    return response


# --- the queue ----------------------------------------------------------------------------


def _landing(user) -> str:
    """Where a staff member starts: the page of their role."""
    if user.is_volunteer:
        return reverse("staff:my_cases")
    if user.role == User.Role.ADMIN:
        return reverse("staff:people")
    if user.role == User.Role.TREASURER:
        return reverse("ledger:overview")
    if user.role == User.Role.JOB_COACH:
        return reverse("jobs:overview")
    return reverse("staff:queue")


def _queue_link(filters: QueryDict, cursor: cases.Cursor) -> str:
    query = filters.copy()
    query["cursor"] = str(cursor)
    return "?" + query.urlencode()


@require_GET
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    """The coordinators' queue; everyone else is sent to the page of their role."""
    user = request.user
    if not user.is_coordinator:
        if _landing(user) != reverse("staff:queue"):
            return redirect(_landing(user))
        return forbidden(request, _("This page is for coordinators."))
    assignees = display.assignable_staff()
    form = QueueFilterForm(request.GET, assignees=assignees, flag_kinds=display.flag_kinds())
    filters = form.filters()
    # One row more than a page tells whether an older page exists.
    page = cases.queue_page(filters, cursor=form.page_cursor(), size=cases.PAGE_SIZE + 1)
    older = None
    if len(page) > cases.PAGE_SIZE:
        page = page[: cases.PAGE_SIZE]
        last = page[-1]
        older = _queue_link(request.GET, cases.Cursor(last.received_on, last.id))
    unlocked = vault_session.is_unlocked(request, vault_session.STAFF)
    bulk = BulkAssignForm(assignees=assignees) if unlocked else None
    return render(
        request,
        "staff/queue.html",
        {
            "form": form,
            "rows": queue_rows(page),
            "older": older,
            "filtered": any(request.GET.get(name) for name in form.fields),
            "bulk": bulk,
            "back": request.get_full_path(),
            **queue_counts(),
        },
    )


@require_GET
@staff_required
def my_cases(request: HttpRequest) -> HttpResponse:
    """A volunteer's own queue: only the cases granted to them."""
    user = request.user
    if user.is_coordinator:
        return redirect(f"{reverse('staff:queue')}?assignee={user.pk}")
    if not user.is_volunteer:
        return forbidden(request, _("This page is for volunteers."))
    cursor = cases.Cursor.parse(request.GET.get("cursor", ""))
    page = cases.granted_cases_page(user, cursor=cursor, size=cases.PAGE_SIZE + 1)
    older = None
    if len(page) > cases.PAGE_SIZE:
        page = page[: cases.PAGE_SIZE]
        older = _queue_link(QueryDict(), cases.Cursor(page[-1].received_on, page[-1].id))
    return render(request, "staff/my_cases.html", {"rows": queue_rows(page), "older": older})


def _safe_back(request: HttpRequest, target: str) -> str:
    """Back to the queue page the form was on (its filters and page), and nowhere else."""
    queue_url = reverse("staff:queue")
    if (target == queue_url or target.startswith(queue_url + "?")) and (
        url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        return target
    return queue_url


_ASSIGN_ERRORS = (access.AccessError, User.DoesNotExist)


@require_POST
@coordinator_required
@vault_required
def bulk_assign(request: HttpRequest, *, staff_key: bytes) -> HttpResponse:
    """Assign every ticked case of a queue page to one person, each with its own grant."""
    form = BulkAssignForm(request.POST, assignees=display.assignable_staff())
    back = _safe_back(request, request.POST.get("back", ""))
    if not form.is_valid():
        messages.error(request, _("Tick at least one case and choose whom to assign them to."))
        return redirect(back)
    try:
        assignee = User.objects.get(pk=form.cleaned_data["assignee"])
        done = access.assign_cases(
            form.cleaned_data["case"], assignee, by=request.user, staff_private_key=staff_key
        )
    except _ASSIGN_ERRORS:
        messages.error(request, _("Nothing was assigned: these cases cannot go to this person."))
        return redirect(back)
    messages.success(
        request,
        ngettext(
            "%(n)s case assigned to %(name)s.",
            "%(n)s cases assigned to %(name)s.",
            len(done),
        )
        % {"n": len(done), "name": assignee.username},
    )
    return redirect(back)


def _back_to_access(case: Case) -> HttpResponse:
    return redirect(reverse("staff:case", args=[case.code]) + "#access")


@require_POST
@coordinator_required
@vault_required
def case_assign(request: HttpRequest, code: str, *, staff_key: bytes) -> HttpResponse:
    case = get_object_or_404(Case, code=code)
    form = AssignForm(request.POST, assignees=display.assignable_staff())
    if not form.is_valid():
        messages.error(request, _("Choose whom to assign the case to."))
        return _back_to_access(case)
    try:
        assignee = User.objects.get(pk=form.cleaned_data["assignee"])
        access.assign_case(case.pk, assignee, by=request.user, staff_private_key=staff_key)
    except _ASSIGN_ERRORS:
        messages.error(request, _("The case cannot be assigned to this person."))
        return _back_to_access(case)
    messages.success(request, _("Assigned to %(name)s.") % {"name": assignee.username})
    return _back_to_access(case)


@require_POST
@coordinator_required
def case_unassign(request: HttpRequest, code: str) -> HttpResponse:
    case = get_object_or_404(Case, code=code)
    access.unassign_case(case.pk, by=request.user)
    messages.success(request, _("The case is no longer assigned; its access grant is deleted."))
    return _back_to_access(case)


# --- one case -----------------------------------------------------------------------------


def _refused(request: HttpRequest, exc: cases.CaseAccessDeniedError) -> HttpResponse:
    """403 for a case this person holds no key to, saying when an expired grant ended."""
    if isinstance(exc, cases.CaseAccessExpiredError):
        return forbidden(request, cases.access_ended_message(exc.ended_on))
    return forbidden(request, _("You hold no key that opens this case."))


@require_http_methods(["GET", "POST"])
@vault_required
def case_detail(request: HttpRequest, code: str, *, staff_key: bytes) -> HttpResponse:
    case = get_object_or_404(Case, code=code)
    form = StaffMessageForm(case=case, user=request.user)
    if request.method == "POST":
        form = StaffMessageForm(request.POST, request.FILES, case=case, user=request.user)
        sent = None
        if form.is_valid():
            try:
                sent = services.send_message(
                    request.user,
                    case,
                    staff_key,
                    form.cleaned_data.get("body", "").strip(),
                    form.cleaned_data["files"],
                    template_id=form.cleaned_data.get("template"),
                    override_reason=form.cleaned_data.get("override_reason", ""),
                )
            except cases.CaseAccessDeniedError as exc:
                return _refused(request, exc)
            except disclosure.DisclosureError as exc:
                # The form comes back with the text, so the writer can rephrase it.
                form.add_error(None, str(exc))
        if sent is not None:
            messages.success(request, _("Your message was sealed and sent to the applicant."))
            relayed = services.relay_message_to_telegram(request.user, case, staff_key, sent.body)
            if relayed is False:
                messages.warning(
                    request,
                    _(
                        "Stored, but Telegram did not deliver it; the applicant sees it on the status page."
                    ),
                )
            return redirect("staff:case", code=case.code)
    try:
        opened = services.view_case(request.user, case, staff_key)
    except cases.CaseAccessDeniedError as exc:
        return _refused(request, exc)
    access_panel = display.access_panel(case, request.user)
    files = [
        {
            **item,
            "inline": item.get("content_type") in INLINE_IMAGE_TYPES,
            "kind_label": ATTACHMENT_KINDS.get(item.get("kind"), ""),
        }
        for item in opened.attachments
    ]
    return render(
        request,
        "staff/case.html",
        {
            "case": case,
            "answers": answer_rows(opened.answers),
            "files": [f for f in files if not f["message_id"]],
            "conversation": [
                {**m, "files": [f for f in files if f["message_id"] == m["id"]]}
                for m in opened.messages
            ],
            "form": form,
            "access": access_panel,
        },
    )


@require_GET
@vault_required
def case_file(
    request: HttpRequest, code: str, attachment_id: int, *, staff_key: bytes
) -> HttpResponse:
    case = get_object_or_404(Case, code=code)
    try:
        meta, data = services.read_case_file(request.user, case, attachment_id, staff_key)
    except cases.CaseAccessDeniedError as exc:
        return _refused(request, exc)
    except Attachment.DoesNotExist:
        raise Http404() from None
    content_type = meta.get("content_type", "application/octet-stream")
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=content_type not in INLINE_IMAGE_TYPES, filename=meta.get("name") or "file"
    )
    # Decrypted evidence must not stay in a browser or proxy cache, and the file itself may
    # run nothing even if a browser were tricked into rendering it as a page.
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
