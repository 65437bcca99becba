"""The demo organisation: three staff logins and about fifty invented applications.

DEMO ONLY. The passphrases below are published in this file and the TOTP secrets are derived
from a fixed, public seed, so anyone can sign in to a demo data directory. Never run the
demo on a data directory that will hold real applications; `load_demo` refuses to touch a
directory initialised with `solidarity init`.
"""

from __future__ import annotations

import datetime
import hashlib
import io
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image, ImageDraw

from solidarity.accounts import services, totp
from solidarity.accounts.models import User
from solidarity.audit import services as audit
from solidarity.cases import access
from solidarity.cases.models import Case, Programme
from solidarity.intake.services import submit_application
from solidarity.vault import keyring
from solidarity.vault.models import Organisation

DEMO_ORG_NAME = "Demo Solidarity Fund"
# Public, demo-only passphrases (each passes accounts.passphrases: long, varied, and free
# of its username).
DEMO_STAFF = (
    ("coordinator", User.Role.COORDINATOR, "demo only: amber harbour lantern"),
    ("volunteer", User.Role.VOLUNTEER, "demo only: quiet orchard compass"),
    ("treasurer", User.Role.TREASURER, "demo only: copper meadow ledger"),
)
# The TOTP secrets are derived from this seed so a demo can print its logins again, and a
# phone enrolled once keeps working after the demo data directory is recreated.
_DEMO_TOTP_SEED = b"solidarity demo totp v1 -- public, never for real accounts"
DEMO_APPLICATIONS = 50


class NotADemoError(Exception):
    """The data directory holds an organisation that is not the demo one."""


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    passphrase: str
    totp_secret: str
    totp_uri: str
    current_code: str


def demo_totp_key(username: str) -> str:
    """A fixed 20-byte TOTP secret (hex) for a demo username."""
    return hashlib.sha256(_DEMO_TOTP_SEED + username.encode("utf-8")).hexdigest()[:40]


def load_demo(applications: int = DEMO_APPLICATIONS) -> bool:
    """Create the demo organisation, its staff and sample applications on an empty data
    directory. Returns False (and does nothing) if the demo is already there.

    Raises NotADemoError if the directory holds a real organisation.
    """
    org = Organisation.objects.order_by("id").first()
    if org is not None:
        if org.name != DEMO_ORG_NAME:
            raise NotADemoError(org.name)
        return False
    (coordinator_name, _role, coordinator_passphrase), *others = DEMO_STAFF
    coordinator = services.initialise_organisation(
        DEMO_ORG_NAME,
        coordinator_name,
        coordinator_passphrase,
        totp_key=demo_totp_key(coordinator_name),
    ).user
    for username, role, passphrase in others:
        services.enrol_staff_member(
            username, role, passphrase, by=coordinator, totp_key=demo_totp_key(username)
        )
    codes = [_submit(i) for i in range(applications)]
    _spread_over_time(codes, coordinator)
    _assign_some(codes, coordinator, coordinator_passphrase)
    return True


# The demo volunteer gets this many of the newest cases, so their "My cases" is not empty.
_DEMO_VOLUNTEER_CASES = 5


def _assign_some(codes: list[str], coordinator: User, passphrase: str) -> None:
    """Assign a few cases to the demo volunteer, with real access grants (as a coordinator
    would from the queue)."""
    volunteer = User.objects.filter(role=User.Role.VOLUNTEER).order_by("id").first()
    if volunteer is None or not codes:
        return
    key = keyring.unlock_staff_key(coordinator, passphrase)
    ids = Case.objects.filter(code__in=codes[-_DEMO_VOLUNTEER_CASES:]).values_list("id", flat=True)
    access.assign_cases(list(ids), volunteer, by=coordinator, staff_private_key=key)


def demo_logins(staff=DEMO_STAFF) -> list[DemoLogin]:
    """The demo staff with their passphrases, TOTP secrets and the code valid right now."""
    keyring.organisation()  # raises VaultNotInitialisedError on an empty directory
    logins = []
    for username, role, passphrase in staff:
        device = TOTPDevice.objects.filter(user__username=username).first()
        if device is None:
            continue
        logins.append(
            DemoLogin(
                username=username,
                role=str(User.Role(role).label),
                passphrase=passphrase,
                totp_secret=totp.secret_base32(device),
                totp_uri=totp.provisioning_uri(device),
                current_code=totp.current_code(device),
            )
        )
    return logins


# --- invented applications ----------------------------------------------------------------

