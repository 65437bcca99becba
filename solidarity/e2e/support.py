"""What the browser tests share: their own server, Chromium, TOTP codes, logs and screenshots.

Import only from tests: it starts processes and imports the shared test fixtures, which
change the environment of the process that imports them.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django_otp.oath import totp

from solidarity.testing.fixtures import LiveServer, _run_command, start_live_server

# Chromium never talks to Google or anyone else on its own: no updates, sync or field trials.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# A cheap phone held upright, and a staff laptop.
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 900}
# Playwright's default for each wait is 30 s; a page of ours that takes 10 s is a failure.
TIMEOUT_MS = 10_000

INIT_PASSPHRASE_ENV = "SOLIDARITY_INIT_PASSPHRASE"  # noqa: S105 - a variable name
# Set to 1 to refresh docs/screenshots/ from this run (the README shows them).
DOCS_SCREENSHOTS_ENV = "SOLIDARITY_DOCS_SCREENSHOTS"
DOCS_SCREENSHOT_MAX_BYTES = 200 * 1024


# --- the server -----------------------------------------------------------------------------


def start_server(root: Path, extra_env: dict[str, str] | None = None):
    """A migrated `solidarity serve` process of the browser suite's own (the shared
    ``start_live_server``), stopped on exit. Not the session's shared server: the suite runs
    `init` on it, which may happen once per data directory, while other tests create an
    organisation their own way on the shared one. An operator's init passphrase in the
    environment is never passed on: the suite types its own."""
    return start_live_server(root, extra_env, unset=(INIT_PASSPHRASE_ENV,))


def manage(server: LiveServer, *args: str, env: dict[str, str] | None = None):
    """`solidarity ARGS` against the server's data, with extra environment variables."""
    return _run_command(list(args), {**server.env, **(env or {})}, check=True)


# --- staff logins ---------------------------------------------------------------------------


@dataclass
class StaffLogin:
    """A staff member's credentials, with their authenticator app (the TOTP secret)."""

    username: str
    passphrase: str
    totp_uri: str
    _last_step: int = field(default=-1, repr=False)

    @property
    def _params(self) -> dict[str, int | bytes]:
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.totp_uri).query).items()}
        secret = query["secret"].upper()
        return {
            "key": base64.b32decode(secret + "=" * (-len(secret) % 8)),
            "step": int(query.get("period", 30)),
            "digits": int(query.get("digits", 6)),
        }

    def code(self) -> str:
        """The code the app shows now. The server accepts each code once, so a second call in
        the same time step waits for the next one (at most one step, 30 s)."""
        params = self._params
        step = int(time.time()) // params["step"]
        if step <= self._last_step:
            time.sleep((self._last_step + 1) * params["step"] - time.time() + 0.2)
            step = int(time.time()) // params["step"]
        self._last_step = step
        token = totp(params["key"], step=params["step"], t0=0, digits=params["digits"], drift=0)
        return f"{token:0{params['digits']}d}"


_TOTP_URI = re.compile(r"otpauth://\S+")


def init_organisation(server: LiveServer, org: str, username: str, passphrase: str) -> StaffLogin:
    """Run `solidarity init` as an operator would; return the coordinator's login.

    The command speaks the server's default language, so the secret is read from the
    otpauth:// URI it prints, which is the same in every language."""
    result = manage(
        server, "init", "--org", org, "--admin", username, env={INIT_PASSPHRASE_ENV: passphrase}
    )
    match = _TOTP_URI.search(result.stdout)
    assert match, f"`solidarity init` printed no otpauth:// URI:\n{result.stdout}"
    return StaffLogin(username, passphrase, match.group(0))


# --- what the browser sends ---------------------------------------------------------------


@dataclass
class RequestLog:
    """Every request a page makes, to check that applicant pages talk to our server alone."""

    origin: str
    urls: list[str] = field(default_factory=list)

    def attach(self, page) -> RequestLog:
        page.on("request", lambda request: self.urls.append(request.url))
        return self

    def foreign(self) -> list[str]:
        """Requests to any origin but ours (data: URLs stay inside the page)."""
        return [
            url for url in self.urls if not url.startswith("data:") and _origin(url) != self.origin
        ]

    def clear(self) -> None:
        self.urls.clear()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# --- screenshots ----------------------------------------------------------------------------


@dataclass
class Screenshots:
    """Numbered screenshots of a test in ``artifacts/screenshots/<test>/``.

    A step given a ``doc`` name also gets a README picture, ``artifacts/screenshots/docs/
    <doc>.png``, copied to ``docs/screenshots/`` when SOLIDARITY_DOCS_SCREENSHOTS=1. It shows
    the whole page, the first screen (``doc_first_screen``) or, with ``doc_region``, the
    part of the page from the first to the last of those CSS selectors."""

    directory: Path
    docs_directory: Path
    count: int = 0

    def take(
        self,
        page,
        name: str,
        *,
        doc: str | None = None,
        doc_first_screen: bool = False,
        doc_region: tuple[str, ...] = (),
    ) -> Path:
        self.count += 1
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        if doc:
            self._doc(page, doc, first_screen=doc_first_screen, region=doc_region)
        return path

    def _doc(self, page, doc: str, *, first_screen: bool, region: tuple[str, ...]) -> None:
        path = self.directory.parent / "docs" / f"{doc}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        clip = _region(page, region) if region else None
        if region and clip is None:
            first_screen = True  # the page changed: a picture of something beats none
        page.screenshot(
            path=str(path), full_page=not first_screen, clip=clip, animations="disabled"
        )
        if os.environ.get(DOCS_SCREENSHOTS_ENV) != "1":
            return
        size = path.stat().st_size
        assert size <= DOCS_SCREENSHOT_MAX_BYTES, (
            f"{path} is {size // 1024} KB; keep README screenshots under "
            f"{DOCS_SCREENSHOT_MAX_BYTES // 1024} KB (show the first screen or a region)"
        )
        self.docs_directory.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, self.docs_directory / path.name)


def _region(page, selectors: tuple[str, ...], margin: int = 16) -> dict[str, float] | None:
    """The rectangle, in page coordinates, around the elements the selectors find."""
    found = [page.locator(selector).first for selector in selectors]
    boxes = [box for box in (f.bounding_box() for f in found if f.count()) if box]
    if not boxes:
        return None
    scroll = page.evaluate("({x: window.scrollX, y: window.scrollY})")
    top = min(box["y"] for box in boxes) + scroll["y"] - margin
    bottom = max(box["y"] + box["height"] for box in boxes) + scroll["y"] + margin
    return {"x": 0, "y": max(top, 0), "width": page.viewport_size["width"], "height": bottom - top}


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
