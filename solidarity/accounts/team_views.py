"""Staff management in the console: people, enrolment links, approval, revocation and the
re-key job's progress. Each view checks access, calls one service and renders the result."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from solidarity.accounts import services, team, totp
from solidarity.accounts.decorators import forbidden, manager_required
from solidarity.accounts.forms import EnrolForm, InviteForm, RevokeForm
from solidarity.accounts.models import User
from solidarity.accounts.passphrases import WeakPassphraseError
from solidarity.cases import access
from solidarity.vault import keyring
from solidarity.vault import session as vault_session
from solidarity.vault.models import RekeyJob


@require_GET
@manager_required
def people(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "staff/people.html",
        {
            "rows": team.staff_list(),
            "jobs": list(access.unfinished_jobs()),
            "unlocked": vault_session.is_unlocked(request, vault_session.STAFF),
        },
    )


@require_http_methods(["GET", "POST"])
@manager_required
def person_add(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = team.invite_staff(
                form.cleaned_data["username"], form.cleaned_data["role"], by=request.user
            )
        except services.UsernameTakenError:
            form.add_error("username", _("A staff account with this username already exists."))
        except ValidationError as exc:
            form.add_error("username", " ".join(exc.messages))
        else:
            link = request.build_absolute_uri(reverse("staff:enrol", args=[invitation.token]))
            # The link is shown on this response only; the server keeps just its digest.
            return render(
                request, "staff/person_invited.html", {"person": invitation.user, "link": link}
            )
    return render(request, "staff/person_add.html", {"form": form})


@require_POST
@manager_required
def person_approve(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User, pk=user_id)
    staff_key = vault_session.unlocked_key(request, vault_session.STAFF)
    if person.is_coordinator and staff_key is None:
        messages.info(
            request, _("Unlock the vault first: approving a coordinator gives them the intake key.")
        )
        return redirect(f"{reverse('staff:unlock')}?next={reverse('staff:people')}")
    try:
        team.approve_staff(person, by=request.user, staff_private_key=staff_key)
    except team.NotAllowedError:
        return forbidden(
            request, _("Only a coordinator holding the intake key approves a coordinator.")
        )
    except team.NotAwaitingApprovalError:
        messages.error(request, _("This account is not waiting for approval."))
    else:
        messages.success(request, _("%(name)s can sign in now.") % {"name": person.username})
    return redirect("staff:people")


@require_http_methods(["GET", "POST"])
@manager_required
def person_revoke(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User, pk=user_id)
    form = RevokeForm(request.POST or None, username=person.username)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            job = access.revoke_staff(person, by=request.user)
        except access.RevocationError as exc:
            error = _revocation_refusal(exc, person)
        else:
            messages.success(
                request,
                _("%(name)s is revoked: signed out everywhere, no key copies left.")
                % {"name": person.username},
            )
            return redirect("staff:rekey_job", job_id=job.pk)
    return render(
        request, "staff/person_revoke.html", {"person": person, "form": form, "error": error}
    )


def _revocation_refusal(exc: Exception, person: User) -> str:
    if isinstance(exc, access.SelfRevocationError):
        return _("You cannot revoke your own account; ask another coordinator.")
    if isinstance(exc, access.LastIntakeHolderError):
        return _(
            "%(name)s is the last person holding the intake key. Approve another coordinator "
            "first, or every case would be lost."
        ) % {"name": person.username}
    return _("This account is already revoked.")


@require_GET
@manager_required
def rekey_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress of a re-key job, which runs while an unlocked coordinator watches.

    Each load re-keys for a few seconds and the page reloads itself (a meta refresh, so it
    works with JavaScript off). This GET changes data, deliberately: the work only ever
    moves the job towards its one end state, repeating it is harmless, and it needs the
    coordinator's unlocked key, whose cookie is SameSite=Strict, so another site cannot
    start it. No key is written anywhere between loads.
    """
    job = get_object_or_404(RekeyJob.objects.select_related("person"), pk=job_id)
    staff_key = vault_session.unlocked_key(request, vault_session.STAFF)
    user = request.user
    can_run = staff_key is not None and user.is_coordinator and keyring.has_intake_access(user)
    if job.state != RekeyJob.State.DONE and can_run:
        job = access.run_rekey_job(
            job.pk,
            by=user,
            staff_private_key=staff_key,
            seconds=access.REKEY_SECONDS_PER_REQUEST,
        )
    return render(
        request,
        "staff/rekey_job.html",
        {"job": job, "can_run": can_run, "refresh": can_run and job.state != RekeyJob.State.DONE},
    )


@sensitive_post_parameters("passphrase", "passphrase_again", "code")
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time enrolment page a new staff member opens from their link."""
    try:
        invite = team.find_invite(token)
    except team.InvalidInviteError:
        raise Http404() from None
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invite = team.complete_enrolment(
                token, form.cleaned_data["passphrase"], form.cleaned_data["code"]
            )
        except WeakPassphraseError as exc:
            for problem in exc.problems:
                form.add_error("passphrase", problem)
        except team.WrongCodeError:
            form.add_error("code", _("This code does not match. Check the time on your phone."))
        except team.InvalidInviteError:
            raise Http404() from None
        else:
            return render(
                request,
                "staff/enrolled.html",
                {"person": invite.user, "fingerprint": team.fingerprint(invite.user)},
            )
    device = team.enrolment_device(invite)
    uri = totp.provisioning_uri(device)
    return render(
        request,
        "staff/enrol.html",
        {
            "form": form,
            "person": invite.user,
            "qr": totp.svg_data_uri(uri),
            "secret": totp.secret_base32(device),
        },
    )