_EMPLOYERS = {
    Programme.SECURITY_FORCES: [
        "Internal troops, a unit near the capital",
        "District police department",
        "Riot police (OMON)",
        "Traffic police",
        "Border service",
        "Criminal investigation department",
    ],
    Programme.WORKERS: [
        "Tractor works",
        "Potash mine",
        "State television",
        "Metro depot",
        "Regional hospital",
    ],
    Programme.REPRESSION: [
        "State university",
        "Secondary school",
        "Regional newspaper",
    ],
}
# Most applicants are from the security forces, as in 2020.
_PROGRAMME_CYCLE = [
    Programme.SECURITY_FORCES,
    Programme.SECURITY_FORCES,
    Programme.WORKERS,
    Programme.SECURITY_FORCES,
    Programme.REPRESSION,
    Programme.WORKERS,
    Programme.SECURITY_FORCES,
]
_ROLES = ["Sergeant", "Lieutenant", "Senior lieutenant", "Captain", "Engineer", "Teacher", ""]
_STORIES = [
    "I was ordered to detain peaceful people after the election and I refused. "
    "I wrote my resignation the next morning; the contract says I must repay my training.",
    "After what I saw in the detention centre I cannot stay. My commander threatens me with "
    "the contract penalty and says nobody will hire me.",
    "We went on strike on the second day. The management fired the strike committee and now "
    "the bank wants the mortgage payment.",
    "I signed an open letter with my colleagues and was dismissed the same week. "
    "I have two children and no savings left.",
    "I want to leave the service but I cannot pay the penalty alone. I can work with "
    "computers and I am ready to learn.",
    "I refused to falsify the protocol at my polling station. I lost my job at the school "
    "and the rent is due.",
]
_SKILLS = [
    "Driving licence C, first aid, basic English",
    "Electrician, 10 years; welding",
    "Python course started; Excel",
    "Teaching, Belarusian and Russian",
    "",
]
_NEEDS = [["money"], ["money", "job"], ["retraining", "job"], ["legal", "money"], ["relocation"]]
_AMOUNTS = ["", "1200", "4800", "9500", "25000"]


def _answers(i: int) -> dict:
    programme = _PROGRAMME_CYCLE[i % len(_PROGRAMME_CYCLE)]
    situations = {
        Programme.SECURITY_FORCES: ["quit", "want_to_quit", "fired"],
        Programme.WORKERS: ["fired", "strike"],
        Programme.REPRESSION: ["repressed"],
    }[programme]
    employers = _EMPLOYERS[programme]
    data = {
        "programme": programme.value,
        "situation": f"{programme.value}:{situations[i % len(situations)]}",
        "employer": employers[i % len(employers)],
        "role": _ROLES[i % len(_ROLES)],
        "since": (datetime.date(2020, 8, 10) + datetime.timedelta(days=3 * i)).isoformat(),
        "debt_loans": _AMOUNTS[(i + 2) % len(_AMOUNTS)],
        "debt_loans_currency": "BYN",
        "income_lost": str(600 + 37 * (i % 11)),
        "income_lost_currency": "BYN",
        "dependants": str(i % 4),
        "needs": _NEEDS[i % len(_NEEDS)],
        "skills": _SKILLS[i % len(_SKILLS)],
        "languages": "Belarusian, Russian" + (", English" if i % 3 == 0 else ""),
        "story": f"{_STORIES[i % len(_STORIES)]} (Demo application {i + 1}; invented.)",
    }
    if programme == Programme.SECURITY_FORCES:
        data["debt_contract"] = _AMOUNTS[i % len(_AMOUNTS)] or "3000"
        data["debt_contract_currency"] = "USD"
    if i % 4 == 1:
        data["contact_kind"] = "telegram"
        data["contact_handle"] = f"@demo_applicant_{i:02d}"
    return data


def demo_image(i: int) -> bytes:
    """A small PNG 'photo of a document' carrying EXIF (camera and software tags) that
    intake must strip."""
    image = Image.new("RGB", (480, 300), (236, 232, 220))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 460, 280), outline=(60, 60, 90), width=4)
    draw.text((40, 40), "SERVICE ID (DEMO)", fill=(30, 30, 60))
    draw.text((40, 80), f"No. DEMO-{i:04d}", fill=(30, 30, 60))
    exif = Image.Exif()
    exif[0x010F] = "DemoCam"  # Make
    exif[0x0110] = "Demo Phone 12"  # Model
    exif[0x0131] = "demo-editor 1.0"  # Software
    out = io.BytesIO()
    image.save(out, "PNG", exif=exif.tobytes())
    return out.getvalue()


def _submit(i: int) -> str:
    files = MultiValueDict()
    if i % 10 == 3:
        upload = SimpleUploadedFile(f"service-id-{i}.png", demo_image(i), "image/png")
        files.setlist("proof_files", [upload])
    data = MultiValueDict()
    for key, value in _answers(i).items():
        data.setlist(key, value if isinstance(value, list) else [value])
    # A distinct flood-control key per invented applicant: the demo is fifty people, not one.
    receipt = submit_application(
        data, files, language=("be", "ru", "en")[i % 3], client=f"demo-{i}"
    )
    return receipt.case_code


_DEMO_STATUSES = [
    Case.Status.IN_REVIEW,
    Case.Status.IN_REVIEW,
    Case.Status.MORE_INFO,
    Case.Status.VERIFIED,
    Case.Status.REJECTED,
    Case.Status.CLOSED,
]


@transaction.atomic
def _spread_over_time(codes: list[str], coordinator: User) -> None:
    """Backdate the invented cases over six weeks and move the older ones along, so the
    queue looks like a fund at work. Every change is in the audit log like a real one."""
    today = timezone.localdate()
    for n, code in enumerate(codes):
        age = len(codes) - 1 - n  # the first submitted is the oldest
        received = today - datetime.timedelta(days=age * 42 // max(len(codes), 1))
        Case.objects.filter(code=code).update(received_on=received)
        if age >= len(codes) // 2 and n % 2 == 0:
            status = _DEMO_STATUSES[(n // 2) % len(_DEMO_STATUSES)]
            Case.objects.filter(code=code).update(status=status)
            audit.record(
                "case.status_changed",
                actor=coordinator,
                subject=code,
                status=status.value,
                demo=True,
            )
