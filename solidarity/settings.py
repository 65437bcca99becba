"""Solidarity settings: one module, configured from the environment (STYLE.md §4).

All state lives in SOLIDARITY_DATA_DIR: the SQLite database, uploads (sealed) and the
generated Django secret. DATABASE_URL switches to PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from solidarity.vault.core import VaultParams

BASE_DIR = Path(__file__).resolve().parent


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, got {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def envsecret(name: str) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (for Docker/systemd secrets)."""
    if os.environ.get(name):
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return None


DATA_DIR = Path(os.environ.get("SOLIDARITY_DATA_DIR") or Path.cwd() / "data").resolve()
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
UPLOADS_DIR = DATA_DIR / "uploads"

DEBUG = envbool("SOLIDARITY_DEBUG", False)


def _secret_key() -> str:
    configured = envsecret("SECRET_KEY")
    if configured:
        return configured
    # Generated once per data directory, readable by its owner only.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < 40:
        raise ImproperlyConfigured(f"{path} holds a secret key that is too short")
    return key


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "solidarity.accounts",
    "solidarity.vault",
    "solidarity.audit",
    "solidarity.cases",
    "solidarity.intake",
    "solidarity.bot",
    "solidarity.ledger",
    "solidarity.transparency",
    "solidarity.jobs",
    "solidarity.screening",
    "solidarity.channels",
    "solidarity.oversight",
    "solidarity.continuity",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "solidarity.accounts.middleware.StaffVaultMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "solidarity.lib.middleware.PrivacyHeadersMiddleware",
]

ROOT_URLCONF = "solidarity.urls"
WSGI_APPLICATION = "solidarity.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "solidarity.lib.context.site",
            ],
            # solidarity.lib is not an app (no models); its template filters load by name.
            "libraries": {"money": "solidarity.lib.templatetags.money"},
        },
    },
]


def _database_from_url(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured("DATABASE_URL must be a postgres:// or postgresql:// URL")
    options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }


if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": _database_from_url(os.environ["DATABASE_URL"])}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "solidarity.sqlite3",
            # Opening a connection runs the PRAGMAs below (~3 ms a request); keeping it for a
            # minute raised sealed intake by about 30% (docs/benchmarks.md, "Intake").
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # WAL lets readers run beside the writer; synchronous=FULL makes a confirmed
                # submission survive a power cut, not only a process crash.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                    " PRAGMA secure_delete=ON;"
                ),
                # Take the write lock at BEGIN so concurrent writers queue instead of failing.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,  # seconds a writer waits for the lock
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "staff:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Sessions: staff only (applicants never get one). Short idle timeout locks the vault.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_NAME = "sid"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_AGE = 12 * 60 * 60  # seconds: a staff session lasts at most one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
STAFF_IDLE_TIMEOUT = envint("SOLIDARITY_STAFF_IDLE_MINUTES", 15) * 60  # seconds
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
# Behind TLS (a reverse proxy) set SOLIDARITY_HTTPS=1: cookies become Secure-only. Left off by
# default so `make run` works on http://127.0.0.1 and on an onion address.
SECURE_COOKIES = envbool("SOLIDARITY_HTTPS", False)
if SECURE_COOKIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_CONTENT_TYPE_NOSNIFF = True
# "no-referrer" would make browsers send "Origin: null" on form posts, which CSRF refuses;
# same-origin still sends nothing to other sites.
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "be"
LANGUAGES = [
    ("be", "Беларуская"),
    ("ru", "Русский"),
    ("en", "English"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["solidarity.formats"]  # Django has no Belarusian date and number formats
LANGUAGE_COOKIE_NAME = "lang"
LANGUAGE_COOKIE_SAMESITE = "Strict"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = None  # served from the package by WhiteNoise (finders); nothing to collect
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Uploads never touch the disk in clear: files are held in memory (bounded below) and
# sealed before anything is written. Django's default handler would spool large files
# to /tmp in plaintext.
FILE_UPLOAD_HANDLERS = ["solidarity.intake.uploads.BoundedMemoryUploadHandler"]
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # 10 MiB for a photo or PDF
MAX_VIDEO_BYTES = 40 * 1024 * 1024  # 40 MiB: a short statement filmed on a phone
MAX_ATTACHMENTS = 5
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # 1 MiB of non-file form fields
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
FILE_UPLOAD_TEMP_DIR = None

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

_kdf = os.environ.get("SOLIDARITY_KDF", "production")
if _kdf == "production":
    VAULT_PARAMS = VaultParams.production()
elif _kdf == "fast-insecure-for-tests":
    VAULT_PARAMS = VaultParams.fast_for_tests()
    # The test suite logs in hundreds of times; a cheap hasher keeps it fast. Never in production.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
else:
    raise ImproperlyConfigured("SOLIDARITY_KDF must be 'production' or 'fast-insecure-for-tests'")

# Logging: never the client address, the user agent or a request body. Django's own
# request logger names only the path and status; our code logs events, not people.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "stream": sys.stderr, "formatter": "plain"}
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "solidarity": {"level": os.environ.get("SOLIDARITY_LOG_LEVEL", "INFO")},
        # The 'django.server' logger of runserver prints client addresses; we never serve
        # with runserver, and silence it in case someone does.
        "django.server": {"handlers": [], "propagate": False},
        # Pillow logs EXIF values (camera, GPS) at DEBUG while a photo is being cleaned.
        "PIL": {"level": "INFO"},
    },
}

