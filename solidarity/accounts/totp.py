"""The second factor: one confirmed TOTP device per staff member (django-otp)."""

from __future__ import annotations

import base64
import io
import re

import segno
from django_otp import match_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

CODE_PATTERN = re.compile(r"[0-9]{6}")


def create_device(user, key_hex: str | None = None) -> TOTPDevice:
    """A confirmed TOTP device; a random 20-byte secret unless ``key_hex`` is given (the demo)."""
    device = TOTPDevice(user=user, name="default", confirmed=True)
    if key_hex is not None:
        device.key = key_hex
    device.full_clean(exclude=["user"])
    device.save()
    return device


def verify_code(user, code: str) -> TOTPDevice | None:
    """The device that accepts ``code`` now, or None. A code is accepted once only."""
    code = code.replace(" ", "")
    if not CODE_PATTERN.fullmatch(code):
        return None
    return match_token(user, code)


def secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in by hand."""
    return base64.b32encode(device.bin_key).decode("ascii")


def provisioning_uri(device: TOTPDevice) -> str:
    # No issuer (OTP_TOTP_ISSUER is unset on purpose): the entry in a staff member's
    # authenticator app shows only their username, not the name of the fund, because
    # phones are searched at borders and arrests.
    return device.config_url


def current_code(device: TOTPDevice) -> str:
    """The code the device's app shows now (the demo prints it for convenience)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def terminal_qr(uri: str) -> str:
    """A QR code of ``uri`` drawn with block characters, for a terminal."""
    out = io.StringIO()
    segno.make(uri).terminal(out=out, compact=True)
    return out.getvalue()


def svg_data_uri(uri: str) -> str:
    """A QR code of ``uri`` as an SVG data URI, for the enrolment page (no request elsewhere)."""
    return segno.make(uri).svg_data_uri(scale=4)
