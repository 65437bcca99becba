from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# No third-party requests of any kind: an applicant's browser must talk to us alone.
# connect-src 'self' lets the quick exit close an open application as it leaves (a beacon).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; script-src 'self'; connect-src 'self'"
)


class PrivacyHeadersMiddleware:
    """Headers that keep applicant pages out of caches, other origins and referrers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if not request.path.startswith("/static/"):
            # A shared or seized phone must not keep copies of case pages in its cache.
            response["Cache-Control"] = "no-store"
        return response
