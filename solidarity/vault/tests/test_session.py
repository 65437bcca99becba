"""A key kept unlocked across requests: half in the server-side session, half in a cookie.

Each test plays the requests a browser would make, with the real database session backend.
"""

from __future__ import annotations

import base64

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.http import HttpResponse

from solidarity.vault import core, session

KEY = core.generate_keypair().private_key


@pytest.fixture
def browser(rf, db):
    """Make requests that carry a given session and cookies, as the middleware would."""

    def request(store: SessionStore | None = None, cookies: dict | None = None):
        req = rf.get("/")
        req.session = store if store is not None else SessionStore()
        req.COOKIES.update(cookies or {})
        return req

    return request


def unlock(browser, kind: str = session.STAFF, key: bytes = KEY) -> tuple[str, dict]:
    """Unlock in a new session; returns (session key, the cookies the browser now holds)."""
    request = browser()
    response = HttpResponse()
    session.keep_unlocked(request, response, kind, key)
    request.session.save()
    cookies = {name: morsel.value for name, morsel in response.cookies.items()}
    return request.session.session_key, cookies


def reload(session_key: str) -> SessionStore:
    return SessionStore(session_key=session_key)


def test_the_next_request_with_both_halves_gets_the_key_back(browser):
    session_key, cookies = unlock(browser)
    request = browser(reload(session_key), cookies)
    assert session.unlocked_key(request, session.STAFF) == KEY
    assert session.is_unlocked(request, session.STAFF)


def test_neither_the_session_row_nor_the_cookie_holds_the_key(browser):
    session_key, cookies = unlock(browser)
    row = Session.objects.get(session_key=session_key)
    decoded = row.get_decoded()
    stored = base64.b64decode(decoded["staff_key_locked"])
    assert KEY not in stored
    assert KEY.hex() not in row.session_data
    assert base64.b64encode(KEY).decode() not in row.session_data
    assert base64.urlsafe_b64decode(cookies["vk"]) != KEY


def test_the_cookie_is_http_only_strict_and_ends_with_the_browser(browser, settings):
    settings.SECURE_COOKIES = True
    response = HttpResponse()
    session.keep_unlocked(browser(), response, session.STAFF, KEY)
    morsel = response.cookies["vk"]
    assert morsel["httponly"]
    assert morsel["samesite"] == "Strict"
    assert morsel["secure"]
    assert not morsel["max-age"]
    assert not morsel["expires"]


def test_a_cookie_without_the_session_half_yields_nothing(browser):
    _session_key, cookies = unlock(browser)
    request = browser(SessionStore(), cookies)
    assert session.unlocked_key(request, session.STAFF) is None


def test_the_session_half_without_the_cookie_yields_nothing(browser):
    session_key, _cookies = unlock(browser)
    request = browser(reload(session_key), {})
    assert session.unlocked_key(request, session.STAFF) is None
    assert not session.is_unlocked(request, session.STAFF)


def test_a_cookie_from_another_session_yields_nothing(browser):
    # Given two staff members, each unlocked in their own session
    first_session, _first_cookies = unlock(browser)
    _second_session, second_cookies = unlock(browser, key=core.generate_keypair().private_key)
    # When the second one's cookie arrives with the first one's session
    request = browser(reload(first_session), second_cookies)
    # Then neither key comes out
    assert session.unlocked_key(request, session.STAFF) is None


@pytest.mark.parametrize(
    "cookie",
    [
        "not base64 at all!",
        base64.urlsafe_b64encode(b"short").decode(),
        base64.urlsafe_b64encode(b"\x00" * 32).decode(),
        "",
    ],
)
def test_a_damaged_cookie_yields_nothing(browser, cookie):
    session_key, _cookies = unlock(browser)
    request = browser(reload(session_key), {"vk": cookie})
    assert session.unlocked_key(request, session.STAFF) is None


@pytest.mark.parametrize("value", ["%%%", base64.b64encode(b"too short").decode(), ""])
def test_a_damaged_session_half_yields_nothing(browser, value):
    session_key, cookies = unlock(browser)
    store = reload(session_key)
    store["staff_key_locked"] = value
    assert session.unlocked_key(browser(store, cookies), session.STAFF) is None


def test_a_staff_key_and_an_applicant_key_are_kept_apart(browser):
    session_key, cookies = unlock(browser, kind=session.STAFF)
    request = browser(reload(session_key), cookies)
    assert session.unlocked_key(request, session.APPLICANT) is None
    # The applicant's cookie name does not open the staff half either
    request = browser(reload(session_key), {"ak": cookies["vk"]})
    assert session.unlocked_key(request, session.APPLICANT) is None
    assert session.unlocked_key(request, session.STAFF) is None


def test_locking_forgets_the_session_half_and_deletes_the_cookie(browser):
    session_key, cookies = unlock(browser)
    request = browser(reload(session_key), cookies)
    response = HttpResponse()
    session.lock(request, response, session.STAFF)
    request.session.save()
    assert response.cookies["vk"].value == ""
    assert response.cookies["vk"]["max-age"] == 0
    # Even a browser that keeps the old cookie gets nothing now
    assert session.unlocked_key(browser(reload(session_key), cookies), session.STAFF) is None
