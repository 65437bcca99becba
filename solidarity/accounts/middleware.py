from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from solidarity.accounts import services
from solidarity.vault import session as vault_session

# Session key holding the time (Unix seconds) of the staff member's last request.
LAST_SEEN_KEY = "staff_last_seen"
# Staff pages open to people not signed in; every other page in the namespace needs both factors.
# "enrol" is the one-time link of a new staff member, who has no login yet.
_OPEN_STAFF_PAGES = frozenset({"login", "logout", "enrol"})


class StaffVaultMiddleware:
    """End a staff session that has been idle longer than STAFF_IDLE_TIMEOUT.

    A laptop left open in a café, or taken at a checkpoint, must not keep an unlocked vault
    for long: after the idle time the vault is locked and the staff member is logged out.
    It also refuses every staff page to anyone not signed in with both factors, so a view
    added without ``accounts.decorators`` fails closed; the decorators state the finer rules
    (role, unlocked vault) at each view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timed_out = False
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY)
            if isinstance(last_seen, int) and now - last_seen > settings.STAFF_IDLE_TIMEOUT:
                services.log_out(request, None, reason="idle")
                timed_out = True
            else:
                request.session[LAST_SEEN_KEY] = now
        response = self.get_response(request)
        if timed_out:
            # The browser's half of the unlocked key goes too (its session half is gone).
            vault_session.lock(request, response, vault_session.STAFF)
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.namespace != "staff" or match.url_name in _OPEN_STAFF_PAGES:
            return None
        user = request.user
        if user.is_authenticated and user.is_verified():
            return None
        return redirect_to_login(request.get_full_path())