# Behind a reverse proxy that sets X-Forwarded-For, use its last hop as the flood-control key.
TRUST_X_FORWARDED_FOR = envbool("SOLIDARITY_TRUST_X_FORWARDED_FOR", False)
APPLICANT_SESSION_SECONDS = 20 * 60  # an applicant's unlocked status page lasts 20 minutes
QUICK_EXIT_URL = os.environ.get("SOLIDARITY_QUICK_EXIT_URL", "https://www.wikipedia.org/")
# 0 turns a limit off (for example on an onion service, where every client is 127.0.0.1).
APPLY_RATE_PER_HOUR = envint("SOLIDARITY_APPLY_RATE_PER_HOUR", 30)  # per client, in memory
STATUS_RATE_PER_HOUR = envint("SOLIDARITY_STATUS_RATE_PER_HOUR", 30)  # wrong receipts per client
STATUS_RATE_PER_CODE_PER_HOUR = 10  # wrong passphrases for one case code, from anywhere

ORG_NAME_FALLBACK = _("Solidarity fund")

# Telegram bot (solidarity.bot, docs/operator-guide.md "Telegram"). Without a token
# `solidarity bot` refuses to start and the webhook URL answers 404.
TELEGRAM_BOT_TOKEN = envsecret("TELEGRAM_BOT_TOKEN")
# Telegram echoes it in X-Telegram-Bot-Api-Secret-Token on every webhook call; unset turns
# webhook mode off. At least 32 characters of A-Z a-z 0-9 _ - (Telegram allows no others).
TELEGRAM_WEBHOOK_SECRET = envsecret("TELEGRAM_WEBHOOK_SECRET")
# Another Bot API server: a self-hosted one, or the test suite's fake one on loopback.
TELEGRAM_BOT_API_URL = os.environ.get("TELEGRAM_BOT_API_URL", "https://api.telegram.org")
# The card processor's webhook (solidarity.ledger, docs/treasurer-guide.md): the HMAC key
# it signs each call with. Unset, /hooks/card/ answers 503.
CARD_WEBHOOK_SECRET = envsecret("SOLIDARITY_CARD_WEBHOOK_SECRET")
TELEGRAM_MESSAGES_PER_MINUTE = envint("TELEGRAM_MESSAGES_PER_MINUTE", 60)  # per chat, in memory

# Donors (solidarity.ledger.donor_protection, docs/treasurer-guide.md "Protecting donors").
# The secret that keys the digests of bank references, charge ids and event ids; unset, one is
# derived from SECRET_KEY. Set it (or *_FILE) when SECRET_KEY may change: a new secret makes
# old references unrecognisable, so a statement imported again would be booked again.
DONOR_REFERENCE_SECRET = envsecret("SOLIDARITY_DONOR_REFERENCE_SECRET")
# Months a receipt address is kept (sealed) after the receipt was sent; then `donors purge`
# deletes it. 13 covers a tax year and the month after it, when donors ask for copies.
DONOR_RECEIPT_MONTHS = envint("SOLIDARITY_DONOR_RECEIPT_MONTHS", 13)
# Months the digest of a bank reference, charge id or event id is remembered; then
# `donors purge` forgets it, so even whoever holds the secret cannot match an old donation
# to a donor's statement. 18 outlasts card chargebacks (up to 540 days) and overlapping
# statement imports; a statement older than this must not be imported again.
DONOR_REFERENCE_MONTHS = envint("SOLIDARITY_DONOR_REFERENCE_MONTHS", 18)
# ISO 3166 codes of countries where paying the fund is prosecuted: a card or bank from one of
# them flags the donation for the treasurer and warns the donor where the channel allows.
HIGH_RISK_COUNTRIES = frozenset(
    c.strip().upper()
    for c in os.environ.get("SOLIDARITY_HIGH_RISK_COUNTRIES", "BY,RU").split(",")
    if c.strip()
)
if any(len(c) != 2 or not c.isascii() or not c.isalpha() for c in HIGH_RISK_COUNTRIES):
    # A misspelt list ("Belarus") would silently flag nothing: refuse it.
    raise ImproperlyConfigured("SOLIDARITY_HIGH_RISK_COUNTRIES must be two-letter codes: BY,RU")
if DONOR_RECEIPT_MONTHS < 1 or DONOR_REFERENCE_MONTHS < 1:
    raise ImproperlyConfigured(
        "SOLIDARITY_DONOR_RECEIPT_MONTHS and SOLIDARITY_DONOR_REFERENCE_MONTHS must be at least 1"
    )

# Wind-down (`solidarity wind-down`) keeps the books this many years from the day it runs:
# the statutory period for accounting records (7 years is a common minimum; check your
# country's law, and set it higher rather than lower).
KEEP_BOOKS_YEARS = envint("SOLIDARITY_KEEP_BOOKS_YEARS", 7)

# Insider limits (issue 8; docs/volunteer-vetting.md). A volunteer's access grant to a case
# lasts this many days unless a coordinator renews it: an informer keeps nothing for long.
SOLIDARITY_GRANT_DAYS = envint("SOLIDARITY_GRANT_DAYS", 30)
