"""Who may open a staff page: signed in with both factors, and for decrypting pages, with
the vault unlocked in this session."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from solidarity.vault import session as vault_session


def forbidden(request, reason: str):
    """A plain 403 page that says why, instead of an error trace or a bare status."""
    return render(request, "staff/forbidden.html", {"reason": reason}, status=403)


def staff_required(view):
    """Signed in AND verified with the second factor; otherwise to the login page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and user.is_verified()):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def coordinator_required(view):
    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_coordinator:
            return forbidden(request, _("This page is for coordinators."))
        return view(request, *args, **kwargs)

    return wrapper


def manager_required(view):
    """Coordinators and administrators: the people who add, approve and revoke staff."""

    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.manages_staff:
            return forbidden(request, _("This page is for coordinators and administrators."))
        return view(request, *args, **kwargs)

    return wrapper


def vault_required(view):
    """Staff with the vault unlocked in this session; the view gets ``staff_key``."""

    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        key = vault_session.unlocked_key(request, vault_session.STAFF)
        if key is None:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('staff:unlock')}?{query}")
        return view(request, *args, staff_key=key, **kwargs)

    return wrapper
