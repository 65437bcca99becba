"""Keeping a key unlocked across requests without the server holding it at rest.

The key is stored in the server-side session only locked under a random key, and that
random key lives only in a cookie in the user's browser. A copy of the database alone, or
the cookie alone, yields nothing.
"""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from solidarity.vault import core

STAFF = "staff"
APPLICANT = "applicant"
_COOKIES = {STAFF: "vk", APPLICANT: "ak"}


def _session_field(kind: str) -> str:
    return f"{kind}_key_locked"


def keep_unlocked(
    request: HttpRequest, response: HttpResponse, kind: str, private_key: bytes
) -> None:
    """Hold ``private_key`` for the rest of this session (staff key or applicant's case key)."""
    cookie_key, locked = core.lock_for_session(private_key)
    request.session[_session_field(kind)] = base64.b64encode(locked).decode("ascii")
    response.set_cookie(
        _COOKIES[kind],
        base64.urlsafe_b64encode(cookie_key).decode("ascii"),
        max_age=None,  # a browser-session cookie: gone when the browser closes
        httponly=True,
        secure=settings.SECURE_COOKIES,
        samesite="Strict",
    )


def unlocked_key(request: HttpRequest, kind: str) -> bytes | None:
    """The unlocked key, or None when locked. Damaged or mismatched halves count as locked."""
    locked_b64 = request.session.get(_session_field(kind))
    cookie_b64 = request.COOKIES.get(_COOKIES[kind])
    if not locked_b64 or not cookie_b64:
        return None
    try:
        locked = base64.b64decode(locked_b64)
        cookie_key = base64.urlsafe_b64decode(cookie_b64)
        return core.open_for_session(locked, cookie_key)
    except (binascii.Error, ValueError, core.VaultError):
        return None


def lock(request: HttpRequest, response: HttpResponse | None, kind: str) -> None:
    request.session.pop(_session_field(kind), None)
    if response is not None:
        response.delete_cookie(_COOKIES[kind], samesite="Strict")


def is_unlocked(request: HttpRequest, kind: str) -> bool:
    return unlocked_key(request, kind) is not None
